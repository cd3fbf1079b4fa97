"""The CPU kernels: :func:`~.point.point_quantities` compiled with numba, in parallel blocks.

Each chunk ``[start, stop)`` is cut into ``blocks`` contiguous runs of points, one per
parallel task. A run finds its (power, pue, utilization, mix) indices once and then steps
through the points like an odometer, so the hot loop has no integer division. The reduce
kernel keeps one partial result per block and returns them for :class:`~.partial.Partial`
to merge.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from capacity.kernels.jit_options import CPU_INLINE, CPU_KERNEL
from capacity.kernels.point import N_QUANTITIES, point_quantities

__all__ = ["materialize_chunk", "reduce_chunk"]

_point = njit(**CPU_INLINE)(point_quantities)


@njit(**CPU_INLINE)
def _indices(flat: int, n_pue: int, n_utilization: int, n_mix: int) -> tuple[int, int, int, int]:
    im = flat % n_mix
    row = flat // n_mix
    iu = row % n_utilization
    row //= n_utilization
    return row // n_pue, row % n_pue, iu, im


@njit(**CPU_KERNEL)
def materialize_chunk(
    start, stop, blocks, power, pue, utilization, mfu, it_basis, coefficients,
    counts_per_watt, counts, accelerators, peak, delivered, average,
):  # fmt: skip
    """Write every output of points ``[start, stop)`` at rows ``0 … stop − start``."""
    n_pue, n_utilization, n_mix = pue.size, utilization.size, coefficients.shape[0]
    n_chips = counts_per_watt.shape[1]
    n = stop - start
    for block in prange(blocks):
        first = start + n * block // blocks
        last = start + n * (block + 1) // blocks
        ip, iq, iu, im = _indices(first, n_pue, n_utilization, n_mix)
        for flat in range(first, last):
            row = flat - start
            a, f, d, w, _, it = _point(
                power[ip], pue[iq], utilization[iu], mfu, it_basis, coefficients[im, 0],
                coefficients[im, 1], coefficients[im, 2], coefficients[im, 3],
            )  # fmt: skip
            for k in range(n_chips):
                counts[row, k] = it * counts_per_watt[im, k]
            accelerators[row] = a
            peak[row] = f
            delivered[row] = d
            average[row] = w
            im += 1
            if im == n_mix:
                im = 0
                iu += 1
                if iu == n_utilization:
                    iu = 0
                    iq += 1
                    if iq == n_pue:
                        iq = 0
                        ip += 1


@njit(**CPU_KERNEL)
def reduce_chunk(
    start, stop, blocks, power, pue, utilization, mfu, it_basis, coefficients, lower, scale,
    bins, constraint_quantity, constraint_lower, constraint_upper, feasible_mix,
    objective_quantity, objective_sign,
):  # fmt: skip
    """Per-block min, max, sum, histograms, feasible count and best point of a chunk."""
    n_pue, n_utilization, n_mix = pue.size, utilization.size, coefficients.shape[0]
    n_constraints = constraint_quantity.size
    minimum = np.full((blocks, N_QUANTITIES), np.inf)
    maximum = np.full((blocks, N_QUANTITIES), -np.inf)
    total = np.zeros((blocks, N_QUANTITIES))
    histogram = np.zeros((blocks, N_QUANTITIES, bins), dtype=np.int64)
    feasible = np.zeros(blocks, dtype=np.int64)
    best_value = np.full(blocks, -np.inf)
    best_index = np.full(blocks, -1, dtype=np.int64)
    n = stop - start
    for block in prange(blocks):
        first = start + n * block // blocks
        last = start + n * (block + 1) // blocks
        ip, iq, iu, im = _indices(first, n_pue, n_utilization, n_mix)
        low = np.full(N_QUANTITIES, np.inf)
        high = np.full(N_QUANTITIES, -np.inf)
        sums = np.zeros(N_QUANTITIES)
        values = np.empty(N_QUANTITIES)
        hist = histogram[block]
        found = 0
        top = -np.inf
        top_index = -1
        for flat in range(first, last):
            (values[0], values[1], values[2], values[3], values[4], values[5]) = _point(
                power[ip], pue[iq], utilization[iu], mfu, it_basis, coefficients[im, 0],
                coefficients[im, 1], coefficients[im, 2], coefficients[im, 3],
            )  # fmt: skip
            for v in range(N_QUANTITIES):
                x = values[v]
                low[v] = min(low[v], x)
                high[v] = max(high[v], x)
                sums[v] += x
                position = (x - lower[v]) * scale[v]
                b = int(position) if position > 0 else 0
                hist[v, min(b, bins - 1)] += 1
            ok = feasible_mix[im] != 0
            for c in range(n_constraints):
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
            im += 1
            if im == n_mix:
                im = 0
                iu += 1
                if iu == n_utilization:
                    iu = 0
                    iq += 1
                    if iq == n_pue:
                        iq = 0
                        ip += 1
        minimum[block] = low
        maximum[block] = high
        total[block] = sums
        feasible[block] = found
        best_value[block] = top
        best_index[block] = top_index
    return minimum, maximum, total, histogram, feasible, best_value, best_index
