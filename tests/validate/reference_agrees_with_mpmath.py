"""gradlab validate's reference (--write-reference) agrees with an independent
computation in mpmath at 80 digits to at least 30 significant digits: the
loss and every gradient entry, on small cases of both dtypes, both losses and
every activation. The mpmath side is a hand-written forward and backward pass
(no finite differences), fed the case's .npy values exactly.

Usage: reference_agrees_with_mpmath.py GRADLAB
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import mpmath
import numpy
from mpmath import mp, mpf

mp.dps = 80
REQUIRED_DIGITS = 30
TOLERANCE = mpf(10) ** -REQUIRED_DIGITS

# Every case here: both dtypes, both losses, every activation, and a deep
# saturated tanh network whose gradients reach 1e-185.
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cases"


def exact(array):
    """Every float32/float64 value is a binary fraction mpf holds exactly."""
    return [mpf(float(v)) for v in numpy.asarray(array).ravel()]


def activation(layer):
    """f and f' of a layer's activation, as functions of the pre-activation."""
    name = layer["activation"]
    if name == "identity":
        return (lambda z: z), (lambda z: mpf(1))
    if name == "sigmoid":
        sigmoid = lambda z: 1 / (1 + mpmath.exp(-z))
        return sigmoid, (lambda z: sigmoid(z) * (1 - sigmoid(z)))
    if name == "tanh":
        return mpmath.tanh, (lambda z: 1 / mpmath.cosh(z) ** 2)
    if name == "relu":
        return (lambda z: z if z > 0 else mpf(0)), (lambda z: mpf(1) if z > 0 else mpf(0))
    if name == "leaky_relu":
        # The slope is the double nearest the JSON number, as in gradlab and PyTorch.
        slope = mpf(float(layer.get("negative_slope", 0.01)))
        return (lambda z: z if z > 0 else slope * z), (lambda z: mpf(1) if z > 0 else slope)
    if name == "elu":
        return (lambda z: z if z > 0 else mpmath.expm1(z)), (lambda z: mpf(1) if z > 0 else mpmath.exp(z))
    if name == "gelu":
        cdf = lambda z: (1 + mpmath.erf(z / mpmath.sqrt(2))) / 2
        pdf = lambda z: mpmath.exp(-z * z / 2) / mpmath.sqrt(2 * mpmath.pi)
        return (lambda z: z * cdf(z)), (lambda z: cdf(z) + z * pdf(z))
    if name == "softplus":
        return (lambda z: mpmath.log1p(mpmath.exp(z))), (lambda z: 1 / (1 + mpmath.exp(-z)))
    raise ValueError(f"unknown activation {name}")


def mpmath_loss_and_gradients(case):
    """The case's loss and {tensor name: flat C-order gradient} in mpmath."""
    model = json.loads((case / "model.json").read_text())
    x = numpy.load(case / "x.npy")
    batch = x.shape[0]
    a = [exact(row) for row in x]
    layers = []  # (name prefix, W rows, b, f', input rows, pre-activation rows)
    for i, layer in enumerate(model["layers"]):
        prefix = f"layers.{i}."
        W = [exact(row) for row in numpy.load(case / "params" / f"{prefix}weight.npy")]
        b = exact(numpy.load(case / "params" / f"{prefix}bias.npy")) if layer.get("bias", True) else None
        f, derivative = activation(layer)
        z = [[mpmath.fdot(row, w) + (b[j] if b is not None else 0) for j, w in enumerate(W)] for row in a]
        layers.append((prefix, W, b, derivative, a, z))
        a = [[f(v) for v in row] for row in z]

    y = numpy.load(case / "y.npy")
    if model["loss"] == "mse":
        target = [exact(row) for row in y.reshape(len(a), -1)]
        count = len(a) * len(a[0])
        loss = mpmath.fsum((p - t) ** 2 for out, tr in zip(a, target) for p, t in zip(out, tr)) / count
        d_a = [[2 * (p - t) / count for p, t in zip(out, tr)] for out, tr in zip(a, target)]
    else:  # softmax_cross_entropy on the last layer's output, mean over the batch
        loss, d_a = mpf(0), []
        for out, true_class in zip(a, y.astype(int)):
            log_sum = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in out))
            loss += log_sum - out[true_class]
            d_a.append([(mpmath.exp(v - log_sum) - (k == true_class)) / batch for k, v in enumerate(out)])
        loss /= batch

    gradients = {}
    for prefix, W, b, derivative, inputs, z in reversed(layers):
        delta = [[d * derivative(v) for d, v in zip(d_row, z_row)] for d_row, z_row in zip(d_a, z)]
        gradients[prefix + "weight"] = [mpmath.fsum(delta[n][j] * inputs[n][k] for n in range(batch))
                                        for j in range(len(W)) for k in range(len(W[0]))]
        if b is not None:
            gradients[prefix + "bias"] = [mpmath.fsum(delta[n][j] for n in range(batch)) for j in range(len(W))]
        d_a = [[mpmath.fsum(d_row[j] * W[j][k] for j in range(len(W))) for k in range(len(W[0]))]
               for d_row in delta]
    return loss, gradients


