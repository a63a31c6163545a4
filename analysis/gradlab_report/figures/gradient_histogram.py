"""Histogram of log2 |weight gradient| at one step, one panel per storage
format, with the format's smallest subnormal, smallest normal and largest
finite value marked, and each lane's share of entries flushed to zero or
overflowed to Inf/NaN."""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..formats import NumberFormat, base_name, has_loss_scaling, number_format
from ..run_data import Lane, RunData, Table
from ..style import figure, precision_colour, save, variant_style
from . import Figure, NotApplicable

TITLE = "Weight gradients against each format's range"
FILE = "gradient_histogram.png"

# A format limit this many binades beyond the data still gets a place on the axis.
LIMIT_REACH = 30
ALL_NONFINITE = 0.99


@dataclass
class LaneHistogram:
    lane: Lane
    binades: np.ndarray      # e: 2^e <= |g| < 2^(e+1)
    counts: np.ndarray
    zero: float
    nonfinite: float
    total: float
    loss_scale: float        # NaN without loss scaling

    def share(self, count: float) -> float:
        return 100.0 * count / self.total if self.total else math.nan

    @property
    def zero_share(self) -> float:
        return self.share(self.zero)

    @property
    def nonfinite_share(self) -> float:
        return self.share(self.nonfinite)


def value_classes(column: np.ndarray) -> np.ndarray:
    """Table reads a column of only 'inf' and 'nan' cells as numbers."""
    if column.dtype.kind == "f":
        return np.where(np.isnan(column), "nan", "inf").astype(object)
    return column


def lane_histogram(rows: Table, lane: Lane) -> LaneHistogram | None:
    mine = rows.where(variant=lane.variant, precision=lane.precision)
    if len(mine) == 0:
        return None
    value_class, counts = value_classes(mine["value_class"]), np.nan_to_num(mine["count"])
    finite = value_class == "finite"
    binades = mine["binade"][finite].astype(float)
    order = np.argsort(binades)
    scales = mine["loss_scale"].astype(float)
    return LaneHistogram(lane, binades[order].astype(int), counts[finite][order],
                         zero=float(counts[value_class == "zero"].sum()),
                         nonfinite=float(counts[(value_class == "inf") | (value_class == "nan")].sum()),
                         total=float(counts.sum()),
                         loss_scale=float(np.nanmax(scales)) if np.isfinite(scales).any() else math.nan)


def histograms_at(run: RunData, step: float) -> dict[Lane, LaneHistogram]:
    rows = run.histograms.where(step=step)
    found = {lane: lane_histogram(rows, lane) for lane in run.lanes}
    return {lane: h for lane, h in found.items() if h is not None}


def reference_of(run: RunData, lane: Lane, histograms: dict[Lane, LaneHistogram]) -> LaneHistogram | None:
    if lane.precision == run.reference:
        return None
    return histograms.get(Lane(lane.variant, run.reference)) if run.reference else None


def lost_share(run: RunData, h: LaneHistogram, histograms: dict[Lane, LaneHistogram]) -> float:
    """Entries flushed to zero beyond the reference's zeros, plus Inf/NaN, in %."""
    reference = reference_of(run, h.lane, histograms)
    zero_excess = h.zero_share - (reference.zero_share if reference else 0.0)
    return max(0.0, zero_excess) + h.nonfinite_share


@dataclass
class ChosenStep:
    step: float
    why: str


def choose_step(run: RunData) -> ChosenStep:
    """The step where a lane loses the largest share of its entries (the
    earliest of equals), before any lane is all Inf/NaN: from then on that
    lane has no histogram to compare."""
    steps = np.unique(run.histograms["step"])
    worst, dead = [], []
    for step in steps:
        histograms = histograms_at(run, step)
        losses = [(lost_share(run, h, histograms), h.lane) for h in histograms.values()
                  if h.lane.precision != run.reference]
        worst.append(max(losses, key=lambda loss: loss[0]) if losses else (0.0, None))
        dead.append([h.lane for h in histograms.values() if h.nonfinite_share >= 100 * ALL_NONFINITE])
    alive = [i for i in range(len(steps)) if not dead[i]]
    candidates = alive or list(range(len(steps)))
    best = max(candidates, key=lambda i: (worst[i][0], -i))
    share, lane = worst[best]
    if share == 0:
        best = candidates[-1]
        why = f"step {int(steps[best])} (no lane loses any entry)"
    else:
        why = f"step {int(steps[best])}, where {lane.label} loses most ({percent(share)} zero or Inf/NaN)"
    if alive and len(alive) < len(steps):
        first_dead = next(i for i in range(len(steps)) if dead[i])
        names = [lane.label for lane in dead[first_dead]]
        why += (f"; from step {int(steps[first_dead])} {' and '.join(names)} "
                f"{'is' if len(names) == 1 else 'are'} all Inf/NaN")
    return ChosenStep(steps[best], why)


def percent(value: float) -> str:
    if not math.isfinite(value):
        return "–"
    if value == 0:
        return "0 %"
    return f"{value:.2g} %" if value < 0.1 else f"{value:.1f} %"


