"""Weight-gradient norm of every dense layer against its depth, one line per
precision, at a few steps: the vanishing / exploding picture.

Also home of what the gradient heatmap and the loss curves share with it:
the weight-gradient norms as (layer, step) arrays per lane, and the kinds of
values a log axis cannot show (zero, NaN/Inf, beyond double's range), kept
visible as rows of markers at an axes' bottom and top edges.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import Formatter, NullLocator

from ..formats import number_format
from ..run_data import Lane, RunData
from ..style import figure, precision_colour, save
from . import Figure, NotApplicable

FILE = "gradient_norm_by_depth.png"
TITLE = "Gradient norm by depth"

# What a recorded value is. gradlab writes mp values beyond double's range
# exactly, but they read as inf or 0 here: told apart from a real Inf (the
# tensor's own NaN/Inf count is 0) and a real 0 (not every entry is zero).
MISSING, POSITIVE, ZERO, NONFINITE, ABOVE_DOUBLE, BELOW_DOUBLE = range(6)

# Marker and legend text for each kind shown at an edge; bottom edge first.
EDGE_KINDS = {
    ZERO: ("bottom", "v", True, "0 (underflow, or exactly 0)"),
    BELOW_DOUBLE: ("bottom", "v", False, "nonzero, below double's range (mp)"),
    NONFINITE: ("top", "X", True, "Inf/NaN"),
    ABOVE_DOUBLE: ("top", "^", False, "finite, beyond double's range (mp)"),
}
EDGE_ROW = 0.045  # axes fraction per precision's row of edge markers
EDGE_PAD = 0.03


def classify(values: np.ndarray, nonfinite_entries: np.ndarray | None = None,
             zero_fraction: np.ndarray | None = None) -> np.ndarray:
    """The kind of each value, given the NaN/Inf count of the tensors behind it
    and its share of zero entries where known (an unknown count, NaN, decides nothing)."""
    kind = np.full(values.shape, POSITIVE)
    kind[values == 0] = ZERO
    if zero_fraction is not None:
        kind[(values == 0) & (zero_fraction < 1)] = BELOW_DOUBLE
    kind[~np.isfinite(values)] = NONFINITE
    if nonfinite_entries is not None:
        kind[np.isposinf(values) & (nonfinite_entries == 0)] = ABOVE_DOUBLE
        # No NaN among the entries, yet a NaN value: an empty cell, not measured.
        kind[np.isnan(values) & (nonfinite_entries == 0)] = MISSING
    return kind


@dataclass
class GradientNorms:
    """L2 norm of each dense layer's weight gradient, per lane, as (layer, step) arrays."""
    layers: np.ndarray              # index in [model] of each weight layer, input side first
    steps: np.ndarray               # every recorded step, ascending
    norm: dict[Lane, np.ndarray]    # NaN where not recorded
    kind: dict[Lane, np.ndarray]    # MISSING where not recorded

    def lanes(self) -> list[Lane]:
        """The lanes with any recorded norm."""
        return [lane for lane, kind in self.kind.items() if (kind != MISSING).any()]


def weight_gradient_norms(run: RunData) -> GradientNorms | None:
    """None when layers.csv has no weight-gradient norm of a '.weight' parameter in any lane."""
    table = run.layers
    if len(table) == 0:
        return None
    rows = (table["tensor"].astype(str) == "weight_gradient") & \
        np.char.endswith(table["parameter"].astype(str), ".weight")
    if not rows.any():
        return None
    layer = np.asarray(table["layer"][rows], dtype=float)
    step = np.asarray(table["step"][rows], dtype=float)
    l2 = np.asarray(table["l2_norm"][rows], dtype=float)
    entries = np.asarray(table["nan_count"][rows], dtype=float) + np.asarray(table["inf_count"][rows], dtype=float)
    zero_fraction = np.asarray(table["zero_fraction"][rows], dtype=float)
    kind = classify(l2, entries, zero_fraction)
    variant = table["variant"][rows].astype(str)
    precision = table["precision"][rows].astype(str)
    layers, steps = np.unique(layer), np.unique(step)
    row_of, column_of = np.searchsorted(layers, layer), np.searchsorted(steps, step)
    norms, kinds = {}, {}
    for lane in run.lanes:
        mine = (variant == lane.variant) & (precision == lane.precision)
        norms[lane] = np.full((len(layers), len(steps)), np.nan)
        kinds[lane] = np.full((len(layers), len(steps)), MISSING)
        norms[lane][row_of[mine], column_of[mine]] = l2[mine]
        kinds[lane][row_of[mine], column_of[mine]] = kind[mine]
    found = GradientNorms(layers, steps, norms, kinds)
    return found if found.lanes() else None


