"""Costs of a conversion: all-in capex by named component, energy cost, non-energy opex and
annual cost of ownership.

:func:`cost_assumptions` gathers the cost figures (per-accelerator prices from the hardware
profiles, the electricity price of the site region, the other defaults from
``capacity/data/costs.toml``, each overridable for one run); :func:`conversion_costs` applies
them to a :class:`~capacity.convert.Conversion`. Capex is the sum of the :data:`COMPONENTS`,
each annualized with the capital recovery factor of its own lifetime (docs/model.md#costs).
The equations are plain functions of floats or arrays (:func:`hardware_capex`,
:func:`facility_capex`, :func:`annual_energy_cost`, :func:`annualized_capex`,
:func:`capital_recovery_factor`), so that sweeps and the Monte Carlo engine evaluate the same
formula.

Money is in US dollars. A chip without a price makes hardware capex, and everything built on
it, unavailable (None) rather than zero; the result names the chip and how to set a price.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pint

from capacity.checks import instance_of, optional_mapping, real_number, text_list
from capacity.convert import Conversion
from capacity.datafiles import read_toml
from capacity.environment import Site
from capacity.errors import InputError
from capacity.figures import Figure, read_figure
from capacity.profiles import ProfileSet, profile_set
from capacity.tomlread import TableReader
from capacity.units import SECONDS_PER_YEAR, ureg

__all__ = [
    "COMPONENTS",
    "COST_PARAMETERS",
    "CostAssumptions",
    "Costs",
    "annual_energy_cost",
    "annualized_capex",
    "capital_recovery_factor",
    "conversion_costs",
    "cost_assumptions",
    "facility_capex",
    "hardware_capex",
    "load_cost_defaults",
]

COSTS_FILE = "costs.toml"
# Cost parameter → (dimension for capacity.units, valid range, unit it is shown in).
COST_PARAMETERS: dict[str, tuple[str, str, str]] = {
    "network_storage_per_accelerator": ("money", "non-negative", "USD"),
    "facility_capex_per_watt": ("power price", "non-negative", "USD/W"),
    "shell_share": ("dimensionless", "fraction", ""),
    "electrical_share": ("dimensionless", "fraction", ""),
    "mechanical_share": ("dimensionless", "fraction", ""),
    "power_infrastructure_per_watt": ("power price", "non-negative", "USD/W"),
    "land_and_soft_share": ("dimensionless", "non-negative", ""),
    "non_energy_opex_share": ("dimensionless", "fraction", ""),
    "electricity_price": ("energy price", "non-negative", "USD/MWh"),
    "hardware_lifetime": ("duration", "positive", "year"),
    "facility_lifetime": ("duration", "positive", "year"),
    "discount_rate": ("dimensionless", "fraction", ""),
}
# The named parts of capex: name → (label, what it is per, its lifetime parameter).
# "accelerator": per accelerator; "it": per W of IT power; "facility": per W of facility power.
COMPONENTS: dict[str, tuple[str, str, str]] = {
    "accelerators": ("accelerators (share of the reference system)", "accelerator",
                     "hardware_lifetime"),
    "network_storage": ("scale-out network and storage", "accelerator", "hardware_lifetime"),
    "shell_fitout": ("facility shell and fit-out", "it", "facility_lifetime"),
    "electrical": ("electrical plant", "it", "facility_lifetime"),
    "mechanical": ("mechanical and cooling plant", "it", "facility_lifetime"),
    "power_infrastructure": ("power: substation and interconnection", "facility",
                             "facility_lifetime"),
    "land_and_soft": ("land and soft costs", "it", "facility_lifetime"),
}  # fmt: skip
# Construction shares must add up to 1 (within rounding).
_SHARE_SLACK = 1e-3
_PRICE_PREFIX = "price."
_OVERRIDE_WHERE = "cost override"


def capital_recovery_factor(rate: float, years: float) -> float:
    """The annual payment that repays one dollar over ``years`` at interest ``rate``.

    Parameters
    ----------
    rate : float
        Discount rate per year, ≥ 0. [1/year]
    years : float
        Lifetime of the asset, > 0. [year]

    Returns
    -------
    float
        Capital recovery factor. [1/year]

    Notes
    -----
    ``CRF(r, L) = r / (1 − (1 + r)^−L)``, and ``1 / L`` (straight-line depreciation) when
    ``r = 0``, its limit.

    Examples
    --------
    >>> round(capital_recovery_factor(0.08, 5), 6)
    0.250456
    >>> capital_recovery_factor(0.0, 5)
    0.2
    """
    rate = real_number(rate, "rate (the discount rate)", low=0.0)
    years = real_number(years, "years (the lifetime)", low=0.0)
    if not years > 0:
        raise InputError(f"years (the lifetime) must be > 0, got {years!r}")
    if rate == 0:
        return 1.0 / years
    # 1 − (1 + r)^−L written with expm1/log1p, exact also for very small rates
    return rate / -math.expm1(-years * math.log1p(rate))


def hardware_capex(counts: Mapping[str, Any], prices: Mapping[str, float]) -> Any:
    """Price of the accelerators: ``Σ_k N_k × price_k``. [USD]

    ``counts`` maps chip → accelerators [1] (float or array), ``prices`` chip → USD per
    accelerator [USD]; every chip of ``counts`` needs a price.
    """
    return sum(np.asarray(counts[chip]) * prices[chip] for chip in counts)


def facility_capex(it_power: Any, capex_per_watt: float) -> Any:
    """Cost of building the facility: ``P_IT × capex per W``. [USD] (``it_power`` in W)"""
    return np.asarray(it_power) * capex_per_watt


def annual_energy_cost(annual_energy: Any, electricity_price: float) -> Any:
    """Electricity bill per year: ``E_year × price``. [USD/year] (J per year × USD/J)"""
    return np.asarray(annual_energy) * electricity_price


def annualized_capex(
    hardware: Any, facility: Any, crf_hardware: float, crf_facility: float
) -> Any:
    """Capex spread over the assets' lives: ``hardware × CRF_hw + facility × CRF_fac``.

    Parameters
    ----------
    hardware, facility : float or array
        Hardware and facility capex. [USD]
    crf_hardware, crf_facility : float
        Capital recovery factors (:func:`capital_recovery_factor`). [1/year]

    Returns
    -------
    float or array
        [USD/year]
    """
    return np.asarray(hardware) * crf_hardware + np.asarray(facility) * crf_facility


@dataclass(frozen=True)
class CostAssumptions:
    """The cost figures one calculation uses, each with its unit, source and confidence.

    Attributes
    ----------
    accelerator_price : mapping of str to Figure or None
        Profile id → price per accelerator [USD]; None where no price is known.
    network_storage_per_accelerator : Figure
        Scale-out network and storage per accelerator. [USD]
    facility_capex_per_watt : Figure
        Construction cost per watt of IT power: shell, fit-out, electrical, mechanical. [USD/W]
    shell_share, electrical_share, mechanical_share : Figure
        Their shares of construction cost, summing to 1. [1]
    power_infrastructure_per_watt : Figure
        Substation and interconnection per watt of facility power. [USD/W]
    land_and_soft_share : Figure
        Land, design and other soft costs as a share of construction cost. [1]
    non_energy_opex_share : Figure
        Maintenance, staff, insurance and taxes per year, as a share of facility capex. [1/year]
    electricity_price : Figure
        Price of energy (``si`` in USD/J; shown in USD/MWh): the site region's by default.
    hardware_lifetime, facility_lifetime : Figure
        Lives over which hardware and facility components are annualized. [s; shown in years]
    discount_rate : Figure
        Cost of capital per year; 0 for straight-line depreciation. [1/year]
    """

    accelerator_price: Mapping[str, Figure | None]
    network_storage_per_accelerator: Figure
    facility_capex_per_watt: Figure
    shell_share: Figure
    electrical_share: Figure
    mechanical_share: Figure
    power_infrastructure_per_watt: Figure
    land_and_soft_share: Figure
    non_energy_opex_share: Figure
    electricity_price: Figure
    hardware_lifetime: Figure
    facility_lifetime: Figure
    discount_rate: Figure

    def __post_init__(self) -> None:
        total = self.shell_share.si + self.electrical_share.si + self.mechanical_share.si
        if abs(total - 1.0) > _SHARE_SLACK:
            raise InputError(
                "shell_share + electrical_share + mechanical_share must sum to 1 (they split "
                f"the construction cost), got {total:g}"
            )

    def parameters(self) -> dict[str, Figure]:
        """Every figure other than the prices, by its name in :data:`COST_PARAMETERS`."""
        return {name: getattr(self, name) for name in COST_PARAMETERS}

    def crf(self, lifetime: str) -> float:
        """The capital recovery factor for the lifetime parameter ``lifetime``. [1/year]"""
        years = getattr(self, lifetime).si / SECONDS_PER_YEAR
        return capital_recovery_factor(self.discount_rate.si, years)

    def annualization(self) -> tuple[float, float]:
        """Capital recovery factors (hardware, facility). [1/year]"""
        return self.crf("hardware_lifetime"), self.crf("facility_lifetime")

    def per_it_watt(self) -> dict[str, float]:
        """Capex of each per-IT-watt component. [USD/W]"""
        construction = self.facility_capex_per_watt.si
        return {
            "shell_fitout": construction * self.shell_share.si,
            "electrical": construction * self.electrical_share.si,
            "mechanical": construction * self.mechanical_share.si,
            "land_and_soft": construction * self.land_and_soft_share.si,
        }

    def flagged(self) -> list[str]:
        """One line per figure of assumption, estimate or override grade."""
        named: list[tuple[str, Figure | None, str]] = [
            (f"price of {chip}", figure, "USD") for chip, figure in self.accelerator_price.items()
        ]
        named += [
            (name.replace("_", " "), figure, COST_PARAMETERS[name][2])
            for name, figure in self.parameters().items()
        ]
        return [
            f"{label}: {shown(figure, unit)} ({figure.confidence}; "
            f"{figure.summary or figure.source})"
            for label, figure, unit in named
            if figure is not None and figure.flagged
        ]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: each figure's value (and range) in the unit its key names."""
        document: dict[str, Any] = {
            "accelerator_price_usd": {
                chip: None if figure is None else _figure_dict(figure, "USD")
                for chip, figure in self.accelerator_price.items()
            }
        }
        for name, figure in self.parameters().items():
            unit = COST_PARAMETERS[name][2]
            key = f"{name}_{_unit_key(unit)}" if unit else name
            document[key] = _figure_dict(figure, unit)
        return document


