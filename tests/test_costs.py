"""Costs: capex, energy cost and annual cost of ownership (capacity.costs, 'capacity costs').

Reference case, computed by hand: 1 GW of facility power, PUE 1.2, utilization 0.8, MFU 1, all
H100 SXM (DGX H100: 10.2 kW for 8 GPUs, so W = 1275 W; idle 0.25, busy 0.76; 989.5 TFLOP/s
dense BF16), at 30,000 USD per accelerator, 10 USD/W of IT power, 80 USD/MWh, hardware
lifetime 5 years and facility lifetime 20 years; network and storage, power infrastructure,
land and soft costs and non-energy opex at zero (the all-in components are in test_world.py):

    N            = 1e9 / 1.2 / 1275                 = 653,594.77124 accelerators
    hardware     = N × 30,000                       = 19,607,843,137.25 USD
    facility     = 1e9 / 1.2 × 10                   =  8,333,333,333.33 USD
    P_avg        = 1e9 × (0.25 + 0.51 × 0.8)        = 0.658 GW
    E_year       = 0.658 GW × 8766 h                = 5,768,028 MWh
    energy cost  = 5,768,028 MWh × 80 USD/MWh       = 461,442,240 USD/yr
    FLOP / year  = N × 989.5e12 × 0.8 × 31,557,600 s = 1.6327448e28 FLOP = 1.6327448e10 EFLOP

Rate 0: annualized = hardware / 5 + facility / 20 = 4,338,235,294.12 USD/yr.
Rate 0.08: CRF(0.08, 5) = 0.08 / (1 − 1.08^−5) = 0.2504564546 and
CRF(0.08, 20) = 0.1018522088, so annualized = 5,759,679,280.7 USD/yr.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

import capacity.cli.costs  # noqa: F401  (registers 'capacity costs' before app.py does)
from capacity.cli.app import app
from capacity.convert import convert
from capacity.costs import (
    COST_PARAMETERS,
    capital_recovery_factor,
    conversion_costs,
    cost_assumptions,
    load_cost_defaults,
)
from capacity.errors import InputError, ProfileError, UnknownChipError
from capacity.profiles import load_profiles
from capacity.units import ureg

# Hand-computed cases at the reference systems' own power (cluster overhead 0).
pytestmark = pytest.mark.usefixtures("reference_system_power")

RTOL = 1e-9  # the reference values above are exact to more digits than this
CASE = {
    "price.h100": "30000 USD",
    "facility_capex_per_watt": "10 USD/W",
    "electricity_price": "80 USD/MWh",
    "hardware_lifetime": "5 year",
    "facility_lifetime": "20 year",
    "discount_rate": 0,
    # the components this reference case predates, at zero (tested in test_world.py)
    "network_storage_per_accelerator": "0 USD",
    "power_infrastructure_per_watt": "0 USD/W",
    "land_and_soft_share": 0,
    "non_energy_opex_share": 0,
}
HARDWARE_USD = 19_607_843_137.2549
FACILITY_USD = 8_333_333_333.33333
ENERGY_COST_USD = 461_442_240.0
EFLOP_PER_YEAR = 16_327_448_470.5882


@pytest.fixture
def conversion():
    return convert("1 GW", chip="h100", pue=1.2, utilization=0.8, mfu=1.0)


def costs_for(conversion, **changes):
    return conversion_costs(conversion, cost_assumptions(["h100"], overrides=CASE | changes))


def test_hand_computed_costs_at_rate_zero(conversion):
    costs = costs_for(conversion)
    assert costs.hardware_capex.to("USD").magnitude == pytest.approx(HARDWARE_USD, rel=RTOL)
    assert costs.facility_capex.to("USD").magnitude == pytest.approx(FACILITY_USD, rel=RTOL)
    assert costs.capex.to("USD").magnitude == pytest.approx(27_941_176_470.5882, rel=RTOL)
    assert costs.annual_energy_cost.to("USD/year").magnitude == pytest.approx(
        ENERGY_COST_USD, rel=RTOL
    )
    assert costs.annualized_capex.to("USD/year").magnitude == pytest.approx(
        4_338_235_294.11765, rel=RTOL
    )
    assert costs.annual_cost.to("USD/year").magnitude == pytest.approx(
        4_799_677_534.11765, rel=RTOL
    )
    # capex per GW of facility power: the capex of this 1 GW site
    assert costs.capex_per_gw.to("USD/GW").magnitude == pytest.approx(
        27_941_176_470.5882, rel=RTOL
    )
    assert costs.cost_per_delivered_flop.to("USD/EFLOP").magnitude == pytest.approx(
        4_799_677_534.11765 / EFLOP_PER_YEAR, rel=RTOL
    )
    assert costs.missing_prices == ()


def test_hand_computed_costs_at_eight_percent(conversion):
    costs = costs_for(conversion, discount_rate="0.08")
    annualized = HARDWARE_USD * 0.2504564546 + FACILITY_USD * 0.1018522088
    assert annualized == pytest.approx(5_759_679_280.7, rel=1e-10)
    assert costs.annualized_capex.to("USD/year").magnitude == pytest.approx(annualized, rel=1e-9)
    assert costs.annual_cost.to("USD/year").magnitude == pytest.approx(
        5_759_679_280.7 + ENERGY_COST_USD, rel=1e-9
    )
    assert costs.cost_per_delivered_flop.to("USD/EFLOP").magnitude == pytest.approx(
        0.381022273, rel=1e-8
    )
    # capex itself does not depend on the rate
    assert costs.capex.to("USD").magnitude == pytest.approx(27_941_176_470.5882, rel=RTOL)


@pytest.mark.parametrize(
    ("rate", "years", "expected"),
    [
        (0.0, 5, 0.2),  # straight line
        (0.08, 5, 0.2504564546),  # 0.08 / (1 - 1.08**-5), by hand
        (0.08, 20, 0.1018522088),
        (0.10, 1, 1.1),  # one year: repay the dollar and its interest
    ],
)
def test_capital_recovery_factor(rate, years, expected):
    assert capital_recovery_factor(rate, years) == pytest.approx(expected, rel=1e-9)


def test_capital_recovery_factor_is_continuous_at_zero_rate():
    assert capital_recovery_factor(1e-12, 5) == pytest.approx(0.2, rel=1e-9)


@pytest.mark.parametrize(("rate", "years"), [(-0.1, 5), (0.08, 0), (math.nan, 5)])
def test_capital_recovery_factor_refuses_bad_input(rate, years):
    with pytest.raises(InputError):
        capital_recovery_factor(rate, years)


def test_defaults_are_sourced_and_shown():
    defaults = load_cost_defaults()
    assert set(defaults) == set(COST_PARAMETERS)
    for figure in defaults.values():
        assert figure.source and figure.confidence
    # Cushman & Wakefield 2025: 11.7 USD/W average, 9.3-15.0 across 19 US markets
    capex = defaults["facility_capex_per_watt"]
    assert capex.si == pytest.approx(11.7, rel=1e-12)
    assert capex.low.to("USD/W").magnitude == pytest.approx(9.3)
    assert capex.high.to("USD/W").magnitude == pytest.approx(15.0)
    # EIA 2023 US industrial average, 8.06 cents/kWh = 80.6 USD/MWh = 2.2389e-8 USD/J
    assert defaults["electricity_price"].si == pytest.approx(80.6 / 3.6e9, rel=1e-12)


def test_profile_prices_and_missing_ones():
    profiles = load_profiles()
    assumptions = cost_assumptions(["h100", "gb300", "tpu-v7"], profiles)
    prices = assumptions.accelerator_price
    assert set(prices) == {"h100-sxm", "gb300", "tpu-v7"}
    assert prices["h100-sxm"].value.to("USD").magnitude == pytest.approx(33_750)  # 270k / 8
    assert prices["gb300"].confidence == "press-estimate"
    assert prices["tpu-v7"].confidence == "assumption"  # Google sells no TPU
    assert any(line.startswith("price of gb300") for line in assumptions.flagged())
    assert any(line.startswith("price of tpu-v7") for line in assumptions.flagged())


def _unpriced(chip: str):
    """The built-in profiles with ``chip``'s price removed: a chip without a price."""
    import dataclasses

    from capacity.profiles import ProfileSet

    profiles = load_profiles()
    chosen = profiles.resolve(chip)
    return ProfileSet(
        dataclasses.replace(p, price=None) if p.id == chosen else p for p in profiles.values()
    )


