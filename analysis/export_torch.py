#!/usr/bin/python3
"""Exports a PyTorch model, a batch and the gradients PyTorch computes for it
as a gradlab validation case (DESIGN.md, "Validation case format"), which
`gradlab validate CASE_DIR` checks against its high-precision reference.
From a notebook:

    import sys; sys.path.insert(0, "/path/to/gradlab/analysis")
    from export_torch import export_case
    export_case(model, x, y, "mse", "my_case")          # or "softmax_cross_entropy"

`model` is a torch.nn.Sequential of nn.Linear modules, each optionally
followed by one activation module: Identity, Sigmoid, Tanh, ReLU,
LeakyReLU(negative_slope), ELU(alpha=1), GELU(approximate="none"),
Softplus(beta=1). `x` is the batch (rows of inputs); `y` the float targets
for "mse" or the integer labels for "softmax_cross_entropy" (written as
int64). The forward and backward run on the model's device in the model's
dtype, float32 or float64; `dtype=` runs them on a converted copy instead
(and converts x and float y with it). Anything else raises ValueError naming
what is unsupported; a Softplus input above PyTorch's threshold, where
its result differs from gradlab's, gives a warning. The case directory is
written whole or not at all (a temporary sibling renamed into place,
replacing an earlier case).

Run as a script (/usr/bin/python3 with python3-torch) it exports a small
demo case: export_torch.py OUT_DIR [--dtype float32|float64].
"""

import argparse
import copy
import json
import math
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from atomic_directory import written_atomically

DTYPES = {"float32": torch.float32, "float64": torch.float64}
LOSSES = {"mse": lambda out, y: F.mse_loss(out, y, reduction="mean"),
          "softmax_cross_entropy": lambda out, y: F.cross_entropy(out, y, reduction="mean")}
PLAIN_ACTIVATIONS = {nn.Identity: "identity", nn.Sigmoid: "sigmoid", nn.Tanh: "tanh", nn.ReLU: "relu"}

# Softplus: gradlab computes log1p(exp(x)) for every x. PyTorch returns x,
# and derivative 1, where beta * x > threshold (20 by default; it never
# switches for negative x). The exact value exceeds x by log1p(e^-x) < e^-x
# and the derivative falls short of 1 by e^-x / (1 + e^-x) < e^-x. In float32
# both are below half an ulp from x = 25 ln 2 = 17.3 on, so above the default
# threshold PyTorch's result is the correctly rounded one. In float64 that
# takes until x = 54 ln 2 = 37.4: just above 20 the value is 6e5 ulps off and
# the derivative 2e7 ulps, which gradlab validate rightly reports. export_case
# warns when a Softplus input lies in that window.
def _softplus_switch_matters(module, inputs):
    exact_from = -math.log(torch.finfo(inputs.dtype).eps / 4)
    return bool(((inputs > module.threshold) & (inputs < exact_from)).any())


def _activation(module, name):
    """The model.json keys for one activation module."""
    kind = type(module)
    if kind in PLAIN_ACTIVATIONS:
        return {"activation": PLAIN_ACTIVATIONS[kind]}
    if kind is nn.LeakyReLU:
        return {"activation": "leaky_relu", "negative_slope": float(module.negative_slope)}
    if kind is nn.ELU:
        if module.alpha != 1:
            raise ValueError(f"model.{name}: ELU with alpha={module.alpha} is not supported (only alpha=1)")
        return {"activation": "elu"}
    if kind is nn.GELU:
        if module.approximate != "none":
            raise ValueError(f"model.{name}: GELU(approximate={module.approximate!r}) is not supported "
                             "(only the exact erf form, approximate='none')")
        return {"activation": "gelu"}
    if kind is nn.Softplus:
        if module.beta != 1:
            raise ValueError(f"model.{name}: Softplus with beta={module.beta} is not supported (only beta=1)")
        return {"activation": "softplus"}
    raise ValueError(f"model.{name}: {kind.__name__} is not supported (Linear and activations "
                     "Identity, Sigmoid, Tanh, ReLU, LeakyReLU, ELU, GELU, Softplus only)")


def _describe_layers(model, input_dim):
    """model.json's "layers" and the Linear modules in order, or ValueError."""
    layers, linears, has_activation = [], [], False
    for name, module in model.named_children():
        if type(module) is nn.Linear:
            expected = linears[-1].out_features if linears else input_dim
            if module.in_features != expected:
                raise ValueError(f"model.{name}: Linear takes {module.in_features} inputs "
                                 f"but receives {expected}")
            layer = {"type": "dense", "out": module.out_features, "activation": "identity"}
            if module.bias is None:
                layer["bias"] = False
            layers.append(layer)
            linears.append(module)
            has_activation = False
        elif not linears:
            _activation(module, name)
            raise ValueError(f"model.{name}: {type(module).__name__} comes before the first Linear")
        elif has_activation:
            raise ValueError(f"model.{name}: {type(module).__name__} follows another activation "
                             "without a Linear in between")
        else:
            layers[-1].update(_activation(module, name))
            has_activation = True
    if not linears:
        raise ValueError("the model has no Linear module")
    return layers, linears


def _model_dtype(model):
    dtypes = {p.dtype for p in model.parameters()}
    if len(dtypes) != 1:
        raise ValueError(f"the model's parameters have mixed dtypes {sorted(map(str, dtypes))}; "
                         "pass dtype= to export a converted copy")
    (dtype,) = dtypes
    if dtype not in DTYPES.values():
        raise ValueError(f"the model's dtype {dtype} is not supported (float32 or float64)")
    return dtype


