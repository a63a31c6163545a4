"""For a model with one weight (the single-neuron study): the loss L(w) with
each lane's SGD iterates and tangents, and where a lane stalls because its
update lr·g is smaller than half an ulp of w and rounds away."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D

from ..formats import NumberFormat, number_format
from ..run_data import Lane, RunData, Table
from ..style import figure, precision_colour, save
from . import Figure, NotApplicable

FILE = "single_weight_landscape.png"
TITLE = "One weight: the loss landscape, SGD's steps, and where rounding stalls them"
WHICH_MODELS = "for models with a single weight, e.g. the single-neuron preset"
TANGENT_HALF_LENGTH = 0.09  # in axes fractions, so steep and flat tangents look equally long
UPDATE_DECADES_SHOWN = 6    # the lower row shows ½ulp down to this many decades below the smallest update


@dataclass
class Trajectory:
    lane: Lane
    step: np.ndarray
    weight: np.ndarray      # before the step's update
    gradient: np.ndarray
    update: np.ndarray      # |lr·g|
    half_ulp: np.ndarray    # ½ulp(w) in the format the update is added in
    unchanged: np.ndarray   # w_{t+1} == w_t, finite
    stall: int | None       # index from which w never changes again, to the last recorded step


def _update_format(precision: str) -> NumberFormat:
    # With master weights the update is added to the fp32 copy, so fp32's ulp decides.
    return number_format("fp32") if "+master32" in precision else number_format(precision)


def _half_ulp(weight: np.ndarray, fmt: NumberFormat) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        exponent = np.floor(np.log2(np.abs(weight)))
    ulp = np.exp2(exponent - fmt.significand_bits + 1)
    if fmt.smallest_subnormal is not None:
        ulp = np.maximum(ulp, fmt.smallest_subnormal)  # the subnormal spacing, and ulp(0)
    return np.where(np.isfinite(weight), ulp / 2, np.nan)


def _stall_start(unchanged: np.ndarray) -> int | None:
    if len(unchanged) < 2 or not unchanged[-2]:
        return None
    moved = np.flatnonzero(~unchanged[:-1])
    return int(moved[-1]) + 1 if len(moved) else 0


def _trajectory(run: RunData, lane: Lane, parameters: Table) -> Trajectory | None:
    rows = parameters.where(precision=lane.precision)
    if len(rows) == 0:
        return None
    order = np.argsort(rows["step"], kind="stable")
    step, weight, gradient = (rows[c][order].astype(float) for c in ("step", "value", "gradient"))
    lane_steps = run.steps.where(variant=lane.variant, precision=lane.precision)
    rate_of_step = dict(zip(lane_steps["step"], lane_steps["learning_rate"]))
    rate = np.array([rate_of_step.get(s, np.nan) for s in step], dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):
        update = np.abs(rate * gradient)
    unchanged = np.zeros(len(step), dtype=bool)
    unchanged[:-1] = (weight[1:] == weight[:-1]) & np.isfinite(weight[:-1])
    return Trajectory(lane, step, weight, gradient, update, _half_ulp(weight, _update_format(lane.precision)),
                      unchanged, _stall_start(unchanged))


def _single_weight_variants(run: RunData) -> dict[str, list[Trajectory]]:
    """The variants whose model has one weight, with their lanes' trajectories."""
    found = {}
    for variant in run.variants:
        parameters = run.parameters.where(variant=variant)
        entries = set(zip(parameters["parameter"], parameters["index"]))
        if len(entries) != 1 or len(run.landscape.where(variant=variant)) < 2:
            continue
        lanes = [Lane(variant, p) for p in run.precisions if Lane(variant, p) in run.lanes]
        trajectories = [t for lane in lanes if (t := _trajectory(run, lane, parameters))]
        if trajectories:
            found[variant] = trajectories
    return found


def _tangent_indices(t: Trajectory, every_until: int = 10) -> list[int]:
    """Every step's tangent at first, then ever sparser; one per distinct w."""
    sparse = {int(round(every_until * 1.5 ** k)) for k in range(40)}
    wanted = [i for i in range(len(t.step)) if i < every_until or i in sparse or i == t.stall]
    chosen, seen = [], set()
    for i in wanted:
        if np.isfinite(t.weight[i]) and np.isfinite(t.gradient[i]) and t.weight[i] not in seen:
            seen.add(t.weight[i])
            chosen.append(i)
    return chosen


def _reference_final_weight(run: RunData, trajectories: list[Trajectory]) -> float | None:
    for t in trajectories:
        if t.lane.precision == run.reference and np.isfinite(t.weight[-1]):
            return float(t.weight[-1])
    return None


def _distinguishable(a: float, b: float) -> tuple[str, str]:
    """The two numbers with the fewest significant digits (2 to 6) that tell them apart, if any do."""
    for digits in range(2, 7):
        if f"{a:.{digits}g}" != f"{b:.{digits}g}":
            break
    return f"{a:.{digits}g}", f"{b:.{digits}g}"


