"""Claim check: constructed claims whose answer is known, the issue's examples computed by
hand, parsing, errors, JSON and the CLI.

Hand figures come from the data files: hardware_profiles/h100-sxm.toml (DGX H100 10.2 kW for
8 GPUs, no cluster overhead → W = 1,275 W; idle 0.25, busy 0.76 of it) and
capacity/data/grids.toml (global-datacenters 415 TWh; us 4,304 TWh and 1,194 GW). A grid's
average load is its annual energy over a Julian year of 8,766 h.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import capacity.cli.check  # noqa: F401  (registers 'capacity check' until app.py lists it)
from capacity.claims import Claim, check_claim, parse_claim, verdict
from capacity.cli.app import app
from capacity.convert import convert
from capacity.errors import InputError, UnitError, UnknownChipError, UnknownGridError

# Hand-computed cases at the reference systems' own power (cluster overhead 0).
pytestmark = pytest.mark.usefixtures("reference_system_power")

H100_W = 10_200 / 8  # W per accelerator, provisioned IT power
H100_IDLE, H100_BUSY = 0.25, 0.76
HOURS_PER_YEAR = 365.25 * 24
GLOBAL_DC_LOAD_W = 415e12 / HOURS_PER_YEAR  # 415 TWh a year as an average load, 47.34 GW
US_LOAD_W, US_CAPACITY_W = 4304e12 / HOURS_PER_YEAR, 1194e9
REL = 1e-9  # the hand figures are exact arithmetic on the file's figures

runner = CliRunner()


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


# --- the issue's examples, by hand -----------------------------------------------------------


def test_issue_accelerator_example() -> None:
    """30 GW = 4.5M h100 at PUE 1.2: 30 GW ÷ (1,275 W × 1.2) = 19,607,843 H100s."""
    report = check_claim("30 GW = 4.5M h100")
    (check,) = report.checks
    (end,) = check.ends
    assert check.chip == "h100-sxm"
    assert check.model_accelerators == pytest.approx(30e9 / (H100_W * 1.2), rel=REL)
    assert check.model_accelerators == pytest.approx(19_607_843.137, rel=1e-10)
    assert check.model_power_per_accelerator.to("W").magnitude == pytest.approx(1530, rel=REL)
    assert end.ratio == pytest.approx(0.2295, rel=REL)  # 4.5M × 1,530 W ÷ 30 GW
    assert end.verdict == check.verdict == "understates"
    assert end.claimed_power_per_accelerator.to("W").magnitude == pytest.approx(6666.667, 1e-6)
    assert end.implied_pue == pytest.approx(30e9 / (4.5e6 * H100_W), rel=REL)  # 5.229
    assert end.possible
    assert end.implied_it_power_per_accelerator.to("W").magnitude == pytest.approx(
        30e9 / 4.5e6 / 1.2, rel=REL
    )  # 5,556 W
    assert end.power_for_count.to("GW").magnitude == pytest.approx(6.885, rel=REL)
    assert check.model_inside is None
    assert not report.consistent


def test_issue_grid_share_example() -> None:
    """30 GW = 25% of global-datacenters, h100 average draw at utilization 0.8."""
    report = check_claim("30 GW = 25% of global-datacenters")
    (check,) = report.checks
    (end,) = check.ends
    draw = H100_IDLE + (H100_BUSY - H100_IDLE) * 0.8  # 0.658 of provisioned power
    share = 30e9 * draw / GLOBAL_DC_LOAD_W
    assert share == pytest.approx(0.41697, abs=1e-5)
    assert check.chip == "h100-sxm"  # no chip in the claim: the reference chip, stated
    assert any("reference chip" in line for line in report.assumptions)
    assert check.model_share == pytest.approx(share, rel=REL)
    assert check.model_shares["full_draw"] == pytest.approx(30e9 / GLOBAL_DC_LOAD_W, rel=REL)
    assert "capacity" not in check.model_shares  # the IEA figure has no capacity
    assert end.ratio == pytest.approx(0.25 / share, rel=REL)  # 0.5996
    assert end.verdict == "understates"
    assert end.matches == () and check.matches == ()
    assert end.implied_average_facility_power.to("W").magnitude == pytest.approx(
        0.25 * GLOBAL_DC_LOAD_W, rel=REL
    )
    # 0.25 × 47.34 GW ÷ 30 GW = 0.3945 of provisioned power → u = (0.3945 − 0.25) ÷ 0.51
    implied_u = (0.25 * GLOBAL_DC_LOAD_W / 30e9 - H100_IDLE) / (H100_BUSY - H100_IDLE)
    assert end.implied_utilization == pytest.approx(implied_u, rel=REL)
    assert end.implied_utilization == pytest.approx(0.28337, abs=1e-5)
    assert end.utilization_reachable
    assert end.implied_grid_annual_energy.to("TWh").magnitude == pytest.approx(
        30 * draw * HOURS_PER_YEAR / 0.25 / 1000, rel=REL
    )  # 692.2 TWh
    assert end.implied_grid_capacity.to("GW").magnitude == pytest.approx(120, rel=REL)


def test_issue_chain_checks_each_side_in_order() -> None:
    report = check_claim("30 GW = 4.5M h100 = 25% of global-datacenters")
    kinds = [check.kind for check in report.checks]
    assert kinds == ["accelerators", "grid_share"]
    assert report.checks[1].chip == "h100-sxm"
    assert any("the chip the claim counts" in line for line in report.assumptions)
    assert [c.verdict for c in report.checks] == ["understates", "understates"]


# --- constructed claims ----------------------------------------------------------------------


def test_the_models_own_count_is_consistent_with_its_pue() -> None:
    count = float(convert("30 GW", chip="h100", pue=1.3).accelerators.magnitude)
    for claim in (f"30 GW = {count!r} h100", Claim.from_parts("30 GW", count=count, chip="h100")):
        (check,) = check_claim(claim, pue=1.3).checks
        (end,) = check.ends
        assert end.ratio == pytest.approx(1.0, rel=1e-12)
        assert end.verdict == "consistent"
        assert end.implied_pue == pytest.approx(1.3, rel=1e-12)
        assert end.power_for_count.to("GW").magnitude == pytest.approx(30, rel=1e-12)


def test_twice_the_count_needs_a_pue_below_one() -> None:
    count = float(convert("30 GW", chip="h100", pue=1.3).accelerators.magnitude)
    (check,) = check_claim(f"30 GW = {2 * count!r} h100", pue=1.3).checks
    (end,) = check.ends
    assert end.ratio == pytest.approx(2.0, rel=1e-12)
    assert end.verdict == "overstates"
    assert end.implied_pue == pytest.approx(0.65, rel=1e-12)
    assert not end.possible
    # at PUE 1.3 each accelerator could have half the profile's 1,275 W of IT power
    assert end.implied_it_power_per_accelerator.to("W").magnitude == pytest.approx(637.5, 1e-12)
    assert end.power_for_count.to("GW").magnitude == pytest.approx(60, rel=1e-12)


@pytest.mark.parametrize(
    ("options", "it_watts"),
    [
        ({"pue": 1.4}, H100_W),
        ({"provision": "busy"}, H100_W * H100_BUSY),
        ({"method": "epoch"}, 1.82 * 700),  # Epoch AI: 1.82 × 700 W TDP
    ],
)
def test_model_count_follows_the_options(options: dict[str, object], it_watts: float) -> None:
    pue = float(options.get("pue", 1.2))  # type: ignore[arg-type]
    (check,) = check_claim("10 GW = 1M h100", **options).checks  # type: ignore[arg-type]
    assert check.model_accelerators == pytest.approx(10e9 / (it_watts * pue), rel=REL)
    assert check.it_power_per_accelerator.to("W").magnitude == pytest.approx(it_watts, rel=REL)
    assert check.model_power_per_accelerator.to("W").magnitude == pytest.approx(
        it_watts * pue, rel=REL
    )
    assert check.ends[0].implied_pue == pytest.approx(10e9 / 1e6 / it_watts, rel=REL)


def test_it_basis_has_no_implied_pue() -> None:
    report = check_claim("30 GW = 4.5M h100", basis="it")
    (end,) = report.checks[0].ends
    assert report.checks[0].model_accelerators == pytest.approx(30e9 / H100_W, rel=REL)
    assert end.implied_pue is None and end.possible
    assert end.implied_it_power_per_accelerator.to("W").magnitude == pytest.approx(6666.667, 1e-6)
    assert end.power_for_count.to("GW").magnitude == pytest.approx(4.5e6 * H100_W / 1e9, REL)
    assert any("IT power" in line for line in report.assumptions)


def test_the_grid_share_of_a_known_conversion_is_consistent() -> None:
    share = float(convert("10 GW", chip="h100", grids=["us"]).grid_share["us"].energy.magnitude)
    assert share == pytest.approx(10e9 * 0.658 / US_LOAD_W, rel=REL)  # 1.34 %
    (check,) = check_claim(f"10 GW = {share * 100!r}% of us").checks
    (end,) = check.ends
    assert end.ratio == pytest.approx(1.0, rel=1e-12)
    assert end.verdict == "consistent" and "energy" in check.matches
    assert end.implied_utilization == pytest.approx(0.8, rel=1e-12)
    assert end.implied_grid_annual_energy.to("TWh").magnitude == pytest.approx(4304, rel=1e-12)


@pytest.mark.parametrize(
    ("percent", "reading"),
    [
        (10e9 / US_CAPACITY_W * 100, "capacity"),  # 0.8375 %: 10 GW ÷ 1,194 GW
        (10e9 / US_LOAD_W * 100, "full_draw"),  # 2.037 %: 10 GW ÷ 491 GW average load
    ],
)
def test_a_share_of_capacity_or_full_draw_is_recognised(percent: float, reading: str) -> None:
    (check,) = check_claim(f"10 GW = {percent!r}% of us").checks
    assert check.verdict != "consistent"
    assert check.matches == (reading,)
    assert check.ends[0].ratios[reading] == pytest.approx(1.0, rel=1e-12)


def test_a_share_out_of_reach_of_utilization() -> None:
    (check,) = check_claim("30 GW = 80% of global-datacenters").checks
    (end,) = check.ends
    assert check.share_at_idle == pytest.approx(30e9 * H100_IDLE / GLOBAL_DC_LOAD_W, rel=REL)
    assert check.share_at_busy == pytest.approx(30e9 * H100_BUSY / GLOBAL_DC_LOAD_W, rel=REL)
    assert end.implied_utilization is not None and end.implied_utilization > 1
    assert not end.utilization_reachable


@pytest.mark.parametrize(
    ("claim", "expected", "inside"),
    [
        ("30 GW = 19-20M h100", "consistent", True),  # model 19.61M
        ("30 GW = 20.5-22M h100", "consistent", False),  # 20.5M ÷ 19.61M = 1.046 ≤ 1.1
        ("30 GW = 22-25M h100", "overstates", False),  # 1.122
        ("30 GW = 4-5M h100", "understates", False),
        ("30 GW = 40-45% of global-datacenters", "consistent", True),  # model 41.7 %
        ("30 GW = 20-30% of global-datacenters", "understates", False),
    ],
)
def test_ranges_check_both_ends(claim: str, expected: str, inside: bool) -> None:
    (check,) = check_claim(claim).checks
    assert len(check.ends) == 2
    assert check.verdict == expected
    assert check.model_inside is inside


def test_tolerance() -> None:
    (check,) = check_claim("30 GW = 21M h100").checks  # 21M ÷ 19.61M = 1.071
    assert check.verdict == "consistent"
    (check,) = check_claim("30 GW = 21M h100", tolerance=0.05).checks
    assert check.verdict == "overstates"
    assert verdict(1.1, 0.1) == "consistent" and verdict(0.9, 0.1) == "consistent"
    assert verdict(1.1001, 0.1) == "overstates" and verdict(0.8999, 0.1) == "understates"


def test_chip_option_sets_the_grid_share_draw() -> None:
    h100 = check_claim("30 GW = 25% of world").checks[0]
    mi300x = check_claim("30 GW = 25% of world", chip="mi300x").checks[0]
    assert mi300x.chip == "mi300x"
    expected = convert("30 GW", chip="mi300x", grids=["world"]).grid_share["world"].energy
    assert mi300x.model_share == pytest.approx(float(expected.magnitude), rel=1e-12)
    assert h100.chip == "h100-sxm"


# --- parsing and errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "claim",
    [
        "30 GW = 4.5M h100",
        "30GW = 4,500,000 h100",
        "30 GW = 4.5 million H100",
        "30 GW = 4500k h100-sxm",
        "30 GW = 4.5M H100s",
        "4.5M h100 = 30 GW",
        "30000 MW = 4.5M h100",
    ],
)
def test_count_forms(claim: str) -> None:
    (check,) = check_claim(claim).checks
    assert check.chip == "h100-sxm"
    assert check.ends[0].accelerators == 4.5e6
    assert check.ends[0].ratio == pytest.approx(0.2295, rel=REL)


def test_range_forms() -> None:
    for text in ("4-5M h100", "4M-5M h100", "4 to 5 million h100", "4,000,000–5,000,000 h100"):
        assert parse_claim(f"30 GW = {text}").terms[0].counts == (4e6, 5e6), text  # type: ignore[union-attr]
    for text in ("20-25% of world", "20%-25% of world", "20 to 25 % of world"):
        assert parse_claim(f"30 GW = {text}").terms[0].shares == (0.2, 0.25), text  # type: ignore[union-attr]
    report = check_claim("30 GW = 20 to 25 % of global datacenters")
    assert report.checks[0].grid.id == "global-datacenters"


@pytest.mark.parametrize(
    ("claim", "error", "match"),
    [
        ("30 GW", InputError, r"accepted forms: 'POWER = COUNT CHIP'"),
        ("= 4M h100", InputError, "accepted forms"),
        ("30 GW = lots of h100", InputError, "accepted forms"),
        ("30 GW = 4M", InputError, "count without a chip"),
        ("30 GWh = 4M h100", UnitError, "needs a power.*an energy"),
        ("30 GW = 4M h1000", UnknownChipError, "unknown chip 'h1000'; known: h100-pcie"),
        ("30 GW = 25% of mars", UnknownGridError, "unknown grid 'mars'; known: world"),
        ("30 GW = 5-4M h100", InputError, "low end first"),
        ("30 GW = 0 h100", InputError, "> 0"),
        ("30 GW = x% of world", InputError, "as a percent"),
        ("30 GW = 4M h100 = 40 GW", InputError, "exactly one power"),
        ("4M h100 = 25% of world", InputError, "exactly one power"),
        ("0 GW = 4M h100", InputError, "power > 0"),
    ],
)
def test_bad_claims_say_what_is_accepted(claim: str, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        check_claim(claim)


def test_bad_options() -> None:
    with pytest.raises(InputError, match=r"pue must be ≥ 1, got 0\.9"):
        check_claim("30 GW = 4M h100", pue=0.9)
    with pytest.raises(InputError, match="one value"):
        check_claim("30 GW = 4M h100", pue=np.array([1.1, 1.2]))
    with pytest.raises(InputError, match="tolerance"):
        check_claim("30 GW = 4M h100", tolerance=-0.1)
    with pytest.raises(InputError, match="basis must be one of"):
        check_claim("30 GW = 4M h100", basis="site")
    with pytest.raises(InputError, match="count needs a chip"):
        Claim.from_parts("30 GW", count="4M")
    with pytest.raises(InputError, match="percent needs a grid"):
        Claim.from_parts("30 GW", percent=25)


# --- output ----------------------------------------------------------------------------------


def test_json_document() -> None:
    document = check_claim("30 GW = 4-5M h100 = 25% of us").to_dict()
    text = json.dumps(document, allow_nan=False)
    assert json.loads(text) == document
    assert document["power_w"] == 30e9 and document["consistent"] is False
    assert document["inputs"] == {
        "basis": "facility", "pue": 1.2, "utilization": 0.8, "provision": "nameplate",
        "method": "system", "tolerance": 0.1,
    }  # fmt: skip
    accelerators, share = document["checks"]
    assert accelerators["kind"] == "accelerators" and len(accelerators["ends"]) == 2
    assert accelerators["ends"][0]["implied_pue"] == pytest.approx(30e9 / 4e6 / H100_W, REL)
    assert share["kind"] == "grid_share" and share["grid_capacity_w"] == US_CAPACITY_W
    assert set(share["model_shares"]) == {"energy", "full_draw", "capacity"}
    assert share["ends"][0]["implied_grid_capacity_w"] == pytest.approx(120e9, rel=REL)


def test_cli_table() -> None:
    result = run("check", "30 GW = 4.5M h100 = 25% of global-datacenters")
    assert result.exit_code == 0, result.output
    for text in ("4,500,000", "19,607,843", "6.667 kW", "1.53 kW", "understates", "5.229",
                 "6.885 GW", "41.7 %", "0.283", "692.2 TWh", "1.2 (default)",
                 "not consistent", "[assumption]"):  # fmt: skip
        assert text in result.stdout, text


def test_cli_says_when_no_pue_makes_it_true() -> None:
    result = run("check", "30 GW = 40M h100")
    assert result.exit_code == 0, result.output
    assert "impossible" in result.stdout and "750 W" in result.stdout


def test_cli_options_give_the_same_report_as_the_text() -> None:
    text = run("check", "30 GW = 4.5M h100", "--pue", "1.3", "--format", "json")
    options = run("check", "--power", "30GW", "--count", "4.5M", "--chip", "h100",
                  "--pue", "1.3", "--format", "json")  # fmt: skip
    assert text.exit_code == options.exit_code == 0, options.output
    by_text, by_options = json.loads(text.stdout), json.loads(options.stdout)
    assert by_text["checks"] == by_options["checks"]
    assert by_text["inputs"]["pue"] == 1.3
    shares = run("check", "--power", "30GW", "--percent", "25", "--grid", "global-datacenters",
                 "--format", "json")  # fmt: skip
    assert shares.exit_code == 0, shares.output
    assert json.loads(shares.stdout)["checks"][0]["model_share"] == pytest.approx(0.41697, 1e-4)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["30 GW = 4M"], "count without a chip"),
        (["30 GW = 4M h1000"], "unknown chip 'h1000'"),
        (["30 GW = 4M h100", "--power", "30GW"], "not both"),
        ([], "give a CLAIM"),
        (["--power", "30GW", "--count", "4M"], "count needs a chip"),
        (["30 GW = 4M h100", "--format", "xml"], "--format must be one of table, json, csv"),
        (["30 GW = 4M h100", "--tolerance", "2"], "tolerance must be in"),
    ],
)
def test_cli_errors_are_one_line_and_exit_2(args: list[str], match: str) -> None:
    result = run("check", *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and match in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
