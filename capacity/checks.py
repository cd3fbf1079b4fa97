"""Checks of the public API's arguments, shared by every module that takes them.

Each check returns the argument in the form the code uses, or raises an
:class:`~capacity.errors.InputError` that names the argument, shows what it got and says
what would be right ("bins must be a whole number in [1, 65536], got True (a bool)").
Python's ``bool`` is an ``int``; none of these checks takes ``True`` for a count or a number.
Numbers with units and text that becomes a number are :mod:`capacity.units`' business.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar, cast

import numpy as np
import pint

from capacity.errors import InputError

__all__ = [
    "callback",
    "describe",
    "flag",
    "instance_of",
    "number_like",
    "one_of",
    "optional_mapping",
    "optional_text",
    "path_argument",
    "paths_argument",
    "positive_int",
    "quantile_levels",
    "real_number",
    "text_list",
    "whole_number",
]

T = TypeVar("T")
# Longest shown form of a bad value in a message.
_SHOWN_CHARACTERS = 80


def describe(value: Any) -> str:
    """A bad value as an error message shows it: short, with its type where that helps."""
    if isinstance(value, bool | np.bool_):
        return f"{value!r} (a bool)"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    shown = repr(value)
    if len(shown) > _SHOWN_CHARACTERS:
        shown = shown[: _SHOWN_CHARACTERS - 1] + "…"
    if value is None or isinstance(value, str | int | float | list | tuple | dict):
        return shown
    return f"{shown} (a {type(value).__name__})"


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool | np.bool_)


def _shown_int(number: int) -> str:
    """A bound as people write it: 65536, 10,000,000, but 2**40 and 2**64 − 1."""
    for offset, suffix in ((0, ""), (1, " − 1")):
        power = (number + offset).bit_length() - 1
        if number > 1 << 20 and number + offset == 1 << power:
            return f"2**{power}{suffix}"
    return f"{number:,}" if abs(number) >= 1_000_000 else str(number)


def whole_number(value: Any, name: str, *, minimum: int, maximum: int) -> int:
    """``value`` as an ``int`` in [minimum, maximum]: an integer (Python's or NumPy's), never
    a bool, a float or text."""
    limits = f"a whole number in [{_shown_int(minimum)}, {_shown_int(maximum)}]"
    if _is_bool(value) or not isinstance(value, numbers.Integral):
        raise InputError(f"{name} must be {limits}, got {describe(value)}")
    if not minimum <= int(value) <= maximum:
        raise InputError(f"{name} must be {limits}, got {_shown_int(int(value))}")
    return int(value)


def positive_int(value: Any, name: str, maximum: int) -> int:
    """``value`` as an ``int`` in [1, maximum] (a count: bins, samples, points per chunk)."""
    return whole_number(value, name, minimum=1, maximum=maximum)


def real_number(value: Any, name: str, *, low: float = -math.inf, high: float = math.inf) -> float:
    """``value`` as a finite ``float`` in [low, high]: a real number (Python's, NumPy's, a
    Fraction), never a bool, text or an array."""
    if _is_bool(value) or not isinstance(value, numbers.Real):
        raise InputError(f"{name} must be a number, got {describe(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise InputError(f"{name} must be a finite number, got {number!r}")
    if not low <= number <= high:
        limits = f"≥ {low:g}" if math.isinf(high) else f"in [{low:g}, {high:g}]"
        raise InputError(f"{name} must be {limits}, got {number:g}")
    return number


def number_like(value: Any, name: str) -> Any:
    """``value`` unchanged if it may stand for a number or an array of numbers: a number
    (never a bool), text, a pint quantity, or a non-empty list, tuple or array without bools.

    What the value means (a number, an array, a quantity, a distribution or an axis written
    as text) is for the reader that comes next.
    """
    kinds = (str, numbers.Real, list, tuple, np.ndarray, pint.Quantity)
    if _is_bool(value) or not isinstance(value, kinds):
        raise InputError(
            f"{name} must be a number, an array of numbers or text, got {describe(value)}"
        )
    if isinstance(value, list | tuple | np.ndarray):
        # An array of a fixed dtype is checked by its dtype, not element by element.
        typed = isinstance(value, np.ndarray) and value.dtype != object
        array = np.asarray(value, dtype=None if typed else object)
        if array.size == 0:
            raise InputError(f"{name} must hold at least one value, got {describe(value)}")
        if array.dtype.kind == "b" or (not typed and any(_is_bool(item) for item in array.flat)):
            raise InputError(f"{name} must hold numbers, not bools, got {describe(value)}")
    return value


def flag(value: Any, name: str) -> bool:
    """``value`` as a ``bool``; only ``True`` and ``False`` (or NumPy's) are flags."""
    if not _is_bool(value):
        raise InputError(f"{name} must be True or False, got {describe(value)}")
    return bool(value)


def one_of(value: Any, choices: Iterable[str], name: str) -> str:
    """``value`` if it is one of ``choices`` (text, compared exactly), else an error listing
    them."""
    options = tuple(choices)
    if not isinstance(value, str) or value not in options:
        raise InputError(f"{name} must be one of {', '.join(options)}; got {describe(value)}")
    return value


def optional_text(value: Any, name: str) -> str | None:
    """``value`` if it is None or non-blank text."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{name} must be non-empty text, got {describe(value)}")
    return value


def text_list(value: Any, name: str, *, also: tuple[type, ...] = ()) -> list[Any] | None:
    """None, or ``value`` as a list: one text ("h100,mi355x" is split at commas) or an
    iterable of texts (or of the types in ``also``), each non-blank."""
    if value is None:
        return None
    if isinstance(value, str):
        items: list[Any] = [part.strip() for part in value.split(",")]
    elif isinstance(value, also):
        items = [value]
    elif isinstance(value, Iterable) and not isinstance(value, Mapping | bytes):
        items = list(value)
    else:
        kinds = " or ".join(["text", *(t.__name__ for t in also)])
        raise InputError(f"{name} must be {kinds}, or a list of them; got {describe(value)}")
    for item in items:
        if isinstance(item, also):
            continue
        if not isinstance(item, str) or not item.strip():
            raise InputError(f"{name}: each entry must be non-empty text, got {describe(item)}")
    return items


def quantile_levels(value: Any, name: str = "quantiles") -> tuple[float, ...]:
    """``value`` as a non-empty tuple of quantile levels, each a number in [0, 1]."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise InputError(
            f"{name} must be a sequence of numbers in [0, 1] such as (0.05, 0.5, 0.95), "
            f"got {describe(value)}"
        )
    levels = tuple(real_number(q, f"{name}: each level") for q in value)
    outside = [q for q in levels if not 0.0 <= q <= 1.0]
    if outside:
        raise InputError(f"{name} must lie in [0, 1], got {outside[0]:g}")
    if not levels:
        raise InputError(f"{name} must hold at least one level in [0, 1], got {describe(value)}")
    return levels


