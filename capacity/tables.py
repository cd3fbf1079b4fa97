"""Results as tables: tidy rows (entity, output, value, unit) and pandas DataFrames.

Every result's JSON document (its ``to_dict()``) names the unit of each number in its key
("it_power_w", "annual_energy_twh", "capex_usd"); :func:`document_rows` reads the document
into tidy rows, one per entity and output, with the unit in a column of its own. Nothing
here lists a result's outputs: a number a result adds to its document reaches the CSV, the
DataFrames, the spreadsheets and the HTML report without a change here.

- ``*_by_chip`` and ``*_by_deal`` mappings become one row per chip or deal;
- ``grid_share`` becomes ``grid_share_energy_basis_GRID`` and
  ``grid_share_capacity_basis_GRID``: a share always says its basis;
- lists of numbers (a conversion of arrays) become one row per point, numbered.

pandas is imported only when a DataFrame is built.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "TIDY_COLUMNS",
    "document_rows",
    "frame",
    "label_of",
    "plain",
    "unit_of",
    "wide_frame",
    "wide_rows",
]

# The columns of a tidy table, in order; a table may add key columns before "value".
TIDY_COLUMNS = ("entity", "output", "value", "unit")

# Key suffixes → the unit they name, longest first (checked in order).
UNIT_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_usd_per_delivered_eflop", "USD/EFLOP"),
    ("_usd_per_year", "USD/year"),
    ("_usd_per_gw", "USD/GW"),
    ("_usd_per_mwh", "USD/MWh"),
    ("_flop_per_s", "FLOP/s"),
    ("_tco2e_per_year", "t CO2e/year"),
    ("_tco2e", "t CO2e"),
    ("_kgco2e", "kg CO2e"),
    ("_m3_per_year", "m³/year"),
    ("_m3", "m³"),
    ("_twh", "TWh"),
    ("_usd", "USD"),
    ("_w", "W"),
    ("_j", "J"),
)
# Keys that name their unit whole.
UNIT_NAMES: dict[str, str] = {
    "flop_per_year": "FLOP/year",
    "accelerators": "1",
    "accelerators_online": "1",
    "systems": "1",
    "system_accelerators": "1",
    "dies": "1",
    "h100_equivalents": "1",
    "pue": "1",
    "utilization": "1",
    "mfu": "1",
    "share": "1",
    "online_fraction": "1",
    "load_factor": "1",
}
# Numbers of a document that describe the run, not the answer.
RUN_KEYS = frozenset(
    {"seconds", "compute_seconds", "points", "samples", "seed", "passes", "pilot_samples",
     "index", "feasible_points", "quantile_resolution"}
)  # fmt: skip
# Mappings whose keys are already distinct outputs: read in place, without a prefix.
SECTIONS = frozenset({"costs", "environment"})
_BY_ENTITY = ("_by_chip", "_by_deal")


# Money per something: "capex_usd_per_accelerator", "annual_cost_usd_per_year_per_gw".
_MONEY = re.compile(r"_usd((?:_per_[a-z0-9]+)+)$")
_PER = {"gw": "GW", "mw": "MW", "mwh": "MWh", "kw": "kW", "w": "W"}


def unit_of(output: str) -> str:
    """The unit an output's name says: "W" for "it_power_w", "1" for a share, "" if none."""
    if output in UNIT_NAMES:
        return UNIT_NAMES[output]
    if output.startswith("grid_share") or output.endswith("_share"):
        return "1"
    for suffix, unit in UNIT_SUFFIXES:
        if output.endswith(suffix):
            return unit
    money = _MONEY.search(output)
    if money:
        pers = money.group(1).removeprefix("_per_").split("_per_")
        return "USD" + "".join(f"/{_PER.get(per, per)}" for per in pers)
    return ""


# Outputs in words, for tables people read; any other output reads as its name without its
# unit suffix.
LABELS = {
    "accelerators": "accelerators",
    "systems": "reference systems",
    "it_power_per_accelerator_w": "IT power per accelerator",
    "it_power_w": "IT power",
    "facility_power_w": "facility power (provisioned)",
    "average_facility_power_w": "average facility power",
    "annual_energy_twh": "annual energy",
    "peak_flop_per_s": "peak compute",
    "delivered_flop_per_s": "delivered compute",
    "flop_per_year": "delivered FLOP per year",
    "h100_equivalents": "H100-equivalents",
    "hardware_capex_usd": "hardware capex",
    "facility_capex_usd": "facility capex",
    "capex_usd": "capex",
    "annual_energy_cost_usd_per_year": "annual energy cost",
    "annualized_capex_usd_per_year": "annualized capex",
    "annual_cost_usd_per_year": "annual cost of ownership",
    "capex_usd_per_gw": "capex per GW",
    "cost_usd_per_delivered_eflop": "cost per delivered EFLOP",
    "announced_value_usd": "announced value",
    # the names of sweeps' and Monte Carlo runs' summaries
    "peak_flops": "peak compute",
    "delivered_flops": "delivered compute",
    "average_power": "average facility power",
    "average_facility_power": "average facility power",
    "facility_power": "facility power",
    "it_power": "IT power",
    "annual_energy": "annual energy",
    "annual_cost": "annual cost",
}


def label_of(output: str) -> str:
    """An output in words: "IT power" for "it_power_w", "share of us (energy basis)"."""
    if output in LABELS:
        return LABELS[output]
    if output.startswith("grid_share_") and "_basis_" in output:
        basis, _, grid = output.removeprefix("grid_share_").partition("_basis_")
        return f"share of {grid} ({basis} basis)"
    money = _MONEY.search(output)
    if money and output not in LABELS:
        pers = [p for p in money.group(1).removeprefix("_per_").split("_per_") if p != "year"]
        base = output[: money.start()].replace("_", " ")
        return base + "".join(f" per {_PER.get(per, per)}" for per in pers)
    for suffix, _ in UNIT_SUFFIXES:
        if output.endswith(suffix):
            output = output[: -len(suffix)]
            break
    return output.replace("_", " ")