def test_missing_price_is_unavailable_and_names_the_chip():
    unpriced = _unpriced("tpu-v7")
    mixed = convert("1 GW", mix="h100=0.5,tpu-v7=0.5", profiles=unpriced)
    costs = conversion_costs(mixed, cost_assumptions(mixed.chips, unpriced))
    assert costs.missing_prices == ("tpu-v7",)
    for name in ("hardware_capex", "capex", "annualized_capex", "annual_cost", "capex_per_gw"):
        assert getattr(costs, name) is None, name
    assert costs.cost_per_delivered_flop is None
    assert costs.hardware_capex_by_chip["tpu-v7"] is None
    assert costs.hardware_capex_by_chip["h100-sxm"] is not None
    # what does not need a price is still there
    assert costs.facility_capex.to("USD").magnitude > 0
    assert costs.annual_energy_cost.magnitude > 0
    hint = [line for line in costs.assumptions if line.startswith("no price for tpu-v7")]
    assert hint and "--price tpu-v7=" in hint[0] and "'price.tpu-v7'" in hint[0]
    document = costs.to_dict()
    assert document["capex_usd"] is None and document["missing_prices"] == ["tpu-v7"]


def test_overrides_are_graded_and_take_quantities():
    assumptions = cost_assumptions(
        ["gb300"],
        overrides={
            "price.gb300": ureg.Quantity(40, "kUSD"),
            "electricity_price": "0.05 USD/kWh",
            "discount_rate": "8 percent",
        },
    )
    price = assumptions.accelerator_price["gb300"]
    assert price.si == pytest.approx(40_000)
    assert price.confidence == "user-override"
    assert assumptions.electricity_price.si == pytest.approx(50 / 3.6e9, rel=1e-12)
    assert assumptions.discount_rate.si == pytest.approx(0.08)
    flagged = assumptions.flagged()
    assert any(line.startswith("price of gb300: 40000 USD (user-override") for line in flagged)
    assert any(line.startswith("electricity price: 50 USD/MWh") for line in flagged)


