"""The gradient flowing backward through the network, as an animated GIF:
one row per lane, one cell per layer, coloured by the activation-gradient
norm; first the backward pass of the first recorded step travelling from
the output to the input, then one frame per recorded step."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize, to_rgba
from matplotlib.patches import Patch
from PIL import Image

from ..run_data import Lane, RunData
from ..style import figure, precision_colour
from . import Figure, NotApplicable

TITLE = "Gradient flow through the layers, step by step"
FILE = "gradient_flow.gif"

MAX_FRAMES = 60
MAX_REVEAL_FRAMES = 20
REVEAL_MS = 150
STEP_MS = 250
HOLD_LAST_MS = 2500
GIF_DPI = 100
LEGEND_INCHES = 0.35

# Discrete levels: a GIF has 256 colours, and every level must be one of them.
COLOUR_LEVELS = 32
CMAP = plt.get_cmap("viridis", COLOUR_LEVELS)
COLOUR_ZERO = to_rgba("#bdbdbd")
COLOUR_NONFINITE = to_rgba("#ff00ff")
# An MPFR norm beyond long double's range reads inf in layers.csv, its entries all finite.
COLOUR_BEYOND_RANGE = to_rgba("#d95f02")
COLOUR_BLANK = to_rgba("white")
COLOURBAR_LABEL = "log10 ‖dL/d(layer output)‖\n(activation gradient, unscaled)"


@dataclass
class GradientGrid:
    """layers.csv's activation-gradient norms as [step, lane, layer] arrays."""
    steps: np.ndarray
    lanes: list[Lane]
    layers: np.ndarray
    log_norm: np.ndarray      # log10 of the norm where it is finite and positive, else NaN
    zero: np.ndarray
    nonfinite: np.ndarray     # some entry is NaN or Inf
    beyond_range: np.ndarray
    recorded: np.ndarray


def read_grid(run: RunData) -> GradientGrid | None:
    rows = run.layers.where(tensor="activation_gradient")
    if len(rows) == 0:
        return None
    steps = np.unique(rows["step"])
    layers = np.unique(rows["layer"])
    lanes = [lane for lane in run.lanes
             if np.any((rows["variant"] == lane.variant) & (rows["precision"] == lane.precision))]
    lane_index = {(lane.variant, lane.precision): i for i, lane in enumerate(lanes)}
    known = np.array([(v, p) in lane_index for v, p in zip(rows["variant"], rows["precision"])], dtype=bool)
    s = np.searchsorted(steps, rows["step"][known])
    li = np.array([lane_index[(v, p)] for v, p in zip(rows["variant"][known], rows["precision"][known])], dtype=int)
    k = np.searchsorted(layers, rows["layer"][known])

    shape = (len(steps), len(lanes), len(layers))
    norm = np.full(shape, np.nan)
    bad = np.zeros(shape, dtype=bool)
    recorded = np.zeros(shape, dtype=bool)
    norm[s, li, k] = rows["l2_norm"][known]
    bad[s, li, k] = (np.nan_to_num(rows["nan_count"][known]) + np.nan_to_num(rows["inf_count"][known])) > 0
    recorded[s, li, k] = True

    nonfinite = recorded & (bad | np.isnan(norm))
    beyond_range = recorded & ~nonfinite & np.isinf(norm)
    zero = recorded & ~nonfinite & (norm == 0)
    positive = recorded & ~nonfinite & ~beyond_range & ~zero
    log_norm = np.full(shape, np.nan)
    log_norm[positive] = np.log10(norm[positive])
    return GradientGrid(steps, lanes, layers, log_norm, zero, nonfinite, beyond_range, recorded)


@dataclass(frozen=True)
class Frame:
    step_index: int
    revealed_from: int   # layers at this index and above are drawn; the rest are not computed yet


def plan_frames(n_steps: int, n_layers: int) -> list[Frame]:
    """The first step's backward pass revealed from the output layer down,
    then the later steps, subsampled to MAX_FRAMES in all, the last kept."""
    per_frame = int(np.ceil(n_layers / MAX_REVEAL_FRAMES))
    reveal = [Frame(0, start) for start in range(n_layers - 1, -1, -per_frame)]
    if reveal[-1].revealed_from != 0:
        reveal.append(Frame(0, 0))
    later = np.arange(1, n_steps)
    room = MAX_FRAMES - len(reveal)
    if len(later) > room:
        later = np.unique(np.round(np.linspace(1, n_steps - 1, room)).astype(int))
    return reveal + [Frame(int(i), 0) for i in later]


def frame_rgba(grid: GradientGrid, frame: Frame, norm: Normalize) -> np.ndarray:
    i = frame.step_index
    rgba = CMAP(norm(np.nan_to_num(grid.log_norm[i], nan=norm.vmin)))
    rgba[grid.zero[i]] = COLOUR_ZERO
    rgba[grid.nonfinite[i]] = COLOUR_NONFINITE
    rgba[grid.beyond_range[i]] = COLOUR_BEYOND_RANGE
    rgba[~grid.recorded[i]] = COLOUR_BLANK
    rgba[:, :frame.revealed_from] = COLOUR_BLANK
    return rgba


