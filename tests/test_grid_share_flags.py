"""A grid share above 100 % is flagged: in the results, their JSON, and the CLI's tables."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from capacity import (
    Grid,
    check_claim,
    convert,
    evaluate_portfolio,
    load_grids,
    loads_portfolio,
    montecarlo,
    sweep,
)
from capacity.cli.app import app
from capacity.cli.shares import FOOTNOTE
from capacity.convert import exceeds_grid, grid_share_warning
from capacity.units import ureg

runner = CliRunner()
# capacity/data/grids.toml: the US grid's capacity (EIA AEO2025, via a secondary source).
US_CAPACITY_GW = 1194.0


def test_the_whole_grid_is_not_above_it() -> None:
    assert not exceeds_grid(1.0)
    assert exceeds_grid(1.0 + 1e-9)
    assert exceeds_grid(np.array([0.2, 3.0])) and not exceeds_grid(np.array([0.2, 1.0]))
    assert exceeds_grid(ureg.Quantity(150, "percent"))
    assert grid_share_warning("us", "energy", 0.99) is None
    assert grid_share_warning("us", "capacity", 2.5) == (
        "grid share of us (capacity basis) is 250 %, above 100 %: the fleet's facility power "
        "would exceed the grid's whole capacity"
    )


def test_convert_flags_each_grid_and_basis_above_100_percent() -> None:
    result = convert("10 TW", chip="h100", grids=["us", "world"])
    us = result.grid_share["us"]
    assert float(us.capacity.magnitude) == pytest.approx(10_000 / US_CAPACITY_GW, rel=1e-12)
    assert us.exceeds_grid and result.grid_share["world"].exceeds_grid
    document = result.to_dict()
    assert document["grid_share"]["us"]["exceeds_grid"] is True
    assert document["warnings"] == list(result.warnings)
    assert any(line.startswith("grid share of us (capacity basis) is 838 %") for line in
               result.warnings)  # fmt: skip
    assert {line.split(" (")[0] for line in result.warnings} == {
        "grid share of us", "grid share of world"
    }  # fmt: skip


def test_a_share_within_the_grid_carries_no_flag() -> None:
    result = convert("1 GW", chip="h100")
    assert result.warnings == ()
    document = result.to_dict()
    assert document["warnings"] == []
    assert not any(share["exceeds_grid"] for share in document["grid_share"].values())


def test_an_array_is_flagged_where_any_element_is_above() -> None:
    power = ureg.Quantity(np.array([1.0, 10_000.0]), "GW")
    result = convert(power, chip="h100", grids=["us"])
    assert result.grid_share["us"].exceeds_grid
    assert "is up to 838 %" in result.warnings[-1]


def test_capacity_share_of_exactly_one_is_the_whole_grid() -> None:
    grid = Grid.create("island", "1000 TWh", "2 GW")
    result = convert("2 GW", chip="h100", grids=[grid])
    share = result.grid_share["island"]
    assert float(share.capacity.magnitude) == 1.0
    assert not share.exceeds_grid and result.warnings == ()


def test_sweep_summary_flags_grid_shares_above_100_percent() -> None:
    result = sweep("1GW,10TW", chips="h100", backend="numpy", reduce=True, grids=["us"])
    document = result.to_dict()
    assert document["summary"]["grid-share:us"]["exceeds_grid"] is True
    assert document["summary"]["grid-capacity-share:us"]["exceeds_grid"] is True
    assert "exceeds_grid" not in document["summary"]["accelerators"]
    assert document["warnings"][1].startswith(
        "grid share of us (capacity basis) is up to 838 % at some points of the sweep"
    )
    small = sweep("1GW", chips="h100", backend="numpy", reduce=True, grids=["us"]).to_dict()
    assert small["summary"]["grid-share:us"]["exceeds_grid"] is False
    assert small["warnings"] == []


def test_monte_carlo_flags_grid_shares_above_100_percent_in_some_samples() -> None:
    result = montecarlo("uniform:1TW,10TW", chip="h100", backend="numpy", samples=2000,
                        grids=["us"])  # fmt: skip
    document = result.to_dict()
    assert document["groups"][result.top]["grid_share:us"]["exceeds_grid"] is True
    assert len(document["warnings"]) == 1
    assert " in some samples, above 100 %" in document["warnings"][0]
    small = montecarlo("1GW", chip="h100", backend="numpy", samples=2000, grids=["us"])
    assert small.warnings == ()
    assert small.to_dict()["groups"][small.top]["grid_share:us"]["exceeds_grid"] is False


PORTFOLIO = """
[portfolio]
name = "more than the datacenters of the world"
[[deal]]
name = "one"
counterparty = "a"
power = "40 GW"
chip = "h100"
[[deal]]
name = "two"
counterparty = "b"
power = "40 GW"
chip = "h100"
"""


def test_portfolio_flags_the_total_and_each_deal() -> None:
    grids = load_grids()
    report = evaluate_portfolio(loads_portfolio(PORTFOLIO), grid_set=grids)
    total = report.totals.grid_share["global-datacenters"]
    deal = report.deals[0].conversion.grid_share["global-datacenters"]
    assert total.exceeds_grid and not deal.exceeds_grid  # 80 GW above, 40 GW below
    assert any(f.startswith("total: grid share of global-datacenters") for f in report.flags)
    assert not any(f.startswith("deal 'one': grid share of global-datacenters (") for f in
                   report.flags)  # fmt: skip
    document = report.to_dict()
    assert document["total"]["grid_share"]["global-datacenters"]["exceeds_grid"] is True
    assert document["deals"][0]["grid_share"]["global-datacenters"]["exceeds_grid"] is False


def test_claims_flag_the_model_and_the_claim_above_100_percent() -> None:
    report = check_claim("5 TW = 150% of us")
    (check,) = report.checks
    assert check.exceeds_grid and check.to_dict()["exceeds_grid"] is True
    assert "the claim '150% of us' is above 100 % of us" in report.warnings[-1]
    assert report.to_dict()["warnings"] == list(report.warnings)
    within = check_claim("1 GW = 0.01% of us")
    assert not within.checks[0].exceeds_grid and within.warnings == ()


@pytest.mark.parametrize(
    "args",
    [
        ["convert", "10TW", "--chip", "h100", "--grid", "us"],
        ["sweep", "1GW,10TW", "--chips", "h100", "--grid", "us", "--backend", "numpy"],
        ["montecarlo", "uniform:1TW,10TW", "--chip", "h100", "--grid", "us", "--samples", "2000",
         "--backend", "numpy"],
        ["check", "5 TW = 150% of us"],
    ],
)  # fmt: skip
def test_tables_mark_shares_above_100_percent_and_explain_the_mark(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert " % *" in result.stdout
    assert FOOTNOTE in " ".join(result.stdout.split())


def test_tables_without_such_a_share_have_no_mark() -> None:
    result = runner.invoke(app, ["convert", "1GW", "--chip", "h100"])
    assert result.exit_code == 0
    assert " % *" not in result.stdout and "above 100 %" not in result.stdout


def test_convert_json_carries_the_flag() -> None:
    result = runner.invoke(app, ["convert", "10TW", "--chip", "h100", "--format", "json"])
    document = json.loads(result.stdout)
    assert document["grid_share"]["us"]["exceeds_grid"] is True
    assert document["warnings"]


def test_portfolio_table_marks_the_total(tmp_path: Path) -> None:
    path = tmp_path / "deals.toml"
    path.write_text(PORTFOLIO, encoding="utf-8")
    result = runner.invoke(app, ["portfolio", str(path)])
    assert result.exit_code == 0, result.output
    total = next(line for line in result.stdout.splitlines() if "total" in line and "%" in line)
    assert " % *" in total
    assert FOOTNOTE in " ".join(result.stdout.split())
    assert "total: grid share of global-datacenters (energy basis)" in " ".join(
        result.stdout.split()
    )
