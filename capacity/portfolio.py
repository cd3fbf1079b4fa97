"""What a portfolio of compute deals amounts to: each deal converted, priced and summed, a
timeline by calendar year, and Monte Carlo ranges.

:func:`evaluate_portfolio` converts each deal of a :class:`~capacity.deals.Portfolio` (read
by :func:`load_portfolio`, re-exported from :mod:`capacity.deals`) at its inputs' nominal
values with :func:`capacity.convert` (or :func:`capacity.convert_accelerators`), prices it
with :mod:`capacity.costs`, sums the deals, and builds a timeline by calendar year from the
schedules (:mod:`capacity.schedule`). :func:`portfolio_scenarios` gives one Monte Carlo
scenario per deal at full deployment, and :func:`simulate_portfolio` runs them.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pint

from capacity import chain
from capacity.checks import instance_of
from capacity.convert import Conversion, GridShare, convert, convert_accelerators
from capacity.costs import Costs, conversion_costs, cost_assumptions
from capacity.deals import (
    FORMAT_VERSION,
    Deal,
    DealPrices,
    Portfolio,
    PortfolioError,
    load_portfolio,
    loads_portfolio,
)
from capacity.defaults import DEFAULTS
from capacity.errors import CapacityError
from capacity.grids import GridSet, known_grids, select_grids
from capacity.profiles import ProfileSet, profile_set
from capacity.schedule import days_in_year
from capacity.units import JOULES_PER_TWH, SECONDS_PER_DAY, ureg

if TYPE_CHECKING:
    from capacity.montecarlo import MonteCarloResult, Scenario

__all__ = [
    "FORMAT_VERSION",
    "Deal",
    "DealPrices",
    "DealResult",
    "Portfolio",
    "PortfolioError",
    "PortfolioReport",
    "PortfolioTotals",
    "TimelineYear",
    "evaluate_portfolio",
    "load_portfolio",
    "loads_portfolio",
    "portfolio_scenarios",
    "simulate_portfolio",
]


@dataclass(frozen=True)
class DealResult:
    """One deal at full deployment, at its inputs' nominal values."""

    deal: Deal
    conversion: Conversion
    costs: Costs

    @property
    def systems(self) -> pint.Quantity:
        """Reference systems, all chips together. [1]"""
        return _summed(self.conversion.systems_by_chip.values(), "")

    def to_dict(self) -> dict[str, Any]:
        document = {
            "name": self.deal.name,
            "counterparty": self.deal.counterparty,
            "chips": self.deal.chips,
            **self.conversion.to_dict(),
            "systems": float(self.systems.magnitude),
            "h100_equivalents": float(self.conversion.h100_equivalents.magnitude),
            "costs": self.costs.to_dict(),
            "announced_value_usd": self.deal.prices.value,
            "scheduled": self.deal.schedule is not None,
        }
        document.pop("assumptions")
        return document


