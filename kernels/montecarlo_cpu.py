"""The Monte Carlo CPU kernel: the scalar cores compiled with numba, in blocks of
consecutive samples (run on numba's threads by :mod:`.blocks`), each block walked in
batches of samples (:func:`batch_size`: 64 to 256, so that a batch's buffers stay in the
core's first caches).

A batch first draws every input for all its samples (one loop per input, specialized by
distribution kind so that the generator and the common samplers vectorize), then evaluates
every scenario sample by sample into a small buffer, and only then reduces the buffer: min,
max, sums and histogram per group and quantity. The block's partial results go back to the
backend to merge. Every buffer is a few kB, allocated by :func:`reduce_samples`: nothing
scales with the number of samples, and the compiled functions allocate nothing.

Two block kernels share everything but the draws: :func:`reduce_block_common` for runs whose
inputs are all fixed, uniform or triangular (the common case, and the one compiled first),
and :func:`reduce_block` for any distribution (normal, lognormal and samples too), so that
a run compiles the samplers it uses.

numba's disk cache of these kernels is keyed on every kernel source file (:mod:`.numba_cache`),
so a change to a function they compile in from another file recompiles them.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from capacity.kernels.blocks import block_bounds, run_blocks
from capacity.kernels.compose import compile_cores
from capacity.kernels.jit_options import CPU_INLINE, CPU_SAMPLE_FUNCTION
from capacity.kernels.montecarlo_problem import N_SCENARIO_QUANTITIES

__all__ = [
    "COMMON_KINDS",
    "batch_size",
    "reduce_block",
    "reduce_block_common",
    "reduce_samples",
]

# Samples a batch: longer batches spread each loop's set-up over more samples, as long as
# the batch's inputs and outputs (8 bytes each) fit in about 48 kB.
BATCH_RANGE = (64, 256)
BATCH_BYTES = 48 * 1024
# Distribution kinds with a loop of their own (the rest go through the general ``draw``).
_FIXED, _UNIFORM, _TRIANGULAR = 0, 1, 2
COMMON_KINDS = (_FIXED, _UNIFORM, _TRIANGULAR)

# Everything a block kernel calls is inlined in numba's IR: a call with array arguments costs
# reference counting on each of them, and numba optimizes a called function again with its
# caller, so that one flat kernel compiles faster than a tree of calls.
_cores = compile_cores(njit(**CPU_INLINE))
_uniform = _cores.uniform
_uniform_sample = _cores.uniform_sample
_triangular_sample = _cores.triangular_sample
_clip = _cores.clip
_draw = _cores.draw
_scenario = _cores.scenario_quantities


@njit(**CPU_INLINE)
def _fill_fixed(table, values):
    """The fixed inputs into their rows of ``values``, once a block: they never change."""
    for v in range(table.shape[0]):
        if table[v, 0] == _FIXED:
            for j in range(values.shape[1]):
                values[v, j] = table[v, 1]


@njit(**CPU_INLINE)
def _draw_common(v, first, count, table, keys, row):
    """Input ``v`` (uniform or triangular) at samples ``first …`` into ``row``."""
    kind = table[v, 0]
    p0, p1, p2 = table[v, 1], table[v, 2], table[v, 3]
    lower, upper = table[v, 5], table[v, 6]
    key = keys[v]
    if kind == _UNIFORM:
        for j in range(count):
            x = _uniform_sample(p0, p1, _uniform(key, first + j))
            row[j] = _clip(x, lower, upper)
    else:
        for j in range(count):
            x = _triangular_sample(p0, p1, p2, _uniform(key, first + j))
            row[j] = _clip(x, lower, upper)


@njit(**CPU_INLINE)
def _draw_batch_common(first, count, table, keys, values):
    """Every drawn input (all of :data:`COMMON_KINDS`) at samples ``first … first + count −
    1`` into ``values[input, sample]`` (the fixed ones are there already)."""
    for v in range(table.shape[0]):
        if table[v, 0] != _FIXED:
            _draw_common(v, first, count, table, keys, values[v])


@njit(**CPU_INLINE)
def _draw_batch(first, count, table, keys, pool, values):
    """Every drawn input, of any kind, at samples ``first … first + count − 1`` into
    ``values[input, sample]``."""
    for v in range(table.shape[0]):
        kind = table[v, 0]
        if kind == _FIXED:
            continue
        if kind <= _TRIANGULAR:  # one of COMMON_KINDS
            _draw_common(v, first, count, table, keys, values[v])
        else:
            p0, p1, p2, p3 = table[v, 1], table[v, 2], table[v, 3], table[v, 4]
            lower, upper = table[v, 5], table[v, 6]
            key = keys[v]
            row = values[v]
            for j in range(count):
                u = _uniform(key, first + j)
                row[j] = _draw(kind, p0, p1, p2, p3, lower, upper, u, pool)


@njit(**CPU_INLINE)
def _evaluate_and_reduce(
    count, values, scenario_inputs, chip_inputs, shares, provisioned, idle, busy,
    sizing_fraction, flops, modes, seconds_per_year, lower, scale, center, logarithmic, out,
    positions, minimum, maximum, total, squares, histogram,
):  # fmt: skip
    """Every scenario (and their total) at the ``count`` drawn samples of ``values``, then
    their min, max, shifted sums and histogram counts, added to the block's."""
    n_scenarios = shares.shape[0]
    groups, n_quantities, bins = histogram.shape
    with_total = groups > n_scenarios
    for j in range(count):
        if with_total:
            for q in range(n_quantities):
                out[n_scenarios, q, j] = 0.0
        for s in range(n_scenarios):
            quantities = _scenario(
                s, values[:, j], scenario_inputs, chip_inputs, shares, provisioned, idle, busy,
                sizing_fraction, flops, modes, seconds_per_year,
            )  # fmt: skip
            for q in range(n_quantities):
                out[s, q, j] = quantities[q]
                if with_total:
                    out[n_scenarios, q, j] += quantities[q]
    for g in range(groups):
        for q in range(n_quantities):
            x = out[g, q]
            _add_extremes(count, x, minimum, maximum, g, q)
            mid = center[g, q]
            acc = 0.0
            acc2 = 0.0
            for j in range(count):  # a loop of its own: it vectorizes (sums may be reordered)
                shifted = x[j] - mid
                acc += shifted
                acc2 += shifted * shifted
            total[g, q] += acc
            squares[g, q] += acc2
            bins_of = histogram[g, q]
            edge, per_unit = lower[g, q], scale[g, q]
            if per_unit == 0.0:  # an empty range: every sample is in the first bin
                bins_of[0] += count
                continue
            # The bins first, in a loop of their own (it vectorizes), then the counts.
            top = bins - 1.0
            if logarithmic[g, q]:
                for j in range(count):
                    positions[j] = _bin_of(math.log(x[j]), edge, per_unit, top)
            else:
                for j in range(count):
                    positions[j] = _bin_of(x[j], edge, per_unit, top)
            for j in range(count):
                bins_of[positions[j]] += 1


