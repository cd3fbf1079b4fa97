"""Portfolios: loading and validation, schedule arithmetic, totals, timeline, CLI."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

import capacity.cli.portfolio  # noqa: F401  (registers the command)
from capacity.cli.app import app
from capacity.convert import convert, convert_accelerators
from capacity.costs import conversion_costs, cost_assumptions
from capacity.portfolio import (
    PortfolioError,
    evaluate_portfolio,
    load_portfolio,
    loads_portfolio,
    simulate_portfolio,
)
from capacity.profiles import ProfileSet
from capacity.schedule import Ramp, Schedule
from capacity.units import SECONDS_PER_YEAR

# Hand-computed cases at the reference systems' own power (cluster overhead 0).
pytestmark = pytest.mark.usefixtures("reference_system_power")

DATA = Path(__file__).parent / "data" / "portfolios"
EXAMPLES = Path(__file__).parent.parent / "examples"
TWO_DEALS = DATA / "two-deals.toml"
REL = 1e-12
J_PER_TWH = 3.6e15
SECONDS_PER_DAY = 86_400.0

HEADER = '[portfolio]\nname = "test"\n'


def deal_toml(body: str, name: str = "Campus") -> str:
    return f'{HEADER}\n[[deal]]\nname = "{name}"\ncounterparty = "Vendor"\n{body}\n'


# --- schedule arithmetic --------------------------------------------------------------------------


def test_step_on_january_first_counts_fully_in_that_year() -> None:
    schedule = Schedule.create([Ramp(date(2026, 1, 1), None, 1.0)])
    assert schedule.online_fraction(date(2025, 12, 31)) == 0.0
    assert schedule.online_fraction(date(2026, 1, 1)) == 1.0
    assert schedule.year_online_days(2025) == 0.0
    assert schedule.year_online_days(2026) == 365.0
    assert schedule.year_online_days(2028) == 366.0  # leap year


def test_step_on_december_31_counts_one_day() -> None:
    schedule = Schedule.create([Ramp(date(2026, 12, 31), None, 1.0)])
    assert schedule.online_fraction(date(2026, 12, 31)) == 1.0
    assert schedule.year_online_days(2026) == 1.0


def test_ramp_ending_december_31_is_fully_online_at_year_end() -> None:
    schedule = Schedule.create([Ramp(date(2026, 7, 1), date(2026, 12, 31), 1.0)])
    assert schedule.online_fraction(date(2026, 12, 31)) == 1.0
    # 183 of the ramp's 184 days have passed at the end of 30 December
    assert schedule.online_fraction(date(2026, 12, 30)) == pytest.approx(183 / 184, rel=REL)
    # a triangle: half of the 184 days
    assert schedule.year_online_days(2026) == pytest.approx(92.0, rel=REL)
    assert schedule.year_online_days(2027) == 365.0


def test_ramp_across_a_year_boundary_splits_its_energy_by_the_integral() -> None:
    # 2026-07-01 … 2027-06-30: L = 365 days, 184 of them in 2026
    schedule = Schedule.create([Ramp(date(2026, 7, 1), date(2027, 6, 30), 1.0)])
    first = 184**2 / (2 * 365)  # 46.378082… fraction-days in 2026
    assert schedule.year_online_days(2026) == pytest.approx(46.37808219178082, rel=REL)
    assert schedule.year_online_days(2026) == pytest.approx(first, rel=REL)
    # the rest of the triangle (182.5 − first) plus the 184 full days from 1 July 2027
    assert schedule.year_online_days(2027) == pytest.approx(182.5 - first + 184, rel=REL)
    assert schedule.online_fraction(date(2026, 12, 31)) == pytest.approx(184 / 365, rel=REL)


def test_adjacent_tranches_add_up_and_do_not_overlap() -> None:
    portfolio = loads_portfolio(
        deal_toml(
            'power = "6 GW"\nchip = "gb300"\n'
            '[[deal.tranche]]\nstart = 2026-07-01\nend = 2026-12-31\npower = "1 GW"\n'
            '[[deal.tranche]]\nstart = 2027-01-01\nend = 2029-12-31\npower = "5 GW"\n'
        )
    )
    schedule = portfolio.deals[0].schedule
    assert schedule is not None
    assert [r.share for r in schedule.ramps] == pytest.approx([1 / 6, 5 / 6], rel=REL)
    assert schedule.online_fraction(date(2026, 12, 31)) == pytest.approx(1 / 6, rel=REL)
    assert schedule.online_fraction(date(2029, 12, 31)) == pytest.approx(1.0, rel=REL)
    assert list(schedule.years) == [2026, 2027, 2028, 2029]


# --- loading --------------------------------------------------------------------------------------


def test_load_two_deals(profiles: ProfileSet) -> None:
    portfolio = load_portfolio(TWO_DEALS, profiles=profiles)
    alpha, beta = portfolio.deals
    assert portfolio.name == "Two test deals"
    assert portfolio.as_of == date(2025, 12, 31)
    assert dict(alpha.shares) == {"h100-sxm": 1.0}
    assert (alpha.pue.nominal(), alpha.utilization.nominal(), alpha.mfu.nominal()) == (
        1.2,
        0.8,
        1.0,
    )
    assert dict(beta.shares) == {"gb300": 0.5, "mi355x": 0.5}
    assert (beta.basis, beta.pue.nominal(), beta.utilization.nominal()) == ("it", 1.3, 0.6)


def test_defaults_fill_deals_and_a_deal_replaces_chip_with_mix(profiles: ProfileSet) -> None:
    text = (
        f'{HEADER}[defaults]\nchip = "h100"\npue = "tri:1.1,1.2,1.4"\n'
        '[[deal]]\nname = "A"\ncounterparty = "X"\npower = "1 GW"\n'
        '[[deal]]\nname = "B"\ncounterparty = "X"\npower = "1 GW"\nmix = { gb300 = 1.0 }\n'
    )
    a, b = loads_portfolio(text, profiles=profiles).deals
    assert dict(a.shares) == {"h100-sxm": 1.0} and dict(b.shares) == {"gb300": 1.0}
    assert a.pue.kind == "triangular" and a.pue.nominal() == 1.2
    assert a.schedule is None


def test_count_deal_with_count_tranches_and_distribution(profiles: ProfileSet) -> None:
    portfolio = loads_portfolio(
        deal_toml(
            'accelerators = "uniform:0.9M,1.1M"\nchip = "tpu-v7"\n'
            '[[deal.tranche]]\nstart = "2025-10-29"\naccelerators = "500k"\n'
            '[[deal.tranche]]\nstart = "2025-10-30"\nend = "2025-12-31"\naccelerators = 500000\n'
        ),
        profiles=profiles,
    )
    deal = portfolio.deals[0]
    assert deal.accelerators is not None and deal.power is None
    assert deal.accelerators.parameters == (900_000.0, 1_100_000.0)
    assert deal.accelerators.nominal() == 1_000_000.0


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        (
            'power = "1 GW"\nchip = "h100"\npue = 0.9',
            ["deal 'Campus'", "field 'pue'", "≥ 1", "0.9"],
        ),
        (
            'power = "1 GW"\nchip = "h100"\nutilization = 1.2',
            ["field 'utilization'", "in [0, 1]", "1.2"],
        ),
        ('power = "1 GW"\nchip = "h100"\nmfu = "uniform:0.5,1.5"', ["field 'mfu'", "[0, 1]"]),
        ('power = "10 GWh"\nchip = "h100"', ["field 'power'", "needs a power", "an energy"]),
        ('power = 10\nchip = "h100"', ["field 'power'", "with its unit", "10 GW"]),
        ('power = "-1 GW"\nchip = "h100"', ["field 'power'", "≥ 0"]),
        ('accelerators = "1 GW"\nchip = "h100"', ["field 'accelerators'", "write it as `power`"]),
        ('accelerators = "lots"\nchip = "h100"', ["field 'accelerators'", "number of accel"]),
        ('accelerators = -5\nchip = "h100"', ["field 'accelerators'", "must be > 0, got -5"]),
        ('accelerators = 0\nchip = "h100"', ["field 'accelerators'", "must be > 0, got 0"]),
        ('power = "1 GW"\nchip = "h1000"', ["field 'chip'", "unknown chip 'h1000'", "h100-sxm"]),
        ('power = "1 GW"\nmix = { h100 = 0.5, gb300 = 0.4 }', ["field 'mix'", "sum to 1"]),
        ('power = "1 GW"', ["field 'chip' or 'mix'", "required"]),
        ('power = "1 GW"\nchip = "h100"\nmix = { h100 = 1.0 }', ["'chip' or 'mix'", "not both"]),
        ('chip = "h100"', ["field 'power' or 'accelerators'", "required"]),
        ('power = "1 GW"\naccelerators = "1M"\nchip = "h100"', ["'power' or 'accel", "not both"]),
        ('power = "1 GW"\nchip = "h100"\nbasis = "grid"', ["field 'basis'", "facility, it"]),
        (
            'accelerators = "1M"\nchip = "h100"\nbasis = "it"',
            ["field 'basis'", "applies to a pow"],
        ),
        ('power = "1 GW"\nchip = "h100"\npeu = 1.2', ["field 'peu'", "unknown field", "pue"]),
        ('power = "1 GW"\nchip = "h100"\nstart = "2026-13-01"', ["field 'start'", "not a date"]),
        ('power = "1 GW"\nchip = "h100"\nstart = "next year"', ["field 'start'", "YYYY-MM-DD"]),
        (
            'power = "1 GW"\nchip = "h100"\nstart = 2027-01-01\nend = 2026-12-31',
            ["field 'end'", "2026-12-31 is before start 2027-01-01"],
        ),
        ('power = "1 GW"\nchip = "h100"\nend = 2026-12-31', ["field 'start'", "with 'end'"]),
        (
            'power = "1 GW"\nchip = "h100"\nstart = 2026-01-01\nramp = "linear"',
            ["field 'end'", "linear ramp needs an end"],
        ),
        (
            'power = "1 GW"\nchip = "h100"\nstart = 2026-01-01\nend = 2026-06-30\nramp = "step"',
            ["field 'end'", "step ramp"],
        ),
        (
            'power = "1 GW"\nchip = "h100"\nstart = 2026-01-01\nend = 2026-06-30\nramp = "s"',
            ["field 'ramp'", "linear, step"],
        ),
        (
            'power = "1 GW"\nchip = "h100"\nstart = 2026-01-01\n'
            '[[deal.tranche]]\nstart = 2026-01-01\npower = "1 GW"',
            ["field 'start'", "not both"],
        ),
        (
            'power = "3 GW"\nchip = "h100"\n[[deal.tranche]]\nstart = 2026-01-01\npower = "1 GW"\n'
            '[[deal.tranche]]\nstart = 2027-01-01\npower = "1 GW"',
            ["field 'tranche'", "add up to 2 GW", "power is 3 GW"],
        ),
        (
            'power = "1 GW"\nchip = "h100"\n[[deal.tranche]]\nstart = 2026-01-01\npower = "-1 GW"',
            ["field 'tranche[1].power'", "must be > 0"],
        ),
        (
            'power = "1 GW"\nchip = "h100"\n[[deal.tranche]]\nstart = 2026-01-01\npower = "0 GW"',
            ["field 'tranche[1].power'", "must be > 0"],
        ),
        (
            'power = "1 GW"\nchip = "h100"\n[[deal.tranche]]\nstart = 2026-01-01\npower = "1 GWh"',
            ["field 'tranche[1].power'", "an energy"],
        ),
        (
            'power = "1 GW"\nchip = "h100"\n[[deal.tranche]]\nstart = 2026-01-01\n'
            'accelerators = "1M"',
            ["field 'tranche[1].accelerators'", "sized by power"],
        ),
        (
            'power = "1 GW"\nchip = "h100"\n[[deal.tranche]]\npower = "1 GW"',
            ["field 'tranche[1].start'", "required"],
        ),
        (
            'power = "1 GW"\nchip = "h100"\n[[deal.tranche]]\nstart = 2026-02-01\n'
            'end = 2026-01-01\npower = "1 GW"',
            ["field 'tranche[1].end'", "before start"],
        ),
        (
            'power = "2 GW"\nchip = "h100"\n[[deal.tranche]]\nstart = 2026-01-01\npower = "1 GW"\n'
            '[[deal.tranche]]\nstart = 2026-01-01\nend = 2026-06-30\npower = "1 GW"',
            ["tranches 1 (2026-01-01, at once) and 2 (2026-01-01 … 2026-06-30) overlap"],
        ),
        (
            'power = "1 GW"\nchip = "h100"\n[deal.prices]\nelectricity = "80 USD/MW"',
            ["[prices]: field 'electricity'", "needs an energy price"],
        ),
        (
            'power = "1 GW"\nchip = "h100"\n[deal.prices]\naccelerator = { h1000 = "1 USD" }',
            ["field 'accelerator.h1000'", "unknown chip"],
        ),
        (
            'power = "1 GW"\nchip = "h100"\n[deal.prices]\ndiscount = 0.1',
            ["field 'discount'", "unknown field", "discount_rate"],
        ),
    ],
)
def test_bad_deal_names_the_deal_and_field(body: str, fragments: list[str]) -> None:
    with pytest.raises(PortfolioError) as raised:
        loads_portfolio(deal_toml(body), name="deals.toml")
    message = str(raised.value)
    assert message.startswith("deals.toml: ")
    for fragment in fragments:
        assert fragment in message, message


def test_error_message_form() -> None:
    with pytest.raises(PortfolioError) as raised:
        load_portfolio(DATA / "bad-pue.toml")
    assert (
        str(raised.value)
        == f"{DATA / 'bad-pue.toml'}: deal 'Campus': field 'pue': must be ≥ 1, got 0.9"
    )


@pytest.mark.parametrize(
    ("file", "fragments"),
    [
        ("overlapping-tranches.toml", ["deal 'Phased'", "tranches 1 (2026-01-01 … 2026-12-31)",
                                       "and 2 (2026-12-01 … 2027-12-31) overlap"]),
        ("unknown-chip.toml", ["deal 'Typo'", "field 'chip'", "unknown chip 'h1000'; known:"]),
        ("syntax-error.toml", ["syntax-error.toml: not valid TOML", "line 6"]),
        ("missing.toml", ["missing.toml: cannot read the portfolio file"]),
    ],
)  # fmt: skip
def test_bad_files(file: str, fragments: list[str]) -> None:
    with pytest.raises(PortfolioError) as raised:
        load_portfolio(DATA / file)
    for fragment in fragments:
        assert fragment in str(raised.value), str(raised.value)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[[deal]]\nname = "x"', "[portfolio] table required"),
        ('[portfolio]\ndescription = "x"', "[portfolio]: field 'name': required"),
        ('[portfolio]\nname = "x"\ntitle = "y"', "[portfolio]: field 'title': unknown field"),
        (HEADER + "version = 2", "field 'version': this capacity reads format version 1"),
        (HEADER, "no deals"),
        (HEADER + '[deal]\nname = "x"', "write each deal as [[deal]]"),
        (HEADER + "[defaults]\npue = 0.5", "[defaults]: field 'pue': must be ≥ 1, got 0.5"),
        (HEADER + '[defaults]\nstart = "2026-01-01"', "[defaults]: field 'start': unknown"),
        (HEADER + '[deals]\nname = "x"', "unknown table or field 'deals'"),
        (
            HEADER + '[[deal]]\nname = "A"\ncounterparty = "X"\npower = "1 GW"\nchip = "h100"\n'
            '[[deal]]\nname = "A"\ncounterparty = "Y"\npower = "1 GW"\nchip = "h100"',
            "deal 'A': field 'name': deals #1 and #2 have the same name",
        ),
        (HEADER + '[[deal]]\ncounterparty = "X"', "deal #1: field 'name': required"),
        (HEADER + '[[deal]]\nname = "A"\npower = "1 GW"', "deal 'A': field 'counterparty'"),
    ],
)
def test_bad_portfolio_tables(text: str, fragment: str) -> None:
    with pytest.raises(PortfolioError) as raised:
        loads_portfolio(text, name="p.toml")
    assert fragment in str(raised.value), str(raised.value)


# --- evaluation -----------------------------------------------------------------------------------


def test_totals_equal_the_sum_of_single_conversions(profiles: ProfileSet) -> None:
    report = evaluate_portfolio(load_portfolio(TWO_DEALS, profiles=profiles), profiles=profiles)
    alpha = convert("1 GW", chip="h100", pue=1.2, utilization=0.8, mfu=1.0, profiles=profiles)
    beta = convert(
        "2 GW", mix={"gb300": 0.5, "mi355x": 0.5}, basis="it", pue=1.3, utilization=0.6,
        mfu=0.5, profiles=profiles,
    )  # fmt: skip
    singles = (alpha, beta)
    t = report.totals
    for total, name, unit in (
        (t.accelerators, "accelerators", ""),
        (t.it_power, "it_power", "W"),
        (t.facility_power, "facility_power", "W"),
        (t.average_facility_power, "average_facility_power", "W"),
        (t.annual_energy, "annual_energy", "TWh"),
        (t.peak_flops, "peak_flops", "FLOP/s"),
        (t.delivered_flops, "delivered_flops", "FLOP/s"),
        (t.flop_per_year, "flop_per_year", "FLOP"),
        (t.h100_equivalents, "h100_equivalents", ""),
    ):
        expected = sum(getattr(c, name).to(unit).magnitude for c in singles)
        assert total.to(unit).magnitude == pytest.approx(expected, rel=REL), name
    systems = sum(s.magnitude for c in singles for s in c.systems_by_chip.values())
    assert t.systems.magnitude == pytest.approx(systems, rel=REL)
    for grid, share in t.grid_share.items():
        expected = sum(c.grid_share[grid].energy.magnitude for c in singles)
        assert share.energy.magnitude == pytest.approx(expected, rel=REL), grid
    # literal values: 1 GW ÷ 1.2 of H100s at 1.275 kW each (DGX H100: 10.2 kW / 8)
    h100 = profiles["h100"]
    watts = h100.system.power.si / 8 * (1 + h100.cluster_overhead.si)
    assert alpha.accelerators.magnitude == pytest.approx(1e9 / 1.2 / watts, rel=REL)
    assert t.facility_power.to("GW").magnitude == pytest.approx(1.0 + 2.0 * 1.3, rel=REL)
    for result, single in zip(report.deals, singles, strict=True):
        assert result.conversion.accelerators.magnitude == pytest.approx(
            single.accelerators.magnitude, rel=REL
        )


@pytest.mark.skipif(not (EXAMPLES / "openai-2025.toml").exists(), reason="example not there")
def test_openai_example_totals_equal_the_sum_of_single_conversions(profiles: ProfileSet) -> None:
    portfolio = load_portfolio(EXAMPLES / "openai-2025.toml", profiles=profiles)
    report = evaluate_portfolio(portfolio, profiles=profiles)
    singles = []
    for deal in portfolio.deals:
        chip_or_mix = {"mix": dict(deal.shares)} if deal.chip is None else {"chip": deal.chip}
        inputs = {
            "pue": deal.pue.nominal(), "utilization": deal.utilization.nominal(),
            "mfu": deal.mfu.nominal(), "profiles": profiles, **chip_or_mix,
        }  # fmt: skip
        if deal.power is not None:
            power = f"{deal.power.nominal()!r} W"
            singles.append(convert(power, basis=deal.basis, **inputs))
        else:
            assert deal.accelerators is not None
            singles.append(convert_accelerators(deal.accelerators.nominal(), **inputs))
    for name in ("accelerators", "facility_power", "average_facility_power", "delivered_flops"):
        expected = math.fsum(float(getattr(c, name).to_base_units().magnitude) for c in singles)
        total = float(getattr(report.totals, name).to_base_units().magnitude)
        assert total == pytest.approx(expected, rel=REL), name


def test_timeline_of_two_deals(profiles: ProfileSet) -> None:
    report = evaluate_portfolio(load_portfolio(TWO_DEALS, profiles=profiles), profiles=profiles)
    alpha, beta = (r.conversion for r in report.deals)
    y2026, y2027 = report.timeline
    assert (y2026.year, y2027.year) == (2026, 2027)
    assert dict(y2026.online_fraction) == {"Alpha": 1.0, "Beta": 0.0}
    assert y2027.online_fraction["Beta"] == pytest.approx(1.0, rel=REL)
    assert y2026.facility_power.to("GW").magnitude == pytest.approx(1.0, rel=REL)
    assert y2027.accelerators.magnitude == pytest.approx(
        alpha.accelerators.magnitude + beta.accelerators.magnitude, rel=REL
    )
    # Alpha: a step on 1 January, all 365 days of 2026. Beta in 2027: a quarter at once on
    # 1 January (365 days) and three quarters ramping 2 January … 31 December (364 days, so
    # 182 fraction-days): 0.25 × 365 + 0.75 × 182 = 227.75 days.
    alpha_w = alpha.average_facility_power.to("W").magnitude
    beta_w = beta.average_facility_power.to("W").magnitude
    assert y2026.energy.to("TWh").magnitude == pytest.approx(
        alpha_w * 365 * SECONDS_PER_DAY / J_PER_TWH, rel=REL
    )
    assert y2027.energy_by_deal["Beta"].to("TWh").magnitude == pytest.approx(
        beta_w * 227.75 * SECONDS_PER_DAY / J_PER_TWH, rel=REL
    )
    # a full year online is 365 days of energy, the conversion's annual energy 365.25
    assert y2026.energy.to("J").magnitude == pytest.approx(
        alpha.annual_energy.to("J").magnitude * 365 * SECONDS_PER_DAY / SECONDS_PER_YEAR, rel=REL
    )


def test_deal_without_schedule_is_flagged_and_left_out_of_the_timeline() -> None:
    report = evaluate_portfolio(
        loads_portfolio(
            HEADER + '[[deal]]\nname = "A"\ncounterparty = "X"\npower = "1 GW"\nchip = "h100"\n'
            'start = 2027-01-01\n[[deal]]\nname = "B"\ncounterparty = "X"\npower = "2 GW"\n'
            'chip = "h100"\n'
        )
    )
    assert [y.year for y in report.timeline] == [2027]
    assert report.timeline[0].facility_power.to("GW").magnitude == pytest.approx(1.0, rel=REL)
    assert report.totals.facility_power.to("GW").magnitude == pytest.approx(3.0, rel=REL)
    assert any("deal 'B': no schedule" in flag for flag in report.flags)


def test_prices_become_cost_overrides(profiles: ProfileSet) -> None:
    text = deal_toml(
        'power = "1 GW"\nchip = "h100"\n[deal.prices]\naccelerator = { h100 = "30000 USD" }\n'
        'facility_capex_per_watt = "10 USD/W"\nelectricity = "50 USD/MWh"\nvalue = "40 GUSD"'
    )
    report = evaluate_portfolio(loads_portfolio(text, profiles=profiles), profiles=profiles)
    conversion = convert("1 GW", chip="h100", profiles=profiles)
    overrides = {
        "price.h100-sxm": "30000 USD",
        "facility_capex_per_watt": "10 USD/W",
        "electricity_price": "50 USD/MWh",
    }
    expected = conversion_costs(conversion, cost_assumptions(["h100"], profiles, overrides))
    costs = report.deals[0].costs
    assert costs.capex is not None and expected.capex is not None
    assert costs.capex.to("USD").magnitude == pytest.approx(
        expected.capex.to("USD").magnitude, rel=REL
    )
    # 1 GW / 1.2 / W × 30 000 USD, W the H100's provisioned power
    h100 = profiles["h100"]
    watts = h100.system.power.si / 8 * (1 + h100.cluster_overhead.si)
    assert costs.hardware_capex.to("USD").magnitude == pytest.approx(
        1e9 / 1.2 / watts * 30_000, rel=REL
    )
    assert report.totals.capex is not None
    assert report.totals.announced_value is not None
    assert report.totals.announced_value.to("GUSD").magnitude == pytest.approx(40.0, rel=REL)


def test_missing_price_makes_the_total_capex_unavailable(profiles: ProfileSet) -> None:
    report = evaluate_portfolio(load_portfolio(TWO_DEALS, profiles=profiles), profiles=profiles)
    missing = [r for r in report.deals if r.costs.missing_prices]
    if missing:
        assert report.totals.capex is None
        assert any("no price for" in flag for flag in report.flags)
    assert report.totals.facility_capex.magnitude > 0


@pytest.mark.parametrize("name", ["openai-2025.toml", "anthropic-2025.toml"])
def test_examples_load_and_evaluate(name: str, profiles: ProfileSet) -> None:
    path = EXAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} not there")
    report = evaluate_portfolio(load_portfolio(path, profiles=profiles), profiles=profiles)
    assert report.timeline
    assert report.timeline[-1].facility_power.to("W").magnitude == pytest.approx(
        sum(r.conversion.facility_power.to("W").magnitude for r in report.deals
            if r.deal.schedule is not None), rel=1e-9
    )  # fmt: skip


def test_to_dict_is_json(profiles: ProfileSet) -> None:
    report = evaluate_portfolio(load_portfolio(TWO_DEALS, profiles=profiles), profiles=profiles)
    document = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert [d["name"] for d in document["deals"]] == ["Alpha", "Beta"]
    assert document["total"]["facility_power_w"] == pytest.approx(3.6e9, rel=REL)
    assert [y["year"] for y in document["timeline"]] == [2026, 2027]


# --- Monte Carlo ----------------------------------------------------------------------------------


def test_simulate_portfolio_groups_and_fixed_power(profiles: ProfileSet) -> None:
    portfolio = load_portfolio(TWO_DEALS, profiles=profiles)
    result = simulate_portfolio(portfolio, samples=2000, backend="numpy", profiles=profiles)
    assert result.groups == ("Alpha", "Beta", "total")
    summary = result.summary("total", "facility_power")
    assert summary is not None
    # facility power is fixed in both deals: 1 GW, and 2 GW of IT power × PUE 1.3
    assert summary.quantile(0.05) == pytest.approx(3.6e9, rel=1e-9)
    assert summary.quantile(0.95) == pytest.approx(3.6e9, rel=1e-9)


# --- CLI ------------------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_table_with_samples() -> None:
    result = runner.invoke(
        app, ["portfolio", str(TWO_DEALS), "--samples", "2000", "--backend", "numpy"]
    )
    assert result.exit_code == 0, result.output
    for text in ("Two test deals", "total", "P5", "P50", "P95", "Timeline", "2026", "2027",
                 "backend numpy"):  # fmt: skip
        assert text in result.output


def test_cli_json_and_csv(tmp_path: Path) -> None:
    result = runner.invoke(app, ["portfolio", str(TWO_DEALS), "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["total"]["facility_power_w"] == pytest.approx(3.6e9, rel=REL)

    out = tmp_path / "deals.csv"
    result = runner.invoke(
        app, ["portfolio", str(TWO_DEALS), "--format", "csv", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert {row["section"] for row in rows} == {"deal", "total", "timeline"}
    total = {row["output"]: row for row in rows if row["section"] == "total"}
    assert float(total["facility_power_w"]["value"]) == pytest.approx(3.6e9, rel=REL)
    assert total["facility_power_w"]["unit"] == "W"  # tidy: one row per entity and output
    years = {row["year"] for row in rows if row["section"] == "timeline"}
    assert years == {"2026", "2027"}


def test_cli_bad_file_is_one_error_line() -> None:
    result = runner.invoke(app, ["portfolio", str(DATA / "bad-pue.toml")])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: {DATA / 'bad-pue.toml'}: deal 'Campus': field 'pue': must be ≥ 1, got 0.9"
    ]