def _draw_landscape(ax, t: Trajectory, curve_w, curve_loss, colour, reference_w):
    ax.plot(curve_w, curve_loss, color="0.7", lw=2.5, zorder=1)
    ax.set_xlim(curve_w[0], curve_w[-1])
    finite = curve_loss[np.isfinite(curve_loss)]
    if len(finite):
        pad = 0.08 * (finite.max() - finite.min()) or 0.1 * abs(finite.max()) or 1.0
        ax.set_ylim(finite.min() - pad, finite.max() + 5 * pad)  # headroom for the stall's note
    loss_at = np.interp(t.weight, curve_w, curve_loss, left=np.nan, right=np.nan)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    for i in _tangent_indices(t):
        slope = t.gradient[i]
        dx = TANGENT_HALF_LENGTH / np.hypot(1 / (x1 - x0), slope / (y1 - y0))
        ax.plot([t.weight[i] - dx, t.weight[i] + dx], [loss_at[i] - slope * dx, loss_at[i] + slope * dx],
                color=colour, lw=1.2, alpha=0.8, zorder=2)
    shades = np.array([to_rgba(colour, a) for a in np.linspace(0.2, 1, len(t.step))])
    ax.scatter(t.weight, loss_at, s=22, c=shades, edgecolors="none", zorder=3)
    if reference_w is not None:
        ax.axvline(reference_w, color="black", ls=":", lw=1.2, zorder=0)
    if t.stall is not None:
        k = t.stall
        ax.scatter([t.weight[k]], [loss_at[k]], s=150, marker="X", color=colour, edgecolors="black", zorder=4)
        update, half_ulp = _distinguishable(t.update[k], t.half_ulp[k])
        relation = "<" if t.update[k] < t.half_ulp[k] else "=" if t.update[k] == t.half_ulp[k] else ">"
        tie = " (a tie: to even)" if relation == "=" else ""
        note = (f"stalled from step {t.step[k]:.0f}, w = {t.weight[k]:.6g}\n"
                f"|lr·g| = {update}\n{relation} ½ulp(w) = {half_ulp}{tie}")
        if reference_w is not None:
            note += f"\n|w − w_ref| = {abs(t.weight[k] - reference_w):.2g}"
        ax.annotate(note,
                    xy=(t.weight[k], loss_at[k]), xytext=(0.5, 0.95), textcoords="axes fraction", ha="center",
                    va="top", fontsize=8.5, bbox=dict(boxstyle="round", fc="white", ec=colour, alpha=0.9),
                    arrowprops=dict(arrowstyle="->", color="black", lw=0.8), zorder=5)


def _draw_criterion(ax, t: Trajectory, colour, bottom):
    ax.plot(t.step, np.where(t.update > 0, t.update, np.nan), color=colour, lw=1.5, marker="o", ms=2.5)
    ax.plot(t.step, t.half_ulp, color="0.35", ls="--", lw=1.3, drawstyle="steps-post")
    lost = t.unchanged & np.isfinite(t.update) & (t.update > 0)
    if t.stall is not None:
        lost[t.stall:] = False  # the shading says it for the stall itself
        ax.axvspan(t.step[t.stall], t.step[-1], color="0.85", zorder=0)
    ax.scatter(t.step[lost], t.update[lost], marker="x", s=36, color="black", zorder=3)
    largest_half_ulp = np.nanmax(t.half_ulp) if np.isfinite(t.half_ulp).any() else np.nan
    if largest_half_ulp < bottom:
        ax.text(0.5, 0.06, f"½ulp(w) ≤ {largest_half_ulp:.1e}: far below", transform=ax.transAxes,
                ha="center", fontsize=8.5, color="0.35")


def _criterion_limits(trajectories: list[Trajectory]) -> tuple[float, float]:
    updates = np.concatenate([t.update for t in trajectories])
    updates = updates[np.isfinite(updates) & (updates > 0)]
    if not len(updates):
        return 1e-10, 1.0
    half_ulps = np.concatenate([t.half_ulp for t in trajectories])
    half_ulps = half_ulps[np.isfinite(half_ulps) & (half_ulps > 0)]
    floor = updates.min() * 10.0 ** -UPDATE_DECADES_SHOWN
    shown = np.concatenate([updates, half_ulps[half_ulps >= floor]])
    return shown.min() / 3, shown.max() * 3


def _legend(fig):
    fig.legend(handles=[
        Line2D([], [], color="0.7", lw=2.5, label="L(w): reference precision, first batch"),
        Line2D([], [], color="0.3", ls="none", marker="o", ms=5, label="w_t, the lane's iterates (fainter = earlier)"),
        Line2D([], [], color="0.3", lw=1.2, label="tangent at w_t: slope = gradient"),
        Line2D([], [], color="black", ls=":", lw=1.2, label="reference's last w"),
        Line2D([], [], color="0.3", lw=1.5, marker="o", ms=2.5, label="|lr·g_t|, the update"),
        Line2D([], [], color="0.35", ls="--", lw=1.3, label="½ulp(w_t) in the lane's format"),
        Line2D([], [], color="black", ls="none", marker="x", label="w unchanged this step"),
        Line2D([], [], color="0.85", lw=6, label="stalled: w never changes again"),
    ], loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=4, fontsize=9)


