"""The CUDA kernels: :func:`~.point.point_quantities` as a device function, one thread a point.

Importing this module imports numba's CUDA target, so only the CUDA backend imports it;
the kernels compile on first use. Arrays are CuPy device arrays on a real GPU and NumPy
arrays under numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``), where CuPy is not needed:
:func:`array_module` says which.

Both kernels walk the chunk with a grid-stride loop, consecutive threads on consecutive
points, so that the materialize kernel's writes coalesce. The reduce kernel keeps each
thread's min, max, sum and best point in registers and its histograms in shared memory
(for the per-point quantities; facility and IT power come from ``rows``),
reduces them per block through shared memory, and the per-block partials are merged on the
device with CuPy.
"""

from __future__ import annotations

import functools
import math
from types import ModuleType
from typing import Any

import numpy as np
from numba import cuda

from capacity.kernels.jit_options import (
    CUDA_DEVICE,
    CUDA_KERNEL,
    CUDA_THREADS,
    CUDA_THREADS_SIMULATED,
)
from capacity.kernels.point import N_QUANTITIES, POINT_QUANTITIES, point_quantities

__all__ = ["CudaKernels", "array_module", "kernels", "launch_blocks"]


def array_module(simulated: bool) -> ModuleType:
    """CuPy on a device, NumPy under the simulator."""
    if simulated:
        return np
    import cupy

    return cupy  # type: ignore[no-any-return]


