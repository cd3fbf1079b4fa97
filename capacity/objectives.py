"""Objectives and constraints of a sweep, from text such as ``max-delivered-flops`` and
``grid-share:global-datacenters<=0.3``.

A *measure* is an output at a point: one of the kernel's six quantities times a positive
factor (annual energy is average power × 1 year; a grid share is average power over the
grid's average load), so a bound on a measure is a bound on a quantity. Mix constraints
(``vendor-share``, ``chip-share``) depend on the mix alone and become a mask over mixes.

Measures: accelerators, peak-flops, delivered-flops, h100-equivalents, average-power,
annual-energy, facility-power, it-power, grid-share:GRID (energy basis) and
grid-capacity-share:GRID, emissions and water (at the sweep's site region, or
emissions:REGION, water:REGION). Mix shares (of provisioned IT power): vendor-share (every vendor),
vendor-share:VENDOR, chip-share:CHIP.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from capacity.defaults import DEFAULTS
from capacity.environment import Site, site
from capacity.errors import CapacityError, InputError, UnitError
from capacity.grids import GridSet
from capacity.kernels.point import QUANTITIES
from capacity.kernels.problem import SweepProblem
from capacity.profiles import Profile
from capacity.units import SECONDS_PER_YEAR, parse_count, to_si

__all__ = [
    "MEASURE_NAMES",
    "Constraint",
    "Measure",
    "MixConstraint",
    "Objective",
    "measure",
    "parse_constraint",
    "parse_objective",
]

MEASURE_NAMES = (
    "accelerators",
    "peak-flops",
    "delivered-flops",
    "h100-equivalents",
    "average-power",
    "annual-energy",
    "facility-power",
    "it-power",
    "grid-share:GRID",
    "grid-capacity-share:GRID",
    "emissions",
    "water",
    "emissions:REGION",
    "water:REGION",
)
MIX_MEASURES = ("vendor-share", "vendor-share:VENDOR", "chip-share:CHIP")
# Mix shares are sums of exact multiples of a step; compare them with this slack.
_SHARE_SLACK = 1e-9


@dataclass(frozen=True)
class Measure:
    """An output at a point: ``factor × quantity`` of the kernel, in ``unit`` (SI)."""

    name: str
    quantity: int
    factor: float
    unit: str
    dimension: str


def measure(
    name: str, grids: GridSet, reference_flops: float, place: Site | None = None,
    pue: Any = None,
) -> Measure:  # fmt: skip
    """The measure called ``name`` (see :data:`MEASURE_NAMES`).

    ``emissions`` and ``water`` are at the sweep's site region ``place`` (or at REGION, as
    ``emissions:texas``): average facility power × 1 year × the region's carbon intensity, and
    × (WUE ÷ PUE + water intensity of generation), which is one factor only when the sweep has
    one PUE value (``pue``, the PUE axis).
    """
    base, _, argument = name.partition(":")
    if base in ("emissions", "water"):
        return _environment_measure(name, base, argument, grids, place, pue)
    simple = {
        "accelerators": ("accelerators", 1.0, "", "dimensionless"),
        "peak-flops": ("peak_flops", 1.0, "FLOP/s", "compute rate"),
        "delivered-flops": ("delivered_flops", 1.0, "FLOP/s", "compute rate"),
        "average-power": ("average_facility_power", 1.0, "W", "power"),
        "annual-energy": ("average_facility_power", SECONDS_PER_YEAR, "J", "energy"),
        "facility-power": ("facility_power", 1.0, "W", "power"),
        "it-power": ("it_power", 1.0, "W", "power"),
    }
    if base == "h100-equivalents" and not argument:
        if not reference_flops:
            raise InputError("h100-equivalents: the H100 has no FLOP/s at this precision")
        return Measure(name, QUANTITIES.index("peak_flops"), 1 / reference_flops, "",
                       "dimensionless")  # fmt: skip
    if base in simple and not argument:
        quantity, factor, unit, dimension = simple[base]
        return Measure(name, QUANTITIES.index(quantity), factor, unit, dimension)
    if base in ("grid-share", "grid-capacity-share"):
        if not argument:
            known = ", ".join(grids)
            raise InputError(f"{base} needs a grid: {base}:GRID, with GRID one of {known}")
        grid = grids[argument]
        if base == "grid-share":
            factor = SECONDS_PER_YEAR / grid.energy.si
            return Measure(name, QUANTITIES.index("average_facility_power"), factor, "",
                           "dimensionless")  # fmt: skip
        if grid.capacity is None:
            raise InputError(f"grid {grid.id!r} has no capacity figure; use grid-share:{grid.id}")
        return Measure(name, QUANTITIES.index("facility_power"), 1.0 / grid.capacity.si, "",
                       "dimensionless")  # fmt: skip
    raise InputError(f"unknown output {name!r}; known: {', '.join(MEASURE_NAMES + MIX_MEASURES)}")


def _environment_measure(
    name: str, base: str, argument: str, grids: GridSet, place: Site | None, pue: Any
) -> Measure:
    if argument:
        place = site(argument, grid_set=grids, cooling=place.cooling if place else "average")
    if place is None:
        place = site(None, grid_set=grids)
    average = QUANTITIES.index("average_facility_power")
    if base == "emissions":
        if place.carbon_intensity is None:
            raise InputError(f"region {place.region!r} has no carbon intensity (capacity grids)")
        factor = SECONDS_PER_YEAR * place.carbon_intensity.si
        return Measure(name, average, factor, "kgCO2e", "emissions")
    if place.water_intensity is None:
        raise InputError(
            f"region {place.region!r} has no water intensity of generation (capacity grids)"
        )
    pue_values = np.unique(np.asarray(pue if pue is not None else [DEFAULTS.pue], dtype=float))
    if pue_values.size != 1:
        raise InputError(
            "water in a sweep needs one PUE value: site water is WUE × IT energy, and IT "
            "energy is the average facility power ÷ PUE; give one --pue, or use emissions"
        )
    factor = SECONDS_PER_YEAR * (place.wue.si / float(pue_values[0]) + place.water_intensity.si)
    return Measure(name, average, factor, "m**3", "volume")


@dataclass(frozen=True)
class Objective:
    """Maximize (``sign`` = +1) or minimize (−1) a measure."""

    text: str
    measure: Measure
    sign: float


def parse_objective(
    text: str, grids: GridSet, reference_flops: float, place: Site | None = None,
    pue: Any = None,
) -> Objective:  # fmt: skip
    """``max-delivered-flops``, ``min-annual-energy``, ``min-grid-share:us``…"""
    match = re.fullmatch(r"\s*(max|min)(?:imize)?[-:\s]+(.+?)\s*", text)
    if match is None:
        raise InputError(
            f"objective {text!r} must be max-OUTPUT or min-OUTPUT, e.g. max-delivered-flops; "
            f"outputs: {', '.join(MEASURE_NAMES)}"
        )
    try:
        output = measure(match[2], grids, reference_flops, place, pue)
    except CapacityError as error:
        raise InputError(f"objective {text!r}: {error}") from None
    return Objective(text.strip(), output, 1.0 if match[1] == "max" else -1.0)


@dataclass(frozen=True)
class Constraint:
    """``lower ≤ measure ≤ upper`` at every accepted point."""

    text: str
    measure: Measure
    lower: float
    upper: float

    @property
    def quantity_bounds(self) -> tuple[float, float]:
        """The same bounds on the kernel's quantity."""
        return self.lower / self.measure.factor, self.upper / self.measure.factor


