"""Checks of scalar and array inputs shared by the conversion and the sweep."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pint

from capacity.errors import InputError
from capacity.grammar import read_number
from capacity.units import to_si

__all__ = ["bounded_number", "check_choice", "check_finite_outputs"]


def check_choice(value: str, choices: tuple[str, ...], name: str) -> str:
    """``value`` if it is one of ``choices``, else an :class:`InputError` listing them."""
    if value not in choices:
        raise InputError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def _numeric_array(value: Any, name: str) -> np.ndarray:
    """``value`` as a float64 array, refusing bools, text, None and objects."""

    def refused() -> InputError:  # only on an error: repr of a large array takes long
        return InputError(
            f"{name} must be a number or an array of numbers, got {type(value).__name__} "
            f"{_shown(value)}"
        )

    if isinstance(value, bool | np.bool_ | str | bytes) or value is None:
        raise refused()
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        raise refused() from None
    if array.dtype.kind not in "iuf" or array.size == 0:
        if array.dtype.kind == "O" and array.size:
            try:
                return np.array([float(_element(v, name)) for v in array.ravel()]).reshape(
                    array.shape
                )
            except InputError:
                raise refused() from None
        raise refused()
    return array.astype(np.float64)


def _element(value: Any, name: str) -> float:
    if isinstance(value, bool | np.bool_) or not isinstance(
        value, int | float | np.integer | np.floating
    ):
        raise InputError(f"{name}: not a number")
    return float(value)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def bounded_number(value: Any, name: str, low: float, high: float) -> Any:
    """``value`` as a float or float64 array, each element finite and in [low, high]."""
    if isinstance(value, str):
        value = read_number(value, name)
    if isinstance(value, pint.Quantity):
        value = to_si(value, "dimensionless", name)
    array = _numeric_array(value, name)
    bad = ~np.isfinite(array) | (array < low) | (array > high)
    if np.any(bad):
        got = array[bad].flat[0] if array.ndim else float(array)
        limits = f"≥ {low:g}" if math.isinf(high) else f"in [{low:g}, {high:g}]"
        raise InputError(f"{name} must be {limits}, got {got:g}")
    return array if array.ndim else float(array)


def check_finite_outputs(outputs: Mapping[str, Any], context: str) -> None:
    """Refuse results that overflowed float64: no output ever holds inf or NaN.

    Inputs each within range can still multiply beyond about 1.8e308 (a power of 1e300 W
    gives more FLOP/s than a double holds); that is an :class:`InputError`, never an inf.
    """
    for name, value in outputs.items():
        magnitude = value.magnitude if isinstance(value, pint.Quantity) else value
        if not np.all(np.isfinite(np.asarray(magnitude, dtype=np.float64))):
            raise InputError(
                f"{context}: the {name.replace('_', ' ')} would exceed the largest number a "
                "float64 holds (about 1.8e308); the inputs are too large to compute with"
            )