def shown(figure: Figure, unit: str) -> str:
    """A figure in the unit outputs use for it: "80.6 USD/MWh", "5 year", "0.08"."""
    return _in_unit(figure.value, unit)


def shown_range(figure: Figure, unit: str) -> str:
    """A figure's range in the unit outputs use for it ("57.5 – 89.2 USD/MWh"), or ""."""
    if figure.low is None and figure.high is None:
        return ""

    def magnitude(quantity: pint.Quantity | None) -> str:
        return "…" if quantity is None else f"{quantity.to(unit).magnitude:g}"

    return f"{magnitude(figure.low)} – {magnitude(figure.high)}" + (f" {unit}" if unit else "")


def _in_unit(quantity: pint.Quantity, unit: str) -> str:
    if not unit:
        return f"{quantity.to('').magnitude:g}"
    return f"{quantity.to(unit).magnitude:g} {unit}"


def _unit_key(unit: str) -> str:
    return unit.lower().replace("/", "_per_")


def _figure_dict(figure: Figure, unit: str) -> dict[str, Any]:
    def number(quantity: pint.Quantity | None) -> float | None:
        return None if quantity is None else float(quantity.to(unit).magnitude)

    return {
        "value": number(figure.value),
        "low": number(figure.low),
        "high": number(figure.high),
        "confidence": figure.confidence,
        "source": figure.source,
        "note": figure.note,
    }


