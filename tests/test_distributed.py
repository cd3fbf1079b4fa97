"""Sweeps and Monte Carlo runs on a Dask cluster: the same answer as one process, faults.

A LocalCluster of 2 worker processes (one thread each) stands for a cluster. Equality is
exact: each chunk is a pure function of its plan and range, and the chunks merge in order.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import capacity
from capacity import distributed as cluster_module
from capacity.cli.app import app
from capacity.dataset import MANIFEST, open_dataset
from capacity.errors import ClusterError, DatasetError, InputError, MissingExtraError

runner = CliRunner()

SWEEP: dict[str, Any] = {
    "power": "10GW:30GW:10GW",
    "chips": "h100,mi355x,b200",
    "mix_step": 0.1,
    "pue": "1.05:1.6:0.05",
    "utilization": "0.3:1:0.1",
    "objective": "max-delivered-flops",
    "constraints": ["average-power<=25GW"],
}
MONTE_CARLO: dict[str, Any] = {
    "power": "uniform:20GW,40GW",
    "mix": "h100=0.5,b200=0.5",
    "pue": "tri:1.1,1.2,1.4",
    "utilization": "uniform:0.5,0.9",
    "samples": 60_000,
    "seed": 7,
}
# What differs between two runs of the same sweep or Monte Carlo run: timings, and where it
# ran.
RUN_FIELDS = ("seconds", "compute_seconds", "backend", "backend_detail", "cluster", "out")


def needs_dask() -> None:
    """Skip, saying why, where Dask is not installed (the test extra installs it)."""
    pytest.importorskip(
        "distributed", reason="needs the distributed extra (pip install -e '.[test]')"
    )


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    needs_dask()
    with cluster_module.local_cluster(2, threads_per_worker=1) as connected:
        yield connected


def same_run(here: dict[str, Any], there: dict[str, Any]) -> None:
    """Two result documents are equal but for timings and where they ran."""
    for document in (here, there):
        for field in RUN_FIELDS:
            document.pop(field, None)
        if isinstance(document.get("inputs"), dict):
            document["inputs"].pop("backend_requested", None)
    assert json.dumps(here, sort_keys=True) == json.dumps(there, sort_keys=True)


def test_a_reduced_sweep_is_the_same_on_the_cluster(client: Any) -> None:
    # Chunks large enough that numba cuts each into many blocks: their number must not
    # depend on the threads (2 here, 1 per worker there).
    options = {**SWEEP, "power": "10GW:40GW:10GW", "mix_step": 0.05, "pue": "1.05:1.6:0.01",
               "reduce": True, "chunk_points": 100_000, "backend": "numba",
               "reduction": "enumerated"}  # fmt: skip
    here = capacity.sweep(**options)
    there = capacity.sweep(**options, scheduler=client)
    assert there.cluster is not None and there.cluster["workers"] == 2
    assert there.backend == "numba"
    assert here.points > 4 * 100_000  # several chunks, merged in order
    for name, summary in here.summary.items():
        other = there.summary[name]
        assert (summary.minimum, summary.maximum, summary.mean) == (
            other.minimum, other.maximum, other.mean,
        ), name  # fmt: skip
        assert np.array_equal(summary.counts, other.counts), name
    assert here.best is not None and there.best is not None
    assert (here.best.index, here.best.value) == (there.best.index, there.best.value)
    assert here.feasible_points == there.feasible_points
    same_run(here.to_dict(), there.to_dict())


def test_a_scheduler_address_is_connected_to_for_the_run(client: Any) -> None:
    options = {**SWEEP, "reduce": True, "chunk_points": 20_000, "backend": "numpy",
               "reduction": "enumerated"}  # fmt: skip
    there = capacity.sweep(**options, scheduler=client.scheduler.address)
    assert there.cluster is not None
    assert there.cluster["scheduler"] == client.scheduler.address
    same_run(capacity.sweep(**options).to_dict(), there.to_dict())


def test_a_materialized_sweep_is_the_same_on_the_cluster(client: Any, tmp_path: Path) -> None:
    options = {**SWEEP, "chunk_points": 5_000, "backend": "numpy"}
    here = capacity.sweep(**options)
    there = capacity.sweep(**options, scheduler=client)
    assert here.data is not None and there.data is not None
    for name, values in here.data.items():
        assert np.array_equal(values, there.data[name]), name

    capacity.sweep(**options, out=tmp_path / "one.parquet")
    capacity.sweep(**options, out=tmp_path / "here")
    written = capacity.sweep(**options, out=tmp_path / "there", scheduler=client)
    assert written.out == tmp_path / "there"
    one_file = pq.read_table(tmp_path / "one.parquet")
    assert one_file.num_rows == here.points
    for folder in ("here", "there"):
        dataset = open_dataset(tmp_path / folder)
        assert len(dataset.parts) == -(-here.points // 5_000)
        table = pq.read_table(tmp_path / folder)
        assert table.equals(one_file.replace_schema_metadata(None))
    manifest = open_dataset(tmp_path / "there").manifest
    assert manifest["sweep"]["backend"] == "numpy"
    assert manifest["sweep"]["cluster"]["workers"] == 2
    assert manifest["sweep"]["assumptions"] == list(here.assumptions)
    assert manifest["sweep"]["inputs"]["chips"] == list(here.chips)


def test_pandas_pyarrow_and_dask_read_a_dataset(client: Any, tmp_path: Path) -> None:
    pandas = pytest.importorskip("pandas")
    dask_dataframe = pytest.importorskip("dask.dataframe")
    import pyarrow.dataset

    result = capacity.sweep(**SWEEP, chunk_points=5_000, backend="numpy", out=tmp_path / "d",
                            scheduler=client)  # fmt: skip
    frame = pandas.read_parquet(tmp_path / "d")
    assert len(frame) == result.points
    assert frame["accelerators"].max() == result.summary["accelerators"].maximum
    assert pyarrow.dataset.dataset(tmp_path / "d").count_rows() == result.points
    assert len(dask_dataframe.read_parquet(tmp_path / "d")) == result.points


def test_a_monte_carlo_run_is_the_same_on_the_cluster(client: Any) -> None:
    options = {**MONTE_CARLO, "samples": 300_000, "chunk_samples": 65_536, "backend": "numba"}
    here = capacity.montecarlo(**options)
    there = capacity.montecarlo(**options, scheduler=client)
    assert there.cluster is not None and there.backend == "numba"
    same_run(here.to_dict(histogram_bins=4096), there.to_dict(histogram_bins=4096))


def test_monte_carlo_quantiles_do_not_depend_on_the_chunking(client: Any) -> None:
    """The sample index drives the generator: histograms, extremes and so quantiles are the
    same for any chunk size (only the order of the sums moves their last digit)."""
    here = capacity.montecarlo(**MONTE_CARLO, chunk_samples=8_192, backend="numba")
    there = capacity.montecarlo(**MONTE_CARLO, chunk_samples=5_000, backend="numba",
                                scheduler=client)  # fmt: skip
    group = here.groups[-1]
    for output, summary in here.summaries[group].items():
        other = there.summaries[group][output]
        if summary is None or other is None:
            continue
        assert np.array_equal(summary.counts, other.counts), output
        assert (summary.minimum, summary.maximum) == (other.minimum, other.maximum), output
        assert summary.quantiles() == other.quantiles(), output
        assert summary.mean == pytest.approx(other.mean, rel=1e-12), output


def test_a_portfolio_simulation_is_the_same_on_the_cluster(client: Any) -> None:
    portfolio = capacity.load_portfolio(
        Path(__file__).parent / "data" / "portfolios" / "two-deals.toml"
    )
    here = capacity.simulate_portfolio(portfolio, samples=20_000, backend="numba")
    there = capacity.simulate_portfolio(
        portfolio, samples=20_000, backend="numba", scheduler=client
    )
    same_run(here.to_dict(), there.to_dict())


def _worker_pids(client: Any) -> dict[str, int]:
    return dict(client.run(os.getpid))


def test_a_killed_worker_changes_nothing(client: Any) -> None:
    options = {**MONTE_CARLO, "samples": 200_000, "chunk_samples": 4_096, "backend": "numpy"}
    here = capacity.montecarlo(**options)
    killed: list[int] = []

    def kill_one(done: int, total: int) -> None:
        # A worker in the middle of a chunk, whose task the scheduler must then run again.
        if done and not killed:
            busy = [worker for worker, keys in client.processing().items() if keys]
            pid = _worker_pids(client)[busy[0]] if busy else 0
            if pid:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

    there = capacity.montecarlo(**options, scheduler=client, progress=kill_one)
    assert killed
    client.wait_for_workers(2, timeout=60)  # the nanny starts a new one, for the next tests
    assert killed[0] not in _worker_pids(client).values()
    same_run(here.to_dict(), there.to_dict())


def _our_tasks(client: Any) -> list[str]:
    def tasks(dask_scheduler: Any) -> list[str]:
        return [str(key) for key in dask_scheduler.tasks if str(key).startswith("capacity-")]

    return list(client.run_on_scheduler(tasks))


def _wait_for_no_tasks(client: Any) -> list[str]:
    deadline = time.monotonic() + 20
    while (left := _our_tasks(client)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def test_ctrl_c_cancels_the_tasks_and_leaves_no_dataset(client: Any, tmp_path: Path) -> None:
    def interrupt(done: int, total: int) -> None:
        if done:
            raise KeyboardInterrupt

    out = tmp_path / "stopped"
    with pytest.raises(KeyboardInterrupt):
        capacity.sweep(**SWEEP, chunk_points=2_000, backend="numpy", out=out, scheduler=client,
                       progress=interrupt)  # fmt: skip
    assert _wait_for_no_tasks(client) == []
    assert not out.exists()
    with pytest.raises(KeyboardInterrupt):
        capacity.montecarlo(**MONTE_CARLO, chunk_samples=2_048, backend="numpy",
                            scheduler=client, progress=interrupt)  # fmt: skip
    assert _wait_for_no_tasks(client) == []


def test_a_failed_run_leaves_the_previous_dataset_whole(client: Any, tmp_path: Path) -> None:
    out = tmp_path / "d"
    first = capacity.sweep(**SWEEP, chunk_points=5_000, backend="numpy", out=out)

    def fail(done: int, total: int) -> None:
        if done:
            raise RuntimeError("stopped on purpose")

    with pytest.raises(RuntimeError):
        capacity.sweep(**{**SWEEP, "pue": "1.1,1.2"}, chunk_points=100, backend="numpy", out=out,
                       scheduler=client, progress=fail)  # fmt: skip
    dataset = open_dataset(out)
    assert dataset.rows == first.points
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [MANIFEST, *(p.name for p in dataset.parts)]
    )


def test_a_dataset_left_by_a_failed_run_is_refused_as_incomplete(tmp_path: Path) -> None:
    out = tmp_path / "d"
    capacity.sweep(**SWEEP, chunk_points=5_000, backend="numpy", out=out)
    part = open_dataset(out).parts[1]
    part.unlink()
    with pytest.raises(DatasetError, match=r"incomplete: part part-000001\.parquet is missing"):
        open_dataset(out)
    (out / MANIFEST).unlink()
    with pytest.raises(DatasetError, match=f"incomplete: it has no {MANIFEST}"):
        open_dataset(out)
    done = runner.invoke(app, ["summarize", str(out)])
    assert done.exit_code == 2
    assert "incomplete" in done.output


def test_a_killed_run_leaves_only_a_hidden_staging_folder(tmp_path: Path) -> None:
    """A run killed outright (SIGKILL) cannot clean up: its parts stay in a hidden folder
    that readers skip, the dataset is refused, and the next run removes the folder."""
    out = tmp_path / "d"
    script = (
        "import os, signal, capacity\n"
        "def stop(done, total):\n"
        "    if done: os.kill(os.getpid(), signal.SIGKILL)\n"
        f"capacity.sweep(power='30GW', chips='h100', pue='1.1:1.5:0.01', chunk_points=10,\n"
        f"               backend='numpy', out={str(out)!r}, progress=stop)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL
    left = list(out.iterdir())
    assert len(left) == 1 and left[0].name.startswith(".capacity-staging-")
    with pytest.raises(DatasetError, match="stopped before committing"):
        open_dataset(out)
    capacity.sweep(power="30GW", chips="h100", backend="numpy", out=out)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    assert open_dataset(out).rows == 1


def test_an_unreachable_scheduler_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    needs_dask()
    monkeypatch.setattr(cluster_module, "CONNECT_TIMEOUT_SECONDS", 1.0)
    with pytest.raises(
        ClusterError, match=r"cannot reach a Dask scheduler at 'tcp://127\.0\.0\.1:9'"
    ):
        capacity.sweep("1GW", chips="h100", reduce=True, scheduler="tcp://127.0.0.1:9")
    done = runner.invoke(
        app, ["montecarlo", "1GW", "--chip", "h100", "--scheduler", "tcp://127.0.0.1:9"]
    )
    assert done.exit_code == 2
    assert done.output.startswith("error: --scheduler: cannot reach")
    assert "Traceback" not in done.output


def test_without_the_extra_cluster_options_name_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    with pytest.raises(MissingExtraError, match=r"datacenter-capacity\[distributed\]"):
        capacity.sweep("1GW", chips="h100", reduce=True, scheduler="tcp://127.0.0.1:8786")
    for option in (["--workers", "2"], ["--scheduler", "tcp://127.0.0.1:8786"]):
        done = runner.invoke(app, ["sweep", "1GW", "--chips", "h100", *option])
        assert done.exit_code == 2, done.output
        assert done.output.startswith(f"error: {option[0]} needs distributed, which is not")
        assert "pip install 'datacenter-capacity[distributed]'" in done.output


def loaded_dask(code: str) -> str:
    code += "\nprint(sorted({m.split('.')[0] for m in sys.modules} & {'dask', 'distributed'}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_importing_capacity_or_the_command_line_imports_no_dask() -> None:
    assert loaded_dask("import sys, capacity") == "[]"
    assert loaded_dask("import sys, capacity.cli.app, capacity.sweep, capacity.montecarlo") == "[]"


def test_a_library_process_keeps_pints_dask_support() -> None:
    """The command line hides Dask from pint; a library user's pint still knows Dask arrays."""
    needs_dask()
    code = "import sys, capacity, capacity.sweep, pint.compat\nprint(pint.compat.HAS_DASK)"
    assert loaded_dask(code).splitlines()[0] == "True"