@dataclass(frozen=True)
class PortfolioTotals:
    """Sums over the deals at full deployment; grid shares of the summed power.

    A cost is None when any deal lacks it (a missing price), never a partial sum.
    """

    accelerators: pint.Quantity
    systems: pint.Quantity
    it_power: pint.Quantity
    facility_power: pint.Quantity
    average_facility_power: pint.Quantity
    annual_energy: pint.Quantity
    peak_flops: pint.Quantity
    delivered_flops: pint.Quantity
    flop_per_year: pint.Quantity
    h100_equivalents: pint.Quantity
    grid_share: Mapping[str, GridShare]
    hardware_capex: pint.Quantity | None
    facility_capex: pint.Quantity
    capex: pint.Quantity | None
    annual_energy_cost: pint.Quantity
    annual_cost: pint.Quantity | None
    announced_value: pint.Quantity | None
    """Sum of the deals' announced values, when every deal gives one. [USD]"""
    emissions: pint.Quantity | None = None
    """Location-based emissions at each deal's site region. [tCO2e/year]"""
    water: pint.Quantity | None = None
    """Site and generation water at each deal's site region. [m³/year]"""

    def to_dict(self) -> dict[str, Any]:
        return {
            "accelerators": _si(self.accelerators, ""),
            "systems": _si(self.systems, ""),
            "it_power_w": _si(self.it_power, "W"),
            "facility_power_w": _si(self.facility_power, "W"),
            "average_facility_power_w": _si(self.average_facility_power, "W"),
            "annual_energy_twh": _si(self.annual_energy, "TWh"),
            "peak_flop_per_s": _si(self.peak_flops, "FLOP/s"),
            "delivered_flop_per_s": _si(self.delivered_flops, "FLOP/s"),
            "flop_per_year": _si(self.flop_per_year, "FLOP"),
            "h100_equivalents": _si(self.h100_equivalents, ""),
            "grid_share": {grid: share.to_dict() for grid, share in self.grid_share.items()},
            "hardware_capex_usd": _si(self.hardware_capex, "USD"),
            "facility_capex_usd": _si(self.facility_capex, "USD"),
            "capex_usd": _si(self.capex, "USD"),
            "annual_energy_cost_usd_per_year": _si(self.annual_energy_cost, "USD/year"),
            "emissions_tco2e_per_year": _si(self.emissions, "tCO2e/year"),
            "water_m3_per_year": _si(self.water, "m**3/year"),
            "annual_cost_usd_per_year": _si(self.annual_cost, "USD/year"),
            "announced_value_usd": _si(self.announced_value, "USD"),
        }


@dataclass(frozen=True)
class TimelineYear:
    """What is online at the end of one calendar year, and the energy used in it.

    Quantities online scale each deal's full conversion by its online fraction (the deal's
    inputs at their nominal values); energy is the exact integral of the online fraction
    over the year's days times each deal's average facility power.
    """

    year: int
    online_fraction: Mapping[str, float]
    """Deal name → fraction of the deal online at year end. [1]"""
    facility_power_by_deal: Mapping[str, pint.Quantity]
    facility_power: pint.Quantity
    it_power: pint.Quantity
    accelerators: pint.Quantity
    peak_flops: pint.Quantity
    delivered_flops: pint.Quantity
    energy_by_deal: Mapping[str, pint.Quantity]
    energy: pint.Quantity
    """Energy drawn during the year (its 365 or 366 days). [TWh]"""

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "online_fraction": dict(self.online_fraction),
            "facility_power_online_w": _si(self.facility_power, "W"),
            "facility_power_online_w_by_deal": {
                name: _si(q, "W") for name, q in self.facility_power_by_deal.items()
            },
            "it_power_online_w": _si(self.it_power, "W"),
            "accelerators_online": _si(self.accelerators, ""),
            "peak_flop_per_s_online": _si(self.peak_flops, "FLOP/s"),
            "delivered_flop_per_s_online": _si(self.delivered_flops, "FLOP/s"),
            "energy_twh": _si(self.energy, "TWh"),
            "energy_twh_by_deal": {name: _si(q, "TWh") for name, q in self.energy_by_deal.items()},
        }