def optional_mapping(value: Any, name: str) -> dict[Any, Any]:
    """``value`` as a dict; None is an empty one."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InputError(f"{name} must be a mapping (a dict) or None, got {describe(value)}")
    return dict(value)


def path_argument(value: Any, name: str) -> Path:
    """``value`` as a :class:`~pathlib.Path`: a non-empty ``str`` or path-like object."""
    if isinstance(value, str) and not value.strip():
        raise InputError(f"{name} must be a file or folder name, got an empty string")
    if not isinstance(value, str | os.PathLike):
        raise InputError(f"{name} must be a path (str or pathlib.Path), got {describe(value)}")
    return Path(value)


def paths_argument(value: Any, name: str) -> list[Path] | None:
    """None, one path, or an iterable of paths, as a list of :class:`~pathlib.Path`."""
    if value is None:
        return None
    if isinstance(value, str | os.PathLike):
        return [path_argument(value, name)]
    if isinstance(value, Mapping | bytes) or not isinstance(value, Iterable):
        raise InputError(
            f"{name} must be a path (str or pathlib.Path), a list of paths or None, "
            f"got {describe(value)}"
        )
    return [path_argument(item, name) for item in value]


def callback(value: Any, name: str) -> Callable[..., Any] | None:
    """``value`` if it is None or callable."""
    if value is None:
        return None
    if not callable(value):
        raise InputError(f"{name} must be a function or None, got {describe(value)}")
    return cast(Callable[..., Any], value)


def instance_of(value: Any, kind: type[T], name: str, hint: str) -> T:
    """``value`` if it is a ``kind``; ``hint`` says where one comes from."""
    if not isinstance(value, kind):
        raise InputError(f"{name} must be a {kind.__name__} ({hint}), got {describe(value)}")
    return value
