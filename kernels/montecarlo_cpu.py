"""The Monte Carlo CPU kernels: :func:`~.scenario.scenario_quantities` compiled with numba,
in parallel blocks of consecutive samples.

The reduce kernel keeps one partial result per block (count, min, max, sum, sum of squares
and histogram of every group and quantity) and returns them for the backend to merge.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from capacity.kernels.compose import compile_scenario
from capacity.kernels.jit_options import CPU_INLINE, CPU_KERNEL
from capacity.kernels.montecarlo_problem import N_SCENARIO_QUANTITIES

__all__ = ["materialize_samples", "reduce_samples"]

# Inlined in numba's IR: a call to a compiled function with array arguments costs reference
# counting on every array, far more than the arithmetic of a sample.
_draw_inputs, _scenario = compile_scenario(njit(**CPU_INLINE))


@njit(**CPU_INLINE)
def _bin(x: float, lower: float, scale: float, bins: int) -> int:
    position = (x - lower) * scale
    b = int(position) if position > 0 else 0
    return min(b, bins - 1)


@njit(**CPU_KERNEL)
def materialize_samples(
    start, stop, blocks, table, keys, pool, scenario_inputs, chip_inputs, shares,
    provisioned, idle, busy, sizing_fraction, flops, modes, seconds_per_year,
    out,
):  # fmt: skip
    """Write every quantity of every group at samples ``[start, stop)`` into
    ``out[group, quantity, sample − start]``."""
    n_scenarios = shares.shape[0]
    with_total = out.shape[0] > n_scenarios
    n = stop - start
    for block in prange(blocks):
        first = start + n * block // blocks
        last = start + n * (block + 1) // blocks
        values = np.empty(table.shape[0])
        for index in range(first, last):
            row = index - start
            _draw_inputs(index, table, keys, pool, values)
            if with_total:
                for q in range(N_SCENARIO_QUANTITIES):
                    out[n_scenarios, q, row] = 0.0
            for s in range(n_scenarios):
                quantities = _scenario(
                    s, values, scenario_inputs, chip_inputs, shares, provisioned, idle, busy,
                    sizing_fraction, flops, modes, seconds_per_year,
                )  # fmt: skip
                for q in range(N_SCENARIO_QUANTITIES):
                    out[s, q, row] = quantities[q]
                    if with_total:
                        out[n_scenarios, q, row] += quantities[q]


@njit(**CPU_KERNEL)
def reduce_samples(
    start, stop, blocks, table, keys, pool, scenario_inputs, chip_inputs, shares,
    provisioned, idle, busy, sizing_fraction, flops, modes, seconds_per_year,
    lower, scale, bins, groups,
):  # fmt: skip
    """Per-block count, min, max, sum, sum of squares and histogram of samples
    ``[start, stop)``, for ``groups`` groups (the scenarios, then their total)."""
    n_scenarios = shares.shape[0]
    n_quantities = N_SCENARIO_QUANTITIES
    minimum = np.full((blocks, groups, n_quantities), np.inf)
    maximum = np.full((blocks, groups, n_quantities), -np.inf)
    total = np.zeros((blocks, groups, n_quantities))
    squares = np.zeros((blocks, groups, n_quantities))
    # int32 keeps a block's histograms small; a block holds far fewer than 2**31 samples
    histogram = np.zeros((blocks, groups, n_quantities, bins), dtype=np.int32)
    n = stop - start
    for block in prange(blocks):
        first = start + n * block // blocks
        last = start + n * (block + 1) // blocks
        low = minimum[block]
        high = maximum[block]
        sums = total[block]
        sums2 = squares[block]
        hist = histogram[block]
        summed = np.zeros(n_quantities)
        values = np.empty(table.shape[0])
        for index in range(first, last):
            _draw_inputs(index, table, keys, pool, values)
            for q in range(n_quantities):
                summed[q] = 0.0
            for s in range(n_scenarios):
                quantities = _scenario(
                    s, values, scenario_inputs, chip_inputs, shares, provisioned, idle, busy,
                    sizing_fraction, flops, modes, seconds_per_year,
                )  # fmt: skip
                for q in range(n_quantities):
                    x = quantities[q]
                    low[s, q] = min(low[s, q], x)
                    high[s, q] = max(high[s, q], x)
                    sums[s, q] += x
                    sums2[s, q] += x * x
                    hist[s, q, _bin(x, lower[s, q], scale[s, q], bins)] += 1
                    summed[q] += x
            if groups > n_scenarios:
                g = n_scenarios
                for q in range(n_quantities):
                    x = summed[q]
                    low[g, q] = min(low[g, q], x)
                    high[g, q] = max(high[g, q], x)
                    sums[g, q] += x
                    sums2[g, q] += x * x
                    hist[g, q, _bin(x, lower[g, q], scale[g, q], bins)] += 1
    return minimum, maximum, total, squares, histogram