def colour_range(grid: GradientGrid) -> Normalize:
    finite = grid.log_norm[np.isfinite(grid.log_norm)]
    if finite.size == 0:
        return Normalize(-1.0, 1.0)
    low, high = np.floor(finite.min()), np.ceil(finite.max())
    return Normalize(low, high if high > low else low + 1.0)


def frame_title(grid: GradientGrid, frame: Frame) -> str:
    step = int(grid.steps[frame.step_index])
    if frame.revealed_from > 0:
        return (f"Step {step}: the backward pass has reached layer {int(grid.layers[frame.revealed_from])} "
                f"(of {int(grid.layers[0])}–{int(grid.layers[-1])})")
    return f"Step {step}: activation-gradient norm in every layer"


def legend_handles(grid: GradientGrid) -> list[Patch]:
    handles = [Patch(facecolor=COLOUR_ZERO, edgecolor="0.4", label="exactly 0 (every entry zero)"),
               Patch(facecolor=COLOUR_NONFINITE, edgecolor="0.4", label="contains NaN/Inf")]
    if grid.beyond_range.any():
        handles.append(Patch(facecolor=COLOUR_BEYOND_RANGE, edgecolor="0.4",
                             label="finite, beyond the CSV's range (> 1e4932)"))
    handles.append(Patch(facecolor=COLOUR_BLANK, edgecolor="0.4", label="not computed yet / not recorded"))
    return handles


def layer_ticks(layers: np.ndarray) -> np.ndarray:
    """Positions of round layer numbers, about 20 at most, and the output layer."""
    stride = next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000) if len(layers) / s <= 20)
    ticks = np.arange(0, len(layers), stride)
    last = len(layers) - 1
    if last - ticks[-1] >= stride / 2:
        return np.append(ticks, last)
    return np.append(ticks[:-1], last) if ticks[-1] != last else ticks


@dataclass
class AnimatedArtists:
    """What changes from frame to frame, drawn over a still background."""
    image: object
    title: object
    borders: list


def draw_still_parts(run: RunData, grid: GradientGrid, norm: Normalize):
    n_lanes = len(grid.lanes)
    fig, ax = figure(10.0, 1.9 + 0.3 * n_lanes)
    fig.set_dpi(GIF_DPI)
    image = ax.imshow(frame_rgba(grid, Frame(0, 0), norm), aspect="auto", interpolation="nearest", animated=True)
    ax.grid(False)
    ax.set_yticks(range(n_lanes))
    reference = run.reference
    ax.set_yticklabels([lane.label + (" (ref.)" if lane.precision == reference else "") for lane in grid.lanes])
    for label, lane in zip(ax.get_yticklabels(), grid.lanes):
        label.set_color(precision_colour(lane.precision, run.precisions))
        label.set_fontweight("bold")
    borders = [ax.vlines(np.arange(len(grid.layers) + 1) - 0.5, -0.5, n_lanes - 0.5, colors="white",
                         linewidth=0.6, animated=True),
               ax.hlines(np.arange(n_lanes + 1) - 0.5, -0.5, len(grid.layers) - 0.5, colors="white",
                         linewidth=0.6, animated=True)]
    for row in range(1, n_lanes):
        if grid.lanes[row].variant != grid.lanes[row - 1].variant:
            borders.append(ax.axhline(row - 0.5, color="black", linewidth=2, animated=True))
    ticks = layer_ticks(grid.layers)
    ax.set_xticks(ticks)
    ax.set_xticklabels([str(int(grid.layers[t])) for t in ticks])
    ax.set_xlabel("layer (input side on the left, output on the right; the backward pass runs right to left)")
    colourbar = fig.colorbar(ScalarMappable(norm=norm, cmap=CMAP), ax=ax, pad=0.015, fraction=0.04)
    colourbar.set_label(COLOURBAR_LABEL)
    handles = legend_handles(grid)
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False, handlelength=1.2)
    # The longest title, to leave room for every frame's.
    title = ax.set_title(frame_title(grid, Frame(0, len(grid.layers) - 1)), animated=True)
    fig.tight_layout(rect=(0, LEGEND_INCHES / fig.get_figheight(), 1, 1))
    return fig, AnimatedArtists(image, title, borders)


def render_frames(fig, artists: AnimatedArtists, grid: GradientGrid, frames: list[Frame],
                  norm: Normalize) -> list[Image.Image]:
    """Blitting: the axes, labels and colourbar are drawn once; each frame
    redraws only the cells, their borders and the title (a full redraw per
    frame takes several times longer)."""
    canvas = fig.canvas
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    images = []
    for frame in frames:
        canvas.restore_region(background)
        artists.image.set_data(frame_rgba(grid, frame, norm))
        artists.title.set_text(frame_title(grid, frame))
        for artist in [artists.image, *artists.borders, artists.title]:
            fig.draw_artist(artist)
        images.append(Image.fromarray(np.asarray(canvas.buffer_rgba())).convert("RGB"))
    return images


