"""The Monte Carlo CUDA kernel: :func:`~.scenario.scenario_quantities` as a device
function, one thread a sample, and the reduction of a chunk on the device with CuPy.

The kernel writes every quantity of every group of a chunk to a device array
(groups × quantities × samples, consecutive threads on consecutive samples so that the
writes coalesce); CuPy then takes min, max, sums and histograms of the rows on the device,
and only those come back to the host. Chunks are sized so that the device array stays a
few GB. Under numba's CUDA simulator the arrays are NumPy arrays.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from numba import cuda

from capacity.kernels.compose import compile_cores
from capacity.kernels.cuda import array_module, launch_blocks
from capacity.kernels.jit_options import (
    CUDA_DEVICE,
    CUDA_KERNEL,
    CUDA_THREADS,
    CUDA_THREADS_SIMULATED,
)
from capacity.kernels.montecarlo_problem import (
    N_SCENARIO_QUANTITIES,
    MonteCarloProblem,
    SamplePartial,
    SampleSpec,
)

__all__ = [
    "MAX_INPUTS",
    "MonteCarloCudaKernels",
    "device_arrays",
    "materialize_on_device",
    "montecarlo_kernels",
    "reduce_on_device",
]

# Inputs a sample may have on the GPU: each thread keeps its drawn inputs in local memory.
MAX_INPUTS = 256

_ARRAYS = (
    "table", "keys", "pool", "scenario_inputs", "chip_inputs", "shares", "provisioned",
    "idle", "busy", "sizing_fraction", "flops", "modes",
)  # fmt: skip


class MonteCarloCudaKernels:
    """The compiled materialize kernel."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        cores = compile_cores(cuda.jit(**CUDA_DEVICE))
        draw_inputs, scenario = cores.draw_inputs, cores.scenario_quantities
        max_inputs = MAX_INPUTS

        @cuda.jit(**CUDA_KERNEL)
        def materialize(
            start, n, table, keys, pool, scenario_inputs, chip_inputs, shares, provisioned,
            idle, busy, sizing_fraction, flops, modes, seconds_per_year, out,
        ):  # fmt: skip
            n_scenarios = shares.shape[0]
            with_total = out.shape[0] > n_scenarios
            values = cuda.local.array(max_inputs, np.float64)
            row = cuda.grid(1)
            stride = cuda.gridsize(1)
            while row < n:
                draw_inputs(start + row, table, keys, pool, values)
                t0 = t1 = t2 = t3 = t4 = t5 = t6 = t7 = t8 = t9 = 0.0
                for s in range(n_scenarios):
                    q0, q1, q2, q3, q4, q5, q6, q7, q8, q9 = scenario(
                        s, values, scenario_inputs, chip_inputs, shares, provisioned, idle,
                        busy, sizing_fraction, flops, modes, seconds_per_year,
                    )  # fmt: skip
                    out[s, 0, row] = q0
                    out[s, 1, row] = q1
                    out[s, 2, row] = q2
                    out[s, 3, row] = q3
                    out[s, 4, row] = q4
                    out[s, 5, row] = q5
                    out[s, 6, row] = q6
                    out[s, 7, row] = q7
                    out[s, 8, row] = q8
                    out[s, 9, row] = q9
                    t0 += q0
                    t1 += q1
                    t2 += q2
                    t3 += q3
                    t4 += q4
                    t5 += q5
                    t6 += q6
                    t7 += q7
                    t8 += q8
                    t9 += q9
                if with_total:
                    out[n_scenarios, 0, row] = t0
                    out[n_scenarios, 1, row] = t1
                    out[n_scenarios, 2, row] = t2
                    out[n_scenarios, 3, row] = t3
                    out[n_scenarios, 4, row] = t4
                    out[n_scenarios, 5, row] = t5
                    out[n_scenarios, 6, row] = t6
                    out[n_scenarios, 7, row] = t7
                    out[n_scenarios, 8, row] = t8
                    out[n_scenarios, 9, row] = t9
                row += stride

        self.materialize = materialize


@functools.cache
def montecarlo_kernels(simulated: bool) -> MonteCarloCudaKernels:
    """The kernel, compiled once per process."""
    return MonteCarloCudaKernels(CUDA_THREADS_SIMULATED if simulated else CUDA_THREADS)


def device_arrays(problem: MonteCarloProblem, simulated: bool) -> dict[str, Any]:
    """The problem's arrays on the device."""
    xp = array_module(simulated)
    return {name: xp.asarray(getattr(problem, name)) for name in _ARRAYS}


def materialize_on_device(
    problem: MonteCarloProblem, arrays: dict[str, Any], start: int, stop: int, simulated: bool
) -> Any:
    """Every quantity of every group at samples ``[start, stop)``, left on the device."""
    xp = array_module(simulated)
    compiled = montecarlo_kernels(simulated)
    n = stop - start
    out = xp.empty((problem.groups, N_SCENARIO_QUANTITIES, n))
    blocks = launch_blocks(n, compiled.threads, simulated)
    compiled.materialize[blocks, compiled.threads](
        start, n, *(arrays[name] for name in _ARRAYS), problem.seconds_per_year, out
    )
    return out


def reduce_on_device(values: Any, spec: SampleSpec, simulated: bool) -> SamplePartial:
    """The partial of a chunk's materialized values (groups × quantities × n), reduced with
    CuPy (NumPy under the simulator); only the partial comes to the host."""
    xp = array_module(simulated)
    groups, quantities, n = values.shape
    rows = values.reshape(groups * quantities, n)
    lower = xp.asarray(spec.bin_lower.reshape(-1, 1))
    scale = xp.asarray(spec.scale.reshape(-1, 1))
    shifted = rows - xp.asarray(spec.center.reshape(-1, 1))
    logarithmic = np.flatnonzero(spec.logarithmic.reshape(-1))
    binned = rows
    if logarithmic.size:
        binned = rows.copy()
        with np.errstate(divide="ignore", invalid="ignore"):
            binned[logarithmic] = xp.log(rows[logarithmic])
    position = (binned - lower) * scale
    # clamped before the conversion to an integer, which a far-out tail value would overflow
    bins = xp.minimum(xp.where(position > 0.0, position, 0.0), spec.bins - 1).astype(xp.int64)
    bins += xp.arange(groups * quantities, dtype=xp.int64).reshape(-1, 1) * spec.bins
    histogram = xp.bincount(bins.ravel(), minlength=groups * quantities * spec.bins)
    merged = {
        "minimum": rows.min(axis=1),
        "maximum": rows.max(axis=1),
        "total": shifted.sum(axis=1),
        "total_squares": (shifted * shifted).sum(axis=1),
        "histogram": histogram,
    }
    host = {k: np.asarray(v if simulated else v.get()) for k, v in merged.items()}
    shape = (groups, quantities)
    return SamplePartial(
        samples=n,
        minimum=host["minimum"].reshape(shape),
        maximum=host["maximum"].reshape(shape),
        total=host["total"].reshape(shape),
        total_squares=host["total_squares"].reshape(shape),
        histogram=host["histogram"].reshape(*shape, spec.bins).astype(np.int64),
    )
