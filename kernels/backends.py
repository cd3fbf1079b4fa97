"""Backend selection: which implementation runs a sweep, decided per call.

``numpy`` is the reference; ``numba`` runs the compiled CPU kernels on every core; ``cuda``
runs the CUDA kernels on CuPy arrays; ``auto`` takes ``cuda`` when a usable device is present
and ``numba`` otherwise. :func:`cuda_status` finds out, once per process, without raising;
under numba's CUDA simulator it reports no device. Setting ``CAPACITY_FORCE_CPU=1`` makes it
report none too, so ``auto`` stays on the CPU.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from capacity.checks import describe
from capacity.defaults import BACKENDS
from capacity.errors import InputError
from capacity.extras import pip_install
from capacity.kernels import montecarlo_reference, reference
from capacity.kernels.choice import auto_prefers_numpy, note_compiled
from capacity.kernels.montecarlo_problem import MonteCarloProblem, SamplePartial, SampleSpec
from capacity.kernels.partial import Partial, best_of_blocks
from capacity.kernels.point import POINT_QUANTITIES
from capacity.kernels.problem import OUTPUTS, ReduceSpec, SweepProblem
from capacity.kernels.rows import row_statistics

__all__ = [
    "BACKENDS",
    "FORCE_CPU_ENV",
    "Backend",
    "CudaBackend",
    "CudaStatus",
    "NumbaBackend",
    "NumpyBackend",
    "cuda_status",
    "output_buffers",
    "resolve_backend",
]

FORCE_CPU_ENV = "CAPACITY_FORCE_CPU"
# Blocks the numba kernels cut a chunk into: a function of the chunk's length alone, never of
# the threads, so that a chunk's sums are the same whichever machine computes it (a worker
# of a cluster or this process). Enough blocks for balance on a machine of 64 cores; each
# block holds its own histograms (sweeps: POINT_QUANTITIES × bins int32; Monte Carlo:
# groups × N_SCENARIO_QUANTITIES × bins).
SWEEP_BLOCKS = 256
SAMPLE_BLOCKS = 64


class Backend(Protocol):
    """What the sweep needs of a backend. Every method is a pure function of its inputs."""

    name: str
    detail: str
    default_chunk_points: int

    def materialize(
        self, problem: SweepProblem, start: int, stop: int, out: dict[str, np.ndarray]
    ) -> None:
        """Write every output of points ``[start, stop)`` into ``out[name][: stop - start]``."""

    def reduce(self, problem: SweepProblem, spec: ReduceSpec, start: int, stop: int) -> Partial:
        """Reduce points ``[start, stop)``."""

    def chunk_samples(self, problem: MonteCarloProblem) -> int:
        """Monte Carlo samples per chunk."""

    def reduce_samples(
        self, problem: MonteCarloProblem, spec: SampleSpec, start: int, stop: int
    ) -> SamplePartial:
        """Reduce Monte Carlo samples ``[start, stop)``."""


def output_buffers(points: int, chips: int) -> dict[str, np.ndarray]:
    """Host arrays for ``points`` points of every output in :data:`OUTPUTS`."""
    return {
        name: np.empty((points, chips) if name == "accelerators_by_chip" else points)
        for name in OUTPUTS
    }


class NumpyBackend:
    """The plain-NumPy reference, one chunk at a time on one core."""

    name = "numpy"
    detail = "NumPy reference, one core"
    default_chunk_points = 1 << 18

    def materialize(
        self, problem: SweepProblem, start: int, stop: int, out: dict[str, np.ndarray]
    ) -> None:
        for name, values in reference.materialize(problem, start, stop).items():
            out[name][: stop - start] = values

    def reduce(self, problem: SweepProblem, spec: ReduceSpec, start: int, stop: int) -> Partial:
        return reference.reduce(problem, spec, start, stop)

    def chunk_samples(self, problem: MonteCarloProblem) -> int:
        return max(1024, (1 << 16) // problem.groups)

    def reduce_samples(
        self, problem: MonteCarloProblem, spec: SampleSpec, start: int, stop: int
    ) -> SamplePartial:
        return montecarlo_reference.reduce(problem, spec, start, stop)


class NumbaBackend:
    """The compiled CPU kernels, parallel over numba's threads."""

    name = "numba"
    default_chunk_points = 1 << 24

    def __init__(self) -> None:
        import numba

        self.threads = int(numba.get_num_threads())
        self.detail = f"numba CPU kernels, {self.threads} thread" + "s" * (self.threads != 1)

    def _blocks(self, points: int) -> int:
        # At most 2**30 points a block (int32 histograms).
        return max(1, min(SWEEP_BLOCKS, points // 4096), -(-points // (1 << 30)))

    def materialize(
        self, problem: SweepProblem, start: int, stop: int, out: dict[str, np.ndarray]
    ) -> None:
        from capacity.kernels import cpu

        n = stop - start
        cpu.materialize_chunk(
            start, stop, self._blocks(n), problem.power, problem.pue, problem.utilization,
            problem.mfu, problem.it_basis, problem.coefficients, problem.counts_per_watt,
            *(out[name][:n] for name in OUTPUTS),
        )  # fmt: skip
        note_compiled("sweep")

    def reduce(self, problem: SweepProblem, spec: ReduceSpec, start: int, stop: int) -> Partial:
        from capacity.kernels import cpu

        kernel = cpu.reduce_chunk(
            start, stop, self._blocks(stop - start), problem.power, problem.pue,
            problem.utilization, problem.mfu, problem.it_basis, problem.coefficients,
            spec.lower, spec.scale, spec.bins, spec.constraint_quantity, spec.constraint_lower,
            spec.constraint_upper, spec.feasible_mix, spec.objective_quantity,
            spec.objective_sign,
        )  # fmt: skip
        note_compiled("sweep")
        minimum, maximum, total, histogram, feasible, best_value, best_index = kernel
        return _with_rows(
            problem, spec, start, stop, np.min(minimum, axis=0), np.max(maximum, axis=0),
            np.sum(total, axis=0), histogram.sum(axis=0, dtype=np.int64), feasible,
            best_value, best_index,
        )  # fmt: skip

    def chunk_samples(self, problem: MonteCarloProblem) -> int:
        return 1 << 24

    def reduce_samples(
        self, problem: MonteCarloProblem, spec: SampleSpec, start: int, stop: int
    ) -> SamplePartial:
        from capacity.kernels import montecarlo_cpu

        n = stop - start
        blocks = max(1, min(SAMPLE_BLOCKS, n // 4096))
        minimum, maximum, total, squares, histogram = montecarlo_cpu.reduce_samples(
            start, stop, blocks, problem.table, problem.keys, problem.pool,
            problem.scenario_inputs, problem.chip_inputs, problem.shares, problem.provisioned,
            problem.idle, problem.busy, problem.sizing_fraction, problem.flops, problem.modes,
            problem.seconds_per_year, spec.bin_lower, spec.scale, spec.bins, spec.center,
            spec.logarithmic, problem.groups,
        )  # fmt: skip
        note_compiled("montecarlo")
        return SamplePartial(
            samples=n,
            minimum=minimum.min(axis=0),
            maximum=maximum.max(axis=0),
            total=total.sum(axis=0),
            total_squares=squares.sum(axis=0),
            histogram=histogram.sum(axis=0, dtype=np.int64),
        )


class CudaBackend:
    """The CUDA kernels on CuPy arrays; ``simulated=True`` runs them in numba's simulator."""

    name = "cuda"
    default_chunk_points = 1 << 26  # 4.3 GB of outputs a chunk at K = 4 when materializing

    def __init__(self, simulated: bool = False) -> None:
        self.simulated = simulated
        if simulated:
            from numba import config

            if not config.ENABLE_CUDASIM:
                raise InputError("the simulated CUDA backend needs NUMBA_ENABLE_CUDASIM=1")
            self.detail = "numba CUDA simulator"
            self.default_chunk_points = 1 << 14
        else:
            status = cuda_status()
            if not status.usable:
                raise InputError(f"backend 'cuda' needs a usable CUDA device: {status.reason}")
            self.detail = status.reason
        self._device_problem: tuple[SweepProblem, dict[str, Any]] | None = None
        self._device_samples: tuple[MonteCarloProblem, dict[str, Any]] | None = None

    @property
    def xp(self) -> Any:
        from capacity.kernels.cuda import array_module

        return array_module(self.simulated)

    def _to_host(self, values: Any) -> np.ndarray:
        return np.asarray(values if self.simulated else values.get())

    def _arrays(self, problem: SweepProblem) -> dict[str, Any]:
        """The problem's arrays on the device, copied once per problem."""
        if self._device_problem is None or self._device_problem[0] is not problem:
            xp = self.xp
            arrays = {
                name: xp.asarray(getattr(problem, name))
                for name in ("power", "pue", "utilization", "coefficients", "counts_per_watt")
            }
            self._device_problem = (problem, arrays)
        return self._device_problem[1]

    def materialize_on_device(
        self, problem: SweepProblem, start: int, stop: int
    ) -> dict[str, Any]:
        """Every output of points ``[start, stop)`` as device arrays (left on the device)."""
        from capacity.kernels.cuda import kernels, launch_blocks

        xp, n = self.xp, stop - start
        compiled = kernels(1, self.simulated)
        arrays = self._arrays(problem)
        out = {
            name: xp.empty((n, problem.chips) if name == "accelerators_by_chip" else n)
            for name in OUTPUTS
        }
        blocks = launch_blocks(n, compiled.threads, self.simulated)
        with _small_grids_allowed():
            compiled.materialize[blocks, compiled.threads](
                start, n, arrays["power"], arrays["pue"], arrays["utilization"], problem.mfu,
                problem.it_basis, arrays["coefficients"], arrays["counts_per_watt"],
                *(out[name] for name in OUTPUTS),
            )  # fmt: skip
        return out

    def materialize(
        self, problem: SweepProblem, start: int, stop: int, out: dict[str, np.ndarray]
    ) -> None:
        device = self.materialize_on_device(problem, start, stop)
        for name, values in device.items():
            out[name][: stop - start] = self._to_host(values)

    def reduce(self, problem: SweepProblem, spec: ReduceSpec, start: int, stop: int) -> Partial:
        from capacity.kernels.cuda import kernels, launch_blocks

        xp, n = self.xp, stop - start
        compiled = kernels(spec.bins, self.simulated)
        arrays = self._arrays(problem)
        blocks = launch_blocks(n, compiled.threads, self.simulated)
        partial = {
            "minimum": xp.empty((blocks, POINT_QUANTITIES)),
            "maximum": xp.empty((blocks, POINT_QUANTITIES)),
            "total": xp.empty((blocks, POINT_QUANTITIES)),
            "histogram": xp.empty((blocks, POINT_QUANTITIES * spec.bins), dtype=np.int32),
            "feasible": xp.empty(blocks, dtype=np.int64),
            "best_value": xp.empty(blocks),
            "best_index": xp.empty(blocks, dtype=np.int64),
        }
        with _small_grids_allowed():
            compiled.reduce[blocks, compiled.threads](
                start, n, arrays["power"], arrays["pue"], arrays["utilization"], problem.mfu,
                problem.it_basis, arrays["coefficients"], xp.asarray(spec.lower),
                xp.asarray(spec.scale), xp.asarray(spec.constraint_quantity),
                xp.asarray(spec.constraint_lower), xp.asarray(spec.constraint_upper),
                xp.asarray(spec.feasible_mix), spec.objective_quantity, spec.objective_sign,
                *partial.values(),
            )  # fmt: skip
        # Merge the blocks on the device; only the merged partial comes back.
        merged = {
            "minimum": xp.min(partial["minimum"], axis=0),
            "maximum": xp.max(partial["maximum"], axis=0),
            "total": xp.sum(partial["total"], axis=0),
            "histogram": xp.sum(partial["histogram"], axis=0, dtype=np.int64).reshape(
                POINT_QUANTITIES, spec.bins
            ),
            "feasible": xp.sum(partial["feasible"]),
        }
        host = {k: self._to_host(v) for k, v in merged.items()}
        return _with_rows(
            problem, spec, start, stop, host["minimum"], host["maximum"], host["total"],
            host["histogram"], host["feasible"], self._to_host(partial["best_value"]),
            self._to_host(partial["best_index"]),
        )  # fmt: skip

    def chunk_samples(self, problem: MonteCarloProblem) -> int:
        # 2**24 samples × 8 quantities × 8 B = 1 GB of device values per group, plus bins
        return max(1024, (1 << 24) // problem.groups) if not self.simulated else 1 << 12

    def reduce_samples(
        self, problem: MonteCarloProblem, spec: SampleSpec, start: int, stop: int
    ) -> SamplePartial:
        from capacity.kernels import montecarlo_cuda

        if problem.table.shape[0] > montecarlo_cuda.MAX_INPUTS:
            raise InputError(
                f"the CUDA backend draws at most {montecarlo_cuda.MAX_INPUTS} inputs a sample, "
                f"this run has {problem.table.shape[0]}; use backend 'numba'"
            )
        if self._device_samples is None or self._device_samples[0] is not problem:
            arrays = montecarlo_cuda.device_arrays(problem, self.simulated)
            self._device_samples = (problem, arrays)
        with _small_grids_allowed():
            values = montecarlo_cuda.materialize_on_device(
                problem, self._device_samples[1], start, stop, self.simulated
            )
        return montecarlo_cuda.reduce_on_device(values, spec, self.simulated)


@contextlib.contextmanager
def _small_grids_allowed() -> Iterator[None]:
    """Launch without numba's low-occupancy warning: a small chunk has few blocks on purpose."""
    from numba.core.errors import NumbaPerformanceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NumbaPerformanceWarning)
        yield


def _with_rows(
    problem: SweepProblem, spec: ReduceSpec, start: int, stop: int, minimum: np.ndarray,
    maximum: np.ndarray, total: np.ndarray, histogram: np.ndarray, feasible: np.ndarray,
    best_value: np.ndarray, best_index: np.ndarray,
) -> Partial:  # fmt: skip
    """A chunk's partial from the kernel's per-point statistics (already merged over blocks)
    and the host's statistics of the per-row quantities; best points still per block."""
    rows_minimum, rows_maximum, rows_total, rows_histogram = row_statistics(
        problem, spec, start, stop
    )
    best = best_of_blocks(best_value, best_index)
    return Partial(
        points=stop - start,
        minimum=np.concatenate([minimum, rows_minimum]),
        maximum=np.concatenate([maximum, rows_maximum]),
        total=np.concatenate([total, rows_total]),
        histogram=np.concatenate([histogram, rows_histogram]),
        feasible=int(np.sum(feasible)),
        best_value=best[0],
        best_index=best[1],
    )


@dataclass(frozen=True)
class CudaStatus:
    """Whether the CUDA backend can run here, and why (or why not), in words."""

    usable: bool
    reason: str


@functools.cache
def cuda_status() -> CudaStatus:
    """Probe for a usable CUDA device once per process; never raises."""
    if os.environ.get(FORCE_CPU_ENV, "").strip() not in ("", "0"):
        return CudaStatus(False, f"${FORCE_CPU_ENV} is set")
    simulator = CudaStatus(False, "numba's CUDA simulator is on (NUMBA_ENABLE_CUDASIM=1)")
    try:
        if _simulator_on():
            return simulator
        try:
            import cupy
        except ImportError:
            return CudaStatus(
                False, f"CuPy is not installed ({pip_install('gpu-cuda13')} or [gpu-cuda12])"
            )
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return CudaStatus(False, "no CUDA device is visible")
        from numba import config, cuda

        if config.ENABLE_CUDASIM:
            return simulator
        if not cuda.is_available():
            return CudaStatus(False, "numba cannot use the CUDA driver")
        name = cupy.cuda.runtime.getDeviceProperties(0)["name"]
        name = name.decode() if isinstance(name, bytes) else str(name)
        return CudaStatus(True, f"CUDA device 0: {name}")
    except Exception as error:  # any failure to probe means no usable device
        return CudaStatus(False, f"CUDA probe failed: {type(error).__name__}: {error}")


def _simulator_on() -> bool:
    """Whether numba's CUDA simulator is on, without importing numba where nothing has."""
    numba = sys.modules.get("numba")
    if numba is not None:
        return bool(numba.config.ENABLE_CUDASIM)
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "").strip() not in ("", "0")


# What a backend object passed in place of a name must have (the :class:`Backend` protocol).
_BACKEND_METHODS = ("materialize", "reduce", "chunk_samples", "reduce_samples")


def resolve_backend(
    backend: str | Backend, kernels: str | None = None, work: float | None = None
) -> Backend:
    """The backend object for a name in :data:`BACKENDS` (or a backend object as given).

    ``auto`` runs ``work`` units of ``kernels`` (``sweep`` or ``montecarlo``: see
    :mod:`.choice`) on NumPy where that ends sooner than loading or compiling the kernels,
    else on CUDA where a device is usable, else on numba; its ``detail`` says why.
    """
    if not isinstance(backend, str):
        if all(callable(getattr(backend, method, None)) for method in _BACKEND_METHODS):
            return backend
        raise InputError(
            f"backend must be one of {', '.join(BACKENDS)} or a Backend object; "
            f"got {describe(backend)}"
        )
    if backend not in BACKENDS:
        raise InputError(f"backend must be one of {', '.join(BACKENDS)}; got {backend!r}")
    if backend == "auto":
        reason = ""
        if kernels is not None and work is not None:
            numpy_first, reason = auto_prefers_numpy(kernels, work)
            if numpy_first:
                chosen: Backend = NumpyBackend()
                chosen.detail = f"{chosen.detail}; {reason}"
                return chosen
        chosen = CudaBackend() if cuda_status().usable else NumbaBackend()
        if reason:
            chosen.detail = f"{chosen.detail}; {reason}"
        return chosen
    if backend == "numpy":
        return NumpyBackend()
    if backend == "numba":
        return NumbaBackend()
    status = cuda_status()
    if not status.usable:
        raise InputError(
            f"backend 'cuda' needs a usable CUDA device, and {status.reason}; "
            "use backend 'auto' or 'numba' to run on the CPU"
        )
    return CudaBackend()