def caption(run: RunData, grid: GradientGrid) -> str:
    parts = [f"The first frames follow step {int(grid.steps[0])}'s backward pass from the output layer (right) "
             "to the input (left), then each frame is one recorded step."]

    change = grid.log_norm[:, :, 0] - grid.log_norm[:, :, -1]
    references = [i for i, lane in enumerate(grid.lanes) if lane.precision == run.reference]
    lanes = references if np.isfinite(change[:, references]).any() else list(range(len(grid.lanes)))
    measured = [s for s in range(len(grid.steps)) if np.isfinite(change[s, lanes]).any()]
    if measured:
        s = measured[-1]
        i = lanes[int(np.nanargmax(np.abs(change[s, lanes])))]
        size = abs(change[s, i])
        how = ("stays within a decade" if size < 1 else
               f"{'falls' if change[s, i] < 0 else 'grows'} by {size:.1f} decades")
        parts.append(f"At step {int(grid.steps[s])} the norm {how} from the output layer to layer "
                     f"{int(grid.layers[0])} in {grid.lanes[i].label}.")

    last = len(grid.steps) - 1
    zeroed = [(int(grid.zero[last, i].sum()), lane.label)
              for i, lane in enumerate(grid.lanes) if grid.zero[last, i].any()]
    findings = []
    if zeroed:
        (n, label), others = zeroed[0], zeroed[1:]
        findings.append(f"at step {int(grid.steps[last])} the gradient is exactly zero (grey) in {n} of the "
                        f"{len(grid.layers)} layers in {label}" + "".join(f" and {m} in {o}" for m, o in others))
    bad = np.argwhere(grid.nonfinite)
    if len(bad):
        s, i, k = bad[np.lexsort((-bad[:, 2], bad[:, 0]))[0]]
        findings.append(f"the first NaN/Inf (magenta) is at step {int(grid.steps[s])} in {grid.lanes[i].label}, "
                        f"layer {int(grid.layers[k])}")
    sentence = "; ".join(findings)
    parts.append(sentence[:1].upper() + sentence[1:] + "." if findings else
                 "No layer's gradient is ever exactly zero, NaN or Inf.")
    return " ".join(parts)


def shared_palette(image: Image.Image) -> Image.Image:
    """One palette for every frame, without dithering, so that the GIF stores
    of each frame only the rectangle that changed and flat cells stay flat:
    every colour level and cell marker exactly, then the still frame's most
    frequent colours (white, black, the labels, their anti-aliasing)."""
    exact = [CMAP(level)[:3] for level in range(COLOUR_LEVELS)]
    exact += [c[:3] for c in (COLOUR_ZERO, COLOUR_NONFINITE, COLOUR_BEYOND_RANGE, COLOUR_BLANK, to_rgba("black"))]
    fixed = np.unique(np.round(np.array(exact) * 255).astype(np.int64), axis=0)
    pixels = np.asarray(image, dtype=np.int64).reshape(-1, 3)
    colours, counts = np.unique(pixels, axis=0, return_counts=True)
    colours = colours[np.argsort(-counts, kind="stable")]
    # Pillow maps a pixel to the palette through a coarse colour cache: a colour next to an exact one
    # could take the exact one's pixels (the white background would turn 252 grey).
    distinct = np.abs(colours[:, None, :] - fixed[None, :, :]).max(axis=2).min(axis=1) > 8
    chosen = np.concatenate([fixed, colours[distinct][:256 - len(fixed)]])
    rgb = chosen.ravel().tolist()
    palette = Image.new("P", (1, 1))
    palette.putpalette(rgb + [0] * (768 - len(rgb)))
    return palette


def draw(run: RunData, out_dir: Path) -> Figure | NotApplicable:
    grid = read_grid(run)
    if grid is None:
        return NotApplicable(TITLE, "layers.csv has no activation_gradient rows")
    norm = colour_range(grid)
    fig, artists = draw_still_parts(run, grid, norm)
    frames = plan_frames(len(grid.steps), len(grid.layers))
    images = render_frames(fig, artists, grid, frames, norm)
    plt.close(fig)
    durations = [REVEAL_MS if frame.revealed_from > 0 else STEP_MS for frame in frames]
    durations[-1] = HOLD_LAST_MS
    palette = shared_palette(images[-1])
    gif = [image.quantize(palette=palette, dither=Image.Dither.NONE) for image in images]
    gif[0].save(Path(out_dir) / FILE, save_all=True, append_images=gif[1:], duration=durations, loop=0)
    return Figure(FILE, TITLE, caption(run, grid))