@njit(**CPU_INLINE)
def _add_extremes(count, x, minimum, maximum, g, q):
    """``x[:count]`` into the running ``minimum[g, q]`` and ``maximum[g, q]``, in four
    independent chains (each min waits for the one before it). min and max skip NaN, as
    Python's do, so the chains combine to the same values in any order."""
    low0 = low1 = low2 = low3 = minimum[g, q]
    high0 = high1 = high2 = high3 = maximum[g, q]
    j = 0
    while j + 4 <= count:
        low0, high0 = min(low0, x[j]), max(high0, x[j])
        low1, high1 = min(low1, x[j + 1]), max(high1, x[j + 1])
        low2, high2 = min(low2, x[j + 2]), max(high2, x[j + 2])
        low3, high3 = min(low3, x[j + 3]), max(high3, x[j + 3])
        j += 4
    while j < count:
        low0, high0 = min(low0, x[j]), max(high0, x[j])
        j += 1
    minimum[g, q] = min(min(low0, low1), min(low2, low3))
    maximum[g, q] = max(max(high0, high1), max(high2, high3))


@njit(**CPU_INLINE)
def _bin_of(x, lower, scale, top):
    """:func:`~.cpu.histogram_bin` as a 32-bit index, without branches so that a loop of
    it vectorizes; ``top`` is the last bin (``bins − 1``, a float). The same bin: below
    ``lower`` (and NaN) in the first, from ``top`` on in the last."""
    position = (x - lower) * scale
    position = position if position > 0.0 else 0.0
    position = position if position < top else top
    return np.int32(position)


