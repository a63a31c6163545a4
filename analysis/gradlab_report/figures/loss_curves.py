"""Batch loss per step, one line per precision, one panel per variant."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D

from ..run_data import Lane, RunData
from ..style import figure, precision_colour, save
from . import Figure, NotApplicable
from .gradient_norm_by_depth import (ABOVE_DOUBLE, EDGE_KINDS, NONFINITE, POSITIVE, ZERO, EdgeRows, classify,
                                     edge_legend_handles)

FILE = "loss_curves.png"
TITLE = "Loss curves"
LOG_SPAN = 100  # largest / smallest finite loss from which the axis is logarithmic


def draw(run: RunData, out_dir: Path) -> Figure | NotApplicable:
    table = run.steps
    if len(table) == 0:
        return NotApplicable(TITLE, "steps.csv has no rows.")
    # An empty cell reads NaN too: all NaN with no NaN/Inf counted anywhere is a loss never recorded.
    if np.isnan(np.asarray(table["loss"], dtype=float)).all() and \
            not (np.asarray(table["nonfinite_values"], dtype=float) > 0).any():
        return NotApplicable(TITLE, "steps.csv records no loss.")
    curves = _curves(run)
    if not curves:
        return NotApplicable(TITLE, "steps.csv has no row of a lane in summary.json.")
    precisions = list(dict.fromkeys(lane.precision for lane in curves))
    variants = list(dict.fromkeys(lane.variant for lane in curves))

    # Per panel: log or linear, and the kinds a value of which an axis cannot show (only where it starts).
    log = {v: _spans_decades([curves[lane][1] for lane in curves if lane.variant == v]) for v in variants}
    onsets = {lane: _onsets(kind, log[lane.variant]) for lane, (_, _, kind) in curves.items()}
    edges = EdgeRows.of({p: np.concatenate([onsets[lane] for lane in curves if lane.precision == p])
                         for p in precisions})

    fig, axes = figure(5.2 * len(variants) + 1.6, 3.8, ncols=len(variants), squeeze=False)
    for ax, variant in zip(axes[0], variants):
        lanes = [lane for lane in curves if lane.variant == variant]
        shown = []
        for lane in sorted(lanes, key=lambda lane: lane.precision == run.reference):
            step, value, kind = curves[lane]
            plotted = (kind == POSITIVE) | ((kind == ZERO) & (not log[variant]))
            y = np.where(plotted, value, np.nan)
            shown.append(y[plotted])
            reference = lane.precision == run.reference
            colour = precision_colour(lane.precision, precisions)
            # A value with no plotted neighbour draws no line segment: give it a dot.
            isolated = plotted & ~np.concatenate([[False], plotted[:-1]]) & ~np.concatenate([plotted[1:], [False]])
            ax.plot(step, y, color=colour, linestyle="--" if reference else "-", linewidth=1.6 if reference else 1.2,
                    marker="o", markersize=3.5, markevery=list(np.flatnonzero(isolated)), zorder=3 if reference else 2)
            edges.mark(ax, step, onsets[lane], lane.precision, colour)
        if log[variant]:
            ax.set_yscale("log")
        values = np.concatenate(shown)
        low, high = (values.min(), values.max()) if values.size else ((1e-3, 1e3) if log[variant] else (0, 1))
        edges.set_limits(ax, low, high, log[variant])
        first, last = min(curves[lane][0][0] for lane in lanes), max(curves[lane][0][-1] for lane in lanes)
        margin = max(0.5, (last - first) * 0.02)
        ax.set_xlim(first - margin, last + margin)
        ax.set_xlabel("step")
        ax.set_ylabel("loss" + (" (log scale)" if log[variant] else ""))
        if len(variants) > 1:
            ax.set_title(variant)

    handles = [Line2D([], [], color=precision_colour(p, precisions), linestyle="--" if p == run.reference else "-",
                      label=f"{p} (reference)" if p == run.reference else p) for p in precisions]
    handles += edge_legend_handles(list(onsets.values()), where="the step it starts, at the {edge} edge")
    fig.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    fig.suptitle("Batch loss per step")
    fig.tight_layout()
    save(fig, out_dir / FILE)
    return Figure(FILE, TITLE, _caption(run, curves, log))


def _curves(run: RunData) -> dict[Lane, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Step, loss and its kind per lane with any row, ordered by step."""
    table = run.steps
    variant, precision = table["variant"].astype(str), table["precision"].astype(str)
    step = np.asarray(table["step"], dtype=float)
    loss = np.asarray(table["loss"], dtype=float)
    # The loss of an mp lane can exceed double's range while the lane holds no NaN or Inf.
    kind = classify(loss, np.asarray(table["nonfinite_values"], dtype=float))
    curves = {}
    for lane in run.lanes:
        mine = np.flatnonzero((variant == lane.variant) & (precision == lane.precision))
        if mine.size:
            order = mine[np.argsort(step[mine], kind="stable")]
            curves[lane] = (step[order], loss[order], kind[order])
    return curves


