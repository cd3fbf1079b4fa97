"""The package's one pint registry, and parsing of quantities and counts at the boundary.

Every public function and CLI option accepts a pint quantity or a string ("30 GW", "30GW",
"989.5 TFLOP/s"); inside, the model works on float64 (or float64 arrays) in SI units.

FLOP is its own dimension (``[computation]``) so that FLOP/s is a rate and cannot be mixed
up with an amount of FLOP. pint's default registry makes the bit dimensionless; this one
gives it the dimension ``[information]`` so that "80 GB" is checked as memory.
"""

from __future__ import annotations

import math
import re
from importlib import resources
from typing import Any

import numpy as np
import pint

from capacity.errors import UnitError

__all__ = [
    "DIMENSIONS",
    "SECONDS_PER_YEAR",
    "Quantity",
    "describe_dimension",
    "format_count",
    "parse_count",
    "parse_quantity",
    "to_si",
    "ureg",
]


def _build_registry() -> pint.UnitRegistry:
    definitions = resources.files("pint")
    text = (definitions / "default_en.txt").read_text(encoding="utf-8")
    constants = (definitions / "constants_en.txt").read_text(encoding="utf-8")
    text = text.replace("@import constants_en.txt", constants)
    text = text.replace("\nbit = []", "\nbit = [information]")
    registry: pint.UnitRegistry = pint.UnitRegistry(None)
    registry.load_definitions(text.splitlines())
    registry.define("FLOP = [computation] = FLOP = flop")
    # Money is in US dollars only: prices from other currencies are converted at the source.
    registry.define("USD = [currency] = _ = usd = dollar")
    return registry


ureg: pint.UnitRegistry = _build_registry()
Quantity = ureg.Quantity

# pint's year is the Julian year, 365.25 days (MODEL.md).
SECONDS_PER_YEAR: float = float(ureg.Quantity(1, "year").to("s").magnitude)

# name of a dimension → (SI unit the model works in, an example for error messages)
DIMENSIONS: dict[str, tuple[str, str]] = {
    "power": ("W", "30 GW"),
    "energy": ("J", "415 TWh"),
    "compute rate": ("FLOP/s", "989.5 TFLOP/s"),
    "memory": ("B", "80 GB"),
    "memory bandwidth": ("B/s", "3.35 TB/s"),
    "dimensionless": ("", "0.8"),
    "money": ("USD", "30000 USD"),
    "energy price": ("USD/J", "80 USD/MWh"),
    "power price": ("USD/W", "11 USD/W"),
    "duration": ("s", "5 year"),
}

_FLOP_AMOUNT_HINT = (
    "; write a rate with a slash, '{suggestion}' "
    "('FLOPs' reads as a plural: an amount of FLOP, not a rate)"
)


def _article(dimension: str) -> str:
    return ("an " if dimension[0] in "aeiou" else "a ") + dimension


def _dimensionality(dimension: str) -> Any:
    unit = DIMENSIONS[dimension][0]
    return ureg.Quantity(1, unit).dimensionality


_NAMED_DIMENSIONS: dict[str, str] = {
    "W": "a power",
    "J": "an energy",
    "FLOP/s": "a compute rate",
    "FLOP": "an amount of FLOP",
    "B": "an amount of memory",
    "B/s": "a memory bandwidth",
    "kg": "a mass",
    "m": "a length",
    "s": "a time",
    "Hz": "a frequency",
    "USD": "an amount of money",
    "USD/J": "a price of energy",
    "USD/W": "a price of power",
    "": "a plain number",
}


def describe_dimension(quantity: pint.Quantity) -> str:
    """The dimension of ``quantity`` in words: "an energy", "an amount of FLOP"."""
    for unit, words in _NAMED_DIMENSIONS.items():
        if quantity.dimensionality == ureg.Quantity(1, unit).dimensionality:
            return words
    return f"of dimension {quantity.dimensionality}"