def load_cost_defaults(path: str | Path | None = None) -> dict[str, Figure]:
    """The default cost figures, validated: the built-in file, or the TOML file ``path``.

    The file has one table per name of :data:`COST_PARAMETERS`, each a figure
    (``value``, optional ``low``/``high``, ``confidence``, ``source``, ``note``); a missing,
    unknown or malformed table raises :class:`~capacity.errors.ProfileError` naming the file
    and the field.
    """
    if path is None:
        return dict(_builtin_defaults())
    return _read_defaults(Path(path))


@cache
def _builtin_defaults() -> tuple[tuple[str, Figure], ...]:
    entry = resources.files("capacity.data") / COSTS_FILE
    return tuple(_read_defaults(Path(str(entry))).items())


def _read_defaults(path: Path) -> dict[str, Figure]:
    raw = read_toml(path, what="cost file")
    fields = TableReader(path)
    fields.check_keys(raw, COST_PARAMETERS)
    return {
        name: read_figure(fields.required(raw, name), fields, name, dimension, kind)
        for name, (dimension, kind, _) in COST_PARAMETERS.items()
    }


def cost_assumptions(
    chips: Iterable[str],
    profiles: ProfileSet | None = None,
    overrides: Mapping[str, Any] | None = None,
    site: Site | None = None,
) -> CostAssumptions:
    """The cost figures for ``chips``: defaults, the site's electricity price, then the
    overrides of this run.

    Parameters
    ----------
    chips : iterable of str
        Profile ids or aliases whose prices are wanted.
    profiles : ProfileSet, optional
        Hardware profiles to read prices from (default: :func:`~capacity.profiles.load_profiles`).
    overrides : mapping, optional
        Figures for this run, each a string with its unit or a pint quantity:
        ``"price.<chip id or alias>"`` [USD per accelerator], or any name of
        :data:`COST_PARAMETERS`: ``"facility_capex_per_watt"`` ("11 USD/W"),
        ``"electricity_price"`` ("80 USD/MWh"), ``"hardware_lifetime"`` ("5 year"),
        ``"facility_lifetime"`` ("20 year"), ``"discount_rate"`` (0.08),
        ``"network_storage_per_accelerator"`` ("7000 USD"), ``"power_infrastructure_per_watt"``
        ("0.5 USD/W"), ``"non_energy_opex_share"`` (0.03), ... An override is graded
        ``user-override``.
    site : Site, optional
        The site region (:func:`capacity.environment.site`): its industrial electricity price,
        where it has one, replaces the default.

    Returns
    -------
    CostAssumptions

    Examples
    --------
    >>> assumptions = cost_assumptions(["h100"], overrides={"discount_rate": 0.08})
    >>> assumptions.discount_rate.confidence
    'user-override'
    >>> [round(crf, 4) for crf in assumptions.annualization()]
    [0.2505, 0.1019]
    """
    chip_names = text_list(chips, "chips")
    if chip_names is None:
        raise InputError("chips must be text or a list of chip ids such as ['h100'], got None")
    if profiles is not None:
        instance_of(profiles, ProfileSet, "profiles", "from capacity.load_profiles")
    if site is not None:
        instance_of(site, Site, "site", "from capacity.environment.site")
    profiles = profile_set(profiles)
    prices: dict[str, Figure | None] = {}
    for chip in chip_names:
        profile_id = profiles.resolve(chip)
        prices[profile_id] = profiles[profile_id].price
    figures = load_cost_defaults()
    if site is not None and site.electricity_price is not None:
        figures["electricity_price"] = site.electricity_price
    for key, value in optional_mapping(overrides, "overrides").items():
        if key.startswith(_PRICE_PREFIX) and key != _PRICE_PREFIX:
            prices[profiles.resolve(key.removeprefix(_PRICE_PREFIX))] = _override(
                key, value, "money", "positive"
            )
        elif key in COST_PARAMETERS:
            dimension, kind, _ = COST_PARAMETERS[key]
            figures[key] = _override(key, value, dimension, kind)
        else:
            raise InputError(
                f"unknown cost override {key!r}; known: price.<chip>, "
                + ", ".join(COST_PARAMETERS)
            )
    return CostAssumptions(accelerator_price=prices, **figures)