class CudaKernels:
    """The compiled kernels for one histogram size and block size."""

    def __init__(self, bins: int, threads: int) -> None:
        self.bins = bins
        self.threads = threads
        point = cuda.jit(**CUDA_DEVICE)(point_quantities)
        n_quantities = N_QUANTITIES
        n_point = POINT_QUANTITIES
        shared_bins = n_point * bins

        @cuda.jit(**CUDA_DEVICE)
        def indices(flat, n_pue, n_utilization, n_mix):
            im = flat % n_mix
            row = flat // n_mix
            iu = row % n_utilization
            row //= n_utilization
            return row // n_pue, row % n_pue, iu, im

        @cuda.jit(**CUDA_KERNEL)
        def materialize(
            start, n, power, pue, utilization, mfu, it_basis, coefficients, counts_per_watt,
            counts, accelerators, peak, delivered, average,
        ):  # fmt: skip
            n_pue, n_utilization, n_mix = pue.size, utilization.size, coefficients.shape[0]
            n_chips = counts_per_watt.shape[1]
            row = cuda.grid(1)
            stride = cuda.gridsize(1)
            while row < n:
                ip, iq, iu, im = indices(start + row, n_pue, n_utilization, n_mix)
                a, f, d, w, _, it = point(
                    power[ip], pue[iq], utilization[iu], mfu, it_basis, coefficients[im, 0],
                    coefficients[im, 1], coefficients[im, 2], coefficients[im, 3],
                )  # fmt: skip
                for k in range(n_chips):
                    counts[row, k] = it * counts_per_watt[im, k]
                accelerators[row] = a
                peak[row] = f
                delivered[row] = d
                average[row] = w
                row += stride

        @cuda.jit(**CUDA_KERNEL)
        def reduce(
            start, n, power, pue, utilization, mfu, it_basis, coefficients, lower, scale,
            constraint_quantity, constraint_lower, constraint_upper, feasible_mix,
            objective_quantity, objective_sign, block_min, block_max, block_sum, block_hist,
            block_feasible, block_best_value, block_best_index,
        ):  # fmt: skip
            n_pue, n_utilization, n_mix = pue.size, utilization.size, coefficients.shape[0]
            tid = cuda.threadIdx.x
            block = cuda.blockIdx.x
            hist = cuda.shared.array(shared_bins, dtype=np.int32)
            table = cuda.shared.array((threads, n_point), dtype=np.float64)
            best_values = cuda.shared.array(threads, dtype=np.float64)
            best_indices = cuda.shared.array(threads, dtype=np.int64)
            found_counts = cuda.shared.array(threads, dtype=np.int64)
            for j in range(tid, shared_bins, threads):
                hist[j] = 0
            cuda.syncthreads()

            low = cuda.local.array(n_point, dtype=np.float64)
            high = cuda.local.array(n_point, dtype=np.float64)
            sums = cuda.local.array(n_point, dtype=np.float64)
            values = cuda.local.array(n_quantities, dtype=np.float64)
            for v in range(n_point):
                low[v] = math.inf
                high[v] = -math.inf
                sums[v] = 0.0
            found = 0
            top = -math.inf
            top_index = -1
            row = cuda.grid(1)
            stride = cuda.gridsize(1)
            while row < n:
                flat = start + row
                ip, iq, iu, im = indices(flat, n_pue, n_utilization, n_mix)
                (values[0], values[1], values[2], values[3], values[4], values[5]) = point(
                    power[ip], pue[iq], utilization[iu], mfu, it_basis, coefficients[im, 0],
                    coefficients[im, 1], coefficients[im, 2], coefficients[im, 3],
                )  # fmt: skip
                for v in range(n_point):
                    x = values[v]
                    low[v] = min(low[v], x)
                    high[v] = max(high[v], x)
                    sums[v] += x
                    position = (x - lower[v]) * scale[v]
                    b = int(position) if position > 0 else 0
                    cuda.atomic.add(hist, v * bins + min(b, bins - 1), 1)
                ok = feasible_mix[im] != 0
                for c in range(constraint_quantity.size):
                    x = values[constraint_quantity[c]]
                    if x < constraint_lower[c] or x > constraint_upper[c]:
                        ok = False
                if ok:
                    found += 1
                    if objective_quantity >= 0:
                        x = objective_sign * values[objective_quantity]
                        if top_index < 0 or x > top:
                            top = x
                            top_index = flat
                row += stride

            # Per-block results: each statistic through one shared table, reduced over the
            # block's threads by one thread per quantity (few barriers, no tree).
            for statistic in range(3):
                for v in range(n_point):
                    if statistic == 0:
                        table[tid, v] = low[v]
                    elif statistic == 1:
                        table[tid, v] = high[v]
                    else:
                        table[tid, v] = sums[v]
                cuda.syncthreads()
                if tid < n_point:
                    x = table[0, tid]
                    for t in range(1, threads):
                        if statistic == 0:
                            x = min(x, table[t, tid])
                        elif statistic == 1:
                            x = max(x, table[t, tid])
                        else:
                            x += table[t, tid]
                    if statistic == 0:
                        block_min[block, tid] = x
                    elif statistic == 1:
                        block_max[block, tid] = x
                    else:
                        block_sum[block, tid] = x
                cuda.syncthreads()
            # Best point (larger value, smaller index on a tie) and feasible count.
            best_values[tid] = top
            best_indices[tid] = top_index
            found_counts[tid] = found
            cuda.syncthreads()
            if tid == 0:
                value = best_values[0]
                index = best_indices[0]
                count = found_counts[0]
                for t in range(1, threads):
                    count += found_counts[t]
                    other = best_indices[t]
                    if other >= 0 and (
                        index < 0
                        or best_values[t] > value
                        or (best_values[t] == value and other < index)
                    ):
                        value = best_values[t]
                        index = other
                block_best_value[block] = value
                block_best_index[block] = index
                block_feasible[block] = count
            for j in range(tid, shared_bins, threads):
                block_hist[block, j] = hist[j]

        self.materialize = materialize
        self.reduce = reduce


@functools.cache
def kernels(bins: int, simulated: bool) -> CudaKernels:
    """The kernels for ``bins`` histogram bins, compiled once per process."""
    return CudaKernels(bins, CUDA_THREADS_SIMULATED if simulated else CUDA_THREADS)


def launch_blocks(points: int, threads: int, simulated: bool) -> int:
    """Enough blocks to fill the device, and no more than the points need."""
    needed = max(1, -(-points // threads))
    if simulated:
        return min(needed, 4)
    device: Any = cuda.get_current_device()
    return min(needed, 8 * int(device.MULTIPROCESSOR_COUNT))