def parse_quantity(value: Any, dimension: str, name: str) -> pint.Quantity:
    """Read ``value`` as a quantity of ``dimension``, or raise :class:`UnitError`.

    Parameters
    ----------
    value : str, pint.Quantity
        "30 GW", "30GW", ``Quantity(30, "GW")`` or a quantity holding an array.
    dimension : str
        A key of :data:`DIMENSIONS`: "power", "energy", "compute rate", "memory",
        "memory bandwidth" or "dimensionless".
    name : str
        The argument's name, quoted in error messages.
    """
    example = DIMENSIONS[dimension][1]
    if isinstance(value, str):
        text = value.strip()
        try:
            quantity: pint.Quantity = ureg.Quantity(text)
        except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError) as error:
            hint = ""
            if re.search(r"flops\b", text, re.IGNORECASE):
                hint = "; write FLOP/s for a rate, for example '989.5 TFLOP/s'"
            raise UnitError(f"{name}: cannot read {value!r} ({error}){hint}") from None
        except Exception as error:  # pint raises several unrelated types on garbage
            raise UnitError(
                f"{name}: cannot read {value!r} as {_article(dimension)} such as {example!r}"
            ) from error
    elif isinstance(value, ureg.Quantity):
        quantity = value
    elif isinstance(value, pint.Quantity):
        raise UnitError(
            f"{name}: the quantity comes from another pint registry; "
            f"use capacity.units.ureg or pass a string such as {example!r}"
        )
    else:
        if dimension == "dimensionless":
            return ureg.Quantity(value, "")
        raise UnitError(
            f"{name}: needs {_article(dimension)} with a unit, such as {example!r}; got {value!r}"
        )
    if quantity.dimensionality != _dimensionality(dimension):
        message = (
            f"{name}: needs {_article(dimension)} (like {example!r}), "
            f"got {value!s}, which is {describe_dimension(quantity)}"
        )
        if dimension == "compute rate" and quantity.dimensionality == ureg.FLOP.dimensionality:
            written = (
                re.sub(r"(?i)flops?\b", "FLOP/s", str(value)) if isinstance(value, str) else None
            )
            message += _FLOP_AMOUNT_HINT.format(suggestion=written or "989.5 TFLOP/s")
        raise UnitError(message)
    return quantity


def to_si(value: Any, dimension: str, name: str) -> Any:
    """The magnitude of ``value`` in the model's SI unit for ``dimension`` (float or array)."""
    quantity = parse_quantity(value, dimension, name)
    magnitude = quantity.to(DIMENSIONS[dimension][0]).magnitude
    if isinstance(magnitude, np.ndarray):
        return magnitude.astype(np.float64)
    return float(magnitude)


_COUNT_SUFFIXES = {
    "": 1.0,
    "k": 1e3,
    "K": 1e3,
    "thousand": 1e3,
    "M": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "B": 1e9,
    "bn": 1e9,
    "billion": 1e9,
}
_COUNT_PATTERN = re.compile(
    r"^\s*(?P<number>[0-9][0-9_,]*(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)\s*(?P<suffix>[A-Za-z]*)\s*$"
)


def parse_count(value: Any, name: str = "count") -> float | None:
    """Read a number of accelerators: 200000, "200000", "200k", "4.5M", "1.2 million".

    Returns ``None`` when ``value`` is a string that is not a count (it may be a quantity);
    raises :class:`UnitError` for a count that is negative or not finite.
    """
    if isinstance(value, str):
        match = _COUNT_PATTERN.match(value)
        if match is None or match["suffix"] not in _COUNT_SUFFIXES:
            return None
        count = float(match["number"].replace(",", "").replace("_", ""))
        count *= _COUNT_SUFFIXES[match["suffix"]]
    elif isinstance(value, int | float) and not isinstance(value, bool):
        count = float(value)
    else:
        return None
    if not math.isfinite(count) or count < 0:
        raise UnitError(f"{name}: a number of accelerators must be finite and ≥ 0, got {value!r}")
    return count


def format_count(count: float) -> str:
    """Whole accelerators or systems for presentation: rounded down, with thousands separators."""
    return f"{math.floor(count * (1 + 1e-12)):,}"