def lane_label(run: RunData, h: LaneHistogram, histograms: dict[Lane, LaneHistogram]) -> str:
    name = h.lane.label + (" (reference)" if h.lane.precision == run.reference else "")
    if math.isfinite(h.loss_scale) and h.loss_scale > 0:
        name += f", scaled ×{power_of_two(round(math.log2(h.loss_scale)))}"
    reference = reference_of(run, h.lane, histograms)
    zero = f"= 0: {percent(h.zero_share)}"
    if reference is not None:
        zero += f" ({reference.lane.precision}: {percent(reference.zero_share)})"
    return f"{name}\n{zero}   Inf/NaN: {percent(h.nonfinite_share)}"


@dataclass(frozen=True)
class Limit:
    log2: float
    name: str
    text: str     # its value, short


def format_limits(fmt: NumberFormat) -> list[Limit]:
    if fmt.max_exponent is None:
        return []
    if not math.isfinite(fmt.largest):
        largest = power_of_two(round(fmt.log2_largest))
    else:
        largest = f"{fmt.largest:.6g}" if fmt.largest < 1e6 else f"{fmt.largest:.3g}"
    return [Limit(fmt.log2_smallest_subnormal, "smallest subnormal", power_of_two(fmt.log2_smallest_subnormal)),
            Limit(fmt.log2_smallest_normal, "smallest normal", power_of_two(fmt.log2_smallest_normal)),
            Limit(fmt.log2_largest, "largest finite", largest)]


def power_of_two(exponent: int) -> str:
    return f"$2^{{{exponent}}}$"


def x_range(histograms: list[LaneHistogram], formats: list[NumberFormat]) -> tuple[float, float]:
    binades = np.concatenate([h.binades for h in histograms if len(h.binades)] or [np.array([-1, 0])])
    low, high = float(binades.min()), float(binades.max()) + 1
    for fmt in formats:
        for limit in format_limits(fmt):
            if low - LIMIT_REACH <= limit.log2 <= high + LIMIT_REACH:
                low, high = min(low, limit.log2), max(high, limit.log2)
    return low - 2, high + 2


SHADES = {"flushes to 0": dict(color="#9ecae1", alpha=0.45),
          "subnormal": dict(color="#deebf7", alpha=0.8),
          "overflows to Inf": dict(color="#fcbba1", alpha=0.55)}
LIMIT_LINE = dict(color="0.25", linewidth=1.0, linestyle=(0, (4, 2)))


def mark_format(ax, fmt: NumberFormat, x_low: float, x_high: float) -> str:
    """Shade where the format's values flush to zero, are subnormal or
    overflow, and mark its limits, their values just above the panel (the
    smallest subnormal's to the left of its line, the rest to the right, so
    the two near ones do not collide). Returns what lies beyond the axis."""
    limits = format_limits(fmt)
    if not limits:
        return "MPFR: no range limit"
    subnormal, normal, largest = limits
    ax.axvspan(x_low, subnormal.log2, linewidth=0, **SHADES["flushes to 0"])
    ax.axvspan(subnormal.log2, normal.log2, linewidth=0, **SHADES["subnormal"])
    ax.axvspan(largest.log2, x_high, linewidth=0, **SHADES["overflows to Inf"])
    off_axis = []
    for limit in limits:
        if x_low <= limit.log2 <= x_high:
            ax.axvline(limit.log2, **LIMIT_LINE)
            ax.text(limit.log2, 1.01, limit.text, transform=ax.get_xaxis_transform(), va="bottom",
                    ha="right" if limit is subnormal else "left", fontsize=7.5, color="0.2")
        else:
            off_axis.append(f"{limit.name} {limit.text}")
    return textwrap.fill("beyond the axis: " + ", ".join(off_axis), 42) if off_axis else ""


def draw_panel(ax, run: RunData, histograms: dict[Lane, LaneHistogram], lanes: list[Lane],
               fmt: NumberFormat, x_span: tuple[float, float], floor: float) -> None:
    note = mark_format(ax, fmt, *x_span)
    handles = []
    for lane in lanes:
        h = histograms[lane]
        style = dict(color=precision_colour(lane.precision, run.precisions),
                     linestyle=variant_style(lane.variant, run.variants), linewidth=1.6)
        if len(h.binades):
            edges = np.arange(h.binades.min(), h.binades.max() + 2)
            shares = np.zeros(len(edges) - 1)
            shares[h.binades - h.binades.min()] = [h.share(c) for c in h.counts]
            # Empty binades drop below the axis rather than to log(0).
            ax.stairs(np.maximum(shares, floor / 10), edges, baseline=floor / 10, **style)
        handles.append(Line2D([], [], label=lane_label(run, h, histograms), **style))
    if not any(len(histograms[lane].binades) for lane in lanes):
        ax.text(0.5, 0.5, "no finite nonzero entry: all zero or Inf/NaN", transform=ax.transAxes,
                ha="center", va="center", color="0.3")
    title = f"{fmt.name} storage" + (f"\n{note}" if note else "")
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8,
              labelspacing=0.9, borderaxespad=0, title=title, title_fontsize=9, alignment="left")


