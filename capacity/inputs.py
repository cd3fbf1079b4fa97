"""Checks of scalar and array inputs shared by the conversion and the sweep."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pint

from capacity.errors import InputError
from capacity.units import to_si

__all__ = ["bounded_number", "check_choice"]


def check_choice(value: str, choices: tuple[str, ...], name: str) -> str:
    """``value`` if it is one of ``choices``, else an :class:`InputError` listing them."""
    if value not in choices:
        raise InputError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def bounded_number(value: Any, name: str, low: float, high: float) -> Any:
    """``value`` as a float or float64 array, each element finite and in [low, high]."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise InputError(f"{name} must be a number, got {value!r}") from None
    if isinstance(value, pint.Quantity):
        value = to_si(value, "dimensionless", name)
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(
            f"{name} must be a number or an array of numbers, got {value!r}"
        ) from None
    bad = ~np.isfinite(array) | (array < low) | (array > high)
    if np.any(bad):
        got = array[bad].flat[0] if array.ndim else float(array)
        limits = f"≥ {low:g}" if math.isinf(high) else f"in [{low:g}, {high:g}]"
        raise InputError(f"{name} must be {limits}, got {got:g}")
    return array if array.ndim else float(array)
