"""NaN/Inf timeline: one row per lane, a layer-by-step panel of where tensors
held NaN or Inf with the loss on top, the op that made the first one (the
nonfinite_origin event) marked, and the loss-scale back-offs of mixed precision."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from ..formats import number_format
from ..run_data import Lane, RunData
from ..style import figure, precision_colour, save
from . import Figure, NotApplicable
from .error_against_reference import lane_name, listing

FILE = "nonfinite_timeline.png"
TITLE = "NaN/Inf timeline"

FINITE, INF, NAN = 0, 1, 2
STATE_CMAP = ListedColormap(["#f2f2f2", "#f768a1", "#7a0177"])
ORIGIN_COLOUR = "#ffd60a"
BACKOFF_COLOUR = "#1f4e9c"
FINITE_TEXT_COLOUR = "#1b7837"


@dataclass
class LaneTimeline:
    lane: Lane
    layers: np.ndarray          # (layer, recorded step): FINITE, INF or NAN over the layer's tensors
    loss: np.ndarray            # per step of steps.csv
    origin: dict | None         # the nonfinite_origin event
    backoffs: np.ndarray        # steps of loss_scale_backoff events

    @property
    def went_nonfinite(self) -> bool:
        return self.origin is not None or bool(self.layers.any() or self.loss.any())


@dataclass
class Grid:
    layer_steps: np.ndarray     # the steps layers.csv records, ascending
    loss_steps: np.ndarray      # the steps steps.csv records, ascending
    layer_count: int

    @property
    def loss_row(self) -> tuple[float, float]:
        """y extent of the loss row, on top of the layers and, for a deep model,
        taller than a layer's row so that it stays visible."""
        bottom = self.layer_count - 0.5
        return bottom, bottom + max(1.0, self.layer_count / 4)

    def filled_step(self, t: "LaneTimeline") -> float | None:
        """The first recorded step at which every layer held NaN/Inf."""
        everywhere = np.flatnonzero((t.layers != FINITE).all(axis=0)) if self.layer_count else []
        return self.layer_steps[everywhere[0]] if len(everywhere) else None


def _lane_mask(table, lane: Lane) -> np.ndarray:
    return (table["variant"] == lane.variant) & (table["precision"] == lane.precision)


def _layer_states(run: RunData, grid: Grid, lane: Lane) -> np.ndarray:
    table = run.layers
    mine = _lane_mask(table, lane) if len(table) else np.zeros(0, dtype=bool)
    counts = np.zeros((2, grid.layer_count, len(grid.layer_steps)))
    index = (table["layer"][mine].astype(int), np.searchsorted(grid.layer_steps, table["step"][mine]))
    for k, column in enumerate(("nan_count", "inf_count")):
        np.add.at(counts[k], index, np.nan_to_num(table[column][mine]))
    return np.where(counts[0] > 0, NAN, np.where(counts[1] > 0, INF, FINITE))


def _loss_states(run: RunData, grid: Grid, lane: Lane) -> np.ndarray:
    rows = run.steps.where(variant=lane.variant, precision=lane.precision)
    loss = np.full(len(grid.loss_steps), 0.0)
    loss[np.searchsorted(grid.loss_steps, rows["step"])] = rows["loss"]
    try:
        largest = number_format(lane.precision).largest
    except ValueError:
        largest = None
    # An mp (or f128) loss beyond double's range reads inf here although it is
    # finite: only a format within double's range can tell a real Inf.
    inf_is_real = largest is not None and math.isfinite(largest)
    return np.where(np.isnan(loss), NAN, np.where(np.isinf(loss) & inf_is_real, INF, FINITE))


def timelines(run: RunData) -> tuple[Grid, list[LaneTimeline]]:
    layers = run.layers
    has_layers = len(layers) > 0
    grid = Grid(np.unique(layers["step"]) if has_layers else np.array([]), np.unique(run.steps["step"]),
                int(np.nanmax(layers["layer"])) + 1 if has_layers else 0)
    result = []
    for lane in run.lanes:
        events = [e for e in run.events if e.get("variant") == lane.variant and e.get("precision") == lane.precision]
        origin = next((e for e in events if e.get("event") == "nonfinite_origin"), None)
        backoffs = np.array([e["step"] for e in events if e.get("event") == "loss_scale_backoff"], dtype=float)
        result.append(LaneTimeline(lane, _layer_states(run, grid, lane), _loss_states(run, grid, lane),
                                   origin, backoffs))
    return grid, result


