"""Carbon and water of a fleet: the site region's figures and the equations that use them.

:func:`site` picks the site region of a calculation (a grid id, ``region="texas"``; CLI
``--grid texas``) and gathers its carbon intensity, the water intensity of its generation and
its industrial electricity price, falling back to a parent region's figure where the region
has none, and the site's water usage effectiveness (WUE) for its cooling type
(``capacity/data/cooling.toml``). The equations are plain functions of SI floats or arrays
(:func:`annual_emissions`, :func:`annual_water`) so that sweeps and Monte Carlo runs evaluate
the same formula (docs/model.md#carbon-and-water).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pint

from capacity.checks import one_of, optional_text
from capacity.datafiles import read_toml
from capacity.defaults import COOLING_TYPES, DEFAULTS
from capacity.errors import InputError
from capacity.figures import Figure, cached_reading, read_figure
from capacity.grids import SITE_FIELDS, Grid, GridSet, known_grids, named_grids
from capacity.tomlread import TableReader
from capacity.units import magnitude_in, quantity, units_of

__all__ = [
    "COOLING_FILE",
    "COOLING_TYPES",
    "Environment",
    "Site",
    "annual_emissions",
    "annual_generation_water",
    "annual_site_water",
    "annual_water",
    "cooling_wue",
    "environment",
    "site",
]

COOLING_FILE = "cooling.toml"
DEFAULT_REGION = DEFAULTS.default_region
DEFAULT_COOLING = DEFAULTS.cooling


def annual_emissions(annual_energy: Any, carbon_intensity: Any) -> Any:
    """Location-based emissions of a year: ``E_year × CI``. [kgCO2e/year]

    ``annual_energy`` in J per year, ``carbon_intensity`` in kgCO2e/J.

    >>> round(annual_emissions(3.6e15, 400e-3 / 3.6e6) / 1e3)  # 1 TWh at 400 g/kWh, in t
    400000
    """
    return np.asarray(annual_energy) * carbon_intensity


def annual_water(annual_energy: Any, pue: Any, wue: Any, water_intensity: Any) -> Any:
    """Water consumed in a year: ``WUE × E_year / PUE + WI × E_year``. [m³/year]

    ``annual_energy`` (facility energy) in J per year; ``wue`` (per J of IT energy) and
    ``water_intensity`` (per J generated) in m³/J.

    >>> kwh = 3.6e6
    >>> round(annual_water(1e6 * kwh, 1.25, 0.4e-3 / kwh, 2e-3 / kwh))  # m³ for 1 GWh
    2320
    """
    return annual_site_water(annual_energy, pue, wue) + annual_generation_water(
        annual_energy, water_intensity
    )


def annual_site_water(annual_energy: Any, pue: Any, wue: Any) -> Any:
    """Water consumed on site in a year: ``WUE × E_year / PUE``, the first term of
    :func:`annual_water`. [m³/year]"""
    return wue * np.asarray(annual_energy) / np.asarray(pue)


def annual_generation_water(annual_energy: Any, water_intensity: Any) -> Any:
    """Water consumed at the power plants in a year: ``WI × E_year``, the second term of
    :func:`annual_water`. [m³/year]"""
    return water_intensity * np.asarray(annual_energy)


@dataclass(frozen=True)
class Site:
    """The site region of a calculation and the figures it gives.

    A figure is None where neither the region nor any parent region has one; ``origin``
    names the region each figure came from.
    """

    region: str
    cooling: str
    wue: Figure
    carbon_intensity: Figure | None
    water_intensity: Figure | None
    electricity_price: Figure | None
    origin: Mapping[str, str] = field(default_factory=dict)

    def notes(self) -> list[str]:
        """A line for each figure taken from a parent region, missing, or flagged."""
        lines = []
        for name, (_, unit, label) in SITE_FIELDS.items():
            figure = getattr(self, name)
            if figure is None:
                lines.append(f"region {self.region} has no {label}")
                continue
            source = self.origin.get(name, self.region)
            if source != self.region:
                lines.append(
                    f"region {self.region} has no {label} of its own: {source}'s "
                    f"{_shown(figure, unit)} stands in"
                )
            if figure.flagged:
                lines.append(
                    f"{label} of {source} = {_shown(figure, unit)} [{figure.confidence}]: "
                    f"{figure.summary or figure.source}"
                )
        if self.wue.flagged:
            lines.append(
                f"site WUE ({self.cooling} cooling) = {_shown(self.wue, 'L/kWh')} "
                f"[{self.wue.confidence}]: {self.wue.summary or self.wue.source}"
            )
        return lines

    def to_dict(self) -> dict[str, Any]:
        """The region, the cooling and each figure with its unit, grade and origin."""
        document: dict[str, Any] = {"region": self.region, "cooling": self.cooling}
        units = {"wue": "L/kWh", **{name: spec[1] for name, spec in SITE_FIELDS.items()}}
        for name, unit in units.items():
            figure = getattr(self, name)
            key = f"{name}_{unit.lower().replace('/', '_per_')}"
            document[key] = (
                None
                if figure is None
                else {
                    "value": float(magnitude_in(figure.value, unit)),
                    "low": None if figure.low is None else float(magnitude_in(figure.low, unit)),
                    "high": None
                    if figure.high is None
                    else float(magnitude_in(figure.high, unit)),
                    "confidence": figure.confidence,
                    "source": figure.source,
                    "from": self.origin.get(name, self.region),
                }
            )
        return document


def _shown(figure: Figure, unit: str) -> str:
    return f"{magnitude_in(figure.value, unit):.4g} {unit}"


@cache
def _builtin_cooling() -> tuple[tuple[str, Figure], ...]:
    """The WUE of each cooling type, read once and kept on disk until the file changes."""
    path = Path(str(resources.files("capacity.data") / COOLING_FILE))
    return cached_reading("cooling", [path], lambda: _read_cooling_file(path), __file__)


def _read_cooling_file(path: Path) -> tuple[tuple[str, Figure], ...]:
    raw = read_toml(path, what="cooling file")
    reader = TableReader(path)
    reader.check_keys(raw, COOLING_TYPES)
    figures = []
    for name in COOLING_TYPES:
        table = reader.table(reader.required(raw, name), name, f"a table [{name}]")
        fields = reader.within(name)
        fields.check_keys(table, ("name", "wue"))
        wue = read_figure(
            fields.required(table, "wue"), fields, "wue", "water intensity", "non-negative"
        )
        figures.append((name, wue))
    return tuple(figures)


def cooling_wue(cooling: str = DEFAULT_COOLING) -> Figure:
    """The sourced WUE of a cooling type, one of :data:`COOLING_TYPES`. [m³/J]"""
    one_of(cooling, COOLING_TYPES, "cooling")
    return dict(_builtin_cooling())[cooling]


def site(
    region: str | Grid | None = None,
    *,
    grids: Iterable[str | Grid] | None = None,
    grid_set: GridSet | None = None,
    cooling: str = DEFAULT_COOLING,
    wue: Any = None,
) -> Site:
    """The site region and its figures.

    Parameters
    ----------
    region : str or Grid, optional
        The site's grid id ("texas"). Default: the first of ``grids`` with a site figure of
        its own or through a parent, else ``"us"``.
    grids : iterable of str or Grid, optional
        The reference grids of the calculation (where the default region is looked for).
    grid_set : GridSet, optional
        Known grids (default: built-in plus ``$CAPACITY_GRIDS``).
    cooling : {"average", "evaporative", "closed-loop"}
        The site's cooling type, for its sourced WUE.
    wue : str or quantity, optional
        The site's WUE for this run ("0.2 L/kWh"), graded ``user-override``.
    """
    known = known_grids(grid_set)
    chosen: Grid | None = None
    if isinstance(region, Grid):
        chosen = region
    elif region is not None:
        if optional_text(region, "region") is None:
            raise InputError("region must be a grid id such as 'texas'")
        chosen = known[region]
    else:
        for grid in named_grids(grids, known):
            if any(known.site_figure(grid, name)[0] is not None for name in SITE_FIELDS):
                chosen = grid
                break
        if chosen is None:
            chosen = known[DEFAULT_REGION]
    site_wue = cooling_wue(cooling)
    if wue is not None:
        written = (
            wue if isinstance(wue, str | int | float) and not isinstance(wue, bool) else str(wue)
        )
        table = {
            "value": written,
            "confidence": "user-override",
            "source": "set for this run (wue)",
        }
        site_wue = read_figure(
            table, TableReader("site"), "wue", "water intensity", "non-negative"
        )
    figures: dict[str, Figure | None] = {}
    origin: dict[str, str] = {}
    for name in SITE_FIELDS:
        figure, source = known.site_figure(chosen, name)
        figures[name] = figure
        origin[name] = source.id
    return Site(
        region=chosen.id, cooling=cooling, wue=site_wue,
        carbon_intensity=figures["carbon_intensity"], water_intensity=figures["water_intensity"],
        electricity_price=figures["electricity_price"], origin=origin,
    )  # fmt: skip


@dataclass(frozen=True)
class Environment:
    """A fleet's annual emissions and water. Quantities; None where the region lacks the
    intensity."""

    region: str
    emissions: pint.Quantity | None
    """Location-based emissions. [tCO2e/year]"""
    water: pint.Quantity | None
    """Site plus generation water. [m³/year]"""
    site_water: pint.Quantity
    """WUE × IT energy. [m³/year]"""
    generation_water: pint.Quantity | None
    """Water intensity of generation × facility energy. [m³/year]"""

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "emissions_tco2e_per_year": _number(self.emissions, "tCO2e/year"),
            "water_m3_per_year": _number(self.water, "m**3/year"),
            "site_water_m3_per_year": _number(self.site_water, "m**3/year"),
            "generation_water_m3_per_year": _number(self.generation_water, "m**3/year"),
        }


def _number(value: pint.Quantity | None, unit: str) -> Any:
    if value is None:
        return None
    magnitude = np.asarray(magnitude_in(value, unit), dtype=np.float64)
    if magnitude.ndim:
        return [x if math.isfinite(x) else None for x in magnitude.ravel().tolist()]
    number = float(magnitude)
    return number if math.isfinite(number) else None


def environment(annual_energy_j: Any, pue: Any, place: Site) -> Environment:
    """Emissions and water of a fleet drawing ``annual_energy_j`` (J per year) at ``pue``."""
    per_year = "m**3/year"
    site_water = quantity(annual_site_water(annual_energy_j, pue, place.wue.si), per_year)
    generation = None
    total = None
    if place.water_intensity is not None:
        generation = quantity(
            annual_generation_water(annual_energy_j, place.water_intensity.si), per_year
        )
        total = site_water + generation
    emissions = None
    if place.carbon_intensity is not None:
        emissions = quantity(
            annual_emissions(annual_energy_j, place.carbon_intensity.si), "kgCO2e/year"
        ).to(units_of("tCO2e/year"))
    return Environment(
        region=place.region, emissions=emissions, water=total,
        site_water=site_water, generation_water=generation,
    )  # fmt: skip