def _override(key: str, value: Any, dimension: str, kind: str) -> Figure:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        value = str(value)  # a pint quantity: its string form carries the unit
    table = {"value": value, "confidence": "user-override", "source": f"set for this run ({key})"}
    return read_figure(table, TableReader(_OVERRIDE_WHERE), key, dimension, kind)


@dataclass(frozen=True)
class Costs:
    """What a conversion costs. Every number is a pint quantity (float or array), or None
    where a chip has no price (see ``missing_prices``).

    Attributes
    ----------
    hardware_capex : Quantity or None
        ``Σ N_k price_k``: the accelerators' share of their reference systems. [USD]
    facility_capex : Quantity
        Every non-hardware component: shell, electrical, mechanical, power, land and soft. [USD]
    capex : Quantity or None
        The sum of every component. [USD]
    annual_energy_cost : Quantity
        Annual energy × electricity price. [USD/year]
    annualized_capex : Quantity or None
        Each component's capex times the CRF of its lifetime, summed. [USD/year]
    annual_cost : Quantity or None
        Annualized capex, energy cost and non-energy opex: the annual cost of ownership.
        [USD/year]
    capex_per_gw : Quantity or None
        Capex per facility power. [USD/GW]
    cost_per_delivered_flop : Quantity or None
        Annual cost over delivered FLOP per year. [USD/EFLOP]
    missing_prices : tuple of str
        Chips of the conversion without a price.
    assumptions : tuple of str
        Estimates, assumptions and overrides in these figures, and how to set missing prices.
    hardware_capex_by_chip : mapping of str to Quantity or None
        Each chip's share of hardware capex. [USD]
    components : mapping of str to Quantity or None
        Capex of each of :data:`COMPONENTS`. [USD]
    annualized_components : mapping of str to Quantity or None
        Each component's capex × its CRF. [USD/year]
    non_energy_opex : Quantity
        Maintenance, staff, insurance and taxes. [USD/year]
    accelerators : Quantity
        The fleet's accelerators, for the per-accelerator breakdown. [1]
    facility_power : Quantity
        The fleet's facility power, for the per-GW breakdown. [W]
    """

    hardware_capex: pint.Quantity | None
    facility_capex: pint.Quantity
    capex: pint.Quantity | None
    annual_energy_cost: pint.Quantity
    annualized_capex: pint.Quantity | None
    annual_cost: pint.Quantity | None
    capex_per_gw: pint.Quantity | None
    cost_per_delivered_flop: pint.Quantity | None
    missing_prices: tuple[str, ...]
    assumptions: tuple[str, ...]
    hardware_capex_by_chip: Mapping[str, pint.Quantity | None] = field(default_factory=dict)
    components: Mapping[str, pint.Quantity | None] = field(default_factory=dict)
    annualized_components: Mapping[str, pint.Quantity | None] = field(default_factory=dict)
    non_energy_opex: pint.Quantity | None = None
    accelerators: pint.Quantity | None = None
    facility_power: pint.Quantity | None = None

    def breakdown(self) -> dict[str, dict[str, Any]]:
        """Each component's capex and annualized capex: total, per GW of facility power and
        per accelerator (JSON numbers; None where unavailable)."""
        per_gw = None if self.facility_power is None else self.facility_power.to("GW")
        rows: dict[str, dict[str, Any]] = {}
        for name, capex in self.components.items():
            annual = self.annualized_components.get(name)
            rows[name] = {
                "label": COMPONENTS[name][0],
                "capex_usd": _number(capex, "USD"),
                "capex_usd_per_gw": _ratio(capex, per_gw, "USD/GW"),
                "capex_usd_per_accelerator": _ratio(capex, self.accelerators, "USD"),
                "annualized_usd_per_year": _number(annual, "USD/year"),
                "annualized_usd_per_year_per_gw": _ratio(annual, per_gw, "USD/year/GW"),
                "annualized_usd_per_year_per_accelerator": _ratio(
                    annual, self.accelerators, "USD/year"
                ),
            }
        return rows

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict whose keys name their unit; unavailable figures are null."""
        per_gw = None if self.facility_power is None else self.facility_power.to("GW")
        return {
            "hardware_capex_usd": _number(self.hardware_capex, "USD"),
            "hardware_capex_by_chip_usd": {
                chip: _number(value, "USD") for chip, value in self.hardware_capex_by_chip.items()
            },
            "facility_capex_usd": _number(self.facility_capex, "USD"),
            "capex_usd": _number(self.capex, "USD"),
            "capex_usd_per_accelerator": _ratio(self.capex, self.accelerators, "USD"),
            "annual_energy_cost_usd_per_year": _number(self.annual_energy_cost, "USD/year"),
            "non_energy_opex_usd_per_year": _number(self.non_energy_opex, "USD/year"),
            "annualized_capex_usd_per_year": _number(self.annualized_capex, "USD/year"),
            "annual_cost_usd_per_year": _number(self.annual_cost, "USD/year"),
            "annual_cost_usd_per_year_per_gw": _ratio(self.annual_cost, per_gw, "USD/year/GW"),
            "annual_cost_usd_per_year_per_accelerator": _ratio(
                self.annual_cost, self.accelerators, "USD/year"
            ),
            "capex_usd_per_gw": _number(self.capex_per_gw, "USD/GW"),
            "cost_usd_per_delivered_eflop": _number(self.cost_per_delivered_flop, "USD/EFLOP"),
            "components": self.breakdown(),
            "missing_prices": list(self.missing_prices),
            "assumptions": list(self.assumptions),
        }


def _ratio(quantity: pint.Quantity | None, per: pint.Quantity | None, unit: str) -> Any:
    if quantity is None or per is None:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        return _number(quantity / per, unit)


def _number(quantity: pint.Quantity | None, unit: str) -> Any:
    """SI magnitude(s) for JSON; None for unavailable or non-finite values."""
    if quantity is None:
        return None
    magnitude = np.asarray(quantity.to(unit).magnitude, dtype=np.float64)
    if magnitude.ndim:
        return [None if not math.isfinite(x) else x for x in magnitude.ravel().tolist()]
    value = float(magnitude)
    return value if math.isfinite(value) else None


def _missing_price_line(chip: str) -> str:
    return (
        f"no price for {chip}: hardware capex, capex, annualized capex, annual cost, capex per "
        f"GW and cost per delivered FLOP are unavailable; set one with --price "
        f"{chip}=40000USD or overrides={{'price.{chip}': '40000 USD'}} (an example, not an "
        "estimate)"
    )


def conversion_costs(conversion: Conversion, assumptions: CostAssumptions) -> Costs:
    """All-in capex by component, energy cost, non-energy opex and annual cost of ownership.

    Parameters
    ----------
    conversion : Conversion
        From :func:`~capacity.convert.convert` or :func:`~capacity.convert.convert_accelerators`.
    assumptions : CostAssumptions
        From :func:`cost_assumptions` for the conversion's chips.

    Returns
    -------
    Costs

    Notes
    -----
    ``accelerators = Σ_k N_k price_k``; ``network and storage = N × c_ns``;
    ``shell, electrical, mechanical = P_IT × c_build × share``;
    ``land and soft = P_IT × c_build × s_soft``; ``power = P_fac × c_power``;
    ``capex = Σ components``; ``annualized = Σ_c capex_c × CRF(r, L_c)`` with
    ``CRF(r, L) = r / (1 − (1 + r)^−L)`` (``1/L`` at ``r = 0``);
    ``opex = s_opex × facility capex``; ``energy cost = E_year × electricity price``;
    ``annual cost = annualized + energy cost + opex``; ``capex per GW = capex / P_fac``;
    ``cost per delivered FLOP = annual cost / delivered FLOP per year``.

    Examples
    --------
    >>> from capacity.convert import convert
    >>> conversion = convert("1 GW", chip="h100", pue=1.2)
    >>> assumptions = cost_assumptions(["h100"], overrides={"price.h100": "30000 USD"})
    >>> costs = conversion_costs(conversion, assumptions)
    >>> round(float(costs.hardware_capex.to("GUSD").magnitude), 3)
    17.665
    """
    instance_of(conversion, Conversion, "conversion", "from capacity.convert")
    instance_of(assumptions, CostAssumptions, "assumptions", "from capacity.cost_assumptions")
    chips = conversion.chips
    prices = {chip: assumptions.accelerator_price.get(chip) for chip in chips}
    missing = tuple(chip for chip, price in prices.items() if price is None)
    counts = {chip: conversion.accelerators_by_chip[chip].to("").magnitude for chip in chips}
    total_count = np.asarray(conversion.accelerators.to("").magnitude)
    it_w = np.asarray(conversion.it_power.to("W").magnitude)
    facility_w = np.asarray(conversion.facility_power.to("W").magnitude)
    usd, per_year = "USD", "USD/year"
    parts: dict[str, Any] = {
        "network_storage": total_count * assumptions.network_storage_per_accelerator.si,
        **{name: facility_capex(it_w, value) for name, value in assumptions.per_it_watt().items()},
        "power_infrastructure": facility_w * assumptions.power_infrastructure_per_watt.si,
    }
    facility = sum(
        parts[name] for name in ("shell_fitout", "electrical", "mechanical",
                                 "power_infrastructure", "land_and_soft")
    )  # fmt: skip
    opex = facility * assumptions.non_energy_opex_share.si
    energy_cost = annual_energy_cost(
        conversion.annual_energy.to("J").magnitude, assumptions.electricity_price.si
    )
    by_chip: dict[str, pint.Quantity | None] = {
        chip: None if price is None else ureg.Quantity(np.asarray(counts[chip]) * price.si, "USD")
        for chip, price in prices.items()
    }
    lines = replace(assumptions, accelerator_price=prices).flagged()
    lines += [_missing_price_line(chip) for chip in missing]
    hardware = None
    if not missing:
        hardware = hardware_capex(counts, {chip: p.si for chip, p in prices.items() if p})
    components: dict[str, pint.Quantity | None] = {
        "accelerators": None if hardware is None else ureg.Quantity(hardware, usd),
        **{name: ureg.Quantity(value, usd) for name, value in parts.items()},
    }
    annualized: dict[str, pint.Quantity | None] = {
        name: None
        if value is None
        else ureg.Quantity(value.magnitude * assumptions.crf(COMPONENTS[name][2]), per_year)
        for name, value in components.items()
    }
    available: dict[str, pint.Quantity | None] = dict.fromkeys(
        ("capex", "annualized", "annual", "per_watt", "per_flop")
    )
    if hardware is not None:
        capex = sum(q.magnitude for q in components.values() if q is not None)
        annualized_total = sum(q.magnitude for q in annualized.values() if q is not None)
        annual = annualized_total + energy_cost + opex
        with np.errstate(divide="ignore", invalid="ignore"):
            per_watt = np.divide(capex, facility_w)
            per_flop = np.divide(annual, conversion.flop_per_year.to("FLOP").magnitude)
        available = {
            "capex": ureg.Quantity(capex, usd),
            "annualized": ureg.Quantity(annualized_total, per_year),
            "annual": ureg.Quantity(annual, per_year),
            "per_watt": ureg.Quantity(per_watt, "USD/W").to("USD/GW"),
            "per_flop": ureg.Quantity(per_flop, "USD/FLOP").to("USD/EFLOP"),
        }
    return Costs(
        hardware_capex=components["accelerators"],
        facility_capex=ureg.Quantity(facility, usd),
        capex=available["capex"],
        annual_energy_cost=ureg.Quantity(energy_cost, per_year),
        annualized_capex=available["annualized"],
        annual_cost=available["annual"],
        capex_per_gw=available["per_watt"],
        cost_per_delivered_flop=available["per_flop"],
        missing_prices=missing,
        assumptions=tuple(lines),
        hardware_capex_by_chip=by_chip,
        components=components,
        annualized_components=annualized,
        non_energy_opex=ureg.Quantity(opex, per_year),
        accelerators=ureg.Quantity(total_count, ""),
        facility_power=ureg.Quantity(facility_w, "W"),
    )