def agreement(given, exact_values):
    """(agrees, digits) of a tensor's reference values against mpmath's: each
    entry within 1e-30 of max(|m|, floor). The floor is 1e-30 of the tensor's
    largest |m|: an entry that cancellation made smaller than that is zero to
    30 digits of the tensor's scale, so its own relative digits are not what
    "30 digits" promises; every entry above the floor is held to 30 digits of
    its own (mpmath carries 80, mp256 77, reference.json prints 45).
    digits = -log10(|g - m| / max(|m|, floor)), the worst entry's."""
    floor = TOLERANCE * max(abs(m) for m in exact_values)
    agrees, worst = True, mpmath.inf
    for g, m in zip(given, exact_values):
        error, scale = abs(g - m), max(abs(m), floor)
        agrees = agrees and error <= TOLERANCE * scale
        if error:
            worst = min(worst, -mpmath.log10(error / scale) if scale else mpf(0))
    return agrees, worst


def with_digit_changed(decimal, position):
    """decimal with its significant digit at `position` (1-based) changed."""
    seen = 0
    for i, c in enumerate(decimal):
        if c in "eE":
            break
        if c.isdigit() and (seen or c != "0"):
            seen += 1
            if seen == position:
                return decimal[:i] + ("1" if c != "1" else "2") + decimal[i + 1:]
    raise ValueError(f"{decimal} has fewer than {position} significant digits")


def check_case(gradlab, case, scratch, failures):
    """Compares one case's reference.json with mpmath; returns the worst digits."""
    out = scratch / case.name
    run = subprocess.run([gradlab, "validate", str(case), "--write-reference", str(out)],
                         capture_output=True, text=True)
    if run.returncode not in (0, 1) or not (out / "reference.json").exists():
        failures.append(f"{case.name}: gradlab validate exited {run.returncode}: {run.stderr.strip()}")
        return None
    reference = json.loads((out / "reference.json").read_text())
    loss, gradients = mpmath_loss_and_gradients(case)
    if set(reference["gradients"]) != set(gradients):
        failures.append(f"{case.name}: tensors {sorted(reference['gradients'])}, expected {sorted(gradients)}")
        return None

    tensors = {"loss": ([reference["loss"]], [loss])}
    for name, exact_values in gradients.items():
        tensors[name] = (reference["gradients"][name]["values"], exact_values)
    worst = mpmath.inf
    for name, (decimals, exact_values) in tensors.items():
        if len(decimals) != len(exact_values):
            failures.append(f"{case.name} {name}: {len(decimals)} values, expected {len(exact_values)}")
            continue
        agrees, digits = agreement([mpf(d) for d in decimals], exact_values)
        worst = min(worst, digits)
        if not agrees:
            failures.append(f"{case.name} {name}: only {float(digits):.1f} significant digits agree")

    # Self-check: a reference off in its 20th digit must be flagged.
    name = next(iter(gradients))
    decimals, exact_values = tensors[name]
    largest = max(range(len(decimals)), key=lambda k: abs(exact_values[k]))
    altered = [mpf(with_digit_changed(d, 20) if k == largest else d) for k, d in enumerate(decimals)]
    agrees, digits = agreement(altered, exact_values)
    if agrees or not 18 < digits < 21:
        failures.append(f"{case.name} {name}: a change in the 20th digit was not flagged (agrees {agrees}, "
                        f"{float(digits):.1f} digits)")
    return worst


def main():
    gradlab = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        cases = sorted(case.parent for case in FIXTURES.glob("*/model.json"))
        if not cases:
            failures.append(f"no cases in {FIXTURES}")
        overall = mpmath.inf
        for case in cases:
            worst = check_case(gradlab, case, scratch, failures)
            if worst is not None:
                overall = min(overall, worst)
                print(f"{case.name}: worst {float(worst):.1f} significant digits")
    for failure in failures:
        print("FAIL", failure)
    print(f"worst: {float(overall):.1f} significant digits over {len(cases)} cases "
          f"(required {REQUIRED_DIGITS})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
