"""log10 of each dense layer's weight-gradient norm, layer by step, one panel
per precision (and variant), on one colour scale."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.patches import Patch

from ..run_data import RunData
from ..style import figure, precision_colour, save
from . import Figure, NotApplicable
from .gradient_norm_by_depth import (ABOVE_DOUBLE, BELOW_DOUBLE, LAYER_AXIS_LABEL, MISSING, NONFINITE, POSITIVE, ZERO,
                                     depth_ticks,
                                     unshowable_norms, variants_of, weight_gradient_norms)

FILE = "gradient_heatmap.png"
TITLE = "Gradient norm heatmap"
COLOUR_MAP = "viridis"

# Cells off the colour scale: (face colour, hatch, legend text), for the kinds that occur.
OFF_SCALE = {
    ZERO: ("white", "////", "0: underflowed (or exactly 0)"),
    BELOW_DOUBLE: ("#cccccc", "////", "nonzero, below double's range (mp)"),
    NONFINITE: ("#e8000b", "", "Inf/NaN"),
    ABOVE_DOUBLE: ("#ffb3c1", "", "finite, beyond double's range (mp)"),
    MISSING: ("#eeeeee", "..", "not recorded"),
}


def draw(run: RunData, out_dir: Path) -> Figure | NotApplicable:
    norms = weight_gradient_norms(run)
    if norms is None:
        return NotApplicable(TITLE, "layers.csv records no weight-gradient norm of a dense layer.")
    lanes = norms.lanes()
    variants = variants_of(lanes)
    precisions = list(dict.fromkeys(lane.precision for lane in lanes))
    values = np.concatenate([norms.norm[lane][norms.kind[lane] == POSITIVE] for lane in lanes])
    low, high = (np.log10(values.min()), np.log10(values.max())) if values.size else (-1.0, 1.0)
    # Bounds on half decades, at least one apart: a readable colour bar.
    low, high = math.floor(low * 2) / 2, math.ceil(high * 2) / 2
    scale = Normalize(low - 0.5, high + 0.5) if high - low < 1 else Normalize(low, high)

    step_edges = _cell_edges(norms.steps)
    layer_edges = np.arange(len(norms.layers) + 1) + 0.5
    fig, axes = figure(2.7 * len(precisions) + 1.2, 2.6 * len(variants) + 1.0, nrows=len(variants),
                       ncols=len(precisions), sharex=True, sharey=True, squeeze=False)
    image = None
    present = set()
    for r, variant in enumerate(variants):
        for c, precision in enumerate(precisions):
            ax = axes[r][c]
            ax.grid(False)
            lane = next((lane for lane in lanes if lane.variant == variant and lane.precision == precision), None)
            shape = (len(norms.layers), len(norms.steps))
            kind = norms.kind[lane] if lane else np.full(shape, MISSING)
            with np.errstate(divide="ignore", invalid="ignore"):
                shade = np.ma.masked_where(kind != POSITIVE, np.log10(norms.norm[lane]) if lane else np.ones(shape))
            image = ax.pcolormesh(step_edges, layer_edges, shade, cmap=COLOUR_MAP, norm=scale)
            for off, (face, hatch, _) in OFF_SCALE.items():
                if (kind == off).any():
                    present.add(off)
                    # Unhatched cells get edges of their own colour: no seams between neighbours.
                    ax.pcolor(step_edges, layer_edges, np.ma.masked_where(kind != off, np.ones(kind.shape)),
                              cmap=ListedColormap([face]), hatch=hatch or None,
                              edgecolor="#555555" if hatch else "face", linewidth=0 if hatch else 0.5)
            title = f"{variant}: {precision}" if len(variants) > 1 else precision
            ax.set_title(title + (" (reference)" if precision == run.reference else ""),
                         color=precision_colour(precision, precisions) if precision != run.reference else "black")
            if c == 0:
                ax.set_ylabel(LAYER_AXIS_LABEL)
            if r == len(variants) - 1:
                ax.set_xlabel("step")
    depth_ticks(axes[0][0].yaxis, norms.layers)

    fig.suptitle("log10 of the weight-gradient L2 norm per dense layer and step")
    fig.tight_layout()
    bar = fig.colorbar(image, ax=axes.ravel().tolist(), fraction=0.025, pad=0.02)
    bar.set_label("log10 ‖∂L/∂W‖₂")
    if present:
        fig.legend(handles=[Patch(facecolor=OFF_SCALE[k][0], hatch=OFF_SCALE[k][1], edgecolor="#555555",
                                  label=OFF_SCALE[k][2]) for k in OFF_SCALE if k in present],
                   loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(present), frameon=False)
    save(fig, out_dir / FILE)
    return Figure(FILE, TITLE, _caption(norms, lanes, scale))


def _cell_edges(steps: np.ndarray) -> np.ndarray:
    """Edges of one cell per recorded step, halfway between neighbours (steps may be recorded at intervals)."""
    if len(steps) == 1:
        return np.array([steps[0] - 0.5, steps[0] + 0.5])
    middles = (steps[1:] + steps[:-1]) / 2
    return np.concatenate([[steps[0] - (middles[0] - steps[0])], middles, [steps[-1] + (steps[-1] - middles[-1])]])


def _caption(norms, lanes, scale: Normalize) -> str:
    sentences = ["Each cell is one dense layer's weight-gradient norm at one recorded step, all panels on one colour "
                 f"scale from 10^{scale.vmin:g} to 10^{scale.vmax:g}: dark rows at the bottom (input side) are "
                 "vanishing gradients, bright ones exploding, and colour changing along a row is the gradient "
                 "changing with training."]
    lost = unshowable_norms(norms, lanes)
    if lost:
        sentences.append("Cells off the scale are marked: " + lost + ".")
    return " ".join(sentences)