def _kind(origin: dict) -> str:
    value = str(origin.get("value", "")).lower()
    return "NaN" if "nan" in value else "−Inf" if value.startswith("-") else "Inf"


def _origin_layer(origin: dict) -> int | None:
    """The layer an origin belongs to; an update names only its parameter."""
    if origin.get("layer") is not None:
        return int(origin["layer"])
    match = re.match(r"layers\.(\d+)\.", str(origin.get("tensor", "")))
    return int(match.group(1)) if match else None


def origin_place(origin: dict) -> str:
    """'the mse loss', "layer 10's matmul", 'the adam_update of layers.0.weight'."""
    op = origin.get("op", "?")
    if origin.get("layer_kind") == "loss":
        return f"the {op} loss"
    if origin.get("layer") is not None:
        return f"layer {origin['layer']}'s {op}"
    return f"the {op} of {origin.get('tensor', '?')}"


def unoriginated_place(grid: Grid, t: LaneTimeline) -> str:
    """'Inf at step 81 in layer 0': the first NaN/Inf of a lane without an origin event."""
    if t.layers.any():
        column = np.flatnonzero(t.layers.any(axis=0))[0]
        layers = np.flatnonzero(t.layers[:, column])
        kind = "NaN" if (t.layers[:, column] == NAN).any() else "Inf"
        where = f"layer {layers[0]}" if len(layers) == 1 else f"layers {layers[0]}-{layers[-1]}"
        return f"{kind} at step {grid.layer_steps[column]:g} in {where}"
    step = np.flatnonzero(t.loss)[0]
    return f"{'NaN' if t.loss[step] == NAN else 'Inf'} loss at step {grid.loss_steps[step]:g}"


def zoom_window(grid: Grid, lanes: list[LaneTimeline]) -> tuple[float, float] | None:
    """The steps from just before the first origin to just after NaN/Inf has
    filled the layers, when they are a small part of the run."""
    origins = [t for t in lanes if t.origin is not None]
    if not origins:
        return None
    first, last = grid.loss_steps[0], grid.loss_steps[-1]
    start = min(float(t.origin["step"]) for t in origins)
    ends = [grid.filled_step(t) for t in origins]
    end = max(e if e is not None else float(t.origin["step"]) + 3 for e, t in zip(ends, origins))
    low = max(first, start - 1)
    high = min(last, max(end + 1, low + 4))
    return (low, high) if high - low <= 0.35 * (last - first) else None


def draw(run: RunData, out_dir: Path) -> Figure | NotApplicable:
    if not len(run.steps):
        return NotApplicable(TITLE, "steps.csv has no rows: the run recorded no step.")
    grid, lanes = timelines(run)
    first, last = grid.loss_steps[0], grid.loss_steps[-1]
    zoom = zoom_window(grid, lanes)
    windows = [(first, last)] + ([zoom] if zoom else [])
    heights = [1.45 if t.went_nonfinite else 0.42 for t in lanes]
    height = sum(heights) + 0.6
    fig, axes = figure(12 if zoom else 11, height, nrows=len(lanes), ncols=len(windows),
                       sharex="col", sharey="row", squeeze=False,
                       gridspec_kw={"height_ratios": heights, "width_ratios": [2.3, 1][:len(windows)],
                                    "hspace": 0.22, "wspace": 0.04})
    for t, row in zip(lanes, axes):
        for c, (ax, window) in enumerate(zip(row, windows)):
            _draw_row(ax, grid, t, window, annotate=c == 0)
        row[0].set_ylabel(lane_name(run, t.lane) + (" (reference)" if t.lane.precision == run.reference else ""),
                          rotation=0, ha="right", va="center", labelpad=10, fontweight="bold",
                          color=precision_colour(t.lane.precision, run.precisions))
    for c, (low, high) in enumerate(windows):
        axes[-1, c].set_xlim(low - 0.5, high + 0.5)
        axes[-1, c].set_xlabel("step")
        axes[-1, c].xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    if zoom:
        axes[0, 0].set_title("all steps", fontsize=10)
        axes[0, 1].set_title(f"steps {zoom[0]:g} to {zoom[1]:g}, up close", fontsize=10)
    top = 1 - 0.05 / height
    fig.subplots_adjust(top=top, bottom=0.5 / height)
    above_titles = top + (0.3 if zoom else 0.05) / height
    if any(t.went_nonfinite for t in lanes):
        fig.legend(handles=_legend_handles(lanes), loc="lower center", ncol=6, frameon=False,
                   bbox_to_anchor=(0.5, above_titles))
        fig.suptitle("Where each lane's first NaN/Inf arose (star) and how it spread through the layers",
                     y=above_titles + 0.35 / height, va="bottom")
    else:
        fig.suptitle(f"No NaN or Inf in any lane, steps {first:g} to {last:g}", y=above_titles, va="bottom")
    save(fig, out_dir / FILE)
    return Figure(FILE, TITLE, _caption(run, grid, lanes))


