"""A run directory of `gradlab run`, read into columns.

Every file is optional to the figures but config.toml, summary.json,
steps.csv and layers.csv, which every run writes. A missing or malformed
file raises ReportError naming it.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


class ReportError(Exception):
    """Bad input: the message names the file and what is wrong with it."""


# The columns each table must have (README.md, "The run directory"); a
# file cut short in its header lacks some.
REQUIRED_COLUMNS = {
    "steps.csv": ("step", "epoch", "variant", "precision", "loss", "loss_scale", "update_skipped", "learning_rate",
                  "gradient_norm", "first_layer_gradient_norm", "last_layer_gradient_norm", "nonfinite_values",
                  "loss_relative_drift", "weight_drift_max_ulp", "weight_drift_relative_error",
                  "gradient_local_max_ulp", "gradient_local_relative_error"),
    "layers.csv": ("step", "variant", "precision", "layer", "layer_kind", "tensor", "parameter", "count", "l2_norm",
                   "max_abs", "min_nonzero_abs", "zero_fraction", "subnormal_fraction", "nan_count", "inf_count",
                   "drift_relative_error", "drift_max_ulp", "local_relative_error", "local_max_ulp"),
    "gradient_histograms.csv": ("step", "variant", "precision", "loss_scale", "value_class", "binade", "count"),
    "parameters.csv": ("step", "variant", "precision", "parameter", "index", "value", "gradient"),
    "landscape.csv": ("variant", "weight", "loss"),
}


class Table:
    """The columns of a CSV file, each a numpy array: float where every
    non-empty cell is a number (empty cells read NaN), else str."""

    def __init__(self, columns: dict[str, np.ndarray], source: str):
        self.columns = columns
        self.source = source

    @classmethod
    def read(cls, path: Path) -> "Table":
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as e:
            raise ReportError(f"{path}: cannot read ({e.strerror})") from None
        except UnicodeDecodeError:
            raise ReportError(f"{path}: not UTF-8 text (garbled?)") from None
        if not text:
            raise ReportError(f"{path}: empty (no header)")
        if not text.endswith("\n"):
            raise ReportError(f"{path}: the last line is cut short (gradlab ends every line): truncated")
        rows = list(csv.reader(text.splitlines()))
        header, body = rows[0], rows[1:]
        missing = [c for c in REQUIRED_COLUMNS.get(Path(path).name, ()) if c not in header]
        if missing:
            raise ReportError(f"{path}: no column {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}"
                              " in the header (truncated, or not written by gradlab run?)")
        for number, row in enumerate(body, start=2):
            if len(row) != len(header):
                raise ReportError(f"{path}: line {number} has {len(row)} fields, the header {len(header)}"
                                  " (truncated or not written by gradlab run?)")
        columns = {}
        for c, name in enumerate(header):
            cells = [row[c] for row in body]
            columns[name] = _numeric(cells)
        return cls(columns, str(path))

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self.columns[name]
        except KeyError:
            raise ReportError(f"{self.source}: no column '{name}'") from None

    def where(self, **equal) -> "Table":
        """The rows whose columns equal the given values."""
        mask = np.ones(len(self), dtype=bool)
        for name, value in equal.items():
            column = self[name]
            # A column read as numbers holds no text (e.g. a variant named "1"
            # reads 1.0): compare like with like.
            if column.dtype != object and isinstance(value, str):
                try:
                    value = float(value)
                except ValueError:
                    mask[:] = False
                    continue
            mask &= column == value
        return Table({k: v[mask] for k, v in self.columns.items()}, self.source)


def _numeric(cells: list[str]) -> np.ndarray:
    try:
        # Python's float() reads gradlab's exact decimals, 'inf', 'nan', and
        # gives inf for an mp value beyond double's range.
        return np.array([float(c) if c else np.nan for c in cells], dtype=float)
    except ValueError:
        return np.array(cells, dtype=object)


@dataclass(frozen=True)
class Lane:
    variant: str
    precision: str

    @property
    def label(self) -> str:
        return f"{self.variant} {self.precision}"


@dataclass
class RunData:
    path: Path
    config_text: str
    summary: dict
    steps: Table
    layers: Table
    events: list[dict]
    # Written by newer runs: None when the file is absent.
    histograms: Table | None = None
    parameters: Table | None = None
    landscape: Table | None = None
    lanes: list[Lane] = field(default_factory=list)

    @property
    def variants(self) -> list[str]:
        return list(dict.fromkeys(lane.variant for lane in self.lanes))

    @property
    def precisions(self) -> list[str]:
        return list(dict.fromkeys(lane.precision for lane in self.lanes))

    @property
    def reference(self) -> str | None:
        return self.summary.get("reference")

    def lane_summary(self, lane: Lane) -> dict:
        for entry in self.summary["lanes"]:
            if entry["variant"] == lane.variant and entry["precision"] == lane.precision:
                return entry
        raise ReportError(f"{self.path / 'summary.json'}: no lane {lane.label}")


def read_run(path: Path) -> RunData:
    path = Path(path)
    if not path.is_dir():
        raise ReportError(f"{path}: not a directory (give the run directory that gradlab run wrote)")
    if not (path / "summary.json").is_file():
        raise ReportError(f"{path}: no summary.json: not a finished run directory of gradlab run")
    try:
        summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
        lanes = [Lane(str(e["variant"]), str(e["precision"])) for e in summary["lanes"]]
    except (ValueError, KeyError, TypeError) as e:
        raise ReportError(f"{path / 'summary.json'}: malformed ({e})") from None
    try:
        config_text = (path / "config.toml").read_text(encoding="utf-8")
    except OSError as e:
        raise ReportError(f"{path / 'config.toml'}: cannot read ({e.strerror})") from None
    events = []
    events_path = path / "events.jsonl"
    if events_path.exists():
        for number, line in enumerate(events_path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                events.append(json.loads(line))
            except ValueError:
                raise ReportError(f"{events_path}: line {number} is not JSON (truncated?)") from None

    def optional(name: str) -> Table | None:
        return Table.read(path / name) if (path / name).exists() else None

    return RunData(path=path, config_text=config_text, summary=summary, steps=Table.read(path / "steps.csv"),
                   layers=Table.read(path / "layers.csv"), events=events,
                   histograms=optional("gradient_histograms.csv"), parameters=optional("parameters.csv"),
                   landscape=optional("landscape.csv"), lanes=lanes)
