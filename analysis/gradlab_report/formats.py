"""The number formats behind gradlab's precision names, for marking their
limits on the figures (README.md, "Precisions")."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class NumberFormat:
    name: str
    significand_bits: int          # p, the implicit bit included
    max_exponent: int | None       # emax; None for MPFR (no practical range limit)
    largest_override: float | None = None  # fp8e4m3 gives up its top binade's last codes for NaN

    @property
    def smallest_subnormal(self) -> float | None:
        if self.max_exponent is None:
            return None
        return 2.0 ** (1 - self.max_exponent - (self.significand_bits - 1))

    @property
    def smallest_normal(self) -> float | None:
        return None if self.max_exponent is None else 2.0 ** (1 - self.max_exponent)

    @property
    def largest(self) -> float | None:
        if self.largest_override is not None:
            return self.largest_override
        if self.max_exponent is None:
            return None
        p, e = self.significand_bits, self.max_exponent
        return (2.0 - 2.0 ** (1 - p)) * 2.0 ** e if e <= 1023 else float("inf")

    @property
    def log2_smallest_subnormal(self) -> int | None:
        return None if self.max_exponent is None else 1 - self.max_exponent - (self.significand_bits - 1)

    @property
    def log2_smallest_normal(self) -> int | None:
        return None if self.max_exponent is None else 1 - self.max_exponent

    @property
    def log2_largest(self) -> float | None:
        """log2 of the largest finite value (just below emax + 1)."""
        if self.max_exponent is None:
            return None
        largest = self.largest
        # binary128's largest is beyond double: log2((2 - 2^(1-p)) 2^emax) ~ emax + 1.
        return math.log2(largest) if math.isfinite(largest) else self.max_exponent + 1.0


_NAMED = {
    "fp16": NumberFormat("fp16", 11, 15),
    "bf16": NumberFormat("bf16", 8, 127),
    "fp8e4m3": NumberFormat("fp8e4m3", 4, 8, largest_override=448.0),
    "fp8e5m2": NumberFormat("fp8e5m2", 3, 15),
    "fp32": NumberFormat("fp32", 24, 127),
    "fp64": NumberFormat("fp64", 53, 1023),
    "f128": NumberFormat("f128", 113, 16383),
}


def base_name(precision: str) -> str:
    """'fp16' of 'fp16+master32+ls' or 'bf16/sr': the storage format's name."""
    return re.split(r"[+/]", precision, maxsplit=1)[0]


def number_format(precision: str) -> NumberFormat:
    """The storage format of a precision name as gradlab writes it."""
    name = base_name(precision)
    if name in _NAMED:
        return _NAMED[name]
    if m := re.fullmatch(r"mp(\d+)", name):
        return NumberFormat(name, int(m.group(1)), None)
    if m := re.fullmatch(r"custom:p=(\d+),emax=(\d+)", name):
        return NumberFormat(name, int(m.group(1)), int(m.group(2)))
    raise ValueError(f"unknown precision '{precision}'")


def has_loss_scaling(precision: str) -> bool:
    return "+ls" in precision
