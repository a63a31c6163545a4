"""One look for every figure: the same colour for a precision everywhere,
line styles for variants, sizes readable on a laptop screen."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only: no display, no GUI toolkit

import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

from .formats import base_name  # noqa: E402

# Low precisions warm, high ones cool, the reference black.
_FORMAT_COLOURS = {
    "fp8e4m3": "#8c564b",
    "fp8e5m2": "#e377c2",
    "fp16": "#d62728",
    "bf16": "#ff7f0e",
    "fp32": "#2ca02c",
    "fp64": "#1f77b4",
    "f128": "#9467bd",
}
_VARIANT_STYLES = ["-", "--", ":", "-."]

DPI = 110


def precision_colour(precision: str, all_precisions: list[str]) -> str:
    base = base_name(precision)
    if base.startswith("mp"):
        return "black"
    if base in _FORMAT_COLOURS and precision == base:
        return _FORMAT_COLOURS[base]
    # Variants of one format (fp16, fp16+ls, fp16/sr) or custom formats:
    # distinct colours, stable for a given list of precisions.
    others = [p for p in all_precisions if not (p in _FORMAT_COLOURS or base_name(p).startswith("mp"))]
    index = others.index(precision) if precision in others else 0
    palette = ["#17becf", "#bcbd22", "#7f7f7f", "#e377c2", "#8c564b", "#aec7e8", "#ffbb78"]
    return palette[index % len(palette)]


def variant_style(variant: str, all_variants: list[str]) -> str:
    return _VARIANT_STYLES[all_variants.index(variant) % len(_VARIANT_STYLES)]


def figure(width: float, height: float, **kwargs):
    """A new figure and axes, in inches."""
    return plt.subplots(figsize=(width, height), dpi=DPI, **kwargs)


def save(fig, path) -> None:
    fig.savefig(path, dpi=DPI, bbox_inches="tight", facecolor="white")
    plt.close(fig)


plt.rcParams.update({
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 8.5,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "figure.facecolor": "white",
})
