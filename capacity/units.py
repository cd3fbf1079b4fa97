"""The package's one pint registry, and parsing of quantities and counts at the boundary.

Every public function and CLI option accepts a pint quantity or a string ("30 GW", "30GW",
"989.5 TFLOP/s"); inside, the model works on float64 (or float64 arrays) in SI units.

FLOP is its own dimension (``[computation]``) so that FLOP/s is a rate and cannot be mixed
up with an amount of FLOP. pint's default registry makes the bit dimensionless; this one
gives it the dimension ``[information]`` so that "80 GB" is checked as memory.
"""

from __future__ import annotations

import functools
import math
import re
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pint

from capacity import diskcache
from capacity.errors import UnitError
from capacity.grammar import NoNumberError, read_count, read_quantity_text

__all__ = [
    "DIMENSIONS",
    "JOULES_PER_TWH",
    "SECONDS_PER_DAY",
    "SECONDS_PER_HOUR",
    "SECONDS_PER_YEAR",
    "Quantity",
    "describe_dimension",
    "format_count",
    "magnitude_in",
    "parse_count",
    "parse_quantity",
    "quantity",
    "quantity_from_reference",
    "quantity_from_text",
    "quantity_reference",
    "to_si",
    "units_of",
    "ureg",
]


# Changes to pint's definitions, and units of its own: "bit" is information, FLOP is its
# own dimension, money is in US dollars only (prices in other currencies are converted at the
# source), and greenhouse gases are CO2-equivalent mass, a dimension of its own so that an
# emission is never mixed up with a mass of anything else.
_BIT = ("\nbit = []", "\nbit = [information]")
_EXTRA_DEFINITIONS = (
    "FLOP = [computation] = FLOP = flop",
    "USD = [currency] = _ = usd = dollar",
    "kgCO2e = [emission] = _ = kgCO2eq",
    "gCO2e = 1e-3 * kgCO2e = _ = gCO2eq",
    "tCO2e = 1e3 * kgCO2e = _ = tCO2eq",
    "MtCO2e = 1e9 * kgCO2e = _ = MtCO2eq",
)
_PINT_FILES = ("default_en.txt", "constants_en.txt")


# Every registry is made with force_ndarray_like: magnitudes are NumPy arrays (0-d for a
# scalar), as pint-xarray needs of the registry it quantifies with (capacity.ureg works with
# ds.pint.quantify).


def _definitions_text() -> str:
    """pint's default definitions, with the constants in place and :data:`_BIT` applied."""
    definitions = resources.files("pint")
    text = (definitions / _PINT_FILES[0]).read_text(encoding="utf-8")
    constants = (definitions / _PINT_FILES[1]).read_text(encoding="utf-8")
    text = text.replace(f"@import {_PINT_FILES[1]}", constants)
    return "\n".join([text.replace(*_BIT), *_EXTRA_DEFINITIONS])


def _registry_key() -> tuple[Any, ...]:
    """What the parsed definitions depend on: pint's files and version, this module."""
    folder = Path(str(resources.files("pint")))
    files = [folder / name for name in _PINT_FILES] + [Path(__file__)]
    return (pint.__version__, _BIT, _EXTRA_DEFINITIONS, diskcache.file_stamps(files))


def _build_registry() -> pint.UnitRegistry:
    """The registry, from definitions parsed once and kept in :mod:`capacity.diskcache`.

    Parsing pint's definition text takes most of the time of building a registry; parsed,
    the definitions are plain data that a fresh registry adds in a few milliseconds. This is
    what pint's own ``load_definitions`` does, in two steps.
    """
    key = _registry_key()
    cached = diskcache.load("units", key)
    if cached is not None:
        registry = _registry_from(cached)
        if registry is not None:
            return registry
    registry = pint.UnitRegistry(None, force_ndarray_like=True)
    text = _definitions_text()
    parser = getattr(registry, "_def_parser", None)
    if parser is None or not hasattr(registry, "_helper_dispatch_adder"):
        registry.load_definitions(text.splitlines())  # another pint: its public way, uncached
        return registry
    definitions = list(parser.iter_parsed_project(parser.parse_string(text)))
    for definition in definitions:
        registry._helper_dispatch_adder(definition)
    diskcache.store("units", key, definitions)
    return registry


def _registry_from(definitions: list[Any]) -> pint.UnitRegistry | None:
    """A registry of cached definitions, or None where they do not fit this pint."""
    registry: pint.UnitRegistry = pint.UnitRegistry(None, force_ndarray_like=True)
    try:
        for definition in definitions:
            registry._helper_dispatch_adder(definition)
    except Exception:  # written by another pint: build afresh
        return None
    return registry


ureg: pint.UnitRegistry = _build_registry()
Quantity = ureg.Quantity

