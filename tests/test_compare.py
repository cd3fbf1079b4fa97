"""capacity.compare and ``capacity compare``; power-only ``convert`` (issue 12, items 1, 6)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import capacity
from capacity.chain import provisioned_power
from capacity.cli.app import app
from capacity.compare import ComparisonRow, compare, compare_deals
from capacity.errors import InputError, UnknownChipError
from capacity.portfolio import evaluate_portfolio, load_portfolio
from capacity.power import power_shares
from capacity.profiles import load_profiles

from .test_portfolio import TWO_DEALS

runner = CliRunner()
PROFILES = load_profiles()


def test_compare_matches_one_conversion_per_chip() -> None:
    result = compare("1 GW", chips="h100,gb300,tpu-v7")
    assert result.columns == ("h100-sxm", "gb300", "tpu-v7")
    delivered = result.row("delivered_flop_per_s")
    for chip, value in zip(result.columns, delivered.values, strict=True):
        expected = capacity.convert("1 GW", chip=chip).delivered_flops.to("FLOP/s").magnitude
        assert value == pytest.approx(float(expected))
    assert delivered.ratios[0] == 1.0
    # delivered FLOP/s per watt of IT power, gb300 over h100 (the same power, utilization, MFU)
    watts = result.row("it_power_per_accelerator_w").values
    peaks = [PROFILES[chip].peak["bf16"].si for chip in ("h100-sxm", "gb300")]
    assert delivered.ratios[1] == pytest.approx(
        (peaks[1] / watts[1]) / (peaks[0] / watts[0]), rel=1e-9
    )
    h100 = PROFILES["h100-sxm"]
    expected_watts = provisioned_power(
        h100.system.power.si, h100.system.accelerators.si, h100.cluster_overhead.si
    )
    assert watts[0] == pytest.approx(expected_watts)  # 10.2 kW DGX H100 ÷ 8, with overhead


def test_compare_mixes_counts_overrides_and_missing_prices() -> None:
    result = compare("200k", chips="h100", mixes=["h100=0.5,gb300=0.5"],
                     overrides={"gb300.tdp": "1.5 kW"})  # fmt: skip
    assert result.columns == ("h100-sxm", "h100-sxm=0.5,gb300=0.5")
    assert result.row("accelerators").values[0] == pytest.approx(200_000)
    assert "count" not in result.title and "200,000 accelerators" in result.title
    missing = ComparisonRow("capex_usd", "USD", (2.0, None, 3.0))
    assert missing.ratios == (1.0, None, 1.5)
    assert ComparisonRow("x_w", "W", (0.0, 1.0)).ratios == (None, None)


@pytest.mark.parametrize(
    ("arguments", "error", "match"),
    [
        ({"chips": None}, InputError, "compare needs chips or mixes"),
        ({"chips": "h100,h100"}, InputError, "named twice"),
        ({"chips": "h1000"}, UnknownChipError, "unknown chip"),
        ({"chips": "h100", "pue": [1.1, 1.2]}, InputError, "one number"),
    ],
)
def test_compare_errors_name_the_argument(arguments: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        compare("1 GW", **arguments)


def test_deals_compare_the_same_way() -> None:
    report = evaluate_portfolio(load_portfolio(TWO_DEALS))
    result = compare_deals(report)
    assert result.columns == ("Alpha", "Beta")
    assert result.row("facility_power_w").ratios == pytest.approx((1.0, 2.6))  # 2 GW IT × 1.3


def test_cli_compare_table_json_and_csv() -> None:
    table = runner.invoke(app, ["compare", "1GW", "--chips", "h100,gb300,tpu-v7"])
    assert table.exit_code == 0, table.output
    delivered = compare("1 GW", chips="h100,gb300,tpu-v7").row("delivered_flop_per_s")
    for text in ("h100-sxm", "gb300 (×)", "tpu-v7 (×)", f"{delivered.values[0] / 1e21:.4g} ",
                 f"(×{delivered.ratios[1]:.3g})", "Assumptions"):  # fmt: skip
        assert text in table.stdout, text
    # one unit a row, in the unit column, as in the report
    line = next(line for line in table.stdout.splitlines() if "delivered compute" in line)
    assert [cell.strip() for cell in line.split("│")[2:4]] == [
        "ZFLOP/s",
        f"{delivered.values[0] / 1e21:.4g}",
    ]
    document = json.loads(runner.invoke(app, ["compare", "1GW", "--chips", "h100,gb300",
                                              "--format", "json"]).stdout)  # fmt: skip
    assert document["columns"] == ["h100-sxm", "gb300"]
    counts = compare("1 GW", chips="h100,gb300").row("accelerators").values
    ratio = document["outputs"]["accelerators"]["ratio_to_first"]["gb300"]
    assert ratio == pytest.approx(counts[1] / counts[0])
    csv = runner.invoke(app, ["compare", "1GW", "--mix", "h100=0.5,gb300=0.5", "--chips", "h100",
                              "--format", "csv"]).stdout  # fmt: skip
    assert csv.splitlines()[0] == "entity,output,value,unit,ratio_to_first"


def test_cli_compare_portfolio_and_errors() -> None:
    result = runner.invoke(app, ["compare", "--portfolio", str(TWO_DEALS)])
    assert result.exit_code == 0, result.output
    assert "Alpha" in result.stdout and "Beta (×)" in result.stdout
    for args, message in (
        (["compare", "1GW", "--portfolio", str(TWO_DEALS)], "leave out POWER_OR_COUNT"),
        (["compare", "--chips", "h100"], "give POWER_OR_COUNT"),
        (["compare", "1 kg", "--chips", "h100"], "POWER_OR_COUNT is a power"),
    ):
        failed = runner.invoke(app, args)
        assert failed.exit_code == 2, failed.output
        assert failed.stderr.startswith("error: ") and message in failed.stderr, failed.stderr


# --- power alone ----------------------------------------------------------------------------


def test_power_alone_gives_capacity_and_stated_energy_shares() -> None:
    answer = power_shares("10 GW", grids=["us", "world"], load_factor=0.8)
    us = answer.grid_share["us"]
    assert float(us.capacity.magnitude) == pytest.approx(10 / 1194)  # EIA's 1194 GW
    # 8 GW average over the US's 4304 TWh a year
    assert float(us.energy.magnitude) == pytest.approx(8e9 * 8766 / 4304e12, rel=1e-3)
    assert answer.grid_share["world"].capacity is None
    without = power_shares("10 GW", grids=["us"])
    assert without.grid_share["us"].energy is None
    assert float(
        power_shares("10 GW", pue=1.25, basis="it").facility_power.to("GW").magnitude
    ) == pytest.approx(12.5)


def test_cli_convert_without_a_chip() -> None:
    result = runner.invoke(app, ["convert", "10GW", "--grid", "us", "--load-factor", "0.8"])
    assert result.exit_code == 0, result.output
    for text in ("10 GW", "8.333 GW", "0.838 %", "1.63 %", "need a chip"):
        assert text in result.stdout, text
    bare = runner.invoke(app, ["convert", "10GW", "--grid", "us"])
    assert "give --load-factor" in bare.stdout
    document = json.loads(runner.invoke(app, ["convert", "10GW", "--format", "json"]).stdout)
    assert document["grid_share"]["us"]["capacity"] == pytest.approx(10 / 1194)
    assert "need a chip" in document["needs_a_chip"]


def test_several_chips_in_one_chip_point_to_a_mix_and_to_compare() -> None:
    """`convert 1GW --chip h100,gb300` was "unknown chip": it names both ways to ask."""
    with pytest.raises(capacity.UnknownChipError, match=r"is 2 chips: .*h100=SHARE,gb300=SHARE"
                       r".*capacity compare POWER --chips h100,gb300"):  # fmt: skip
        capacity.convert("1 GW", chip="h100,gb300")
    with pytest.raises(capacity.UnknownChipError, match="unknown chip 'h100,nope'"):
        capacity.convert("1 GW", chip="h100,nope")


def test_a_sweep_of_a_few_mixes_says_so_and_points_to_compare() -> None:
    """A sweep over one-chip mixes printed quantiles across the chips without saying which
    row is which; its emissions read "2.017 GkgCO2e" and its water "14.36 Mm**3"."""
    result = runner.invoke(app, ["sweep", "1GW", "--mix", "h100=1", "--mix", "gb300=1",
                                 "--backend", "numpy"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (
        "The quantiles run over the 2 mixes together; one column per mix: capacity compare "
        "1GW --mix h100-sxm=1 --mix gb300=1"
    ) in result.stdout
    assert "Mt CO2e/year" in result.stdout and "million m³/year" in result.stdout
    assert "GkgCO2e" not in result.stdout and "**" not in result.stdout
    follow = runner.invoke(app, ["compare", "1GW", "--mix", "h100-sxm=1", "--mix", "gb300=1"])
    assert follow.exit_code == 0, follow.output


def test_library_documents_are_json_ready() -> None:
    """``to_dict()`` of a comparison and of power shares goes through ``json.dumps`` as it is
    (a scalar input once came back as a 0-d NumPy array)."""
    for document in (
        capacity.compare("1 GW", chips="h100,gb300").to_dict(),
        capacity.power_shares("1 GW").to_dict(),
        capacity.convert("1 GW", chip="h100").to_dict(),
    ):
        assert json.loads(json.dumps(document)) == document
