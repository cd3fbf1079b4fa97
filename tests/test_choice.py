"""``backend="auto"`` runs NumPy where it ends before numba's kernels load or compile, says
so, and the CPU kernels give the same numbers however their blocks are spread on threads."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import capacity
from capacity import diskcache
from capacity.kernels import blocks, choice, montecarlo_cpu
from capacity.kernels.backends import NumbaBackend, NumpyBackend, resolve_backend
from capacity.sweep import plan_sweep

README_MONTECARLO = {"chip": "h100", "pue": "tri:1.1,1.2,1.4", "utilization": "uniform:0.6,0.9"}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(diskcache.CACHE_DIR_ENV, str(tmp_path))
    monkeypatch.delenv(diskcache.NO_CACHE_ENV, raising=False)
    monkeypatch.setattr(choice, "_noted", set())
    monkeypatch.setattr(choice, "_looked_up", {})
    return tmp_path


def test_auto_runs_numpy_below_the_size_and_says_why(cache: Path) -> None:
    backend = resolve_backend("auto", "sweep", 1000)
    assert isinstance(backend, NumpyBackend)
    assert "auto: 1,000 points, below" in backend.detail
    assert NumpyBackend().detail == "NumPy reference, one core"  # the class keeps its own


def test_auto_runs_numba_from_the_size_on(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = choice.kernels_state("sweep")
    limit = choice.AUTO_NUMPY_WORK["sweep"][state]
    backend = resolve_backend("auto", "sweep", limit)
    assert isinstance(backend, NumbaBackend)
    assert f"not below {limit:,.0f} ({state} kernels)" in backend.detail
    assert isinstance(resolve_backend("auto"), NumbaBackend)  # no size given: as before


def test_the_kernels_are_marked_cached_once_they_ran(cache: Path) -> None:
    plan = plan_sweep("30GW", chips="h100", pue="1.1,1.2", utilization="0.5,1", backend="numpy")
    assert diskcache.load("numba-sweep", choice._key("sweep")) is None
    NumbaBackend().reduce(plan.problem, plan.spec, 0, plan.problem.points)
    assert diskcache.load("numba-sweep", choice._key("sweep")) is True
    assert choice.kernels_state("sweep") == "loaded"  # and compiled in this process


def test_a_state_lowers_the_size_for_numba() -> None:
    for sizes in choice.AUTO_NUMPY_WORK.values():
        assert sizes["loaded"] < sizes["cached"] < sizes["cold"]


def test_montecarlo_on_auto_says_which_backend_ran(cache: Path) -> None:
    result = capacity.montecarlo("30GW", samples=1000, seed=1, **README_MONTECARLO)
    assert result.backend == "numpy"
    assert "auto: work" in result.backend_detail and "below" in result.backend_detail


def test_probing_for_cuda_imports_no_numba() -> None:
    code = (
        "import sys\nfrom capacity.kernels.backends import cuda_status\n"
        "status = cuda_status()\nprint(status.usable, 'numba' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    usable, numba_loaded = done.stdout.split()
    if importlib.util.find_spec("cupy") is None:
        assert (usable, numba_loaded) == ("False", "False")


@pytest.mark.parametrize("threads", [1, 2, 5])
def test_sweep_blocks_give_the_same_numbers_on_any_threads(
    threads: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = plan_sweep("30GW", chips="h100,gb300,mi355x", mix_step=0.1, pue="1.1:1.5:0.1",
                      utilization="0.5:1:0.25", objective="max-delivered-flops",
                      constraints="vendor-share<=0.7", backend="numpy")  # fmt: skip
    backend = NumbaBackend()
    expected = backend.reduce(plan.problem, plan.spec, 0, plan.problem.points)
    monkeypatch.setattr(blocks, "threads", lambda: threads)
    got = backend.reduce(plan.problem, plan.spec, 0, plan.problem.points)
    for name in ("minimum", "maximum", "total", "histogram"):
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name))
    assert (got.feasible, got.best_index, got.best_value) == (
        expected.feasible, expected.best_index, expected.best_value,
    )  # fmt: skip


def test_the_common_montecarlo_kernel_equals_the_general_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A run of fixed, uniform and triangular inputs takes the kernel compiled for those;
    the general kernel gives the same numbers on it."""
    common = capacity.montecarlo("30GW", samples=20_000, seed=3, backend="numba",
                                 **README_MONTECARLO)  # fmt: skip
    monkeypatch.setattr(montecarlo_cpu, "COMMON_KINDS", (-1.0,))  # no input counts as common
    general = capacity.montecarlo("30GW", samples=20_000, seed=3, backend="numba",
                                  **README_MONTECARLO)  # fmt: skip
    assert montecarlo_cpu.reduce_block.signatures
    for name, summary in common.summaries[common.top].items():
        other = general.summaries[general.top][name]
        assert summary is not None and other is not None
        assert (summary.minimum, summary.maximum) == (other.minimum, other.maximum)
        np.testing.assert_allclose(summary.mean, other.mean, rtol=1e-12)


def test_the_state_is_looked_up_once_a_process(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small sweep on auto pays for no disk look-up after the first (each stats every
    kernel source), whether the kernels are cached or not."""
    monkeypatch.delitem(sys.modules, "capacity.kernels.cpu", raising=False)
    looks = []
    load = diskcache.load
    monkeypatch.setattr(diskcache, "load", lambda *a, **k: looks.append(a) or load(*a, **k))
    states = {choice.kernels_state("sweep") for _ in range(3)}
    assert states == {"cold"} and len(looks) == 1