@njit(**CPU_SAMPLE_FUNCTION)
def reduce_block_common(
    first, last, table, keys, pool, scenario_inputs, chip_inputs, shares, provisioned, idle,
    busy, sizing_fraction, flops, modes, seconds_per_year, lower, scale, center, logarithmic,
    values, out, positions, minimum, maximum, total, squares, histogram,
):  # fmt: skip
    """Samples ``[first, last)`` of a run whose inputs are all of :data:`COMMON_KINDS`,
    reduced into ``minimum``, ``maximum``, ``total``, ``squares`` and ``histogram`` (groups
    × quantities [× bins]); ``values`` (inputs × batch), ``out`` and ``positions``
    are scratch. ``pool`` is unused (no input draws from one)."""
    _fill_fixed(table, values)
    size = positions.size
    for batch in range(first, last, size):
        count = min(size, last - batch)
        _draw_batch_common(batch, count, table, keys, values)
        _evaluate_and_reduce(
            count, values, scenario_inputs, chip_inputs, shares, provisioned, idle, busy,
            sizing_fraction, flops, modes, seconds_per_year, lower, scale, center, logarithmic,
            out, positions, minimum, maximum, total, squares, histogram,
        )  # fmt: skip


@njit(**CPU_SAMPLE_FUNCTION)
def reduce_block(
    first, last, table, keys, pool, scenario_inputs, chip_inputs, shares, provisioned, idle,
    busy, sizing_fraction, flops, modes, seconds_per_year, lower, scale, center, logarithmic,
    values, out, positions, minimum, maximum, total, squares, histogram,
):  # fmt: skip
    """:func:`reduce_block_common` for inputs of any distribution."""
    _fill_fixed(table, values)
    size = positions.size
    for batch in range(first, last, size):
        count = min(size, last - batch)
        _draw_batch(batch, count, table, keys, pool, values)
        _evaluate_and_reduce(
            count, values, scenario_inputs, chip_inputs, shares, provisioned, idle, busy,
            sizing_fraction, flops, modes, seconds_per_year, lower, scale, center, logarithmic,
            out, positions, minimum, maximum, total, squares, histogram,
        )  # fmt: skip


def batch_size(inputs: int, groups: int) -> int:
    """Samples a batch for ``inputs`` inputs and ``groups`` groups: a power of two."""
    per_sample = 8 * (inputs + N_SCENARIO_QUANTITIES * groups)
    size = BATCH_RANGE[0]
    while size * 2 <= BATCH_RANGE[1] and size * 2 * per_sample <= BATCH_BYTES:
        size *= 2
    return size


def reduce_samples(
    start: int, stop: int, blocks: int, table: np.ndarray, keys: np.ndarray, pool: np.ndarray,
    scenario_inputs: np.ndarray, chip_inputs: np.ndarray, shares: np.ndarray,
    provisioned: np.ndarray, idle: np.ndarray, busy: np.ndarray, sizing_fraction: np.ndarray,
    flops: np.ndarray, modes: np.ndarray, seconds_per_year: float, lower: np.ndarray,
    scale: np.ndarray, bins: int, center: np.ndarray, logarithmic: np.ndarray, groups: int,
) -> tuple[np.ndarray, ...]:  # fmt: skip
    """Per-block min, max, sums of ``x − center`` and of its square, and histogram of
    samples ``[start, stop)``, for ``groups`` groups (the scenarios, then their total).
    ``lower`` and ``scale`` are in the bins' space: ln x where ``logarithmic``."""
    shape = (blocks, groups, N_SCENARIO_QUANTITIES)
    minimum = np.full(shape, np.inf)
    maximum = np.full(shape, -np.inf)
    total = np.zeros(shape)
    squares = np.zeros(shape)
    # int32 keeps a block's histograms small; a block holds far fewer than 2**31 samples
    histogram = np.zeros((*shape, bins), dtype=np.int32)
    common = bool(np.all(np.isin(table[:, 0], COMMON_KINDS)))
    kernel = reduce_block_common if common else reduce_block
    arguments = (
        np.ascontiguousarray(table, dtype=np.float64), np.ascontiguousarray(keys, np.uint64),
        np.ascontiguousarray(pool, dtype=np.float64), scenario_inputs, chip_inputs, shares,
        provisioned, idle, busy, sizing_fraction, flops, modes, float(seconds_per_year),
        np.ascontiguousarray(lower, dtype=np.float64),
        np.ascontiguousarray(scale, dtype=np.float64),
        np.ascontiguousarray(center, dtype=np.float64),
        np.ascontiguousarray(logarithmic, dtype=np.bool_),
    )  # fmt: skip
    bounds = block_bounds(start, stop, blocks)
    size = batch_size(table.shape[0], groups)

    def block(b: int) -> None:
        first, last = bounds[b]
        scratch = (
            np.empty((table.shape[0], size)), np.empty((groups, N_SCENARIO_QUANTITIES, size)),
            np.empty(size, dtype=np.int32),
        )  # fmt: skip
        kernel(first, last, *arguments, *scratch, minimum[b], maximum[b], total[b], squares[b],
               histogram[b])  # fmt: skip

    run_blocks(block, blocks)
    return minimum, maximum, total, squares, histogram
