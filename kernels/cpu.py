"""The CPU kernels: :func:`~.point.point_quantities` compiled with numba, in blocks.

Each chunk ``[start, stop)`` is cut into ``blocks`` contiguous runs of points, computed by
one compiled function per run (:func:`materialize_block`, :func:`reduce_block`) on numba's
threads (:mod:`.blocks`). A run finds its (power, pue, utilization, mix) indices once and
then steps through the points like an odometer, so the hot loop has no integer division.
A block writes into arrays given to it, so that the compiled functions allocate nothing
(each NumPy function used inside one would compile with it); the reduce kernel keeps one
partial result per block and returns them for :class:`~.partial.Partial` to merge.

numba's disk cache of these kernels is keyed on every kernel source file (:mod:`.numba_cache`),
so a change to a function they compile in from another file recompiles them.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from capacity.kernels.blocks import block_bounds, run_blocks
from capacity.kernels.jit_options import CPU_FUNCTION, CPU_INLINE
from capacity.kernels.point import POINT_QUANTITIES, point_quantities

__all__ = [
    "histogram_bin",
    "materialize_block",
    "materialize_chunk",
    "reduce_block",
    "reduce_chunk",
]

# Inlined in numba's IR: numba optimizes a called function again with its caller, so that one
# flat kernel compiles (and here runs) faster than a tree of calls.
_point = njit(**CPU_INLINE)(point_quantities)


@njit(**CPU_INLINE)
def _indices(flat: int, n_pue: int, n_utilization: int, n_mix: int) -> tuple[int, int, int, int]:
    im = flat % n_mix
    row = flat // n_mix
    iu = row % n_utilization
    row //= n_utilization
    return row // n_pue, row % n_pue, iu, im


@njit(**CPU_INLINE)
def _next(
    ip: int, iq: int, iu: int, im: int, n_pue: int, n_utilization: int, n_mix: int
) -> tuple[int, int, int, int]:
    """The indices of the next point, mix fastest (an odometer: no division)."""
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
    return ip, iq, iu, im


@njit(**CPU_FUNCTION)
def materialize_block(
    first, last, start, power, pue, utilization, mfu, it_basis, coefficients,
    counts_per_watt, counts, accelerators, peak, delivered, average,
):  # fmt: skip
    """Write every output of points ``[first, last)`` at rows ``first − start …``."""
    n_pue, n_utilization, n_mix = pue.size, utilization.size, coefficients.shape[0]
    n_chips = counts_per_watt.shape[1]
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
        ip, iq, iu, im = _next(ip, iq, iu, im, n_pue, n_utilization, n_mix)


def materialize_chunk(
    start: int, stop: int, blocks: int, power: np.ndarray, pue: np.ndarray,
    utilization: np.ndarray, mfu: float, it_basis: bool, coefficients: np.ndarray,
    counts_per_watt: np.ndarray, counts: np.ndarray, accelerators: np.ndarray,
    peak: np.ndarray, delivered: np.ndarray, average: np.ndarray,
) -> None:  # fmt: skip
    """Write every output of points ``[start, stop)`` at rows ``0 … stop − start``."""
    bounds = block_bounds(start, stop, blocks)

    def block(b: int) -> None:
        first, last = bounds[b]
        materialize_block(
            first, last, start, power, pue, utilization, mfu, it_basis, coefficients,
            counts_per_watt, counts, accelerators, peak, delivered, average,
        )  # fmt: skip

    run_blocks(block, blocks)


@njit(**CPU_INLINE)
def histogram_bin(x: float, lower: float, scale: float, bins: int) -> int:
    """The bin of ``x`` among ``bins`` equal bins from ``lower`` (``scale`` bins per unit);
    values outside go to the end bins (clamped before the conversion to an integer, which
    a far-out value, possible in a Monte Carlo tail, would overflow)."""
    position = (x - lower) * scale
    if not position > 0.0:
        return 0
    if position >= bins:
        return bins - 1
    return int(position)


@njit(**CPU_INLINE)
def _pick(quantity: int, a: float, f: float, d: float, w: float, fac: float, it: float) -> float:
    """Quantity number ``quantity`` of :data:`~.point.QUANTITIES`, without an array."""
    if quantity == 0:
        return a
    if quantity == 1:
        return f
    if quantity == 2:
        return d
    if quantity == 3:
        return w
    return fac if quantity == 4 else it


@njit(**CPU_FUNCTION)
def reduce_block(
    first, last, power, pue, utilization, mfu, it_basis, coefficients, lower, scale,
    constraint_quantity, constraint_lower, constraint_upper, feasible_mix,
    objective_quantity, objective_sign, statistics, histogram, counts, best_value,
):  # fmt: skip
    """Min, max and sum (rows of ``statistics``) and histograms (``histogram``, zeroed) of
    the per-point quantities (the first :data:`~.point.POINT_QUANTITIES`) of points
    ``[first, last)``; their feasible count and the best point's index (``counts``) and
    value (``best_value[0]``).

    Statistics are kept in scalars, not arrays, so that they stay in registers.
    """
    n_pue, n_utilization, n_mix = pue.size, utilization.size, coefficients.shape[0]
    n_constraints = constraint_quantity.size
    bins = histogram.shape[1]
    checks = n_constraints > 0 or objective_quantity >= 0
    lower0, lower1, lower2, lower3 = lower[0], lower[1], lower[2], lower[3]
    scale0, scale1, scale2, scale3 = scale[0], scale[1], scale[2], scale[3]
    ip, iq, iu, im = _indices(first, n_pue, n_utilization, n_mix)
    low0 = low1 = low2 = low3 = np.inf
    high0 = high1 = high2 = high3 = -np.inf
    sum0 = sum1 = sum2 = sum3 = 0.0
    found = 0
    top = -np.inf
    top_index = -1
    for flat in range(first, last):
        a, f, d, w, fac, it = _point(
            power[ip], pue[iq], utilization[iu], mfu, it_basis, coefficients[im, 0],
            coefficients[im, 1], coefficients[im, 2], coefficients[im, 3],
        )  # fmt: skip
        low0, high0, sum0 = min(low0, a), max(high0, a), sum0 + a
        low1, high1, sum1 = min(low1, f), max(high1, f), sum1 + f
        low2, high2, sum2 = min(low2, d), max(high2, d), sum2 + d
        low3, high3, sum3 = min(low3, w), max(high3, w), sum3 + w
        histogram[0, histogram_bin(a, lower0, scale0, bins)] += 1
        histogram[1, histogram_bin(f, lower1, scale1, bins)] += 1
        histogram[2, histogram_bin(d, lower2, scale2, bins)] += 1
        histogram[3, histogram_bin(w, lower3, scale3, bins)] += 1
        if checks:
            ok = feasible_mix[im] != 0
            for c in range(n_constraints):
                x = _pick(constraint_quantity[c], a, f, d, w, fac, it)
                if x < constraint_lower[c] or x > constraint_upper[c]:
                    ok = False
            if ok:
                found += 1
                if objective_quantity >= 0:
                    x = objective_sign * _pick(objective_quantity, a, f, d, w, fac, it)
                    if top_index < 0 or x > top:
                        top = x
                        top_index = flat
        elif feasible_mix[im] != 0:
            found += 1
        ip, iq, iu, im = _next(ip, iq, iu, im, n_pue, n_utilization, n_mix)
    statistics[0, 0], statistics[0, 1], statistics[0, 2], statistics[0, 3] = low0, low1, low2, low3
    statistics[1, 0], statistics[1, 1] = high0, high1
    statistics[1, 2], statistics[1, 3] = high2, high3
    statistics[2, 0], statistics[2, 1], statistics[2, 2], statistics[2, 3] = sum0, sum1, sum2, sum3
    counts[0] = found
    counts[1] = top_index
    best_value[0] = top


def reduce_chunk(
    start: int, stop: int, blocks: int, power: np.ndarray, pue: np.ndarray,
    utilization: np.ndarray, mfu: float, it_basis: bool, coefficients: np.ndarray,
    lower: np.ndarray, scale: np.ndarray, bins: int, constraint_quantity: np.ndarray,
    constraint_lower: np.ndarray, constraint_upper: np.ndarray, feasible_mix: np.ndarray,
    objective_quantity: int, objective_sign: float,
) -> tuple[np.ndarray, ...]:  # fmt: skip
    """Per-block min, max, sum and histogram of the per-point quantities (the first
    :data:`~.point.POINT_QUANTITIES`), feasible count and best point of a chunk:
    ``(minimum, maximum, total, histogram, feasible, best_value, best_index)``, each with
    one row per block."""
    statistics = np.empty((blocks, 3, POINT_QUANTITIES))
    # int32 keeps a block's histograms in L1; a block holds far fewer than 2**31 points
    histogram = np.zeros((blocks, POINT_QUANTITIES, bins), dtype=np.int32)
    counts = np.empty((blocks, 2), dtype=np.int64)
    best_value = np.empty((blocks, 1))
    bounds = block_bounds(start, stop, blocks)
    arguments = (
        power, pue, utilization, float(mfu), bool(it_basis), coefficients, lower, scale,
        np.asarray(constraint_quantity, dtype=np.int64), constraint_lower, constraint_upper,
        np.asarray(feasible_mix, dtype=np.uint8), int(objective_quantity),
        float(objective_sign),
    )  # fmt: skip

    def block(b: int) -> None:
        first, last = bounds[b]
        reduce_block(
            first, last, *arguments, statistics[b], histogram[b], counts[b], best_value[b]
        )  # fmt: skip

    run_blocks(block, blocks)
    return (
        statistics[:, 0], statistics[:, 1], statistics[:, 2], histogram,
        counts[:, 0], best_value[:, 0], counts[:, 1],
    )  # fmt: skip