@dataclass
class EdgeRows:
    """Which precisions get a row of markers at the bottom and the top edge of
    every axes of a figure, the same rows everywhere so each reads the same."""
    bottom: list[str]
    top: list[str]

    @classmethod
    def of(cls, kinds_by_precision: dict[str, np.ndarray]) -> "EdgeRows":
        def needing(edge):
            shown = [k for k, (e, *_) in EDGE_KINDS.items() if e == edge]
            return [p for p, kinds in kinds_by_precision.items() if np.isin(kinds, shown).any()]
        return cls(needing("bottom"), needing("top"))

    def y(self, kind: int, precision: str) -> float:
        """Height in axes fraction of a precision's marker of this kind."""
        if EDGE_KINDS[kind][0] == "bottom":
            return EDGE_PAD / 2 + EDGE_ROW * (len(self.bottom) - self.bottom.index(precision) - 0.5)
        return 1 - EDGE_PAD / 2 - EDGE_ROW * (len(self.top) - self.top.index(precision) - 0.5)

    def set_limits(self, ax, low: float, high: float, log: bool) -> None:
        """y limits that put [low, high] between the edge rows."""
        below = EDGE_PAD + EDGE_ROW * len(self.bottom)
        above = EDGE_PAD + EDGE_ROW * len(self.top)
        if log:
            low, high = math.log10(low), math.log10(high)
        if high - low < 1e-12:
            half = 0.5 if log else max(abs(high), 1.0) * 0.1
            low, high = low - half, high + half
        total = (high - low) / (1 - below - above)
        limits = (low - below * total, high + above * total)
        ax.set_ylim(*(10 ** v for v in limits) if log else limits)
        # The bands' inner edges are exactly low and high.
        labelled = (low if self.bottom else -math.inf, high if self.top else math.inf)
        for axis_ticks in (ax.yaxis.major, ax.yaxis.minor):
            inner = axis_ticks.formatter
            inner = inner.inner if isinstance(inner, _BlankOnEdges) else inner
            axis_ticks.formatter = _BlankOnEdges(inner, *(10 ** v for v in labelled) if log else labelled)
            axis_ticks.formatter.set_axis(ax.yaxis)
        if log and high - low > 12:
            ax.yaxis.set_minor_locator(NullLocator())  # dozens of decades: minor ticks are noise (and slow)

    def mark(self, ax, x: np.ndarray, kinds: np.ndarray, precision: str, colour: str) -> None:
        """Markers at the edges for the values of x whose kind a log axis cannot show, on a shaded band."""
        for kind, (edge, marker, filled, _) in EDGE_KINDS.items():
            at = kinds == kind
            if not at.any():
                continue
            ax.plot(x[at], np.full(at.sum(), self.y(kind, precision)), linestyle="none", marker=marker,
                    markersize=6.5, color=colour, markerfacecolor=colour if filled else "white",
                    markeredgewidth=1.2, transform=ax.get_xaxis_transform(), clip_on=False, zorder=4)
            rows = self.bottom if edge == "bottom" else self.top
            height = EDGE_PAD + EDGE_ROW * len(rows)
            ax.add_patch(Rectangle((0, 0 if edge == "bottom" else 1 - height), 1, height, transform=ax.transAxes,
                                   facecolor="#f0f0f0", edgecolor="none", zorder=0))


class _BlankOnEdges(Formatter):
    """Tick labels only between the edge bands: a tick inside a band would read as the markers' value."""

    def __init__(self, inner: Formatter, low: float, high: float):
        self.inner, self.low, self.high = inner, low, high

    def set_axis(self, axis):
        super().set_axis(axis)
        self.inner.set_axis(axis)

    def set_locs(self, locs):
        self.inner.set_locs(locs)

    def __call__(self, x, pos=None):
        inside = self.low - 1e-9 * abs(self.low) <= x <= self.high + 1e-9 * abs(self.high)
        return self.inner(x, pos) if inside else ""


