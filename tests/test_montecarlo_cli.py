"""`capacity montecarlo` through typer's CliRunner (small runs on the NumPy backend)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

import capacity.cli.montecarlo  # noqa: F401  (registers the command)
from capacity.cli.app import app

# Hand-computed cases at the reference systems' own power (cluster overhead 0).
pytestmark = pytest.mark.usefixtures("reference_system_power")

runner = CliRunner()
ISSUE_EXAMPLE = [
    "montecarlo", "1GW", "--chip", "h100", "--pue", "tri:1.1,1.2,1.4",
    "--utilization", "uniform:0.6,0.9", "--samples", "2e4", "--seed", "1",
]  # fmt: skip
NUMPY = ["--backend", "numpy"]
H100_WATTS = 1275.0  # IT watts per H100 in its DGX, cluster overhead 0
GROUP = "1GW of h100-sxm"


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def document(*args: str) -> dict[str, Any]:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def test_issue_example_names_backend_and_quantiles() -> None:
    result = run(*ISSUE_EXAMPLE, *NUMPY)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in ("20,000 samples", "seed 1", "backend numpy", "NumPy reference", "samples/s",
                 "Uncertain inputs", "tri:1.1,1.2,1.4", "uniform:0.6,0.9", "P5", "P50", "P95",
                 "mean", "std", "at nominal", "accelerators", "delivered compute",
                 "average facility power", "TWh", "capex", "share of global-datacenters",
                 "Tornado: delivered compute", "Tornado: accelerators",
                 "Assumptions"):  # fmt: skip
        assert text in out, text
    assert result.stderr == ""  # no progress bar: stderr is not a terminal


def test_issue_example_values_are_plausible() -> None:
    doc = document(*ISSUE_EXAMPLE, *NUMPY)
    count = doc["groups"][GROUP]["accelerators"]
    low, high = 1e9 / (1.4 * H100_WATTS), 1e9 / (1.1 * H100_WATTS)
    assert low < count["p5"] < count["p50"] < count["p95"] < high
    assert doc["baseline"]["accelerators"] == pytest.approx(1e9 / (1.2 * H100_WATTS))
    delivered = doc["groups"][GROUP]["delivered_flops"]
    assert delivered["min"] <= delivered["p5"] <= delivered["p50"] <= delivered["p95"]
    assert doc["tornado"]["delivered_flops"][0]["input"] == f"{GROUP}: utilization"


def test_json_document_has_the_default_quantiles() -> None:
    doc = document(*ISSUE_EXAMPLE, *NUMPY)
    assert (doc["samples"], doc["seed"], doc["backend"]) == (20_000, 1, "numpy")
    for output in ("accelerators", "delivered_flops", "annual_energy", "capex"):
        summary = doc["groups"][GROUP][output]
        assert {"p5", "p50", "p95", "mean", "std"} <= set(summary), output
    names = {item["name"] for item in doc["inputs"]}
    assert {f"{GROUP}: pue", f"{GROUP}: utilization"} <= names


def test_same_seed_same_numbers_other_seed_other_numbers() -> None:
    first = document(*ISSUE_EXAMPLE, *NUMPY)
    again = document(*ISSUE_EXAMPLE, *NUMPY)
    other = document(*ISSUE_EXAMPLE[:-2], "--seed", "2", *NUMPY)  # in place of --seed 1
    del first["compute_seconds"], again["compute_seconds"], other["compute_seconds"]
    assert first == again
    assert other["seed"] == 2
    assert other["groups"][GROUP]["accelerators"] != first["groups"][GROUP]["accelerators"]


def test_numba_backend_gives_the_numpy_numbers() -> None:
    """The samples depend on the seed only: numba and NumPy reduce the same ones."""
    numba = document(*ISSUE_EXAMPLE, "--backend", "numba")
    numpy = document(*ISSUE_EXAMPLE, *NUMPY)
    assert numba["backend"] == "numba"
    for output in ("accelerators", "delivered_flops"):
        a, b = numba["groups"][GROUP][output], numpy["groups"][GROUP][output]
        for key in ("min", "max", "p5", "p50", "p95"):
            assert a[key] == pytest.approx(b[key], rel=1e-9), (output, key)


def test_requested_quantiles() -> None:
    result = run(*ISSUE_EXAMPLE, *NUMPY, "--quantile", "0.01", "--quantile", "0.99")
    assert result.exit_code == 0, result.output
    assert "P1 " in result.stdout and "P99" in result.stdout and "P50" not in result.stdout
    doc = document(*ISSUE_EXAMPLE, *NUMPY, "--quantile", "0.01")
    summary = doc["groups"][GROUP]["accelerators"]
    assert "p1" in summary and "p50" not in summary
    assert summary["min"] <= summary["p1"] <= summary["max"]


@pytest.mark.parametrize("samples", ["10000", "1e4", "10k"])
def test_sample_counts_as_written(samples: str) -> None:
    doc = document("montecarlo", "1GW", "--chip", "h100", "--samples", samples, *NUMPY)
    assert doc["samples"] == 10_000


def test_count_input() -> None:
    doc = document("montecarlo", "200k", "--chip", "h100", "--pue", "tri:1.1,1.2,1.4",
                   "--samples", "5000", *NUMPY)  # fmt: skip
    (group,) = doc["groups"]
    summary = doc["groups"][group]["accelerators"]
    assert summary["min"] == pytest.approx(200_000) == summary["max"]
    power = doc["groups"][group]["facility_power"]
    assert 200_000 * H100_WATTS * 1.1 < power["p5"] < power["p95"] < 200_000 * H100_WATTS * 1.4


def test_count_distribution_input() -> None:
    doc = document("montecarlo", "tri:150k,200k,250k", "--chip", "h100", "--samples", "5000",
                   *NUMPY)  # fmt: skip
    (group,) = doc["groups"]
    summary = doc["groups"][group]["accelerators"]
    assert 150_000 <= summary["p5"] < summary["p50"] < summary["p95"] <= 250_000


def test_power_distribution_input() -> None:
    doc = document("montecarlo", "uniform:0.9GW,1.1GW", "--chip", "h100", "--samples", "5000",
                   *NUMPY)  # fmt: skip
    (group,) = doc["groups"]
    power = doc["groups"][group]["facility_power"]
    assert 0.9e9 <= power["p5"] < power["p95"] <= 1.1e9


def test_price_and_cost_options() -> None:
    base = ["montecarlo", "1GW", "--chip", "h100", "--samples", "5000", *NUMPY]
    doc = document(*base, "--price", "h100=20000USD", "--facility-capex", "10USD/W",
                   "--electricity", "80USD/MWh", "--discount-rate", "0.08",
                   "--cost", "network_storage_per_accelerator=0USD",
                   "--cost", "power_infrastructure_per_watt=0USD/W",
                   "--cost", "land_and_soft_share=0", "--cost", "non_energy_opex_share=0",
                   "--cost", "shell_share=0.47", "--cost", "electrical_share=0.2915",
                   "--cost", "mechanical_share=0.2385")  # fmt: skip
    names = [item["name"] for item in doc["inputs"]]
    assert not any("price" in name or "capex" in name or "share" in name or "per" in name
                   for name in names if "WUE" not in name and "intensity" not in name)  # fmt: skip
    # 1 GW / 1.2 / 1,275 W of H100 at 20,000 USD, plus 10 USD per IT watt
    it_watts = 1e9 / 1.2
    capex = doc["groups"]["1GW of h100-sxm"]["capex"]
    assert capex["mean"] == pytest.approx(it_watts / H100_WATTS * 20_000 + it_watts * 10)
    assert any("user-override" in line for line in doc["assumptions"])


def test_cost_options_may_be_distributions() -> None:
    doc = document("montecarlo", "1GW", "--chip", "h100", "--samples", "5000", *NUMPY,
                   "--price", "h100=uniform:20kUSD,30kUSD",
                   "--electricity", "tri:60USD/MWh,80USD/MWh,100USD/MWh")  # fmt: skip
    inputs = {item["name"].split(": ")[-1]: item for item in doc["inputs"]}
    assert inputs["price of h100-sxm"]["p5"] == pytest.approx(20_500)
    assert inputs["electricity price (us)"]["nominal"] == pytest.approx(80 / 3.6e9)
    result = run("montecarlo", "1GW", "--chip", "h100", "--samples", "5000", *NUMPY,
                 "--electricity", "tri:60USD/MWh,80USD/MWh,100USD/MWh")  # fmt: skip
    assert "tri:60USD/MWh,80USD/MWh,100USD/MWh" in result.stdout


def test_missing_price_says_how_to_set_it(tmp_path: Path) -> None:
    text = (Path(__file__).parents[1] / "hardware_profiles" / "mi355x.toml").read_text()
    lines = [line for line in text.splitlines() if not line.startswith("price =")]
    (tmp_path / "mi355x.toml").write_text("\n".join(lines) + "\n")
    unpriced = ["--profiles", str(tmp_path)]
    result = run("montecarlo", "1GW", "--mix", "gb300=0.5,mi355x=0.5", "--samples", "5000",
                 *NUMPY, *unpriced)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "capex unavailable: no price for mi355x; set --price mi355x=VALUE" in result.stdout
    doc = document("montecarlo", "1GW", "--mix", "gb300=0.5,mi355x=0.5", "--samples", "5000",
                   *NUMPY, *unpriced)  # fmt: skip
    assert doc["missing_prices"] == {"1GW of gb300+mi355x": ["mi355x"]}
    priced = document("montecarlo", "1GW", "--mix", "gb300=0.5,mi355x=0.5", "--samples", "5000",
                      "--price", "mi355x=25000USD", *NUMPY, *unpriced)  # fmt: skip
    assert priced["groups"]["1GW of gb300+mi355x"]["capex"] is not None


def test_chip_uncertainty_options() -> None:
    base = ["montecarlo", "1GW", "--mix", "h100=0.5,mi355x=0.5", "--samples", "5000", *NUMPY]
    names = {item["name"] for item in document(*base)["inputs"]}
    assert "mi355x: power multiplier" in names  # an assumption-grade figure: auto spread
    fixed = {item["name"] for item in document(*base, "--no-chip-uncertainty")["inputs"]}
    assert not any("multiplier" in name for name in fixed)
    set_ = document(*base, "--flops-uncertainty", "h100=uniform:0.9,1.1")["inputs"]
    (flops,) = [item for item in set_ if item["name"] == "h100-sxm: FLOP/s multiplier"]
    assert flops["text"] == "uniform:0.9,1.1"


def test_grid_option_shows_that_grid() -> None:
    result = run(*ISSUE_EXAMPLE, *NUMPY, "--grid", "us")
    assert result.exit_code == 0, result.output
    assert "share of us (energy)" in result.stdout
    assert "global-datacenters" not in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--chip", "h100", "--pue", "uniform:0.9,1.1"], "pue"),
        (["--chip", "h100", "--samples", "abc"], "samples must be a number"),
        (["--chip", "h100", "--samples", "0.5"], "samples must be a whole number"),
        (["--chip", "h100", "--backend", "cuda"], "CUDA"),
        (["--chip", "nvidia-x"], "known: h100-pcie, h100-sxm"),
        (["--chip", "h100", "--quantile", "1.5"], "quantiles must lie in [0, 1]"),
        (["--chip", "h100", "--price", "h100"], "--price 'h100' must be CHIP=VALUE"),
        (["--chip", "h100", "--electricity", "80USD"], "--electricity: needs"),
        (["--chip", "h100", "--electricity", "tri:60USD/MWh,80USD/MWh"], "--electricity: tri"),
        (["--chip", "h100", "--price", "h100=5"], "--price h100: needs a money"),
        (["--chip", "h100", "--lifetime", "tri:1year,2year,3year"], "--lifetime: only"),
        (["--chip", "h100", "--power-uncertainty", "h100"], "CHIP=DIST"),
        (["--chip", "h100", "--no-chip-uncertainty", "--power-uncertainty", "h100=1"],
         "choose one"),
        (["--chip", "h100", "--format", "xml"], "--format must be one of table, json, csv"),
        (["--chip", "h100", "--utilization", "tri:0.5,0.9"], "utilization"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAPACITY_FORCE_CPU", "1")  # no usable CUDA device, even on a GPU host
    samples = [] if "--samples" in args else ["--samples", "1000"]
    result = run("montecarlo", "1GW", *samples, *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error:") and message in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_cuda_without_a_device_says_cuda_is_not_usable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAPACITY_FORCE_CPU", "1")
    result = run(*ISSUE_EXAMPLE, "--backend", "cuda")
    assert result.exit_code == 2, result.output
    assert "usable CUDA device" in result.stderr


@pytest.mark.parametrize(
    ("argument", "message"),
    [("abc", "POWER_OR_COUNT is a power"), ("uniform:1GW", "power"), ("200k", "--basis")],
)
def test_bad_power_or_count(argument: str, message: str) -> None:
    result = run("montecarlo", argument, "--chip", "h100", "--basis", "it", *NUMPY)
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a terminal: nothing on stderr. A terminal: the bar renders and the run finishes."""
    quiet = run(*ISSUE_EXAMPLE, *NUMPY)
    assert quiet.exit_code == 0 and quiet.stderr == ""
    monkeypatch.setattr(Console, "is_terminal", property(lambda self: True))
    shown = run(*ISSUE_EXAMPLE, *NUMPY)
    assert shown.exit_code == 0, shown.output
    assert "20,000 samples" in shown.stdout
    assert "20,000/20,000 samples" in shown.stderr


def test_inputs_are_shown_in_their_units_without_guessing_from_names() -> None:
    """The table formats each input by the unit it carries: a count of accelerators as one,
    the electricity price in USD/MWh, prices in USD."""
    result = run("montecarlo", "tri:4M,4.5M,5M", "--chip", "h100", "--samples", "2000", *NUMPY)
    assert result.exit_code == 0, result.output
    table = result.stdout.split("Uncertain inputs")[1].split("Outputs over")[0]
    rows = {line.split("│")[1].strip(): line for line in table.splitlines() if "│" in line}
    assert "4,500,000" in rows["accelerators"]
    assert "tri:57.5,80.6,89.2 USD/MWh" in rows["electricity price (us)"]
    assert "80.6 USD/MWh" in rows["electricity price (us)"]
    assert "USD" in rows["price of h100-sxm"]