def test_price_override_by_alias_reaches_the_costs(conversion):
    costs = costs_for(conversion, **{"price.h100": "60 kUSD"})
    assert costs.hardware_capex.to("USD").magnitude == pytest.approx(2 * HARDWARE_USD, rel=RTOL)


@pytest.mark.parametrize(
    ("key", "value", "needs"),
    [
        ("electricity_price", "80 USD/MW", "energy price"),
        ("facility_capex_per_watt", "11 USD/MWh", "power price"),
        ("hardware_lifetime", "5", "duration"),
        ("price.h100", "30000", "money"),
    ],
)
def test_wrong_units_name_the_field(key, value, needs):
    with pytest.raises(ProfileError) as caught:
        cost_assumptions(["h100"], overrides={key: value})
    message = str(caught.value)
    assert f"field '{key}'" in message and needs in message


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"discount_rate": "1.5"}, ProfileError),  # not a fraction per year
        ({"hardware_lifetime": "0 year"}, ProfileError),
        ({"price.h100": "-1 USD"}, ProfileError),
        ({"electricity": "80 USD/MWh"}, InputError),  # unknown key
        ({"price.h1000": "1 USD"}, UnknownChipError),
    ],
)
def test_bad_overrides_are_refused(overrides, error):
    with pytest.raises(error):
        cost_assumptions(["h100"], overrides=overrides)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "costs.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """
[facility_capex_per_watt]
value = "11 USD/W"
confidence = "assumption"
source = "test"
note = "test"
[electricity_price]
value = "80 USD/MWh"
confidence = "assumption"
source = "test"
note = "test"
[hardware_lifetime]
value = "5 year"
confidence = "assumption"
source = "test"
note = "test"
[facility_lifetime]
value = "20 year"
confidence = "assumption"
source = "test"
note = "test"
[network_storage_per_accelerator]
value = "0 USD"
confidence = "assumption"
source = "test"
note = "test"
[shell_share]
value = 0.47
confidence = "assumption"
source = "test"
note = "test"
[electrical_share]
value = 0.2915
confidence = "assumption"
source = "test"
note = "test"
[mechanical_share]
value = 0.2385
confidence = "assumption"
source = "test"
note = "test"
[power_infrastructure_per_watt]
value = "0 USD/W"
confidence = "assumption"
source = "test"
note = "test"
[land_and_soft_share]
value = 0.0
confidence = "assumption"
source = "test"
note = "test"
[non_energy_opex_share]
value = 0.0
confidence = "assumption"
source = "test"
note = "test"
[discount_rate]
value = 0.0
confidence = "assumption"
source = "test"
note = "test"
"""


def test_a_cost_file_reads(tmp_path):
    figures = load_cost_defaults(_write(tmp_path, GOOD))
    assert figures["facility_capex_per_watt"].si == pytest.approx(11.0)


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        (('value = "80 USD/MWh"', 'value = "80 USD/MW"'), "electricity_price", "energy price"),
        (("[discount_rate]", "[discount]"), "discount", "unknown"),
        (
            ('value = "11 USD/W"', 'value = "11 USD/W"\nlow = "12 USD/W"'),
            "facility_capex_per_watt",
            "low must be ≤ value",
        ),
        (
            ('value = "5 year"', 'value = "5 year"\nhigh = "6 USD"'),
            "hardware_lifetime",
            "high: needs a duration",
        ),
        (
            ('value = "20 year"', 'value = "20 year"\nlimit = 1'),
            "facility_lifetime.limit",
            "unknown",
        ),
    ],
)
def test_a_malformed_cost_file_names_the_file_and_field(tmp_path, change, field, problem):
    path = _write(tmp_path, GOOD.replace(*change, 1))
    with pytest.raises(ProfileError) as caught:
        load_cost_defaults(path)
    message = str(caught.value)
    assert str(path) in message and f"field '{field}'" in message and problem in message


def test_a_missing_table_is_named(tmp_path):
    path = _write(tmp_path, GOOD.split("[discount_rate]")[0])
    with pytest.raises(ProfileError, match=r"field 'discount_rate': required, missing"):
        load_cost_defaults(path)


def test_array_inputs_give_array_costs():
    conversion = convert(ureg.Quantity([1.0, 2.0], "GW"), chip="h100", pue=1.2)
    costs = conversion_costs(conversion, cost_assumptions(["h100"], overrides=CASE))
    assert costs.hardware_capex.to("USD").magnitude == pytest.approx(
        [HARDWARE_USD, 2 * HARDWARE_USD], rel=RTOL
    )
    assert costs.to_dict()["capex_usd"] == pytest.approx(
        [27_941_176_470.5882, 2 * 27_941_176_470.5882], rel=RTOL
    )


def test_zero_power_gives_no_cost_per_watt_rather_than_a_crash():
    costs = conversion_costs(convert("0 GW", chip="h100"), cost_assumptions(["h100"]))
    document = costs.to_dict()
    assert document["capex_usd"] == 0.0
    assert document["capex_usd_per_gw"] is None  # 0 / 0
    json.dumps(document, allow_nan=False)


runner = CliRunner()
# The reference case's CLI options for the components it predates, at zero.
ZERO_NEW_COMPONENTS = [
    "--cost", "network_storage_per_accelerator=0USD", "--cost", "power_infrastructure_per_watt=0USD/W",
    "--cost", "land_and_soft_share=0", "--cost", "non_energy_opex_share=0",
]  # fmt: skip


def test_cli_table():
    result = runner.invoke(
        app,
        ["costs", "1GW", "--chip", "h100", "--price", "h100=30000USD", "--facility-capex",
         "10USD/W", "--electricity", "80USD/MWh", "--lifetime", "5year",
         "--facility-lifetime", "20year", "--discount-rate", "0", *ZERO_NEW_COMPONENTS],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    for text in (
        "653,594",  # accelerators
        "5.768 TWh/yr",
        "19.61 billion USD",  # hardware capex
        "27.94 billion USD",  # capex
        "461.4 million USD/yr",  # energy
        "4.8 billion USD/yr",  # annual cost of ownership
        "0.294 USD/EFLOP",
        "user-override",
    ):
        assert text in result.output, text


def test_cli_table_shows_defaults_with_source_and_confidence():
    result = runner.invoke(app, ["costs", "1GW", "--chip", "gb300"])
    assert result.exit_code == 0, result.output
    assert "11.7 USD/W" in result.output and "9.3 – 15 USD/W" in result.output
    assert "80.6 USD/MWh" in result.output and "press-estimate" in result.output
    assert "cushwake.cld.bz" in result.output and "capacity default" in result.output


def test_cli_json():
    result = runner.invoke(
        app, ["costs", "1GW", "--chip", "h100", "--price", "h100=30000USD", "--facility-capex",
              "10USD/W", "--electricity", "80USD/MWh", "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["costs"]["hardware_capex_usd"] == pytest.approx(HARDWARE_USD, rel=RTOL)
    assert document["costs"]["annual_energy_cost_usd_per_year"] == pytest.approx(
        ENERGY_COST_USD, rel=RTOL
    )
    parameters = document["cost_parameters"]
    assert parameters["accelerator_price_usd"]["h100-sxm"]["confidence"] == "user-override"
    assert parameters["hardware_lifetime_year"]["value"] == pytest.approx(5.0)
    assert document["conversion"]["facility_power_w"] == pytest.approx(1e9)


def test_cli_missing_price_is_named(tmp_path):
    text = (Path(__file__).parents[1] / "hardware_profiles" / "tpu-v7.toml").read_text()
    lines = [line for line in text.splitlines() if not line.startswith("price =")]
    (tmp_path / "tpu-v7.toml").write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["costs", "1GW", "--chip", "tpu-v7", "--profiles", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "unavailable (no price for tpu-v7)" in result.output
    assert "--price tpu-v7=" in result.output


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--electricity", "80USD/MW"], "--electricity: needs an energy price"),
        (["--price", "h100"], "--price 'h100' must be CHIP=VALUE"),
        (["--price", "h1000=1USD"], "unknown chip 'h1000'"),
        (["--format", "xml"], "--format must be one of table, json, csv"),
    ],
)
def test_cli_bad_input_is_one_error_line(arguments, expected):
    result = runner.invoke(app, ["costs", "1GW", "--chip", "h100", *arguments])
    assert result.exit_code == 2
    assert expected in result.output
    assert "Traceback" not in result.output