def edge_legend_handles(kinds: list[np.ndarray], where: str = "at the {edge} edge") -> list[Line2D]:
    """Grey legend entries for the edge markers that appear in any of kinds."""
    present = set().union(*(np.unique(k).tolist() for k in kinds)) if kinds else set()
    return [Line2D([], [], linestyle="none", marker=marker, color="dimgrey", markersize=6.5,
                   markerfacecolor="dimgrey" if filled else "white", label=f"{label}: {where.format(edge=edge)}")
            for kind, (edge, marker, filled, label) in EDGE_KINDS.items() if kind in present]


def shown_steps(norms: GradientNorms, lanes: list[Lane]) -> list[float]:
    """First, middle and last of the steps where some lane has a norm a log axis can show."""
    visible = norms.steps[np.any([(norms.kind[lane] == POSITIVE).any(axis=0) for lane in lanes], axis=0)]
    candidates = visible if visible.size else norms.steps
    return list(dict.fromkeys(float(candidates[i]) for i in (0, len(candidates) // 2, -1)))


def draw(run: RunData, out_dir: Path) -> Figure | NotApplicable:
    norms = weight_gradient_norms(run)
    if norms is None:
        return NotApplicable(TITLE, "layers.csv records no weight-gradient norm of a dense layer.")
    if len(norms.layers) < 2:
        return NotApplicable(TITLE, "The network has a single dense layer: there is no depth to plot against "
                                    "(the gradient heatmap shows its norm over the steps).")
    lanes = norms.lanes()
    variants = variants_of(lanes)
    precisions = list(dict.fromkeys(lane.precision for lane in lanes))
    steps = shown_steps(norms, lanes)
    columns = [int(np.searchsorted(norms.steps, s)) for s in steps]
    depth = np.arange(1, len(norms.layers) + 1)

    shown = {lane: norms.kind[lane][:, columns] for lane in lanes}
    values = np.concatenate([norms.norm[lane][:, columns][shown[lane] == POSITIVE] for lane in lanes])
    low, high = (values.min(), values.max()) if values.size else (1e-3, 1e3)
    edges = EdgeRows.of({p: np.concatenate([shown[lane] for lane in lanes if lane.precision == p]) for p in precisions})
    limits = _subnormal_limits(precisions, low, high)

    fig, axes = figure(3.6 * len(steps), 3.0 * len(variants) + 0.4, nrows=len(variants), ncols=len(steps),
                       sharex=True, sharey=True, squeeze=False)
    for r, variant in enumerate(variants):
        for c, (step, column) in enumerate(zip(steps, columns)):
            ax = axes[r][c]
            ax.set_yscale("log")
            for precision, smallest in limits.items():
                ax.axhline(smallest, color=precision_colour(precision, precisions), linestyle=":", linewidth=1)
            # The reference last, dashed, so the colours show through where the lanes agree.
            for lane in sorted((lane for lane in lanes if lane.variant == variant),
                               key=lambda lane: lane.precision == run.reference):
                colour = precision_colour(lane.precision, precisions)
                kinds = norms.kind[lane][:, column]
                y = np.where(kinds == POSITIVE, norms.norm[lane][:, column], np.nan)
                ax.plot(depth, y, marker="o", markersize=3, linewidth=1.4, color=colour,
                        linestyle="--" if lane.precision == run.reference else "-")
                edges.mark(ax, depth, kinds, lane.precision, colour)
            edges.set_limits(ax, low, high, log=True)
            ax.set_title(f"{variant}, step {step:g}" if len(variants) > 1 else f"step {step:g}")
            if c == 0:
                ax.set_ylabel("‖∂L/∂W‖₂ (log scale)")
            if r == len(variants) - 1:
                ax.set_xlabel(LAYER_AXIS_LABEL)
    depth_ticks(axes[-1][0].xaxis, norms.layers)
    axes[-1][0].set_xlim(0.5, len(depth) + 0.5)

    handles = [Line2D([], [], color=precision_colour(p, precisions), marker="o", markersize=3,
                      linestyle="--" if p == run.reference else "-",
                      label=f"{p} (reference)" if p == run.reference else p) for p in precisions]
    handles += [Line2D([], [], color=precision_colour(p, precisions), linestyle=":",
                       label=f"{p} smallest subnormal ({smallest:.1e})") for p, smallest in limits.items()]
    handles += edge_legend_handles(list(shown.values()))
    fig.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    fig.suptitle("Weight-gradient L2 norm per dense layer against depth")
    fig.tight_layout()
    save(fig, out_dir / FILE)
    return Figure(FILE, TITLE, _caption(run, norms, lanes, steps))


# Layers are named by their index in [model], as in layers.csv, events.jsonl
# and the other figures; plotted at 1, 2, ... (one slot per dense layer).
LAYER_AXIS_LABEL = "dense layer (index in [model])"


def depth_ticks(axis, layers: np.ndarray) -> None:
    """Ticks of a depth axis whose slots 1..n hold the dense layers `layers`."""
    slots = np.arange(1, len(layers) + 1)
    shown = slots if len(slots) <= 12 else slots[::max(1, len(slots) // 8)]
    axis.set_ticks(shown, [str(int(layers[s - 1])) for s in shown])


def _subnormal_limits(precisions: list[str], low: float, high: float) -> dict[str, float]:
    """Each fixed-range format's smallest subnormal that lies near the data: below it the format has no
    nonzero number at all."""
    limits = {}
    for precision in precisions:
        smallest = number_format(precision).smallest_subnormal
        if smallest is not None and low / 100 <= smallest <= high:
            limits[precision] = smallest
    return limits


def _caption(run: RunData, norms: GradientNorms, lanes: list[Lane], steps: list[float]) -> str:
    sentences = ["Each line is one precision's weight-gradient norm across the dense layers, from the input (left) "
                 "to the output: a line falling towards the input is vanishing gradients, one rising towards it "
                 f"exploding ones (step{'s' if len(steps) > 1 else ''} {', '.join(f'{s:g}' for s in steps)})."]
    spans = []
    for variant in dict.fromkeys(lane.variant for lane in lanes):
        exact = _most_exact_lane(run, [lane for lane in lanes if lane.variant == variant])
        ends = norms.norm[exact][[0, -1], 0]
        if (norms.kind[exact][[0, -1], 0] == POSITIVE).all():
            decades = math.log10(ends[0] / ends[1])
            if abs(decades) >= 1:
                spans.append(f"{exact.precision}'s first-layer gradient is {_decades(abs(decades))} "
                             f"{'smaller' if decades < 0 else 'larger'} than its last-layer one"
                             + (f" in {variant}" if len(variants_of(lanes)) > 1 else ""))
    if spans:
        sentences.append(f"At step {norms.steps[0]:g}, " + "; ".join(spans) + ".")
    lost = unshowable_norms(norms, lanes)
    if lost:
        sentences.append("Over the whole run, " + lost + " (the grey edge bands hold such norms, which a log axis "
                         "cannot show).")
    return " ".join(sentences)


def unshowable_norms(norms: GradientNorms, lanes: list[Lane], most: int = 5) -> str:
    """Which lanes have norms of 0 or Inf/NaN, in how many layers, from which step; '' when none do."""
    found = []
    for kind, what in ((ZERO, "0"), (NONFINITE, "Inf/NaN")):
        for lane in lanes:
            hit = (norms.kind[lane] == kind).any(axis=0)
            if hit.any():
                column = int(np.argmax(hit))
                count = int((norms.kind[lane][:, column] == kind).sum())
                where = f"in {lane.variant}, " if len(variants_of(lanes)) > 1 else ""
                found.append(f"{where}{lane.precision}'s norm is {what} in {count} of {len(norms.layers)} layers, "
                             f"first at step {norms.steps[column]:g}")
    return "; ".join(found[:most]) + ("; and more" if len(found) > most else "")


def _decades(count: float) -> str:
    return f"{count:.0f} decade{'' if round(count) == 1 else 's'}"


def variants_of(lanes: list[Lane]) -> list[str]:
    return list(dict.fromkeys(lane.variant for lane in lanes))


def _most_exact_lane(run: RunData, lanes: list[Lane]) -> Lane:
    """The reference lane, else the one with the most significand bits."""
    for lane in lanes:
        if lane.precision == run.reference:
            return lane
    return max(lanes, key=lambda lane: number_format(lane.precision).significand_bits)
