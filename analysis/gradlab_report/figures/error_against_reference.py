"""Error of each lane against the reference precision, in its two kinds:
drift (the lane's weights against the reference lane's, trajectories apart)
and local error (the lane's gradient against the reference's gradient at the
lane's own weights: one evaluation's rounding). Largest ULP error over steps,
relative error per layer."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D

from ..formats import number_format
from ..run_data import Lane, RunData, Table
from ..style import figure, precision_colour, save, variant_style
from . import Figure, NotApplicable
from .gradient_norm_by_depth import EDGE_KINDS, NONFINITE, POSITIVE, ZERO, EdgeRows, classify

FILE = "error_against_reference.png"
TITLE = "Error against the reference precision"

# Errors read differently from the norms the edge markers were made for.
EDGE_LABELS = {ZERO: "0 (agrees exactly)", NONFINITE: "Inf/NaN (lane or error not finite)"}


@dataclass(frozen=True)
class ErrorKind:
    name: str
    steps_ulp: str         # steps.csv: largest elementwise ULP error
    steps_relative: str    # steps.csv: normwise relative error
    tensor: str            # the layers.csv rows that carry it
    prefix: str            # of its layers.csv columns
    of_what: str


DRIFT = ErrorKind("drift", "weight_drift_max_ulp", "weight_drift_relative_error", "weight", "drift_", "weights")
LOCAL = ErrorKind("local error", "gradient_local_max_ulp", "gradient_local_relative_error", "weight_gradient",
                  "local_", "weight gradients")


@dataclass
class Series:
    """One lane's recorded errors: x (step or layer), value, and its kind
    (POSITIVE, ZERO or NONFINITE, as gradient_norm_by_depth classifies)."""
    lane: Lane
    x: np.ndarray
    value: np.ndarray
    kind: np.ndarray


@dataclass
class Panel:
    title: str
    xlabel: str
    ylabel: str
    series: list[Series]
    layer_step: float | None = None   # the step shown, for a panel over layers


def lane_name(run: RunData, lane: Lane) -> str:
    """The precision alone when the run has one variant."""
    return lane.precision if len(run.variants) == 1 else lane.label


def _series(lane: Lane, x: np.ndarray, value: np.ndarray, recorded: np.ndarray,
            lane_nonfinite: np.ndarray) -> Series:
    order = np.argsort(x[recorded], kind="stable")
    x, value, lane_nonfinite = x[recorded][order], value[recorded][order], lane_nonfinite[recorded][order]
    kind = classify(value)
    # A lane holding NaN compares equal to the reference's NaN: that 0 is no agreement.
    kind[(value == 0) & lane_nonfinite] = NONFINITE
    return Series(lane, x, value, kind)


def _of_lane(table: Table, lane: Lane) -> Table:
    return table.where(variant=lane.variant, precision=lane.precision)


def over_steps(run: RunData, lanes: list[Lane], column: str, kind: ErrorKind) -> list[Series]:
    """column of steps.csv at the steps where the kind's error was measured
    (its ULP column is written there, even as inf)."""
    series = []
    for lane in lanes:
        rows = _of_lane(run.steps, lane)
        series.append(_series(lane, rows["step"], rows[column], ~np.isnan(rows[kind.steps_ulp]),
                              rows["nonfinite_values"] > 0))
    return [s for s in series if len(s.x)]


def _weight_matrix_rows(run: RunData, kind: ErrorKind) -> Table:
    if not len(run.layers):
        return run.layers
    rows = run.layers.where(tensor=kind.tensor)
    is_matrix = np.char.endswith(rows["parameter"].astype(str), ".weight")
    return Table({name: column[is_matrix] for name, column in rows.columns.items()}, rows.source)


def layer_step(rows: Table, lanes: list[Lane], kind: ErrorKind) -> tuple[float, bool] | None:
    """The last recorded step at which some lane's error is finite in every
    layer (and whether that is the last recorded step at all)."""
    recorded = ~np.isnan(rows[kind.prefix + "max_ulp"])
    if not recorded.any():
        return None
    relative = rows[kind.prefix + "relative_error"]
    finite = np.isfinite(relative) & (rows["nan_count"] + rows["inf_count"] == 0)
    steps = np.unique(rows["step"][recorded])
    for step in steps[::-1]:
        at = recorded & (rows["step"] == step)
        for lane in lanes:
            mine = at & (rows["variant"] == lane.variant) & (rows["precision"] == lane.precision)
            if mine.any() and finite[mine].all():
                return step, step == steps[-1]
    return steps[-1], True


def over_layers(rows: Table, lanes: list[Lane], kind: ErrorKind, step: float) -> list[Series]:
    at = rows.where(step=step)
    series = []
    for lane in lanes:
        mine = _of_lane(at, lane)
        series.append(_series(lane, mine["layer"], mine[kind.prefix + "relative_error"],
                              ~np.isnan(mine[kind.prefix + "max_ulp"]),
                              mine["nan_count"] + mine["inf_count"] > 0))
    return [s for s in series if len(s.x)]


def ulp_panel(run: RunData, lanes: list[Lane], kind: ErrorKind) -> Panel:
    series = over_steps(run, lanes, kind.steps_ulp, kind)
    title = f"{kind.name.capitalize()} over steps"
    if series:
        title += f" ({kind.of_what}, {_recorded_every(series)})"
    return Panel(title, "step", f"largest error over all {kind.of_what}\n(ULPs of the lane's own format, log scale)",
                 series)


def relative_panel(run: RunData, lanes: list[Lane], kind: ErrorKind) -> Panel:
    """Per layer at the last step worth showing; over steps for a one-layer model."""
    rows = _weight_matrix_rows(run, kind)
    chosen = layer_step(rows, lanes, kind)
    layer_count = len(np.unique(rows["layer"])) if chosen else 0
    if layer_count < 2:
        series = over_steps(run, lanes, kind.steps_relative, kind)
        return Panel(f"{kind.name.capitalize()}, relative, over steps" +
                     (" (one weight matrix)" if layer_count == 1 else ""), "step",
                     f"relative error of all {kind.of_what}\n(normwise, log scale)", series)
    step, is_last = chosen
    title = f"{kind.name.capitalize()} per layer at step {step:g}"
    if not is_last:
        title += "\n(the last step at which some lane is finite)"
    return Panel(title, "layer (index in [model])",
                 f"relative error of the layer's\n{kind.tensor.replace('_', ' ')} matrix (normwise, log scale)",
                 over_layers(rows, lanes, kind, step), layer_step=step)


def draw(run: RunData, out_dir: Path) -> Figure | NotApplicable:
    if run.reference is None:
        return NotApplicable(TITLE, "The run has no reference precision (reference = \"none\"), "
                                    "so nothing was measured against one.")
    lanes = [lane for lane in run.lanes if lane.precision != run.reference]
    if not lanes:
        return NotApplicable(TITLE, f"Every lane runs in the reference precision {run.reference}: "
                                    "there is no error to show.")
    grid = [[ulp_panel(run, lanes, kind), relative_panel(run, lanes, kind)] for kind in (DRIFT, LOCAL)]
    all_series = [s for row in grid for panel in row for s in panel.series]
    if not all_series:
        return NotApplicable(TITLE, "steps.csv and layers.csv record no error against the reference "
                                    "(were the probes turned off?).")

    edges = EdgeRows.of({p: np.concatenate([s.kind for s in all_series if s.lane.precision == p])
                         for p in dict.fromkeys(s.lane.precision for s in all_series)})
    fig, axes = figure(12.5, 8.2, nrows=2, ncols=2, squeeze=False)
    for row, axes_row in zip(grid, axes):
        for panel, ax in zip(row, axes_row):
            _plot(ax, run, panel, edges)
    fig.subplots_adjust(wspace=0.3, hspace=0.4)
    fig.legend(handles=_legend_handles(run, lanes, all_series), loc="center left", bbox_to_anchor=(0.91, 0.5),
               frameon=False)
    fig.suptitle(f"Error against the reference {run.reference}: drift (top) and local error (bottom)")
    save(fig, out_dir / FILE)
    return Figure(FILE, TITLE, _caption(run, grid))


def _recorded_every(series: list[Series]) -> str:
    steps = np.unique(np.concatenate([s.x for s in series]))
    # The median gap: the last step is recorded whatever the interval.
    interval = np.median(np.diff(steps)) if len(steps) > 1 else 0
    return "every step" if interval == 1 else f"every {interval:g} steps" if interval else "recorded once"


def _plot(ax, run: RunData, panel: Panel, edges: EdgeRows) -> None:
    ax.set_title(panel.title)
    ax.set_xlabel(panel.xlabel)
    ax.set_ylabel(panel.ylabel)
    if not panel.series:
        _not_recorded(ax)
        return
    ax.set_yscale("log")
    dense = max(len(s.x) for s in panel.series) > 30
    for s in panel.series:
        colour = precision_colour(s.lane.precision, run.precisions)
        y = np.where(s.kind == POSITIVE, s.value, np.nan)
        ax.plot(s.x, y, color=colour, linestyle=variant_style(s.lane.variant, run.variants), linewidth=1.4,
                marker="o", markersize=2.5 if dense else 3.5)
        edges.mark(ax, s.x, s.kind, s.lane.precision, colour)
    shown = np.concatenate([s.value[s.kind == POSITIVE] for s in panel.series])
    low, high = (shown.min(), shown.max()) if shown.size else (0.1, 10.0)
    edges.set_limits(ax, low, high, log=True)
    if panel.layer_step is not None:
        layers = np.unique(np.concatenate([s.x for s in panel.series]))
        ax.set_xticks(layers[::math.ceil(len(layers) / 12)])


def _not_recorded(ax) -> None:
    ax.text(0.5, 0.5, "not recorded in this run", transform=ax.transAxes, ha="center", va="center",
            color="dimgrey")
    ax.set_xticks([])
    ax.set_yticks([])


def _legend_handles(run: RunData, lanes: list[Lane], series: list[Series]) -> list[Line2D]:
    handles = [Line2D([], [], color=precision_colour(p, run.precisions), linewidth=2, label=p)
               for p in dict.fromkeys(lane.precision for lane in lanes)]
    if len(run.variants) > 1:
        handles += [Line2D([], [], color="dimgrey", linestyle=variant_style(v, run.variants), label=f"variant {v}")
                    for v in dict.fromkeys(lane.variant for lane in lanes)]
    present = set().union(*(np.unique(s.kind).tolist() for s in series))
    for kind, label in EDGE_LABELS.items():
        edge, marker, filled, _ = EDGE_KINDS[kind]
        if kind in present:
            handles.append(Line2D([], [], linestyle="none", marker=marker, color="dimgrey", markersize=6.5,
                                  markerfacecolor="dimgrey" if filled else "white",
                                  label=f"{label}: at the {edge} edge"))
    return handles


def _number(value: float) -> str:
    if 0.01 <= value < 1e4:
        return f"{value:.3g}"
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _caption(run: RunData, grid: list[list[Panel]]) -> str:
    (drift, drift_relative), (local, _) = grid
    sentences = []
    drift_peak = None
    if drift.series:
        last = max(s.x[-1] for s in drift.series)
        at_last = [s for s in drift.series if s.x[-1] == last and s.kind[-1] == POSITIVE]
        broken = [s for s in drift.series if s.kind[-1] == NONFINITE]
        parts = []
        if at_last:
            low = min(at_last, key=lambda s: s.value[-1])
            high = max(at_last, key=lambda s: s.value[-1])
            drift_peak = high.value[-1]
            parts.append(f"at step {last:g} the weights' drift from {run.reference} spans "
                         f"{_number(low.value[-1])} ULPs ({lane_name(run, low.lane)}) to "
                         f"{_number(high.value[-1])} ({lane_name(run, high.lane)})")
            if _bits(high.lane) > _bits(low.lane):
                parts[-1] += (", in ULPs of each lane's own format, a finer format counting more of them "
                              "for one distance")
        if broken:
            since = {}
            for s in broken:
                since.setdefault(s.x[np.argmax(s.kind == NONFINITE)], []).append(lane_name(run, s.lane))
            parts.append("drift turns Inf/NaN (top edge) from " +
                         listing([f"step {step:g} in {listing(names)}" for step, names in sorted(since.items())]))
        if parts:
            sentence = "; ".join(parts)
            sentences.append(sentence[0].upper() + sentence[1:] + ".")
    peaks = [(v, s.lane, x) for s in local.series for v, x, k in zip(s.value, s.x, s.kind) if k == POSITIVE]
    if peaks:
        value, lane, step = max(peaks, key=lambda t: t[0])
        sentence = (f"Local error, one gradient evaluation's rounding, peaks at {_number(value)} ULPs "
                    f"({lane_name(run, lane)}, step {step:g})")
        if drift_peak is not None and drift_peak > 10 * value:
            sentence += ": drift far beyond it has built up over the steps, not in one"
        sentences.append(sentence + ". A largest elementwise ULP error is set by the tensor's smallest entries: "
                         "one that is a sum with cancellation is tiny next to the rest and loses many ULPs "
                         "while the tensor as a whole is accurate, which the normwise relative errors on the "
                         "right show.")
    if drift_relative.layer_step is not None:
        worst = [(v, x, s.lane) for s in drift_relative.series for v, x, k in zip(s.value, s.x, s.kind)
                 if k == POSITIVE]
        if worst:
            value, layer, lane = max(worst, key=lambda t: t[0])
            sentences.append(f"Per layer at step {drift_relative.layer_step:g}, the largest relative drift is "
                             f"layer {layer:g}'s ({_number(value)}, {lane_name(run, lane)}).")
    return " ".join(sentences) or "No lane recorded a finite error against the reference."


def _bits(lane: Lane) -> int:
    return number_format(lane.precision).significand_bits


def listing(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
