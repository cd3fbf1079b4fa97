"""Charts: the figure objects, their labels, data and marked points (issue 12, item 2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import capacity
from capacity.cli.app import app
from capacity.compare import compare
from capacity.errors import InputError
from capacity.plots import plot_sweep, save_figure, scale
from capacity.portfolio import evaluate_portfolio, load_portfolio, simulate_portfolio

from .test_portfolio import TWO_DEALS

runner = CliRunner()


def texts(figure) -> list[str]:  # type: ignore[no-untyped-def]
    from matplotlib.text import Text

    return [t.get_text() for t in figure.findobj(Text)]


def by_gid(figure, gid: str):  # type: ignore[no-untyped-def]
    found = [a for a in figure.findobj() if getattr(a, "get_gid", lambda: None)() == gid]
    assert found, gid
    return found[0]


def all_by_gid(figure, gid: str) -> list:  # type: ignore[no-untyped-def]
    return [a for a in figure.findobj() if getattr(a, "get_gid", lambda: None)() == gid]


def footnote_text(figure) -> str:  # type: ignore[no-untyped-def]
    return by_gid(figure, "footnote").get_text()


@pytest.mark.parametrize(
    ("values", "unit", "expected"),
    [([2e9], "W", (1e9, "GW")), ([8.6e21], "FLOP/s", (1e21, "ZFLOP/s")),
     ([4.4e6], "", (1e6, "million")), ([3e10], "USD", (1e9, "billion USD")), ([0.5], "", (1.0, ""))],
)  # fmt: skip
def test_readable_magnitudes(values: list[float], unit: str, expected: tuple) -> None:
    assert scale(values, unit) == expected


def test_conversion_chain_step_by_step() -> None:
    result = capacity.convert("1 GW", chip="h100")
    figure = result.plot()
    assert by_gid(figure, "step-0-value").get_text() == "1 GW"
    assert by_gid(figure, "step-1-value").get_text() == "833 MW"  # ÷ PUE 1.2
    count = float(result.accelerators.magnitude)
    assert by_gid(figure, "step-2-value").get_text() == f"{count / 1e3:.3g} thousand"
    delivered = float(result.delivered_flops.to("EFLOP/s").magnitude)
    assert by_gid(figure, "step-4-value").get_text() == f"{delivered:.3g} EFLOP/s"
    assert "÷ PUE 1.2" in by_gid(figure, "step-1-operation").get_text()
    assert "h100-sxm idle_fraction [assumption]" in footnote_text(figure)


def test_sweep_heatmap_feasible_region_and_best_point() -> None:
    result = capacity.sweep("30 GW", chips="h100,gb300,mi355x", mix_step=0.25,
                            pue="1.1:1.5:0.1", utilization="0.5:1:0.1", backend="numpy",
                            objective="max-delivered-flops",
                            constraints=["average-power<=20GW"])  # fmt: skip
    figure = result.plot()
    heat = figure.axes[0]
    assert heat.get_xlabel() == "utilization [1]" and heat.get_ylabel() == "PUE [1]"
    mesh = by_gid(figure, "heatmap")
    best = result.best
    assert best is not None
    expected = float(best.conversion.delivered_flops.to("ZFLOP/s").magnitude)
    assert np.nanmax(mesh.get_array()) >= expected * (1 - 1e-9)
    star = by_gid(figure, "best-point")
    assert star.get_xdata()[0] == pytest.approx(best.utilization)
    assert star.get_ydata()[0] == pytest.approx(best.pue)
    assert any("feasible region" in label for label in heat.get_legend_handles_labels()[1])
    assert "[ZFLOP/s]" in " ".join(texts(figure))
    assert by_gid(figure, "ternary").get_offsets().shape == (result.mixes.shape[0], 2)


def test_a_sweep_at_one_pue_and_utilization_charts_the_mixes_alone() -> None:
    """A heatmap of one cell was blank: the mixes' chart stands alone, and a heatmap with one
    PUE and several utilizations has a cell for each."""
    result = capacity.sweep("30 GW", chips="h100,gb300,tpu-v7", mix_step=0.5, backend="numpy",
                            objective="max-delivered-flops")  # fmt: skip
    figure = result.plot()
    assert not [a for a in figure.findobj() if a.get_gid() == "heatmap"]
    assert by_gid(figure, "ternary").get_offsets().shape == (result.mixes.shape[0], 2)
    by_gid(figure, "ternary-best")
    line = capacity.sweep("30 GW", chips="h100", utilization="0.5,0.75,1", backend="numpy")
    mesh = by_gid(line.plot(), "heatmap")
    corners = mesh.get_coordinates()  # (PUE edges) × (utilization edges) × (x, y)
    assert corners.shape == (2, 4, 2)
    np.testing.assert_allclose(corners[0, :, 0], [0.375, 0.625, 0.875, 1.125])
    assert corners[1, 0, 1] - corners[0, 0, 1] > 0  # the one PUE has a cell of its own


def test_sweep_small_multiples_and_errors() -> None:
    result = capacity.sweep("30 GW", chips="h100,gb300,mi355x,tpu-v7", mix_step=0.5,
                            pue="1.1,1.2", utilization="0.5,1", backend="numpy")  # fmt: skip
    figure = plot_sweep(result, output="grid-share:us")
    for chip in result.chips:
        by_gid(figure, f"multiple-{chip}")
    assert "share of us (energy basis) [%]" in " ".join(texts(figure))
    with pytest.raises(InputError, match="output must be one of"):
        plot_sweep(result, output="joy")
    reduced = capacity.sweep("30 GW", chips="h100", reduce=True, backend="numpy")
    with pytest.raises(InputError, match="kept no points"):
        reduced.plot()


def test_montecarlo_histogram_cdf_and_tornado() -> None:
    result = capacity.montecarlo("1 GW", chip="gb300", pue="tri:1.1,1.2,1.4",
                                 utilization="uniform:0.6,0.9", samples=20_000, backend="numpy")  # fmt: skip
    figure = result.plot()
    summary = result.summary(result.top, "delivered_flops")
    for name, q in (("P5", 0.05), ("P50", 0.5), ("P95", 0.95)):
        line = by_gid(figure, f"marker-{name}")
        assert line.get_xdata()[0] == pytest.approx(summary.quantile(q) / 1e21)
    assert figure.axes[0].get_xlabel() == "delivered compute [ZFLOP/s]"
    tornado = figure.axes[1]
    labels = [t.get_text() for t in tornado.get_yticklabels()]
    assert labels[0] == "utilization"  # the widest swing first
    cdf = result.plot(kind="cdf")
    assert by_gid(cdf, "cdf").get_ydata()[-1] == pytest.approx(1.0)


def test_portfolio_timeline_with_band() -> None:
    portfolio = load_portfolio(TWO_DEALS)
    report = evaluate_portfolio(portfolio)
    simulated = simulate_portfolio(portfolio, samples=4000, backend="numpy")
    figure = report.plot(simulated)
    alpha = all_by_gid(figure, "power-Alpha")
    heights = [bar.get_height() for bar in alpha]
    assert heights == pytest.approx([1.0, 1.0])  # 1 GW online in 2026 and 2027
    assert figure.axes[0].get_ylabel() == "facility power online [GW]"
    by_gid(figure, "band-facility_power")
    assert "Monte Carlo P5–P95" in footnote_text(figure)


def test_comparison_bars_carry_values_and_ratios() -> None:
    comparison = compare("1 GW", chips="h100,gb300")
    figure = comparison.plot()
    bars = all_by_gid(figure, "bars-delivered_flop_per_s")
    row = comparison.row("delivered_flop_per_s")
    assert [bar.get_height() for bar in bars] == pytest.approx([v / 1e18 for v in row.values])
    assert any(f"×{row.ratios[1]:.2f}" in text for text in texts(figure))


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_cli_plot_writes_each_format(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"chain{suffix}"
    result = runner.invoke(app, ["convert", "1GW", "--chip", "h100", "--plot", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 1000
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left


def test_cli_plot_for_every_command(tmp_path: Path) -> None:
    commands = {
        "sweep": ["sweep", "30GW", "--chips", "h100,gb300", "--mix-step", "0.5", "--pue",
                  "1.1,1.2", "--utilization", "0.5,1", "--backend", "numpy"],
        "montecarlo": ["montecarlo", "1GW", "--chip", "h100", "--pue", "tri:1.1,1.2,1.4",
                       "--samples", "4000", "--backend", "numpy"],
        "portfolio": ["portfolio", str(TWO_DEALS)],
        "compare": ["compare", "1GW", "--chips", "h100,gb300"],
    }  # fmt: skip
    for name, args in commands.items():
        out = tmp_path / f"{name}.svg"
        result = runner.invoke(app, [*args, "--plot", str(out)])
        assert result.exit_code == 0, (name, result.output)
        assert out.read_text(encoding="utf-8").lstrip().startswith("<?xml"), name


def test_cli_plot_refuses_a_bad_suffix(tmp_path: Path) -> None:
    result = runner.invoke(app, ["convert", "1GW", "--chip", "h100", "--plot",
                                 str(tmp_path / "chart.gif")])  # fmt: skip
    assert result.exit_code == 2
    assert "--plot: " in result.stderr and ".png, .svg, .pdf" in result.stderr
    assert save_figure  # the API takes the same suffixes


@pytest.mark.parametrize(
    "arguments",
    [["--help"], ["convert", "30GW", "--chip", "h100"], ["convert", "10GW", "--grid", "us"],
     ["compare", "1GW", "--chips", "h100,gb300"], ["examples", "--format", "csv"]],
    ids=["help", "convert", "power only", "compare", "examples csv"],
)  # fmt: skip
def test_tables_load_neither_charts_nor_dataframes_nor_the_compiler(arguments: list[str]) -> None:
    """matplotlib, pandas and numba are loaded only by a chart, a DataFrame or a kernel."""
    code = (f"import sys; sys.argv = ['capacity', *{arguments!r}]\n"
            "from capacity.cli.app import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted({'matplotlib', 'pandas', 'numba'} & set(sys.modules)))")  # fmt: skip
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               check=False)  # fmt: skip
    assert completed.stdout.splitlines()[-1] == "[]", completed.stderr