# pint's year is the Julian year, 365.25 days (docs/model.md#average-power-and-energy).
SECONDS_PER_YEAR: float = float(ureg.Quantity(1, "year").to("s").magnitude)
SECONDS_PER_DAY: float = float(ureg.Quantity(1, "day").to("s").magnitude)
SECONDS_PER_HOUR: float = float(ureg.Quantity(1, "hour").to("s").magnitude)
# Energies are computed in J and shown in TWh.
JOULES_PER_TWH: float = float(ureg.Quantity(1, "TWh").to("J").magnitude)

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
    "carbon intensity": ("kgCO2e/J", "400 gCO2e/kWh"),
    "water intensity": ("m**3/J", "1.8 L/kWh"),
    "emissions": ("kgCO2e", "1 MtCO2e"),
    "volume": ("m**3", "1e6 m**3"),
    "money per accelerator": ("USD", "5000 USD"),
    "power price per year": ("USD/J", "100 USD/kW/year"),
}

_FLOP_AMOUNT_HINT = (
    "; write a rate with a slash, '{suggestion}' "
    "('FLOPs' reads as a plural: an amount of FLOP, not a rate)"
)


def _article(dimension: str) -> str:
    return ("an " if dimension[0] in "aeiou" else "a ") + dimension


@functools.cache
def _dimensionality(dimension: str) -> Any:
    return units_of(DIMENSIONS[dimension][0]).dimensionality


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
    "kgCO2e": "an emission (CO2e mass)",
    "kgCO2e/J": "a carbon intensity",
    "m**3": "a volume",
    "m**3/J": "a water intensity",
    "": "a plain number",
}


def quantity_reference(value: Any) -> tuple[Any, ...] | None:
    """A picklable stand-in for a quantity of :data:`ureg` (its magnitude and units), or
    None for anything else: what :mod:`capacity.diskcache` stores in place of a quantity."""
    if isinstance(value, ureg.Quantity):
        return ("quantity", value.magnitude, tuple(value._units.items()))
    return None


def quantity_from_reference(reference: tuple[Any, ...]) -> pint.Quantity:
    """The quantity of :data:`ureg` that :func:`quantity_reference` stood in for."""
    kind, magnitude, units = reference
    if kind != "quantity":
        raise ValueError(f"not a quantity reference: {kind!r}")
    return ureg.Quantity(magnitude, _units_container(units))


@functools.lru_cache(maxsize=256)
def _units_container(units: tuple[tuple[str, Any], ...]) -> Any:
    # The registry defines a prefixed unit ("kilowatt") when it first reads its name; a
    # quantity rebuilt from the cache skips that reading, and formatting it (``~P``) would
    # then fail to find the unit's symbol.
    for name, _ in units:
        ureg.get_name(name)
    return pint.util.UnitsContainer(dict(units))


def describe_dimension(quantity: pint.Quantity) -> str:
    """The dimension of ``quantity`` in words: "an energy", "an amount of FLOP"."""
    for unit, words in _NAMED_DIMENSIONS.items():
        if quantity.dimensionality == ureg.Quantity(1, unit).dimensionality:
            return words
    return f"of dimension {quantity.dimensionality}"


def parse_quantity(value: Any, dimension: str, name: str) -> pint.Quantity:
    """Read ``value`` as a quantity of ``dimension``, or raise :class:`UnitError`.

    Text follows :mod:`capacity.grammar`: one number and one unit, never arithmetic.

    Parameters
    ----------
    value : str, pint.Quantity
        "30 GW", "30GW", "1,500 MW", ``Quantity(30, "GW")`` or a quantity holding an array.
    dimension : str
        A key of :data:`DIMENSIONS`: "power", "energy", "compute rate", "memory",
        "memory bandwidth" or "dimensionless".
    name : str
        The argument's name, quoted in error messages.
    """
    return _quantity_and_si(value, dimension, name)[0]