def panels(run: RunData, histograms: dict[Lane, LaneHistogram]) -> list[tuple[str, list[Lane]]]:
    """One panel per storage format, in the run's order of precisions."""
    groups: dict[str, list[Lane]] = {}
    for precision in run.precisions:
        for lane in run.lanes:
            if lane.precision == precision and lane in histograms:
                groups.setdefault(base_name(precision), []).append(lane)
    return list(groups.items())


def caption(run: RunData, histograms: dict[Lane, LaneHistogram], step: float) -> str:
    parts = [f"Each panel is one storage format: the share of the weight-gradient entries (all parameters together) "
             f"in each binade at step {int(step)}; shading marks where the format's values are subnormal "
             "(light blue), flush to zero (blue) or overflow (red)."]
    losers = sorted(((lost_share(run, h, histograms), h) for h in histograms.values()
                     if h.lane.precision != run.reference), key=lambda loss: -loss[0])
    if losers and losers[0][0] > 0:
        _, h = losers[0]
        reference = reference_of(run, h.lane, histograms)
        losses = []
        if h.zero_share > (reference.zero_share if reference else 0.0):
            losses.append(f"{percent(h.zero_share)} of the entries are zero"
                          + (f" ({reference.lane.label}: {percent(reference.zero_share)})" if reference else ""))
        if h.nonfinite_share > 0:
            losses.append(f"{percent(h.nonfinite_share)} are Inf/NaN")
        parts.append(f"In {h.lane.label}, " + " and ".join(losses) + ".")
    for h in histograms.values():
        plain = histograms.get(Lane(h.lane.variant, base_name(h.lane.precision)))
        if has_loss_scaling(h.lane.precision) and math.isfinite(h.loss_scale) and plain is not None:
            shift = round(math.log2(h.loss_scale))
            parts.append(f"Loss scaling by 2^{shift} shifts {h.lane.label}'s histogram {shift} binades to the "
                         f"right of {plain.lane.label}'s (zero: {percent(h.zero_share)} against "
                         f"{percent(plain.zero_share)}; Inf/NaN: {percent(h.nonfinite_share)} against "
                         f"{percent(plain.nonfinite_share)}).")
            break
    return " ".join(parts)


def draw(run: RunData, out_dir: Path) -> Figure | NotApplicable:
    if run.histograms is None:
        return NotApplicable(TITLE, "this run has no gradient_histograms.csv (written by gradlab run since "
                                    "the weight-gradient histogram probe was added: rerun with a current build)")
    if len(run.histograms) == 0:
        return NotApplicable(TITLE, "gradient_histograms.csv has no rows")
    chosen = choose_step(run)
    histograms = histograms_at(run, chosen.step)
    groups = panels(run, histograms)
    if not groups:
        return NotApplicable(TITLE, f"gradient_histograms.csv has no lane of summary.json at step {chosen.step:g}")

    shown = [histograms[lane] for _, lanes in groups for lane in lanes]
    x_span = x_range(shown, [number_format(name) for name, _ in groups])
    shares = [h.share(c) for h in shown for c in h.counts if c > 0]
    floor = min(shares) / 2 if shares else 1e-3
    top = max(shares) * 3 if shares else 100.0

    fig, axes = figure(11.0, 1.3 + 2.0 * len(groups), nrows=len(groups), sharex=True, sharey=True, squeeze=False)
    axes = axes[:, 0]
    for ax, (name, lanes) in zip(axes, groups):
        draw_panel(ax, run, histograms, lanes, number_format(name), x_span, floor)
        ax.set_yscale("log")
        ax.set_ylim(floor, top)
        ax.set_xlim(*x_span)
    fig.supylabel("share of the lane's entries in the binade (%, log scale)", fontsize=10)
    axes[-1].set_xlabel("log2 |gradient|   (binade e holds 2^e ≤ |g| < 2^(e+1))")
    bottom = axes[-1].secondary_xaxis("bottom", functions=(lambda e: e * math.log10(2), lambda d: d / math.log10(2)))
    bottom.spines["bottom"].set_position(("outward", 40))
    bottom.set_xlabel("log10 |gradient|")
    key = [Patch(label=name, linewidth=0, **shade) for name, shade in SHADES.items()]
    key.append(Line2D([], [], label="format limit (value above the panel)", **LIMIT_LINE))
    fig.legend(handles=key, loc="lower center", ncol=len(key), frameon=False, fontsize=8.5)
    fig.suptitle(textwrap.fill(f"Weight gradients as stored, at {chosen.why}", 110), fontsize=11)
    fig.tight_layout(rect=(0, 0.35 / fig.get_figheight(), 1, 1))
    save(fig, Path(out_dir) / FILE)
    return Figure(FILE, TITLE, caption(run, histograms, chosen.step))