@dataclass(frozen=True)
class MixConstraint:
    """A bound on a share of provisioned IT power, by vendor or by chip, for every mix."""

    text: str
    kind: str
    """``vendor`` or ``chip``."""
    name: str | None
    """The vendor or chip; ``None`` for every vendor."""
    lower: float
    upper: float

    def feasible(self, problem: SweepProblem, profiles: Sequence[Profile]) -> np.ndarray:
        """Which of the problem's mixes satisfy this constraint."""
        power = problem.mixes * (problem.sizing if problem.count_basis else 1.0)
        power = power / np.sum(power, axis=-1, keepdims=True)
        if self.kind == "chip":
            groups = [[i for i, p in enumerate(profiles) if p.id == self.name]]
        else:
            vendors = sorted({p.vendor for p in profiles})
            if self.name is not None:
                vendors = [v for v in vendors if v.casefold() == self.name.casefold()]
            groups = [[i for i, p in enumerate(profiles) if p.vendor == v] for v in vendors]
        ok = np.ones(problem.mixes.shape[0], dtype=bool)
        for group in groups:
            share = power[:, group].sum(axis=-1)
            ok &= (share >= self.lower - _SHARE_SLACK) & (share <= self.upper + _SHARE_SLACK)
        return ok


def _bound(text: str, value: str, dimension: str) -> float:
    value = value.strip()
    if dimension != "dimensionless":
        return float(to_si(value, dimension, f"constraint {text!r}"))
    if value.endswith("%"):
        number = value[:-1].strip()
        scale = 0.01
    else:
        number, scale = value, 1.0
    try:
        count = parse_count(number, f"constraint {text!r}")
    except UnitError:
        count = None
    if count is None:
        raise InputError(f"constraint {text!r}: {value!r} is not a number such as 0.6 or 60%")
    return count * scale