def _edges(steps: np.ndarray) -> np.ndarray:
    """Cell edges that hold each recorded step's state until the next one."""
    return np.append(steps - 0.5, steps[-1] + 0.5)


def _draw_row(ax, grid: Grid, t: LaneTimeline, window: tuple[float, float], annotate: bool) -> None:
    ax.grid(False)
    if not t.went_nonfinite:
        ax.set_yticks([])
        ax.set_facecolor("#fbfbfb")
        ax.text(0.5, 0.5, "finite throughout", transform=ax.transAxes, ha="center", va="center",
                color=FINITE_TEXT_COLOUR, fontweight="bold")
    else:
        _draw_states(ax, grid, t)
        if t.origin is not None:
            _mark_origin(ax, grid, t.origin, annotate)
        elif annotate:
            skipped = ": the update was skipped by loss scaling (▼)" if len(t.backoffs) else ""
            ax.text(0.01, 0.5, f"no origin recorded for the {unoriginated_place(grid, t)}{skipped}",
                    transform=ax.transAxes, fontsize=8.5, va="center",
                    bbox=dict(facecolor="white", alpha=0.9, edgecolor="none"))
    # Drawn outside the axes (on its top edge), so only those in the window.
    backoffs = t.backoffs[(t.backoffs >= window[0]) & (t.backoffs <= window[1])]
    if len(backoffs):
        ax.plot(backoffs, np.ones(len(backoffs)), linestyle="none", marker="v", markersize=5,
                color=BACKOFF_COLOUR, transform=ax.get_xaxis_transform(), clip_on=False, zorder=5)


def _draw_states(ax, grid: Grid, t: LaneTimeline) -> None:
    style = dict(cmap=STATE_CMAP, vmin=-0.5, vmax=2.5, shading="flat")
    if grid.layer_count and len(grid.layer_steps):
        ax.pcolormesh(_edges(grid.layer_steps), np.arange(grid.layer_count + 1) - 0.5, t.layers, **style)
    bottom, top = grid.loss_row
    ax.pcolormesh(_edges(grid.loss_steps), [bottom, top], t.loss[np.newaxis, :], **style)
    ax.axhline(bottom, color="white", linewidth=1.5)
    ax.set_ylim(-0.5, top)
    ticks = sorted({0, grid.layer_count - 1}) if grid.layer_count else []
    ax.set_yticks(ticks + [(bottom + top) / 2])
    ax.set_yticklabels([f"layer {y}" for y in ticks] + ["loss"], fontsize=8)


def _mark_origin(ax, grid: Grid, origin: dict, annotate: bool) -> None:
    step = float(origin["step"])
    layer = _origin_layer(origin)
    # The loss sits on top; an origin with no layer (data rounded into the format) enters at layer 0.
    y = sum(grid.loss_row) / 2 if origin.get("layer_kind") == "loss" or not grid.layer_count else (layer or 0)
    ax.plot([step], [y], marker="*", markersize=15, color=ORIGIN_COLOUR, markeredgecolor="black", zorder=6)
    if not annotate:
        return
    first, last = grid.loss_steps[0], grid.loss_steps[-1]
    on_right = step <= first + 0.6 * (last - first)
    upper = y >= grid.layer_count / 2
    text = f"first {_kind(origin)} at step {step:g}: {origin_place(origin)}, {origin.get('pass', '?')} pass"
    ax.annotate(text, (step, y), xytext=(12 if on_right else -12, -6 if upper else 6), textcoords="offset points",
                ha="left" if on_right else "right", va="top" if upper else "bottom", fontsize=8.5, zorder=7,
                bbox=dict(boxstyle="round,pad=0.25", facecolor="white", alpha=0.92, edgecolor="#888888"))


