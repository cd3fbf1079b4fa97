"""Validation of the tables of a parsed TOML file, with errors that name the file and field.

Every reader of a data file (hardware profiles, grids, cost defaults, portfolios) checks its
tables through a :class:`TableReader`, so that every such error reads the same way::

    my-chip.toml: field 'system.power': needs a power (like '30 GW'), got 3 kg, which is a mass
    deals.toml: deal 'Alpha': field 'pue': must be ≥ 1, got 0.9

Reading the file itself (size limits, regular files, nesting) is :mod:`capacity.datafiles`'
business.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pint

from capacity.errors import CapacityError, ProfileError
from capacity.units import DIMENSIONS, parse_quantity

__all__ = ["TableReader"]


@dataclasses.dataclass(frozen=True)
class TableReader:
    """The fields of one table of a file: reads them and names them in errors.

    Attributes
    ----------
    where : str or Path
        The file (or what stands for it: "cost override"), first in every message.
    error : type
        The :class:`~capacity.errors.CapacityError` subclass raised.
    owner : str
        What the table belongs to, named before the field ("deal 'Alpha'"), or "".
    prefix : str
        The dotted path of the table, before each field's name ("system.").
    """

    where: str | Path
    error: type[CapacityError] = ProfileError
    owner: str = ""
    prefix: str = ""

    def within(self, name: str) -> TableReader:
        """A reader of the table ``name`` inside this one: its fields are ``name.FIELD``."""
        return dataclasses.replace(self, prefix=f"{self.prefix}{name}.")

    def about(self, owner: str) -> TableReader:
        """A reader of the fields of ``owner`` ("deal 'Alpha'", "[defaults]")."""
        return dataclasses.replace(self, owner=owner, prefix="")

    def name(self, field: str) -> str:
        """The field's full name, as messages quote it: "system.power"."""
        return f"{self.prefix}{field}"

    def fail(self, field: str, problem: str) -> CapacityError:
        """The error for ``field``: "FILE: [OWNER: ]field 'PATH.FIELD': PROBLEM"."""
        owner = f"{self.owner}: " if self.owner else ""
        return self.error(f"{self.where}: {owner}field '{self.name(field)}': {problem}")

    def table(self, value: Any, field: str, what: str = "a table") -> dict[str, Any]:
        """``value`` if it is a table; ``what`` says what it should be. None (a table left
        out: TOML has no null) is missing."""
        if value is None:
            raise self.fail(field, f"required, missing: write {what}")
        if not isinstance(value, dict):
            raise self.fail(field, f"must be {what}, got {value!r}")
        return value

    def check_keys(self, raw: Mapping[str, Any], known: Iterable[str]) -> None:
        """Refuse the first key of ``raw`` that is not one of ``known``, listing those."""
        names = tuple(known)
        for key in raw:
            if key not in names:
                raise self.fail(key, f"unknown field; known: {', '.join(names)}")

    def required(self, raw: Mapping[str, Any], key: str) -> Any:
        """``raw[key]``, or an error saying that the field is missing."""
        if key not in raw:
            raise self.fail(key, "required, missing")
        return raw[key]

    def text(self, raw: Mapping[str, Any], key: str) -> str:
        """A required non-empty string, stripped."""
        value = self.required(raw, key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"must be a non-empty string, got {value!r}")
        return value.strip()

    def optional_text(self, raw: Mapping[str, Any], key: str) -> str | None:
        """A string, stripped (it may be empty), or None where the field is left out."""
        if key not in raw:
            return None
        value = raw[key]
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, got {value!r}")
        return value.strip()

    def whole_number(
        self, raw: Mapping[str, Any], key: str, *, low: int, high: int, what: str
    ) -> int:
        """A required integer in [low, high] (never a bool); ``what`` names a good value for
        the message ("a year such as 2024")."""
        value = self.required(raw, key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(key, f"must be {what}, got {value!r}")
        return value

    def quantity(self, value: Any, field: str, dimension: str) -> pint.Quantity:
        """``value`` read by :func:`capacity.units.parse_quantity` as a quantity of
        ``dimension``; a bad unit or number is an error naming the field."""
        name = self.name(field)
        try:
            return parse_quantity(value, dimension, name)
        except CapacityError as error:
            raise self.fail(field, str(error).removeprefix(f"{name}: ")) from None

    def si(self, value: Any, field: str, dimension: str) -> float:
        """:meth:`quantity`'s magnitude in the model's SI unit for ``dimension``."""
        unit = DIMENSIONS[dimension][0]
        return float(self.quantity(value, field, dimension).to(unit).magnitude)
