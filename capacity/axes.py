"""Sweep axes: ranges ("1.05:1.6:0.01"), lists ("1.1,1.2"), arrays and quantities, and mixes.

A range ``START:STOP:STEP`` includes STOP, as planners write ranges; a STOP that is not on
the grid of steps from START (to one part in 1e9) is refused with the two nearest valid
stops. :func:`simplex_mixes` enumerates every mix of K chips whose shares are multiples of
a step.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pint

from capacity.errors import InputError
from capacity.inputs import bounded_number
from capacity.units import to_si

__all__ = [
    "MAX_AXIS_VALUES",
    "MAX_MIXES",
    "parse_axis",
    "parse_power_axis",
    "simplex_mix_count",
    "simplex_mixes",
]

# Longer axes are almost always a typo in a step ("1:2:0.0000001").
MAX_AXIS_VALUES = 10_000_000
# 2e7 mixes of 8 chips already take 1.3 GB before a single point is computed.
MAX_MIXES = 20_000_000
_ON_STEP = 1e-9


def _range_values(start: float, stop: float, step: float, name: str, text: str) -> np.ndarray:
    if not (math.isfinite(start) and math.isfinite(stop) and math.isfinite(step)):
        raise InputError(f"{name}: range {text!r} must have finite start, stop and step")
    if step <= 0:
        raise InputError(f"{name}: range {text!r} needs a step > 0")
    if stop < start:
        raise InputError(f"{name}: range {text!r} has stop < start")
    steps = (stop - start) / step
    if not steps < MAX_AXIS_VALUES:
        raise InputError(
            f"{name}: range {text!r} has more than {MAX_AXIS_VALUES:,} values; use a larger step"
        )
    whole = round(steps)
    if abs(steps - whole) > _ON_STEP * max(1.0, steps):
        below = start + math.floor(steps) * step
        above = start + math.ceil(steps) * step
        raise InputError(
            f"{name}: range {text!r}: the stop {stop:g} is not on the grid of steps of {step:g} "
            f"from {start:g}; the stop is always included, so end it at {below:.12g} or "
            f"{above:.12g}"
        )
    count = whole + 1
    if count > MAX_AXIS_VALUES:
        raise InputError(
            f"{name}: range {text!r} has {count:,} values, more than {MAX_AXIS_VALUES:,}; "
            "use a larger step"
        )
    values = start + step * np.arange(count, dtype=np.float64)
    values[-1] = stop  # 1.05 + 55 × 0.01 lands a hair above 1.6
    return values


def _split(text: str, name: str, read: Any) -> np.ndarray:
    text = text.strip()
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3 or not all(p.strip() for p in parts):
            raise InputError(
                f"{name}: a range is START:STOP:STEP, e.g. 1.05:1.6:0.01; got {text!r}"
            )
        start, stop, step = (read(p) for p in parts)
        return _range_values(start, stop, step, name, text)
    items = [item for item in text.split(",")]
    if not all(item.strip() for item in items):
        raise InputError(f"{name}: empty value in list {text!r}")
    return np.array([read(item) for item in items], dtype=np.float64)


def _as_values(value: Any, name: str, read: Any) -> np.ndarray:
    if isinstance(value, str):
        values = _split(value, name, read)
    elif isinstance(value, pint.Quantity):
        values = np.atleast_1d(np.asarray(read(value), dtype=np.float64))
    else:
        values = np.atleast_1d(np.asarray(value, dtype=object))
        values = np.array([read(v) for v in values.ravel()], dtype=np.float64)
    if values.size == 0:
        raise InputError(f"{name}: the axis has no values")
    if values.size > MAX_AXIS_VALUES:
        raise InputError(f"{name}: {values.size:,} values, more than {MAX_AXIS_VALUES:,}")
    return values


def parse_axis(value: Any, name: str, low: float, high: float) -> np.ndarray:
    """A dimensionless axis: each value finite and in [low, high].

    ``value`` may be a number, a sequence or array, a dimensionless quantity, a list
    "1.1,1.2,1.3" or a range "1.05:1.6:0.01" (stop included).
    """

    def read(item: Any) -> float:
        if isinstance(item, str):
            item = item.strip()
        return float(bounded_number(item, name, -math.inf, math.inf))

    values = _as_values(value, name, read)
    bounded_number(values, name, low, high)
    return values


def parse_power_axis(value: Any, name: str = "power") -> np.ndarray:
    """A power axis in W: "30GW", "10GW,20GW", "10GW:30GW:5GW", or a pint quantity/array."""

    def read(item: Any) -> float:
        return float(to_si(item.strip() if isinstance(item, str) else item, "power", name))

    if isinstance(value, pint.Quantity):
        values = np.atleast_1d(np.asarray(to_si(value, "power", name), dtype=np.float64))
    else:
        values = _as_values(value, name, read)
    if np.any(~np.isfinite(values) | (values < 0)):
        raise InputError(f"{name}: powers must be finite and ≥ 0")
    return values


def simplex_mix_count(chips: int, step: float) -> int:
    """How many mixes :func:`simplex_mixes` gives: C(n + K − 1, K − 1) with n = 1/step."""
    return math.comb(_parts(step) + chips - 1, chips - 1)


def _parts(step: float) -> int:
    if not (isinstance(step, int | float) and math.isfinite(step) and 0 < step <= 1):
        raise InputError(f"mix_step must be in (0, 1], got {step!r}")
    parts = round(1 / step)
    if abs(parts * step - 1) > 1e-9:
        raise InputError(f"mix_step must divide 1 into equal parts (0.05, 0.1, 0.25…); got {step}")
    return parts


def simplex_mixes(chips: int, step: float) -> np.ndarray:
    """Every mix of ``chips`` chips with shares in multiples of ``step``, mixes × chips.

    The first mix gives everything to the first chip; the last, to the last chip.

    >>> simplex_mixes(3, 0.5)
    array([[1. , 0. , 0. ],
           [0.5, 0.5, 0. ],
           [0.5, 0. , 0.5],
           [0. , 1. , 0. ],
           [0. , 0.5, 0.5],
           [0. , 0. , 1. ]])
    """
    parts = _parts(step)
    count = simplex_mix_count(chips, step)
    if count > MAX_MIXES:
        raise InputError(
            f"mix_step {step:g} over {chips} chips gives {count:,} mixes "
            f"({count * chips * 8 / 1e9:.3g} GB for the shares alone), more than {MAX_MIXES:,}; "
            "use a larger step or fewer chips"
        )
    return _compositions(parts, chips) / parts


def _compositions(total: int, parts: int) -> np.ndarray:
    """Every way of writing ``total`` as ``parts`` ordered non-negative integers."""
    if parts == 1:
        return np.array([[total]], dtype=np.float64)
    blocks = []
    for first in range(total, -1, -1):
        rest = _compositions(total - first, parts - 1)
        blocks.append(np.column_stack([np.full(len(rest), first, dtype=np.float64), rest]))
    return np.concatenate(blocks)