def _legend_handles(lanes: list[LaneTimeline]) -> list:
    handles = [Patch(facecolor=STATE_CMAP(FINITE), edgecolor="#bbbbbb", label="all finite"),
               Patch(facecolor=STATE_CMAP(INF), label="Inf, no NaN"),
               Patch(facecolor=STATE_CMAP(NAN), label="NaN"),
               Line2D([], [], linestyle="none", marker="*", markersize=13, color=ORIGIN_COLOUR,
                      markeredgecolor="black", label="first NaN/Inf (its op)")]
    if any(len(t.backoffs) for t in lanes):
        handles.append(Line2D([], [], linestyle="none", marker="v", color=BACKOFF_COLOUR,
                              label="loss-scale back-off"))
    return handles


def _caption(run: RunData, grid: Grid, lanes: list[LaneTimeline]) -> str:
    first, last = grid.loss_steps[0], grid.loss_steps[-1]
    name = {t.lane: lane_name(run, t.lane) for t in lanes}
    finite = [name[t.lane] for t in lanes if not t.went_nonfinite]
    if len(finite) == len(lanes):
        sentences = [f"All {len(lanes)} lanes stayed finite from step {first:g} to {last:g}: no NaN or Inf "
                     "arose in the loss or in any recorded tensor."]
    else:
        origins = sorted((t for t in lanes if t.origin is not None), key=lambda t: float(t.origin["step"]))
        said = [_origin_clause(name[t.lane], t.origin, previous.origin if i else None)
                for i, (t, previous) in enumerate(zip(origins[:4], [None] + origins[:3]))]
        if len(origins) > 4:
            said.append(f"{len(origins) - 4} more lane{'s' if len(origins) > 5 else ''} went non-finite later")
        if finite:
            said.append(f"{listing(finite)} stayed finite")
        sentences = ["; ".join(said) + "."] if said else []
        spread = _spread_sentence(grid, origins, name)
        if spread:
            sentences.append(spread)
    backoffs = [f"{_times(len(t.backoffs))} in {name[t.lane]}" for t in lanes if len(t.backoffs)]
    skipped = [f"{name[t.lane]}'s {unoriginated_place(grid, t)}" for t in lanes
               if t.went_nonfinite and t.origin is None and len(t.backoffs)]
    unexplained = [f"{name[t.lane]}'s {unoriginated_place(grid, t)}" for t in lanes
                   if t.went_nonfinite and t.origin is None and not len(t.backoffs)]
    if backoffs:
        sentences.append(f"Dynamic loss scaling backed off (▼) {listing(backoffs)}, skipping each update whose "
                         "gradient held Inf/NaN" + (f", hence no origin for {listing(skipped)}" if skipped else "")
                         + ".")
    if unexplained:
        sentences.append(f"No origin was recorded for {listing(unexplained)}.")
    return " ".join(sentences)


def _origin_clause(lane: str, origin: dict, previous: dict | None) -> str:
    """"fp16's first Inf arose at step 0 in the mse loss (forward pass)", shortened
    where it repeats the previous lane's."""
    step, place, kind = float(origin["step"]), origin_place(origin), _kind(origin)
    how = (place, origin.get("pass"))
    if previous is None:
        return f"{lane}'s first {kind} arose at step {step:g} in {place} ({origin.get('pass', '?')} pass)"
    clause = f"{lane}'s" + ("" if kind == _kind(previous) else f" first {kind}") + f" at step {step:g}"
    if how == (origin_place(previous), previous.get("pass")):
        return clause + f", also in {place}"
    return clause + f" in {place} ({origin.get('pass', '?')} pass)"


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _spread_sentence(grid: Grid, origins: list[LaneTimeline], name: dict) -> str:
    if not grid.layer_count or not len(grid.layer_steps):
        return ""
    full, partial = {}, []
    for t in origins:
        filled = grid.filled_step(t)
        if filled is not None:
            full.setdefault(filled, []).append(name[t.lane])
        else:
            partial.append(f"within {(t.layers != FINITE).sum(axis=0).max()} of {grid.layer_count} layers "
                           f"in {name[t.lane]}")
    parts = []
    if full:
        parts.append(f"NaN/Inf reached all {grid.layer_count} layers " +
                     listing([f"by step {step:g} in {listing(names)}" for step, names in sorted(full.items())]))
    if partial:
        parts.append(f"it stayed {listing(partial)}")
    sentence = "; ".join(parts)
    return f"From there {sentence}." if sentence else ""

