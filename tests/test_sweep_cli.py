"""`capacity sweep` through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from capacity.cli.app import app

# Hand-computed cases at the reference systems' own power (cluster overhead 0).
pytestmark = pytest.mark.usefixtures("reference_system_power")

runner = CliRunner()
ISSUE_EXAMPLE = [
    "sweep", "30GW", "--chips", "h100,mi355x,tpu-v7,openai-broadcom-xpu", "--mix-step", "0.05",
    "--pue", "1.1:1.5:0.05", "--utilization", "0.5:1:0.1", "--reduce",
    "--objective", "max-delivered-flops", "--constraint", "grid-share:global-datacenters<=0.5",
]  # fmt: skip


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def test_issue_example_prints_backend_summary_and_best_point() -> None:
    result = run(*ISSUE_EXAMPLE)
    assert result.exit_code == 0, result.output
    for text in ("95,634 points", "delivered compute", "P95", "Best point",
                 "tpu-v7", "global-datacenters share (energy)", "Assumptions"):  # fmt: skip
        assert text in result.stdout, text
    # auto's choice depends on whether numba's kernels are loaded or cached; it is named
    assert "on backend numba" in result.stdout or "on backend numpy" in result.stdout
    assert "auto: 95,634 points" in " ".join(result.stdout.split())


def test_json_document() -> None:
    result = run(*ISSUE_EXAMPLE, "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["backend"] in ("numba", "numpy")
    assert "auto: 95,634 points" in document["backend_detail"]
    assert document["points"] == 95_634
    assert document["feasible_points"] == 95_634
    summary = document["summary"]["grid-share:global-datacenters"]
    assert summary["min"] <= summary["p5"] <= summary["p50"] <= summary["p95"] <= summary["max"]
    best = document["best"]
    assert best["objective"] == "max-delivered-flops"
    assert best["value"] == pytest.approx(document["summary"]["delivered-flops"]["max"])
    assert best["outputs"]["delivered_flop_per_s"] == pytest.approx(best["value"], rel=1e-12)


def test_reduction_option_is_reported() -> None:
    exact = run(*ISSUE_EXAMPLE)
    assert "Over every point (exact quantiles)" in exact.stdout
    assert "reduction: factorized" in exact.stdout
    enumerated = run(*ISSUE_EXAMPLE, "--reduction", "enumerated", "--format", "json")
    assert enumerated.exit_code == 0, enumerated.output
    document = json.loads(enumerated.stdout)
    assert document["reduction"] == "enumerated"
    assert "as asked" in document["reduction_detail"]
    assert document["summary"]["accelerators"]["quantile_method"] == "histogram"
    assert document["inputs"]["reduction_requested"] == "enumerated"
    table = run(*ISSUE_EXAMPLE, "--reduction", "enumerated")
    assert "quantiles to within one histogram bin" in table.stdout
    bad = run(*ISSUE_EXAMPLE, "--reduction", "exact")
    assert bad.exit_code == 2
    assert "reduction must be one of auto, factorized, enumerated; got 'exact'" in bad.output


def test_explicit_mixes_and_power_axis() -> None:
    result = run("sweep", "10GW,20GW", "--mix", "h100=0.5,mi355x=0.5", "--mix", "h100=1",
                 "--pue", "1.2,1.4", "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["points"] == 2 * 2 * 1 * 2
    assert document["inputs"]["chips"] == ["h100-sxm", "mi355x"]
    # 20 GW / 1.2 / 1,275 W: the largest fleet is all H100 at the lower PUE
    assert document["summary"]["accelerators"]["max"] == pytest.approx(20e9 / 1.2 / 1275)


def test_out_writes_every_point(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    destination = tmp_path / "points.parquet"
    result = run("sweep", "30GW", "--chips", "h100,mi355x", "--mix-step", "0.25",
                 "--pue", "1.1:1.3:0.1", "--out", str(destination))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "every point written to" in result.stdout
    assert pq.read_metadata(destination).num_rows == 3 * 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--chips", "h100", "--backend", "cuda"], "usable CUDA device"),
        (["--chips", "h100", "--pue", "0.8:1.2:0.1"], "pue must be ≥ 1"),
        (["--chips", "h100,mi355x"], "2 chips need --mix-step (every mix in steps"),
        (["--chips", "h100,mi355x,nvidia-x"], "unknown chip 'nvidia-x'"),
        (["--chips", "h100,nvidia-x"], "known:"),
        (["--chips", "h100", "--reduce", "--out", "x.parquet"], "choose one"),
        (["--chips", "h100", "--format", "xml"], "--format must be one of table, json, csv"),
        (["--chips", "h100", "--constraint", "grid-share:nowhere<=0.1"], "nowhere"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = run("sweep", "30GW", *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error:") and message in result.stderr
    assert "Traceback" not in result.output


def test_progress_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The progress bar (shown only on a terminal) renders before and after each chunk."""
    monkeypatch.setattr(Console, "is_terminal", property(lambda self: True))
    result = run("sweep", "30GW", "--chips", "h100", "--pue", "1:2:0.01",
                 "--utilization", "0:1:0.01", "--chunk-points", "1000")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "10,201 points" in result.stdout


def test_best_point_shows_the_emissions_and_water_it_was_chosen_on() -> None:
    arguments = ["sweep", "1GW", "--pue", "1.1:1.3:0.1", "--utilization", "0.5:0.9:0.2",
                 "--mix", "gb300=1", "--grid", "texas", "--objective", "min-emissions",
                 "--constraint", "delivered-flops>=700EFLOP/s"]  # fmt: skip
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    best = result.stdout.split("Best point", 1)[1]
    assert "emissions at texas" in best
    assert "Mt CO2e/year" in best
    assert "water at texas" in best


@pytest.mark.parametrize("suffix", [".json", ".xlsx"])
def test_a_sweep_too_large_for_a_json_or_xlsx_file_is_refused(
    suffix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import capacity.cli.sweep as sweep_command

    monkeypatch.setattr(sweep_command, "HELD_EXPORT_POINTS", 10)
    destination = tmp_path / f"points{suffix}"
    result = run("sweep", "30GW", "--chips", "h100", "--pue", "1.1:1.5:0.1", "--utilization",
                 "0.5:1:0.25", "--out", str(destination))  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "15 points are more than the 10 a .json or .xlsx file takes" in result.stderr
    assert "FILE.parquet, FILE.csv or a folder" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_running_out_of_memory_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import capacity.cli.sweep as sweep_command

    def out_of_memory(*args: object, **kwargs: object) -> None:
        raise MemoryError("Unable to allocate 80 GiB")

    monkeypatch.setattr(sweep_command, "sweep", out_of_memory)
    result = run("sweep", "30GW", "--chips", "h100")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: out of memory;")
    assert "Traceback" not in result.output
