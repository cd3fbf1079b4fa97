"""The CUDA kernels: :func:`~.point.point_quantities` as a device function, one thread a point.

Importing this module imports numba's CUDA target, so only the CUDA backend imports it;
the kernels compile on first use. Arrays are CuPy device arrays on a real GPU and NumPy arrays under numba's CUDA simulator
(``NUMBA_ENABLE_CUDASIM=1``), where CuPy is not needed: :func:`array_module` says which.

Both kernels walk the chunk with a grid-stride loop, consecutive threads on consecutive
points, so that the materialize kernel's writes coalesce. The reduce kernel keeps each
thread's min, max, sum and best point in registers, its histograms in shared memory, and
reduces them per block; the per-block partials are merged on the device with CuPy.
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
from capacity.kernels.point import N_QUANTITIES, point_quantities

__all__ = ["CudaKernels", "array_module", "kernels"]


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
        shared_bins = n_quantities * bins

        @cuda.jit(**CUDA_DEVICE)
        def indices(flat, n_pue, n_utilization, n_mix):  # type: ignore[no-untyped-def]  # pragma: no cover
            im = flat % n_mix
            row = flat // n_mix
            iu = row % n_utilization
            row //= n_utilization
            return row // n_pue, row % n_pue, iu, im

        @cuda.jit(**CUDA_KERNEL)
        def materialize(
            start, n, power, pue, utilization, mfu, it_basis, coefficients, counts_per_watt,
            counts, accelerators, peak, delivered, average,
        ):  # type: ignore[no-untyped-def]  # fmt: skip  # pragma: no cover
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
        ):  # type: ignore[no-untyped-def]  # fmt: skip  # pragma: no cover
            n_pue, n_utilization, n_mix = pue.size, utilization.size, coefficients.shape[0]
            tid = cuda.threadIdx.x
            block = cuda.blockIdx.x
            hist = cuda.shared.array(shared_bins, dtype=np.int32)
            share_f = cuda.shared.array(threads, dtype=np.float64)
            share_g = cuda.shared.array(threads, dtype=np.float64)
            share_i = cuda.shared.array(threads, dtype=np.int64)
            for j in range(tid, shared_bins, threads):
                hist[j] = 0
            cuda.syncthreads()

            low = cuda.local.array(n_quantities, dtype=np.float64)
            high = cuda.local.array(n_quantities, dtype=np.float64)
            sums = cuda.local.array(n_quantities, dtype=np.float64)
            values = cuda.local.array(n_quantities, dtype=np.float64)
            for v in range(n_quantities):
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
                for v in range(n_quantities):
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

            # Tree reductions over the block: min and max and sum of each quantity.
            for v in range(n_quantities):
                share_f[tid] = low[v]
                share_g[tid] = high[v]
                cuda.syncthreads()
                step = threads // 2
                while step > 0:
                    if tid < step:
                        share_f[tid] = min(share_f[tid], share_f[tid + step])
                        share_g[tid] = max(share_g[tid], share_g[tid + step])
                    cuda.syncthreads()
                    step //= 2
                if tid == 0:
                    block_min[block, v] = share_f[0]
                    block_max[block, v] = share_g[0]
                cuda.syncthreads()
                share_f[tid] = sums[v]
                cuda.syncthreads()
                step = threads // 2
                while step > 0:
                    if tid < step:
                        share_f[tid] += share_f[tid + step]
                    cuda.syncthreads()
                    step //= 2
                if tid == 0:
                    block_sum[block, v] = share_f[0]
                cuda.syncthreads()
            # Best point: larger value, smaller index on a tie; and the feasible count.
            share_f[tid] = top
            share_i[tid] = top_index
            cuda.syncthreads()
            step = threads // 2
            while step > 0:
                if tid < step:
                    other = share_i[tid + step]
                    mine = share_i[tid]
                    if other >= 0 and (
                        mine < 0
                        or share_f[tid + step] > share_f[tid]
                        or (share_f[tid + step] == share_f[tid] and other < mine)
                    ):
                        share_f[tid] = share_f[tid + step]
                        share_i[tid] = other
                cuda.syncthreads()
                step //= 2
            if tid == 0:
                block_best_value[block] = share_f[0]
                block_best_index[block] = share_i[0]
            cuda.syncthreads()
            share_i[tid] = found
            cuda.syncthreads()
            step = threads // 2
            while step > 0:
                if tid < step:
                    share_i[tid] += share_i[tid + step]
                cuda.syncthreads()
                step //= 2
            if tid == 0:
                block_feasible[block] = share_i[0]
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