def plain(document: Any) -> Any:
    """``document`` with NumPy numbers and arrays as Python numbers and lists, as JSON takes
    them (pint's magnitudes are 0-d arrays: :data:`capacity.ureg` forces arrays, as
    pint-xarray needs)."""
    if isinstance(document, dict):
        return {key: plain(value) for key, value in document.items()}
    if isinstance(document, list | tuple):
        return [plain(value) for value in document]
    np = sys.modules.get("numpy")  # a document holds NumPy values only where NumPy is loaded
    if np is not None and isinstance(document, np.ndarray):
        return document.item() if document.ndim == 0 else plain(document.tolist())
    if np is not None and isinstance(document, np.generic):
        return document.item()
    return document


def _plain_numbers(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document with 0-d NumPy arrays and NumPy scalars as Python numbers and arrays as
    lists (pint's magnitudes are 0-d arrays under ``force_ndarray_like``)."""
    import numpy as np

    def plain(value: Any) -> Any:
        if isinstance(value, np.ndarray):
            return value.item() if value.ndim == 0 else value.ravel().tolist()
        if isinstance(value, np.generic):
            return value.item()
        return value

    return {key: plain(value) for key, value in document.items()}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numbers(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_number(v) for v in value)


def _row(entity: str, output: str, value: Any, point: int | None) -> dict[str, Any]:
    row: dict[str, Any] = {"entity": entity, "output": output}
    if point is not None:
        row["point"] = point
    number = float(value) if _is_number(value) else math.nan
    return row | {"value": number, "unit": unit_of(output)}


def document_rows(
    document: Mapping[str, Any], entity: str = "total", skip: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """Tidy rows (entity, output, [point,] value, unit) of a result's JSON document.

    Parameters
    ----------
    document : mapping
        A ``to_dict()`` document: numbers under keys that name their unit.
    entity : str
        The entity of the document's own numbers ("total", a deal's name, a year).
    skip : iterable of str
        Keys to leave out, besides text, flags and the run's own figures (:data:`RUN_KEYS`).

    Examples
    --------
    >>> document_rows({"it_power_w": 5.0, "accelerators_by_chip": {"h100-sxm": 2.0}})
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'entity': 'total', 'output': 'it_power_w', 'value': 5.0, 'unit': 'W'},
     {'entity': 'h100-sxm', 'output': 'accelerators', 'value': 2.0, 'unit': '1'}]
    """
    skipped = set(skip) | RUN_KEYS
    rows: list[dict[str, Any]] = []
    for key, value in _plain_numbers(document).items():
        if key in skipped or isinstance(value, bool | str):
            continue
        if value is None:
            if unit_of(key):  # an output that is unavailable (a missing price): kept, empty
                rows.append(_row(entity, key, None, None))
        elif _is_number(value):
            rows.append(_row(entity, key, value, None))
        elif _numbers(value):
            rows += [_row(entity, key, v, point) for point, v in enumerate(value)]
        elif isinstance(value, Mapping):
            rows += _mapping_rows(key, value, entity, skipped)
    return rows


def _mapping_rows(
    key: str, value: Mapping[str, Any], entity: str, skip: set[str]
) -> list[dict[str, Any]]:
    if key == "grid_share":
        rows = []
        for grid, shares in value.items():
            if not isinstance(shares, Mapping):
                continue
            for basis, share in shares.items():
                if basis in ("energy", "capacity") and share is not None:
                    wrapped = {f"grid_share_{basis}_basis_{grid}": share}
                    rows += document_rows(wrapped, entity, skip)
        return rows
    if key in SECTIONS:
        return document_rows(value, entity, skip)
    for marker in _BY_ENTITY:
        if marker in key:
            output = key.replace(marker, "")
            rows = []
            for name, inner in value.items():
                if isinstance(inner, Mapping):
                    rows += document_rows(inner, str(name), skip)
                else:
                    rows += document_rows({output: inner}, str(name), skip)
            return rows
    return []  # other mappings (inputs, histograms) describe the run, not an entity's output


def wide_rows(
    rows: Sequence[Mapping[str, Any]], keys: Sequence[str] = ("entity",), column: str = "output"
) -> list[dict[str, Any]]:
    """Tidy rows pivoted to one row per ``keys``, one column per ``column`` value, in the
    order first seen."""
    table: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        index = tuple(row[k] for k in keys if k in row)
        wide = table.setdefault(index, {k: row[k] for k in keys if k in row})
        wide[str(row[column])] = row["value"]
    return list(table.values())


def frame(rows: Sequence[Mapping[str, Any]], **attrs: Any) -> Any:
    """A pandas DataFrame of tidy rows; ``attrs`` (a title, the command) in ``DataFrame.attrs``."""
    import pandas as pd

    columns = list(dict.fromkeys(k for row in rows for k in row)) or list(TIDY_COLUMNS)
    table = pd.DataFrame(list(rows), columns=columns)
    table.attrs.update(attrs)
    return table


def wide_frame(
    rows: Sequence[Mapping[str, Any]], keys: Sequence[str] = ("entity",),
    column: str = "output", **attrs: Any,
) -> Any:  # fmt: skip
    """A pandas DataFrame with one row per ``keys`` and one column per output, whose units are
    in ``DataFrame.attrs["units"]`` (and in the column names, which name them)."""
    table = frame(wide_rows(rows, keys, column), **attrs)
    units = {str(row[column]): row.get("unit", "") for row in rows}
    table.attrs["units"] = units
    return table