def parse_constraint(
    text: str, grids: GridSet, reference_flops: float, profiles: Iterable[Profile],
    place: Site | None = None, pue: Any = None,
) -> Constraint | MixConstraint:  # fmt: skip
    """``OUTPUT<=VALUE`` or ``OUTPUT>=VALUE``: ``grid-share:global-datacenters<=0.3``,
    ``average-power<=5GW``, ``vendor-share<=60%``, ``chip-share:h100>=0.1``."""
    match = re.fullmatch(r"\s*([A-Za-z0-9_.:/ -]+?)\s*(<=|>=|≤|≥)\s*(.+?)\s*", text)
    if match is None:
        raise InputError(
            f"constraint {text!r} must be OUTPUT<=VALUE or OUTPUT>=VALUE, "
            "e.g. grid-share:global-datacenters<=0.3 or vendor-share<=0.6"
        )
    name, operator, value = match[1].strip(), match[2], match[3]
    upper_bound = operator in ("<=", "≤")
    base, _, argument = name.partition(":")
    if base in ("vendor-share", "chip-share"):
        share = _bound(text, value, "dimensionless")
        chips = list(profiles)
        if base == "chip-share":
            known = [p.id for p in chips]
            matched = [p.id for p in chips if argument in (p.id, *p.aliases)]
            if not matched:
                raise InputError(
                    f"constraint {text!r}: chip-share needs one of the sweep's chips: "
                    f"{', '.join(known)}"
                )
            argument = matched[0]
        elif argument and argument.casefold() not in {p.vendor.casefold() for p in chips}:
            vendors = sorted({p.vendor for p in chips})
            raise InputError(
                f"constraint {text!r}: no chip of the sweep is made by {argument!r}; "
                f"vendors: {', '.join(vendors)}"
            )
        lower, upper = (-np.inf, share) if upper_bound else (share, np.inf)
        return MixConstraint(text.strip(), base.split("-")[0], argument or None, lower, upper)
    try:
        output = measure(name, grids, reference_flops, place, pue)
    except CapacityError as error:
        raise InputError(f"constraint {text!r}: {error}") from None
    bound = _bound(text, value, output.dimension)
    lower, upper = (-np.inf, bound) if upper_bound else (bound, np.inf)
    return Constraint(text.strip(), output, lower, upper)
