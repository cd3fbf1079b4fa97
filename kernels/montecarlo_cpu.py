"""The Monte Carlo CPU kernel: the scalar cores compiled with numba, in parallel blocks of
consecutive samples, each block walked in batches of :data:`BATCH` samples.

A batch first draws every input for all its samples (one loop per input, specialized by
distribution kind so that the generator and the common samplers vectorize), then evaluates
every scenario sample by sample into a small buffer, and only then reduces the buffer: min,
max, sums and histogram per group and quantity. The block's partial results go back to the
backend to merge. Every buffer is a few kB: nothing scales with the number of samples.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from capacity.kernels.compose import compile_cores
from capacity.kernels.cpu import histogram_bin
from capacity.kernels.jit_options import CPU_INLINE, CPU_SAMPLE_KERNEL
from capacity.kernels.montecarlo_problem import N_SCENARIO_QUANTITIES

__all__ = ["BATCH", "reduce_samples"]

BATCH = 64
# numba's on-disk cache is keyed by this file, not by the globals it reads: a change to
# N_SCENARIO_QUANTITIES (ten since costs by component, carbon and water) must come with an edit
# here so that stale compiled kernels are not reused.
# Distribution kinds with a loop of their own (the rest go through the general ``draw``).
_UNIFORM, _TRIANGULAR = 1, 2

# Inlined in numba's IR: a call to a compiled function with array arguments costs reference
# counting on every array, far more than the arithmetic of a sample.
_cores = compile_cores(njit(**CPU_INLINE))
_uniform = _cores.uniform
_uniform_sample = _cores.uniform_sample
_triangular_sample = _cores.triangular_sample
_clip = _cores.clip
_draw = _cores.draw
_scenario = _cores.scenario_quantities


@njit(**CPU_INLINE)
def _draw_batch(first, count, table, keys, pool, column, values):
    """Every input at samples ``first … first + count − 1`` into ``values[sample, input]``."""
    for v in range(table.shape[0]):
        kind = table[v, 0]
        p0, p1, p2, p3 = table[v, 1], table[v, 2], table[v, 3], table[v, 4]
        lower, upper = table[v, 5], table[v, 6]
        key = keys[v]
        if kind == 0:
            for j in range(count):
                column[j] = p0
        elif kind == _UNIFORM:
            for j in range(count):
                x = _uniform_sample(p0, p1, _uniform(key, first + j))
                column[j] = _clip(x, lower, upper)
        elif kind == _TRIANGULAR:
            for j in range(count):
                x = _triangular_sample(p0, p1, p2, _uniform(key, first + j))
                column[j] = _clip(x, lower, upper)
        else:
            for j in range(count):
                u = _uniform(key, first + j)
                column[j] = _draw(kind, p0, p1, p2, p3, lower, upper, u, pool)
        for j in range(count):
            values[j, v] = column[j]


@njit(**CPU_SAMPLE_KERNEL)
def reduce_samples(
    start, stop, blocks, table, keys, pool, scenario_inputs, chip_inputs, shares,
    provisioned, idle, busy, sizing_fraction, flops, modes, seconds_per_year,
    lower, scale, bins, center, logarithmic, groups,
):  # fmt: skip
    """Per-block min, max, sums of ``x − center`` and of its square, and histogram of
    samples ``[start, stop)``, for ``groups`` groups (the scenarios, then their total).
    ``lower`` and ``scale`` are in the bins' space: ln x where ``logarithmic``."""
    n_scenarios = shares.shape[0]
    n_quantities = N_SCENARIO_QUANTITIES
    with_total = groups > n_scenarios
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
        values = np.empty((BATCH, table.shape[0]))
        column = np.empty(BATCH)
        out = np.empty((groups, n_quantities, BATCH))
        hist = histogram[block]
        for batch in range(first, last, BATCH):
            count = min(BATCH, last - batch)
            _draw_batch(batch, count, table, keys, pool, column, values)
            for j in range(count):
                if with_total:
                    for q in range(n_quantities):
                        out[n_scenarios, q, j] = 0.0
                for s in range(n_scenarios):
                    quantities = _scenario(
                        s, values[j], scenario_inputs, chip_inputs, shares, provisioned, idle,
                        busy, sizing_fraction, flops, modes, seconds_per_year,
                    )  # fmt: skip
                    for q in range(n_quantities):
                        out[s, q, j] = quantities[q]
                        if with_total:
                            out[n_scenarios, q, j] += quantities[q]
            for g in range(groups):
                for q in range(n_quantities):
                    x = out[g, q]
                    low = minimum[block, g, q]
                    high = maximum[block, g, q]
                    mid = center[g, q]
                    acc = 0.0
                    acc2 = 0.0
                    for j in range(count):
                        low = min(low, x[j])
                        high = max(high, x[j])
                        acc += x[j] - mid
                        acc2 += (x[j] - mid) * (x[j] - mid)
                    minimum[block, g, q] = low
                    maximum[block, g, q] = high
                    total[block, g, q] += acc
                    squares[block, g, q] += acc2
                    bins_of = hist[g, q]
                    edge, per_unit = lower[g, q], scale[g, q]
                    if logarithmic[g, q]:
                        for j in range(count):
                            bins_of[histogram_bin(math.log(x[j]), edge, per_unit, bins)] += 1
                    else:
                        for j in range(count):
                            bins_of[histogram_bin(x[j], edge, per_unit, bins)] += 1
    return minimum, maximum, total, squares, histogram