def _spans_decades(losses: list[np.ndarray]) -> bool:
    values = np.concatenate(losses) if losses else np.array([])
    values = values[np.isfinite(values) & (values > 0)]
    return values.size > 0 and values.max() >= LOG_SPAN * values.min()


def _onsets(kind: np.ndarray, log: bool) -> np.ndarray:
    """kind where a stretch of values the axis cannot show starts, POSITIVE elsewhere."""
    unshowable = np.isin(kind, list(EDGE_KINDS)) & ((kind != ZERO) | log)
    previous = np.concatenate([[POSITIVE], kind[:-1]])
    return np.where(unshowable & (kind != previous), kind, POSITIVE)


def _caption(run: RunData, curves: dict, log: dict[str, bool]) -> str:
    scale = ("log scale" if all(log.values()) else "linear scale" if not any(log.values())
             else "log scale where the loss spans decades")
    sentences = [f"The batch loss of every lane per step ({scale}), the reference dashed black; the lanes of a variant "
                 "see the same batches, so lines parting is rounding, not data."]
    several = len({lane.variant for lane in curves}) > 1
    broken = []
    for lane, (step, _, kind) in curves.items():
        where = f" in {lane.variant}" if several else ""
        for what, label in ((NONFINITE, "becomes Inf/NaN"), (ABOVE_DOUBLE, "leaves double's range (still finite)")):
            hit = np.flatnonzero(kind == what)
            if hit.size:
                broken.append(f"{lane.precision}'s loss{where} {label} at step {step[hit[0]]:g}")
    if broken:
        sentences.append("; ".join(broken[:6]) + ("; and more" if len(broken) > 6 else "")
                         + " (markers at the top edge).")
    gap = _largest_final_gap(run, curves)
    if gap:
        sentences.append(gap)
    return " ".join(sentences)


def _largest_final_gap(run: RunData, curves: dict) -> str:
    """The lane whose last finite loss is furthest from the reference's at the same step."""
    worst = None
    for lane, (step, loss, kind) in curves.items():
        reference = curves.get(Lane(lane.variant, run.reference or ""))
        if reference is None or lane.precision == run.reference or (kind[-1] != POSITIVE):
            continue
        at = np.flatnonzero(reference[0] == step[-1])
        if at.size and reference[2][at[0]] == POSITIVE:
            ratio = abs(loss[-1] - reference[1][at[0]]) / abs(reference[1][at[0]])
            if worst is None or ratio > worst[0]:
                worst = (ratio, lane, loss[-1], reference[1][at[0]], step[-1])
    if worst is None:
        return ""
    ratio, lane, value, expected, step = worst
    where = f" in {lane.variant}" if len({lane.variant for lane in curves}) > 1 else ""
    return (f"At the last step ({step:g}) the finite loss furthest from the reference is {lane.precision}'s{where}: "
            f"{value:.4g} against {expected:.4g} ({ratio:.0%} off).")
