"""A sourced figure: a value with its unit, where it comes from and how sure we are of it.

Hardware profiles and grid references are made of figures; both are read from TOML files
through :func:`read_figure`, which validates a figure once, at load.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pint

from capacity import diskcache
from capacity.errors import CapacityError, UnitError
from capacity.tomlread import TableReader
from capacity.units import (
    DIMENSIONS,
    parse_quantity,
    quantity_from_reference,
    quantity_reference,
)

__all__ = [
    "CONFIDENCE_LEVELS",
    "FLAGGED_CONFIDENCE",
    "Figure",
    "cached_reading",
    "read_figure",
    "weakest_confidence",
]

# From surest to least sure. "user-override" marks a figure set for one run (--set).
CONFIDENCE_LEVELS: tuple[str, ...] = (
    "datasheet",
    "measured",
    "vendor-announced",
    "press-estimate",
    "estimate",
    "user-override",
    "assumption",
)
# Figures of these grades are named in every output that uses them.
FLAGGED_CONFIDENCE: frozenset[str] = frozenset(
    {"press-estimate", "estimate", "user-override", "assumption"}
)

_FIGURE_KEYS = ("value", "low", "high", "confidence", "source", "note", "year")
# Years a figure may be for.
FIGURE_YEARS = (1900, 2100)


@dataclass(frozen=True)
class Figure:
    """One sourced number.

    Attributes
    ----------
    value : pint.Quantity
        The figure with its unit (dimensionless for counts and fractions).
    si : float
        ``value`` in the model's SI unit for its dimension.
    confidence : str
        One of :data:`CONFIDENCE_LEVELS`.
    source : str
        URL(s) or citation; for an assumption, what it rests on.
    note : str
        Interpretation or rationale; its first sentence is quoted in outputs.
    low, high : pint.Quantity, optional
        Where sources disagree, the range they span (same unit as ``value``), with
        ``low ≤ value ≤ high``. None where the file gives no range.
    year : int, optional
        The year the figure is for (a grid's generation, a price); None where not given.
    """

    value: pint.Quantity
    si: float
    confidence: str
    source: str
    note: str = ""
    low: pint.Quantity | None = None
    high: pint.Quantity | None = None
    year: int | None = None

    @property
    def summary(self) -> str:
        """The note's first sentence (the rationale outputs quote)."""
        text = " ".join(self.note.split())
        # a sentence ends before a capital or the end: not at "i.e. 0.10" or "et al. 2025"
        match = re.match(r"(.+?[.!?])(?=\s+[A-Z]|$)", text)
        return match.group(1) if match else text

    @property
    def flagged(self) -> bool:
        """Whether outputs must name this figure (assumption, estimate or override)."""
        return self.confidence in FLAGGED_CONFIDENCE

    def display(self) -> str:
        """The value with its unit, compactly: "10.2 kW", "989.5 TFLOP/s", "0.76"."""
        return _display(self.value)

    def display_range(self) -> str:
        """The range as "25000–50000 USD", or "" where the figure has none."""
        if self.low is None and self.high is None:
            return ""
        low = "…" if self.low is None else _display(self.low)
        high = "…" if self.high is None else _display(self.high)
        return f"{low} – {high}"


def cached_reading(
    name: str, files: Sequence[Path], read: Callable[[], tuple[Any, ...]], reader: str | None
) -> tuple[Any, ...]:
    """What ``read`` makes of the package's own data ``files`` (built-in profiles, grids),
    kept in :mod:`capacity.diskcache` as ``name`` until one of them changes, or one of the
    modules that read them: this one, :mod:`capacity.units` and the ones they use, and
    ``reader`` (the caller's ``__file__``). Never for user files, which are read through
    :mod:`capacity.datafiles`' checks every time."""
    from capacity import datafiles, grammar, tomlread, units

    modules = [m.__file__ or "" for m in (datafiles, grammar, tomlread, units)]
    key = (pint.__version__, diskcache.file_stamps([*files, *modules, __file__, reader or ""]))
    cached = diskcache.load(name, key, quantity_from_reference)
    if isinstance(cached, tuple):
        return cached
    value = read()
    diskcache.store(name, key, value, quantity_reference)
    return value


def _display(quantity: pint.Quantity) -> str:
    if quantity.dimensionless:
        return f"{quantity.magnitude:g}"
    return f"{quantity.magnitude:g} {quantity.units:~P}"


def weakest_confidence(*levels: str) -> str:
    """The least sure of several confidence levels."""
    return max(levels, key=CONFIDENCE_LEVELS.index)


def read_figure(
    table: Any, reader: TableReader, field: str, dimension: str, kind: str = "positive"
) -> Figure:
    """Validate one figure from a parsed TOML file.

    Parameters
    ----------
    table : dict
        ``{value, confidence, source, note}`` as read from the file, optionally with
        ``low`` and ``high`` (the range sources span, in the same dimension as ``value``).
    reader : TableReader
        The reader of the table that holds the figure: it names the file in errors.
    field : str
        The figure's name in that table ("power" of the table ``system``).
    dimension : str
        A key of :data:`capacity.units.DIMENSIONS`.
    kind : {"positive", "fraction", "non-negative", "count"}
        The valid range of the value.
    """

    def fail(problem: str) -> CapacityError:
        return reader.fail(field, problem)

    table = reader.table(
        table, field, "a table such as { value = ..., confidence = ..., source = ... }"
    )
    reader.within(field).check_keys(table, _FIGURE_KEYS)
    for key in ("value", "confidence", "source"):
        if key not in table:
            raise fail(f"missing '{key}'")
    confidence = table["confidence"]
    if confidence not in CONFIDENCE_LEVELS:
        raise fail(f"confidence {confidence!r} is not one of {', '.join(CONFIDENCE_LEVELS)}")
    source = table["source"]
    if not isinstance(source, str) or not source.strip():
        raise fail("source must be a non-empty string (a URL, a citation or a rationale)")
    note = table.get("note", "")
    if not isinstance(note, str):
        raise fail("note must be a string")
    if confidence in ("assumption", "estimate") and not note.strip():
        raise fail(f"an {confidence} needs a note giving its rationale or method")
    year = table.get("year")
    if year is not None and (
        isinstance(year, bool)
        or not isinstance(year, int)
        or not FIGURE_YEARS[0] <= year <= FIGURE_YEARS[1]
    ):
        raise fail(f"year must be a whole year such as 2023, got {year!r}")

    quantity, si = _read_value(table["value"], "value", dimension, kind, fail)
    bounds: dict[str, pint.Quantity | None] = {"low": None, "high": None}
    for key in bounds:
        if key in table:
            bound, bound_si = _read_value(table[key], key, dimension, kind, fail)
            if (key == "low" and bound_si > si) or (key == "high" and bound_si < si):
                relation = "≤" if key == "low" else "≥"
                raise fail(
                    f"{key} must be {relation} value, got {key} = {table[key]!r}, "
                    f"value = {table['value']!r}"
                )
            bounds[key] = bound.to(quantity.units)
    return Figure(
        quantity,
        si,
        confidence,
        source.strip(),
        note.strip(),
        bounds["low"],
        bounds["high"],
        year,
    )


def _read_value(
    raw: Any, key: str, dimension: str, kind: str, fail: Any
) -> tuple[pint.Quantity, float]:
    """One of a figure's numbers (value, low or high) as a quantity and its SI magnitude."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise fail(f"{key} must be a number or a string with a unit, got {raw!r}")
    try:
        quantity = parse_quantity(raw, dimension, key)
    except UnitError as error:
        message = str(error).removeprefix(f"{key}: ")
        raise fail(message if key == "value" else f"{key}: {message}") from None
    si = float(np.asarray(quantity.to(DIMENSIONS[dimension][0]).magnitude))
    _check_range(si, kind, raw, fail if key == "value" else _prefixed(fail, key))
    return quantity, si


def _prefixed(fail: Any, key: str) -> Any:
    return lambda problem: fail(f"{key} {problem}")


def _check_range(si: float, kind: str, raw_value: Any, fail: Any) -> None:
    if not math.isfinite(si):
        raise fail(f"must be finite, got {raw_value!r}")
    if kind == "positive" and si <= 0:
        raise fail(f"must be > 0, got {raw_value!r}")
    if kind == "non-negative" and si < 0:
        raise fail(f"must be ≥ 0, got {raw_value!r}")
    if kind == "fraction" and not 0 <= si <= 1:
        raise fail(f"must be a fraction in [0, 1], got {raw_value!r}")
    if kind == "count" and (si < 1 or si != int(si)):
        raise fail(f"must be a whole number ≥ 1, got {raw_value!r}")