@dataclass(frozen=True)
class PortfolioReport:
    """A portfolio evaluated: per-deal results, totals, a timeline by year, and notes.

    Attributes
    ----------
    flags : tuple of str
        Notes on the portfolio itself: deals without a schedule, missing prices, grid shares
        above 100 % (of a deal or of the total).
    assumptions : tuple of str
        Assumption- and estimate-grade figures used by any deal (profiles and costs),
        without repeats.
    """

    portfolio: Portfolio
    deals: tuple[DealResult, ...]
    totals: PortfolioTotals
    timeline: tuple[TimelineYear, ...]
    flags: tuple[str, ...]
    assumptions: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of SI numbers whose keys name their unit (``--format json``)."""
        p = self.portfolio
        return {
            "portfolio": {
                "name": p.name,
                "description": p.description,
                "as_of": None if p.as_of is None else p.as_of.isoformat(),
                "source": p.source,
            },
            "inputs": [deal.to_dict() for deal in p.deals],
            "deals": [result.to_dict() for result in self.deals],
            "total": self.totals.to_dict(),
            "timeline": [year.to_dict() for year in self.timeline],
            "flags": list(self.flags),
            "assumptions": list(self.assumptions),
        }

    def tidy_rows(self, simulated: MonteCarloResult | None = None) -> list[dict[str, Any]]:
        """One row per section (deal, total, timeline, monte_carlo), entity and output, with
        the year for the timeline, the statistic for Monte Carlo, the value and the unit."""
        from capacity.tables import document_rows

        rows: list[dict[str, Any]] = []
        for result in self.deals:
            rows += [{"section": "deal", **row}
                     for row in document_rows(result.to_dict(), result.deal.name)]  # fmt: skip
        rows += [{"section": "total", **row} for row in document_rows(self.totals.to_dict())]
        for year in self.timeline:
            document = year.to_dict()
            rows += [{"section": "timeline", "year": year.year, **row}
                     for row in document_rows(document, "all deals", skip=("year",))]  # fmt: skip
            rows += [
                {"section": "timeline", "year": year.year, "entity": deal,
                 "output": "online_fraction", "value": fraction, "unit": "1"}
                for deal, fraction in year.online_fraction.items()
            ]  # fmt: skip
        if simulated is not None:
            rows += [{"section": "monte_carlo", **row} for row in simulated.tidy_rows()]
        return rows

    def to_dataframe(self, wide: bool = False, simulated: MonteCarloResult | None = None) -> Any:
        """The portfolio as a pandas DataFrame: tidy (:meth:`tidy_rows`), or with ``wide``
        one row per section, year, entity (and statistic) and one column per output."""
        from capacity.tables import frame, wide_frame

        rows = self.tidy_rows(simulated)
        if wide:
            return wide_frame(rows, ("section", "year", "entity", "statistic"),
                              title=self.portfolio.name)  # fmt: skip
        return frame(rows, title=self.portfolio.name)

    def plot(self, simulated: MonteCarloResult | None = None, **options: Any) -> Any:
        """A timeline of GW, accelerators and energy by deal per year, with the Monte Carlo
        band of ``simulated`` (:func:`capacity.plots.plot_portfolio`)."""
        from capacity.plots import plot_portfolio

        return plot_portfolio(self, simulated, **options)

    def _repr_html_(self) -> str:
        from capacity.report import notebook_html

        return notebook_html(self)


@functools.cache
def _unit(name: str) -> pint.Unit:
    """The pint unit ``name``, parsed once: pint parses a unit string anew on every use,
    which dominated a timeline of thousands of years."""
    return ureg.Unit(name)


def _si(quantity: pint.Quantity | None, unit: str) -> float | None:
    if quantity is None:
        return None
    value = float(quantity.to(_unit(unit)).magnitude)
    return value if math.isfinite(value) else None


def _summed(quantities: Iterable[pint.Quantity], unit: str) -> pint.Quantity:
    return ureg.Quantity(math.fsum(float(q.to(unit).magnitude) for q in quantities), unit)


def _summed_or_none(quantities: Sequence[pint.Quantity | None], unit: str) -> pint.Quantity | None:
    if any(q is None for q in quantities):
        return None
    return _summed((q for q in quantities if q is not None), unit)


def convert_deal(
    deal: Deal, *, profiles: ProfileSet | None = None, grid_set: GridSet | None = None
) -> Conversion:
    """One deal at full deployment, with every input at its nominal value.

    This is exactly :func:`capacity.convert` (or :func:`capacity.convert_accelerators`) of the
    deal's power (or count), mix, PUE, utilization, MFU and basis.
    """
    options: dict[str, Any] = {
        "mix": dict(deal.shares),
        "pue": deal.pue.nominal(),
        "utilization": deal.utilization.nominal(),
        "mfu": deal.mfu.nominal(),
        "profiles": profiles,
        "grid_set": grid_set,
        "region": deal.region,
        "cooling": deal.cooling,
    }
    if deal.power is not None:
        return convert(ureg.Quantity(deal.power.nominal(), "W"), basis=deal.basis, **options)
    assert deal.accelerators is not None
    return convert_accelerators(deal.accelerators.nominal(), **options)


def evaluate_portfolio(
    portfolio: Portfolio,
    *,
    profiles: ProfileSet | str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    grid_set: GridSet | None = None,
) -> PortfolioReport:
    """Convert, price and sum every deal of a portfolio, and lay its schedules out by year.

    Parameters
    ----------
    portfolio : Portfolio
        From :func:`load_portfolio` or :func:`loads_portfolio`.
    profiles : ProfileSet or path, optional
        Hardware profiles (default: built-in plus ``$CAPACITY_PROFILES``).
    overrides : mapping, optional
        Single profile fields for this run, as in :func:`capacity.convert`
        (``{"openai-broadcom-xpu.tdp": "1.2 kW"}``).
    grid_set : GridSet, optional
        Reference grids for grid share (default: built-in plus ``$CAPACITY_GRIDS``).

    Returns
    -------
    PortfolioReport

    Notes
    -----
    Each deal is converted at full deployment with its inputs at their nominal values
    (:meth:`capacity.distributions.Distribution.nominal`); totals are sums over deals, and the
    grid shares of the total are those of the summed average and facility power. At the end
    of year Y a deal contributes ``f(Y) × X`` of each full-deployment output X, where ``f`` is
    its online fraction; its energy in year Y is ``P_avg × ∫_Y f(t) dt``, integrated exactly
    over the year's days (:mod:`capacity.schedule`), so a full year online is 365 or 366 days
    of energy, not the 365.25 of ``annual_energy``.

    Examples
    --------
    >>> report = evaluate_portfolio(loads_portfolio('''
    ... [portfolio]
    ... name = "two deals"
    ... [[deal]]
    ... name = "Alpha"
    ... counterparty = "Alpha Corp"
    ... power = "1 GW"
    ... chip = "h100"
    ... start = 2026-01-01
    ... [[deal]]
    ... name = "Beta"
    ... counterparty = "Beta Inc"
    ... power = "2 GW"
    ... basis = "it"
    ... mix = { gb300 = 0.5, mi355x = 0.5 }
    ... pue = 1.3
    ... start = 2027-01-01
    ... end = 2027-12-31
    ... '''))
    >>> round(float(report.totals.facility_power.to("GW").magnitude), 6)  # 1 GW + 2 GW × 1.3
    3.6
    >>> [(y.year, round(float(y.facility_power.to("GW").magnitude), 6)) for y in report.timeline]
    [(2026, 1.0), (2027, 3.6)]
    """
    _portfolio_argument(portfolio)
    profiles = profile_set(profiles, overrides)
    grid_set = known_grids(grid_set)
    results: list[DealResult] = []
    for deal in portfolio.deals:
        conversion = convert_deal(deal, profiles=profiles, grid_set=grid_set)
        try:
            assumptions = cost_assumptions(
                conversion.chips, profiles, deal.prices.cost_overrides(), conversion.site
            )
        except CapacityError as error:
            raise PortfolioError(
                f"{portfolio.source}: deal '{deal.name}': prices: {error}"
            ) from None
        results.append(DealResult(deal, conversion, conversion_costs(conversion, assumptions)))
    totals = _totals(results, grid_set)
    timeline = _timeline(results)
    flags: list[str] = []
    for result in results:
        deal = result.deal
        if deal.schedule is None:
            flags.append(
                f"deal '{deal.name}': no schedule (no start, no tranches); left out "
                "of the timeline"
            )
        if result.costs.missing_prices:
            flags.append(
                f"deal '{deal.name}': no price for {', '.join(result.costs.missing_prices)}; its "
                "hardware capex, capex and annual cost are unavailable, and so are the totals'; "
                'set one in [deal.prices] accelerator = { CHIP = "… USD" }'
            )
        flags += [f"deal '{deal.name}': {note}" for note in result.conversion.warnings]
    for grid_id, share in totals.grid_share.items():
        flags += [f"total: {note}" for note in share.warnings(grid_id)]
    assumptions_seen: dict[str, None] = {}
    for result in results:
        for line in (*result.conversion.assumptions, *result.costs.assumptions):
            if not line.startswith("no price for "):
                assumptions_seen.setdefault(line)
    return PortfolioReport(
        portfolio=portfolio,
        deals=tuple(results),
        totals=totals,
        timeline=timeline,
        flags=tuple(flags),
        assumptions=tuple(assumptions_seen),
    )


def _portfolio_argument(portfolio: Any) -> Portfolio:
    return instance_of(
        portfolio, Portfolio, "portfolio", "from capacity.load_portfolio or loads_portfolio"
    )


def _totals(results: Sequence[DealResult], grid_set: GridSet | None) -> PortfolioTotals:
    conversions = [r.conversion for r in results]
    costs = [r.costs for r in results]
    average = _summed((c.average_facility_power for c in conversions), "W")
    facility = _summed((c.facility_power for c in conversions), "W")
    grids = select_grids(None, grid_set)
    shares = {
        grid.id: GridShare(
            energy=ureg.Quantity(chain.grid_energy_share(average.magnitude, grid.energy.si), ""),
            capacity=None
            if grid.capacity is None
            else ureg.Quantity(
                chain.grid_capacity_share(facility.magnitude, grid.capacity.si), ""
            ),
        )
        for grid in grids
    }
    values = [r.deal.prices.value for r in results]
    return PortfolioTotals(
        accelerators=_summed((c.accelerators for c in conversions), ""),
        systems=_summed((r.systems for r in results), ""),
        it_power=_summed((c.it_power for c in conversions), "W"),
        facility_power=facility,
        average_facility_power=average,
        annual_energy=_summed((c.annual_energy for c in conversions), "TWh"),
        peak_flops=_summed((c.peak_flops for c in conversions), "FLOP/s"),
        delivered_flops=_summed((c.delivered_flops for c in conversions), "FLOP/s"),
        flop_per_year=_summed((c.flop_per_year for c in conversions), "FLOP"),
        h100_equivalents=_summed((c.h100_equivalents for c in conversions), ""),
        grid_share=shares,
        hardware_capex=_summed_or_none([c.hardware_capex for c in costs], "USD"),
        facility_capex=_summed((c.facility_capex for c in costs), "USD"),
        capex=_summed_or_none([c.capex for c in costs], "USD"),
        annual_energy_cost=_summed((c.annual_energy_cost for c in costs), "USD/year"),
        annual_cost=_summed_or_none([c.annual_cost for c in costs], "USD/year"),
        emissions=_summed_or_none(
            [None if c.environment is None else c.environment.emissions for c in conversions],
            "tCO2e/year",
        ),
        water=_summed_or_none(
            [None if c.environment is None else c.environment.water for c in conversions],
            "m**3/year",
        ),
        announced_value=None
        if any(v is None for v in values)
        else ureg.Quantity(math.fsum(v for v in values if v is not None), "USD"),
    )


def _timeline(results: Sequence[DealResult]) -> tuple[TimelineYear, ...]:
    scheduled = [r for r in results if r.deal.schedule is not None]
    if not scheduled:
        return ()
    first = min(r.deal.schedule.first_day.year for r in scheduled if r.deal.schedule)
    last = max(r.deal.schedule.last_day.year for r in scheduled if r.deal.schedule)
    by_year = {
        r.deal.name: r.deal.schedule.by_year(first, last) for r in scheduled if r.deal.schedule
    }
    # Each deal's full-deployment outputs as plain numbers, read from pint once, not yearly.
    outputs: dict[str, tuple[Callable[[Conversion], pint.Quantity], str]] = {
        "facility_power": (lambda c: c.facility_power, "W"),
        "it_power": (lambda c: c.it_power, "W"),
        "accelerators": (lambda c: c.accelerators, ""),
        "peak_flops": (lambda c: c.peak_flops, "FLOP/s"),
        "delivered_flops": (lambda c: c.delivered_flops, "FLOP/s"),
    }
    full = {
        output: [float(read(r.conversion).to(unit).magnitude) for r in scheduled]
        for output, (read, unit) in outputs.items()
    }
    facility_gw = [float(r.conversion.facility_power.to("GW").magnitude) for r in scheduled]
    twh_per_day = [
        float(r.conversion.average_facility_power.to("W").magnitude)
        * SECONDS_PER_DAY
        / JOULES_PER_TWH
        for r in scheduled
    ]
    names = [r.deal.name for r in scheduled]
    years = []
    for index, year in enumerate(range(first, last + 1)):
        fraction = [by_year[name][index][0] for name in names]
        days = [by_year[name][index][1] for name in names]
        assert all(d <= days_in_year(year) * (1 + 1e-12) for d in days)
        online = {
            output: ureg.Quantity(
                math.fsum(f * value for f, value in zip(fraction, full[output], strict=True)),
                _unit(unit),
            )
            for output, (_, unit) in outputs.items()
        }
        energy = [d * twh for d, twh in zip(days, twh_per_day, strict=True)]
        years.append(
            TimelineYear(
                year=year,
                online_fraction=dict(zip(names, fraction, strict=True)),
                facility_power_by_deal={
                    name: ureg.Quantity(f * gw, _unit("GW"))
                    for name, f, gw in zip(names, fraction, facility_gw, strict=True)
                },
                **online,
                energy_by_deal={
                    name: ureg.Quantity(twh, _unit("TWh"))
                    for name, twh in zip(names, energy, strict=True)
                },
                energy=ureg.Quantity(math.fsum(energy), _unit("TWh")),
            )
        )
    return tuple(years)


# ---------------------------------------------------------------------------------------------
# Monte Carlo


def portfolio_scenarios(portfolio: Portfolio) -> list[Scenario]:
    """One :class:`capacity.montecarlo.Scenario` per deal, at full deployment."""
    from capacity.montecarlo import Scenario

    return [
        Scenario(
            name=deal.name,
            shares=dict(deal.shares),
            power=deal.power,
            accelerators=deal.accelerators,
            basis=deal.basis,
            pue=deal.pue,
            utilization=deal.utilization,
            mfu=deal.mfu,
            cost_overrides=deal.prices.cost_overrides() or None,
            region=deal.region,
            cooling=deal.cooling,
        )
        for deal in portfolio.deals
    ]


def simulate_portfolio(
    portfolio: Portfolio,
    *,
    samples: int,
    seed: int = DEFAULTS.seed,
    backend: str = DEFAULTS.backend,
    quantiles: Sequence[float] = DEFAULTS.quantiles,
    profiles: ProfileSet | str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    grid_set: GridSet | None = None,
    progress: Callable[[int, int], None] | None = None,
    scheduler: Any = None,
) -> MonteCarloResult:
    """Monte Carlo over every deal's uncertain inputs, at full deployment.

    Each deal is one scenario of :func:`capacity.montecarlo.simulate` (groups: the deal
    names, then ``"total"`` when there is more than one deal); the parameters are its own,
    ``scheduler`` included (a Dask cluster's address or client runs the chunks there).
    """
    from capacity.montecarlo import simulate

    _portfolio_argument(portfolio)
    return simulate(
        portfolio_scenarios(portfolio),
        samples=samples,
        seed=seed,
        backend=backend,
        quantiles=quantiles,
        profiles=profiles,
        overrides=overrides,
        grid_set=grid_set,
        progress=progress,
        scheduler=scheduler,
    )