def test_bad_cluster_arguments_are_refused() -> None:
    with pytest.raises(InputError, match="out: with a scheduler"):
        capacity.sweep("1GW", chips="h100", out="x.parquet", scheduler="tcp://127.0.0.1:8786")
    with pytest.raises(InputError, match=r"out: 'x\.txt' must end in \.parquet or \.csv"):
        capacity.sweep("1GW", chips="h100", out="x.txt")
    with pytest.raises(InputError, match="workers must be in"), cluster_module.local_cluster(0):
        pass
    done = runner.invoke(app, ["sweep", "1GW", "--chips", "h100", "--workers", "2",
                               "--scheduler", "tcp://127.0.0.1:8786"])  # fmt: skip
    assert done.exit_code == 2 and "give one" in done.output
    done = runner.invoke(app, ["sweep", "1GW", "--chips", "h100", "--workers", "0"])
    assert done.exit_code == 2 and "--workers must be in [1," in done.output


def test_the_cli_runs_a_sweep_on_local_workers_and_summarizes_its_dataset(
    tmp_path: Path,
) -> None:
    needs_dask()
    out = tmp_path / "points"
    arguments = ["sweep", "30GW", "--chips", "h100,b200", "--mix-step", "0.25", "--pue",
                 "1.1:1.4:0.1", "--backend", "numpy", "--chunk-points", "7", "--out", str(out)]  # fmt: skip
    done = runner.invoke(app, [*arguments, "--workers", "2", "--format", "json"])
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert document["cluster"]["workers"] == 2
    assert document["out"] == str(out)
    summarized = runner.invoke(app, ["summarize", str(out), "--format", "json"])
    assert summarized.exit_code == 0, summarized.output
    summary = json.loads(summarized.stdout)
    assert summary["rows"] == document["points"] == 20
    assert summary["columns"]["accelerators"]["max"] == document["summary"]["accelerators"]["max"]
    assert summary["parts"] == 3
    table = runner.invoke(app, ["summarize", str(out)])
    assert table.exit_code == 0 and "20 points in 3 parts" in table.stdout


def test_a_factorized_sweep_runs_here_and_auto_enumerates_on_the_cluster(client: Any) -> None:
    options = {**SWEEP, "reduce": True, "backend": "numpy"}
    factorized = capacity.sweep(**options, reduction="factorized", scheduler=client)
    assert factorized.cluster is None
    assert factorized.reduction == "factorized"
    assert "no chunk went to the cluster" in factorized.reduction_detail
    auto = capacity.sweep(**options, scheduler=client)
    assert auto.cluster is not None
    assert auto.reduction == "enumerated"
    assert "on the cluster" in auto.reduction_detail
    here = capacity.sweep(**options, reduction="factorized")
    for name, summary in here.summary.items():
        other = factorized.summary[name]
        assert (summary.minimum, summary.maximum) == (other.minimum, other.maximum), name