def _quantity_and_si(value: Any, dimension: str, name: str) -> tuple[pint.Quantity, Any]:
    """:func:`parse_quantity`'s quantity, and its magnitude in the model's SI unit."""
    example = DIMENSIONS[dimension][1]
    if isinstance(value, str):
        quantity = quantity_from_text(value, name, hint=example)
    elif isinstance(value, ureg.Quantity):
        quantity = value
    elif isinstance(value, pint.Quantity):
        raise UnitError(
            f"{name}: the quantity comes from another pint registry; "
            f"use capacity.units.ureg or pass a string such as {example!r}"
        )
    elif dimension == "dimensionless" and _is_real(value):
        quantity = ureg.Quantity(value, ureg.dimensionless)
    elif _is_real(value):
        raise UnitError(
            f"{name}: needs {_article(dimension)} with a unit, such as {example!r}; got {value!r}"
        )
    else:
        raise UnitError(
            f"{name}: needs {_article(dimension)} such as {example!r} (a string or a "
            f"capacity.ureg quantity); got {type(value).__name__} {value!r}"
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
    return quantity, _checked_si(quantity, dimension, name, value)


def _is_real(value: Any) -> bool:
    """A real number or an array of them (bool is not a number here)."""
    if isinstance(value, bool | np.bool_):
        return False
    if isinstance(value, int | float | np.integer | np.floating):
        return True
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "iuf"
    return False


def quantity_from_text(text: str, name: str, hint: str = "30 GW") -> pint.Quantity:
    """The quantity ``text`` spells in :mod:`capacity.grammar`, in the unit it was written in.

    >>> quantity_from_text("1 500 MW", "power")
    <Quantity(1500.0, 'megawatt')>
    """
    try:
        number, unit_text = read_quantity_text(text, name)
    except NoNumberError:
        raise NoNumberError(
            f"{name}: cannot read {text!r}: write a number and its unit, such as {hint!r}"
        ) from None
    if unit_text == "%":
        unit_text = "percent"
    try:
        units = units_of(unit_text)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError) as error:
        flop_hint = ""
        if re.search(r"flops\b", text, re.IGNORECASE):
            flop_hint = "; write FLOP/s for a rate, for example '989.5 TFLOP/s'"
        raise UnitError(f"{name}: cannot read {text!r} ({error}){flop_hint}") from None
    except Exception:  # pint raises several unrelated types on unit text it cannot read
        raise UnitError(
            f"{name}: cannot read the unit of {text!r}; write it like {hint!r}"
        ) from None
    return ureg.Quantity(number, units)


@functools.lru_cache(maxsize=512)
def units_of(unit_text: str) -> Any:
    """The unit ``unit_text`` names, parsed once: pint parses a compound unit ("FLOP/s") or
    "" again at every use, which costs more than the arithmetic of a small call."""
    return ureg.parse_units(unit_text) if unit_text else ureg.dimensionless


def quantity(magnitude: Any, unit_text: str) -> pint.Quantity:
    """``ureg.Quantity(magnitude, unit_text)``, with the unit parsed once (:func:`units_of`).

    >>> quantity(2.5, "FLOP/s")
    <Quantity(2.5, 'FLOP / second')>
    """
    return ureg.Quantity(magnitude, units_of(unit_text))


def magnitude_in(value: pint.Quantity, unit_text: str) -> Any:
    """The magnitude of ``value`` in ``unit_text`` (``value.to(unit_text).magnitude``, with
    the unit parsed once)."""
    return value.to(units_of(unit_text)).magnitude


def _checked_si(quantity: pint.Quantity, dimension: str, name: str, written: Any) -> Any:
    """The magnitude of ``quantity`` in the model's SI unit, once every element is checked
    finite, in the unit written and in that unit."""
    magnitude = np.asarray(quantity.magnitude, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused just below
        in_si = magnitude_in(quantity, DIMENSIONS[dimension][0])
    si = np.asarray(in_si, dtype=np.float64)
    if not (np.all(np.isfinite(magnitude)) and np.all(np.isfinite(si))):
        shown = written if isinstance(written, str) else quantity
        if not np.all(np.isfinite(magnitude)):
            raise UnitError(f"{name}: must be finite, got {shown!s}")
        unit = DIMENSIONS[dimension][0] or "plain numbers"
        raise UnitError(f"{name}: {shown!s} is too large to represent in {unit}")
    return in_si


def to_si(value: Any, dimension: str, name: str) -> Any:
    """The magnitude of ``value`` in the model's SI unit for ``dimension`` (float or array)."""
    magnitude = _quantity_and_si(value, dimension, name)[1]
    if np.ndim(magnitude):
        return np.asarray(magnitude, dtype=np.float64)
    return float(magnitude)  # the registry keeps even a scalar's magnitude as a 0-d array


def parse_count(value: Any, name: str = "count") -> float | None:
    """Read a number of accelerators: 200000, "200000", "200 000", "200k", "4.5M", "1.2 million".

    Returns ``None`` when ``value`` is a string that is a number followed by something other
    than a count multiplier (it may be a quantity, "30 GW") or does not start with a number;
    raises :class:`UnitError` for a count that is negative or not finite, or for malformed
    digit groups ("1,5").
    """
    if isinstance(value, str):
        count = read_count(value, name)
        if count is None:
            return None
    elif _is_real(value) and np.ndim(value) == 0:
        count = float(value)
    else:
        return None
    if not math.isfinite(count) or count < 0:
        raise UnitError(f"{name}: a number of accelerators must be finite and ≥ 0, got {value!r}")
    return count


def format_count(count: float) -> str:
    """Whole accelerators or systems for presentation: rounded down, with thousands separators."""
    return f"{math.floor(count * (1 + 1e-12)):,}"
