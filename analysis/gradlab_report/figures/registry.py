"""The figures in page order."""

from . import (error_against_reference, gradient_flow_animation, gradient_heatmap, gradient_histogram,
               gradient_norm_by_depth, loss_curves, nonfinite_timeline, single_weight_landscape)

ALL = [
    gradient_norm_by_depth,
    gradient_heatmap,
    gradient_histogram,
    error_against_reference,
    nonfinite_timeline,
    loss_curves,
    single_weight_landscape,
    gradient_flow_animation,
]