def _batch(x, y, loss, dtype, classes, device, converting):
    """x and y on the model's device, checked against the model and loss."""
    y = torch.as_tensor(y)
    if converting:
        x = x.to(dtype)
    elif x.dtype != dtype:
        raise ValueError(f"mixed dtypes: x is {x.dtype}, the model {dtype}; pass dtype= to convert")
    if loss == "mse":
        if not y.is_floating_point():
            raise ValueError(f"mse takes float targets; y is {y.dtype}")
        if converting:
            y = y.to(dtype)
        elif y.dtype != dtype:
            raise ValueError(f"mixed dtypes: y is {y.dtype}, the model {dtype}; pass dtype= to convert")
        if tuple(y.shape) != (x.shape[0], classes):
            raise ValueError(f"y has shape {tuple(y.shape)}; mse needs the output's shape "
                             f"{(x.shape[0], classes)}")
    else:
        if y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
            raise ValueError(f"softmax_cross_entropy takes integer labels; y is {y.dtype}")
        y = y.to(torch.int64)
        if tuple(y.shape) != (x.shape[0],):
            raise ValueError(f"y has shape {tuple(y.shape)}; softmax_cross_entropy needs one label "
                             f"per row, shape {(x.shape[0],)}")
        if y.numel() and (y.min() < 0 or y.max() >= classes):
            raise ValueError(f"labels must lie in [0, {classes}); y has {y.min().item()}..{y.max().item()}")
    return x.to(device), y.to(device)


def _forward(model, x):
    """model(x), module by module, to see the inputs of Softplus."""
    out = x
    for module in model:
        if type(module) is nn.Softplus and _softplus_switch_matters(module, out):
            warnings.warn(f"a Softplus input lies above threshold={module.threshold}, where PyTorch "
                          "returns x and derivative 1, more than half an ulp from log1p(exp(x)) and "
                          "its derivative; gradlab validate will report those entries", stacklevel=3)
        out = module(out)
    return out


def _npy(tensor):
    array = tensor.detach().cpu().numpy()
    return np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))


def _write_case(out_dir, model_json, arrays, loss_text):
    out_dir = Path(out_dir).resolve()
    with written_atomically(out_dir) as staging:
        (staging / "params").mkdir()
        (staging / "grads").mkdir()
        (staging / "model.json").write_text(json.dumps(model_json, indent=2) + "\n")
        for relative, array in arrays.items():
            np.save(staging / relative, array, allow_pickle=False)
        (staging / "loss.txt").write_text(loss_text + "\n")
    return out_dir


def export_case(model, x, y, loss, out_dir, dtype=None):
    """Writes the case directory `out_dir` for `model` on batch (x, y) under
    `loss` ("mse" or "softmax_cross_entropy"); returns its path."""
    if loss not in LOSSES:
        raise ValueError(f"loss {loss!r} is not supported ({' or '.join(LOSSES)})")
    if not isinstance(model, nn.Sequential):
        raise ValueError(f"the model is a {type(model).__name__}; a torch.nn.Sequential is required")
    x = torch.as_tensor(x)
    if x.dim() != 2:
        raise ValueError(f"x has shape {tuple(x.shape)}; a batch of rows (2-d) is required")
    # A copy, so the caller's model keeps its dtype, its .grad and its requires_grad.
    model = copy.deepcopy(model)
    if dtype is not None:
        if DTYPES.get(dtype, dtype) not in DTYPES.values():
            raise ValueError(f"dtype {dtype} is not supported (float32 or float64)")
        model = model.to(DTYPES.get(dtype, dtype))
    layers, linears = _describe_layers(model, x.shape[1])
    model_dtype = _model_dtype(model)
    device = linears[0].weight.device
    x, y = _batch(x, y, loss, model_dtype, linears[-1].out_features, device, dtype is not None)

    named = {}
    for i, linear in enumerate(linears):
        named[f"layers.{i}.weight"] = linear.weight
        if linear.bias is not None:
            named[f"layers.{i}.bias"] = linear.bias
    for parameter in named.values():
        parameter.requires_grad_(True)
    value = LOSSES[loss](_forward(model, x), y)
    grads = torch.autograd.grad(value, list(named.values()))

    arrays = {"x.npy": _npy(x), "y.npy": _npy(y)}
    for (name, parameter), grad in zip(named.items(), grads):
        arrays[f"params/{name}.npy"] = _npy(parameter)
        arrays[f"grads/{name}.npy"] = _npy(grad)
    model_json = {"format": "gradlab-case/1", "input_dim": x.shape[1], "layers": layers,
                  "loss": loss, "reduction": "mean"}
    # repr of the float32 or float64 loss widened to a Python float: the
    # shortest decimal that reads back to the same double, hence exactly.
    return _write_case(out_dir, model_json, arrays, repr(float(value)))


def main():
    parser = argparse.ArgumentParser(description="Export a small demo model, batch and PyTorch gradients "
                                                 "as a gradlab validation case.")
    parser.add_argument("out_dir", type=Path, help="the case directory to write")
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="float64")
    args = parser.parse_args()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.GELU(), nn.Linear(8, 3))
    x, labels = torch.randn(5, 4), torch.randint(0, 3, (5,))
    print(export_case(model, x, labels, "softmax_cross_entropy", args.out_dir, dtype=args.dtype))


if __name__ == "__main__":
    main()