def _caption_part(run: RunData, variant: str, trajectories: list[Trajectory], prefix: bool) -> str:
    reference_w = _reference_final_weight(run, trajectories)
    stalled = [t for t in trajectories if t.stall is not None]
    nonfinite = [t for t in trajectories if t.stall is None and not np.isfinite(t.weight).all()]
    moving = [t.lane.precision for t in trajectories if t.stall is None and t not in nonfinite]
    parts = []
    for t in stalled:
        w = t.weight[t.stall]
        away = f" (|w − w_ref| = {abs(w - reference_w):.2g})" if reference_w is not None else ""
        parts.append(f"{t.lane.precision} stalls from step {t.step[t.stall]:.0f} at w = {w:.6g}{away}")
    for t in nonfinite:
        parts.append(f"{t.lane.precision}'s w is not finite from step {t.step[~np.isfinite(t.weight)][0]:.0f}")
    if moving:
        last = max(t.step[-1] for t in trajectories)
        parts.append(f"{', '.join(moving)} {'still move' if len(moving) > 1 else 'still moves'} at step {last:.0f}")
    if reference_w is not None:
        parts.append(f"the reference ends at w_ref = {reference_w:.6g}")
    return (f"{variant}: " if prefix else "") + "; ".join(parts) + "."


def draw(run: RunData, out_dir: Path) -> Figure | NotApplicable:
    missing = [name for name, table in (("parameters.csv", run.parameters), ("landscape.csv", run.landscape))
               if table is None]
    if missing:
        return NotApplicable(TITLE, f"{WHICH_MODELS}; this run has no {' and no '.join(missing)}")
    if len(run.parameters) == 0 or len(run.landscape) == 0:
        return NotApplicable(TITLE, f"{WHICH_MODELS}; this run's parameters.csv or landscape.csv is empty")
    variants = _single_weight_variants(run)
    if not variants:
        return NotApplicable(TITLE, f"{WHICH_MODELS}; no variant of this run has a model with exactly one"
                                    " parameter entry and a loss landscape")

    columns = max(len(ts) for ts in variants.values())
    fig, axes = figure(3.7 * columns, 6.2 * len(variants), nrows=2 * len(variants), ncols=columns,
                       squeeze=False, gridspec_kw={"height_ratios": [3, 2] * len(variants)})
    for row, (variant, trajectories) in enumerate(variants.items()):
        curve = run.landscape.where(variant=variant)
        curve_w, curve_loss = curve["weight"].astype(float), curve["loss"].astype(float)
        order = np.argsort(curve_w)[np.isfinite(np.sort(curve_w))]
        curve_w, curve_loss = curve_w[order], curve_loss[order]
        reference_w = _reference_final_weight(run, trajectories)
        bottom, top = _criterion_limits(trajectories)
        first_step, last_step = min(t.step[0] for t in trajectories), max(t.step[-1] for t in trajectories)
        landscape_row, criterion_row = axes[2 * row], axes[2 * row + 1]
        for column, t in enumerate(trajectories):
            colour = precision_colour(t.lane.precision, run.precisions)
            bits = _update_format(t.lane.precision).significand_bits
            name = t.lane.label if len(variants) > 1 else t.lane.precision
            master = ", fp32 master" if "+master32" in t.lane.precision else ""
            landscape_row[column].set_title(f"{name}  (p = {bits} bits{master})", color=colour,
                                            fontweight="bold")
            _draw_landscape(landscape_row[column], t, curve_w, curve_loss, colour, reference_w)
            criterion_row[column].set_yscale("log")
            criterion_row[column].set_ylim(bottom, top)
            criterion_row[column].set_xlim(first_step - 0.02 * (last_step - first_step) - 0.5,
                                           last_step + 0.02 * (last_step - first_step) + 0.5)
            _draw_criterion(criterion_row[column], t, colour, bottom)
            landscape_row[column].set_xlabel("weight w")
            criterion_row[column].set_xlabel("step")
            if column:
                criterion_row[column].tick_params(labelleft=False)  # the row shares one y range
        for column in range(len(trajectories), columns):
            landscape_row[column].set_visible(False)
            criterion_row[column].set_visible(False)
        landscape_row[0].set_ylabel("loss L(w)")
        criterion_row[0].set_ylabel("|lr·g| and ½ulp(w)\n(log scale)")
    fig.tight_layout()
    _legend(fig)
    save(fig, Path(out_dir) / FILE)

    stalls = " ".join(_caption_part(run, v, ts, prefix=len(variants) > 1) for v, ts in variants.items())
    caption = ("Top: the loss over the single weight w (grey) with each lane's SGD iterates and tangents"
               " (slope = gradient). An update |lr·g| below half an ulp of w (or equal to it, a tie rounding"
               " to even) rounds away and w stops. Here "
               f"{stalls} Bottom: the stall begins where the update (solid) falls under ½ulp(w) (dashed).")
    return Figure(FILE, TITLE, caption)
