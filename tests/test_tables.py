"""Tidy tables, DataFrames and units of every result (issue 12, items 4 and 5)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import capacity
from capacity.compare import compare
from capacity.portfolio import evaluate_portfolio, load_portfolio
from capacity.tables import document_rows, unit_of

from .test_portfolio import TWO_DEALS

SMALL = {"pue": "1.1,1.2", "utilization": "0.5,1", "backend": "numpy"}


@pytest.mark.parametrize(
    ("name", "unit"),
    [("it_power_w", "W"), ("annual_energy_twh", "TWh"), ("peak_flop_per_s", "FLOP/s"),
     ("capex_usd", "USD"), ("annual_cost_usd_per_year", "USD/year"),
     ("flop_per_year", "FLOP/year"), ("accelerators", "1"),
     ("grid_share_energy_basis_us", "1"), ("memory_bytes", ""), ("mystery", "")],
)  # fmt: skip
def test_an_output_name_says_its_unit(name: str, unit: str) -> None:
    assert unit_of(name) == unit


def test_document_rows_are_one_per_entity_and_output_and_say_the_basis() -> None:
    document = {
        "accelerators_by_chip": {"h100-sxm": 2.0, "gb300": 1.0},
        "it_power_w": 5.0,
        "grid_share": {"us": {"energy": 0.1, "capacity": 0.2, "exceeds_grid": False},
                       "world": {"energy": 0.01, "capacity": None, "exceeds_grid": False}},
        "capex_usd": None,
        "label": "text is not an output",
        "seconds": 3.0,
    }  # fmt: skip
    rows = document_rows(document)
    assert {(r["entity"], r["output"]) for r in rows} == {
        ("h100-sxm", "accelerators"), ("gb300", "accelerators"), ("total", "it_power_w"),
        ("total", "grid_share_energy_basis_us"), ("total", "grid_share_capacity_basis_us"),
        ("total", "grid_share_energy_basis_world"), ("total", "capex_usd"),
    }  # fmt: skip
    missing = next(r for r in rows if r["output"] == "capex_usd")
    assert np.isnan(missing["value"]) and missing["unit"] == "USD"


def test_a_new_output_in_a_document_flows_through_without_a_change() -> None:
    """i-world's outputs (carbon, water) reach the tables by their key alone."""
    rows = document_rows({"emissions_tco2e_per_year": 7.0, "water_m3": 3.0})
    assert [(r["output"], r["unit"]) for r in rows] == [
        ("emissions_tco2e_per_year", "t CO2e/year"),
        ("water_m3", "m³"),
    ]


def test_conversion_dataframe_tidy_and_wide() -> None:
    result = capacity.convert("1 GW", mix="h100=0.5,gb300=0.5")
    tidy = result.to_dataframe()
    assert list(tidy.columns) == ["entity", "output", "value", "unit"]
    total = tidy[(tidy.entity == "total") & (tidy.output == "facility_power_w")]
    assert total.value.item() == pytest.approx(1e9) and total.unit.item() == "W"
    wide = result.to_dataframe(wide=True).set_index("entity")
    assert wide.loc["gb300", "accelerators"] == pytest.approx(
        float(result.accelerators_by_chip["gb300"].magnitude)
    )
    assert wide.attrs["units"]["grid_share_capacity_basis_us"] == "1"
    assert "h100_equivalents" in wide.columns


def test_a_vectorized_conversion_makes_a_dataframe() -> None:
    """pd.DataFrame(result.to_dict()) fails on arrays; to_dataframe numbers the points."""
    result = capacity.convert(capacity.Quantity(np.array([1.0, 2.0, 3.0]), "GW"), chip="h100")
    wide = result.to_dataframe(wide=True)
    totals = wide[wide.entity == "total"].sort_values("point")
    np.testing.assert_allclose(totals.facility_power_w, [1e9, 2e9, 3e9])
    assert list(totals.point) == [0, 1, 2]


def test_sweep_points_and_summary_dataframes() -> None:
    result = capacity.sweep("30 GW", chips="h100,gb300", mix_step=0.5, **SMALL)
    points = result.to_dataframe()
    assert len(points) == result.points
    assert "grid_share_energy_basis_us" in points and "grid_share_capacity_basis_us" in points
    assert points.attrs["units"]["delivered_flop_per_s"] == "FLOP/s"
    np.testing.assert_allclose(points.accelerators, result.data["accelerators"])
    summary = result.summary_dataframe(wide=True).set_index("output")
    assert summary.loc["accelerators", "max"] == pytest.approx(
        result.summary["accelerators"].maximum
    )
    reduced = capacity.sweep("30 GW", chips="h100", reduce=True, **SMALL)
    with pytest.raises(capacity.InputError, match="summary_dataframe"):
        reduced.to_dataframe()


def test_montecarlo_dataframe_has_a_row_per_output_and_statistic() -> None:
    result = capacity.montecarlo("1 GW", chip="h100", pue="tri:1.1,1.2,1.4", samples=4000,
                                 backend="numpy")  # fmt: skip
    wide = result.to_dataframe(wide=True).set_index("output")
    summary = result.summary(result.top, "accelerators")
    assert wide.loc["accelerators", "p50"] == pytest.approx(summary.quantile(0.5))
    assert wide.loc["accelerators", "unit"] == "1"
    assert wide.loc["average_facility_power", "unit"] == "W"


def test_portfolio_and_comparison_dataframes() -> None:
    report = evaluate_portfolio(load_portfolio(TWO_DEALS))
    wide = report.to_dataframe(wide=True)
    total = wide[wide.section == "total"]
    assert total.facility_power_w.item() == pytest.approx(3.6e9)
    years = wide[(wide.section == "timeline") & (wide.entity == "all deals")]
    assert sorted(years.year) == [2026, 2027]
    comparison = compare("1 GW", chips="h100,gb300").to_dataframe(wide=True).set_index("entity")
    assert comparison.loc["h100-sxm", "facility_power_w"] == pytest.approx(1e9)


def test_repr_html_of_every_result() -> None:
    result = capacity.convert("1 GW", chip="h100")
    text = result._repr_html_()
    assert "<table>" in text and f"{math.floor(float(result.accelerators.magnitude)):,}" in text


def test_xarray_units_on_every_variable_and_numeric_coordinate() -> None:
    result = capacity.sweep("10GW,20GW", chips="h100,gb300", mix_step=0.5, **SMALL)
    dataset = result.to_xarray()
    for name, variable in dataset.data_vars.items():
        assert "units" in variable.attrs, name
    for name in ("power", "pue", "utilization", "share"):
        assert "units" in dataset[name].attrs, name
    assert dataset["power"].attrs["units"] == "W"


def test_the_registry_works_with_pint_xarray() -> None:
    pytest.importorskip("pint_xarray")
    result = capacity.sweep("10GW,20GW", chips="h100", **SMALL)
    quantified = result.to_xarray().pint.quantify(unit_registry=capacity.ureg)
    power = quantified["facility_power"].data
    assert str(power.units) == "watt"
    assert float(quantified["delivered_flops"].max().data.to("ZFLOP/s").magnitude) > 0
    assert isinstance(pd.DataFrame(result.to_dataframe()), pd.DataFrame)
