"""The factorized reductions as numba CPU kernels: the same work as
:mod:`.factorized_reference`, one element at a time, in blocks on the threads.

Importing this module imports numba; :mod:`.factorized` imports it only when a factorized
reduction runs in numba, and each kernel compiles on its first call (then loads from
numba's cache). The kernels are serial and release the GIL; the work is cut into blocks run
on numba's thread count (:func:`~.blocks.run_blocks`, as the enumerating kernels do):
counting over blocks of the smaller side's values, the search for feasible rows and the
best point over blocks of (utilization, mix) pairs, each block keeping its own count and
best point, merged on the host by the engine's rule (larger value, then lower flat index).
A selection's rounds run here in Python, each a sample (compiled) and a count or two (in
blocks).

numba's disk cache of these kernels is keyed on every kernel source file (:mod:`.numba_cache`),
so a change to a function they compile in from another file recompiles them.
"""

from __future__ import annotations

import functools

import numpy as np
from numba import njit

from capacity.kernels.blocks import block_bounds, run_blocks, threads
from capacity.kernels.factors import RowOrder, row_keys, row_order
from capacity.kernels.jit_options import CPU_FUNCTION, CPU_INLINE
from capacity.kernels.partial import best_of_blocks
from capacity.kernels.point import ROW_KEYS, pair_factor
from capacity.kernels.problem import ReduceSpec, SweepProblem

__all__ = ["count_at_most", "feasible_and_best", "select", "warm_up"]

_pair_factor = njit(**CPU_INLINE)(pair_factor)
_ROW_KEYS = np.array(ROW_KEYS, dtype=np.int64)
# How a constraint test compares ``key × factor`` with its bound.
_AT_LEAST, _ABOVE, _AT_MOST, _BELOW = 0, 1, 2, 3
_NO_ROW = np.iinfo(np.int64).max
# A block of a count (or search) holds at least this many values (or pairs): fewer would
# cost more to hand to a thread than they save. Blocks per thread, for balance.
_PARALLEL_VALUES = 4096
_BLOCKS_PER_THREAD = 4
# Selection: candidates sampled per round for the pivots, the seed of the sampling, and how
# few candidates are sorted outright.
_SAMPLE = 1 << 14
_SEED = 0x5EED
_GATHER = 1 << 16


@njit(**CPU_FUNCTION)
def _holds(value, test, bound):
    if test == _AT_LEAST:
        return value >= bound
    if test == _ABOVE:
        return value > bound
    if test == _AT_MOST:
        return value <= bound
    return value < bound


@njit(**CPU_FUNCTION)
def _first(keys, factor, test, bound, lo, hi):
    """The first position in ``[lo, hi)`` where ``keys × factor`` passes ``test`` (false, then
    true, along the positions), or ``hi``."""
    while lo < hi:
        middle = (lo + hi) >> 1
        if _holds(keys[middle] * factor, test, bound):
            hi = middle
        else:
            lo = middle + 1
    return lo


@njit(**CPU_FUNCTION)
def _first_at_least(values, bound, lo, hi):
    """The first position in ``[lo, hi)`` of sorted ``values`` at or above ``bound``, or ``hi``."""
    while lo < hi:
        middle = (lo + hi) >> 1
        if values[middle] >= bound:
            hi = middle
        else:
            lo = middle + 1
    return lo


@njit(**CPU_FUNCTION)
def _first_above(values, bound, lo, hi):
    """The first position in ``[lo, hi)`` of sorted ``values`` above ``bound``, or ``hi``."""
    while lo < hi:
        middle = (lo + hi) >> 1
        if values[middle] > bound:
            hi = middle
        else:
            lo = middle + 1
    return lo


@njit(**CPU_FUNCTION)
def _range_min(table, levels, lo, hi):
    j = levels[hi - lo]
    return min(table[j, lo], table[j, hi - (1 << j)])


@njit(**CPU_FUNCTION)
def _range_max(table, levels, lo, hi):
    j = levels[hi - lo]
    return max(table[j, lo], table[j, hi - (1 << j)])


def _blocks(values: int) -> list[tuple[int, int]]:
    """``[0, values)`` cut into blocks for the threads (one block below the size that pays)."""
    blocks = max(1, min(_BLOCKS_PER_THREAD * threads(), values // _PARALLEL_VALUES))
    return block_bounds(0, values, blocks)


@njit(**CPU_FUNCTION)
def _count_block(
    small, small_weights, large, large_cumulative, threshold, lo, hi, boundaries, first, last
):
    """The pairs of ``small[first:last]`` × ``large`` whose product is ≤ ``threshold``;
    writes each value's boundary (the first of ``large`` above), known to lie in
    ``[lo, hi]``."""
    total = 0
    for i in range(first, last):
        b = _first(large, small[i], _ABOVE, threshold, lo[i], hi[i])
        boundaries[i] = b
        total += small_weights[i] * large_cumulative[b]
    return total


def _count(
    small: np.ndarray, small_weights: np.ndarray, large: np.ndarray,
    large_cumulative: np.ndarray, threshold: float, lo: np.ndarray, hi: np.ndarray,
    boundaries: np.ndarray,
) -> int:  # fmt: skip
    """:func:`count_at_most` with each boundary known to lie in ``[lo[i], hi[i]]``; writes
    the boundaries. In blocks of ``small`` on the threads."""
    bounds = _blocks(small.size)

    def block(b: int) -> int:
        first, last = bounds[b]
        return int(_count_block(small, small_weights, large, large_cumulative, threshold, lo,
                                hi, boundaries, first, last))  # fmt: skip

    return sum(run_blocks(block, len(bounds)))


@njit(**CPU_INLINE)
def _next_random(state):
    """splitmix64: the next state and a uniform 64-bit number (deterministic pivots)."""
    state = state + np.uint64(0x9E3779B97F4A7C15)
    z = state
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return state, z ^ (z >> np.uint64(31))


@njit(**CPU_FUNCTION)
def _candidates(lo, hi, before):
    """How many candidates are left (``[lo[i], hi[i])`` of ``large`` for each of ``small``);
    writes how many come before each value's own."""
    candidates = 0
    for i in range(lo.size):
        before[i] = candidates
        candidates += hi[i] - lo[i]
    return candidates


@njit(**CPU_FUNCTION)
def _sample(small, large, lo, before, candidates, sample, state):
    """Fill ``sample`` with candidate products drawn uniformly (with replacement); the
    generator's next state."""
    for s in range(sample.size):
        state, bits = _next_random(state)
        r = np.int64(bits % np.uint64(candidates))
        drawn = _first_above(before, r, 0, before.size) - 1
        sample[s] = small[drawn] * large[lo[drawn] + r - before[drawn]]
    return state


@njit(**CPU_FUNCTION)
def _products(small, small_weights, large, large_cumulative, lo, hi, products, weights):
    """Write the candidates left, ``small[i] × large[j]`` for ``j`` in ``[lo[i], hi[i])``, and
    their weights."""
    k = 0
    for i in range(small.size):
        for j in range(lo[i], hi[i]):
            products[k] = small[i] * large[j]
            weights[k] = small_weights[i] * (large_cumulative[j + 1] - large_cumulative[j])
            k += 1


def _gather(
    small: np.ndarray, small_weights: np.ndarray, large: np.ndarray,
    large_cumulative: np.ndarray, lo: np.ndarray, hi: np.ndarray, candidates: int,
    count_low: int, rank: int,
) -> float:  # fmt: skip
    """The answer among the ``candidates`` left, whose products all lie above the
    ``count_low`` smallest (sorted by NumPy: numba's sorts take seconds to compile)."""
    products = np.empty(candidates)
    weights = np.empty(candidates, dtype=np.int64)
    _products(small, small_weights, large, large_cumulative, lo, hi, products, weights)
    order = np.argsort(products)
    reached = count_low + np.cumsum(weights[order])
    k = min(int(np.searchsorted(reached, rank, side="left")), candidates - 1)
    return float(products[order[k]])


def _select(
    small: np.ndarray, small_weights: np.ndarray, large: np.ndarray,
    large_cumulative: np.ndarray, rank: int, sample_size: int, gather: int,
) -> float:  # fmt: skip
    """As :func:`select`: the candidate products ``(low, high]`` shrink around the answer,
    between two pivots drawn from a sample of ``sample_size`` of them (Floyd and Rivest's
    selection), until at most ``gather`` are left to sort."""
    lo = np.zeros(small.size, dtype=np.int64)
    hi = np.full(small.size, large.size, dtype=np.int64)
    boundaries = np.empty(small.size, dtype=np.int64)
    before = np.empty(small.size, dtype=np.int64)
    sample = np.empty(sample_size)
    high = float(small[-1] * large[-1])
    count_low = 0
    count_high = int(small_weights.sum()) * int(large_cumulative[-1])
    state = np.uint64(_SEED)
    spread = 2 * int(np.sqrt(sample_size))
    while True:
        candidates = int(_candidates(lo, hi, before))
        if candidates <= gather:
            return _gather(
                small, small_weights, large, large_cumulative, lo, hi, candidates, count_low, rank
            )
        state = np.uint64(_sample(small, large, lo, before, candidates, sample, state))
        sample.sort()
        center = int(sample_size * (rank - count_low) / (count_high - count_low))
        shrunk = False
        for position in (center - spread, center + spread):
            pivot = float(sample[min(max(position, 0), sample_size - 1)])
            if pivot >= high:
                continue
            count = _count(small, small_weights, large, large_cumulative, pivot, lo, hi,
                           boundaries)  # fmt: skip
            if count >= rank:
                high, count_high = pivot, count
                hi[:] = boundaries
            else:
                count_low = count
                lo[:] = boundaries
            shrunk = True
        if not shrunk:
            # every pivot is ``high`` itself: it is the answer unless a smaller value reaches
            # the rank; drop ``high``'s candidates (the pivots among them) either way
            below = float(np.nextafter(high, -1.0))
            count = _count(small, small_weights, large, large_cumulative, below, lo, hi,
                           boundaries)  # fmt: skip
            if count < rank:
                return high
            high, count_high = below, count
            hi[:] = boundaries


@njit(**CPU_FUNCTION)
def _lowest_row(by_key_rows, by_key_row_table, scan, levels, first, last):
    """The lowest row over the run ``[first, last)`` of ``by_key`` (non-empty)."""
    if not scan:
        return _range_min(by_key_row_table, levels, first, last)
    row = by_key_rows[first]
    for i in range(first + 1, last):
        row = min(row, by_key_rows[i])
    return row


@njit(**CPU_FUNCTION)
def _best_row(
    start, stop, sign, factor, lo, hi, levels, values, direction, extreme_table, row_table,
    by_key, by_key_values, by_key_rows, by_key_row_table, scan,
):  # fmt: skip
    """The best signed objective value over positions ``[lo, hi)`` of group ``[start, stop)``
    and the lowest row that reaches it (every key whose product ties, see the reference)."""
    if direction * sign > 0:
        extreme = values[hi - 1]
    elif direction * sign < 0:
        extreme = values[lo]
    elif sign > 0:
        extreme = _range_max(extreme_table, levels, lo, hi)
    else:
        extreme = _range_min(extreme_table, levels, lo, hi)
    product = extreme * factor
    if factor == 0.0:
        return sign * product, np.int64(_range_min(row_table, levels, lo, hi))
    key = extreme
    a = _first_at_least(by_key_values, key, start, stop)
    b = _first_above(by_key_values, key, a, stop)
    row = _NO_ROW
    while True:
        first = _first_at_least(by_key, lo, a, b)
        last = _first_at_least(by_key, hi, first, b)
        if first < last:
            lowest = _lowest_row(by_key_rows, by_key_row_table, scan, levels, first, last)
            if lowest < row:
                row = lowest
        if sign > 0:
            if a == start or by_key_values[a - 1] * factor != product:
                break
            key = by_key_values[a - 1]
            b = a
            a = _first_at_least(by_key_values, key, start, b)
        else:
            if b == stop or by_key_values[b] * factor != product:
                break
            key = by_key_values[b]
            a = b
            b = _first_above(by_key_values, key, a, stop)
    return sign * product, row


@njit(**CPU_FUNCTION)
def _feasible_and_best_block(
    first_pair, last_pair, n_mix, utilization, mfu, coefficients, feasible_mix,
    constraint_quantity, constraint_lower, constraint_upper, objective_quantity,
    objective_sign, group_start, keys, directions, levels, values, objective_directions,
    extreme_table, row_table, by_key, by_key_values, by_key_rows, by_key_row_table, scan,
):  # fmt: skip
    """The feasible points of pairs ``[first_pair, last_pair)``, and the best of them (signed
    value and flat index, −1 if none)."""
    pairs = utilization.size * n_mix
    n_constraints = constraint_quantity.size
    groups = group_start.size - 1
    factors = np.empty(n_constraints)
    found = 0
    top = -np.inf
    top_index = -1
    for pair in range(first_pair, last_pair):
        im = pair % n_mix
        if feasible_mix[im] == 0:
            continue
        u = utilization[pair // n_mix]
        c0, c1 = coefficients[im, 0], coefficients[im, 1]
        c2, c3 = coefficients[im, 2], coefficients[im, 3]
        for c in range(n_constraints):
            factors[c] = _pair_factor(constraint_quantity[c], c0, c1, c2, c3, u, mfu)
        objective_factor = 0.0
        if objective_quantity >= 0:
            objective_factor = _pair_factor(objective_quantity, c0, c1, c2, c3, u, mfu)
        for g in range(groups):
            lo, hi = group_start[g], group_start[g + 1]
            for c in range(n_constraints):
                k = _ROW_KEYS[constraint_quantity[c]]
                low, high = constraint_lower[c], constraint_upper[c]
                if directions[k, g] >= 0:
                    lo = _first(keys[k], factors[c], _AT_LEAST, low, lo, hi)
                    hi = _first(keys[k], factors[c], _ABOVE, high, lo, hi)
                else:
                    lo = _first(keys[k], factors[c], _AT_MOST, high, lo, hi)
                    hi = _first(keys[k], factors[c], _BELOW, low, lo, hi)
                if lo >= hi:
                    break
            if lo >= hi:
                continue
            found += hi - lo
            if objective_quantity >= 0:
                value, row = _best_row(
                    group_start[g], group_start[g + 1], objective_sign, objective_factor, lo,
                    hi, levels, values, objective_directions[g], extreme_table, row_table,
                    by_key, by_key_values, by_key_rows, by_key_row_table, scan,
                )  # fmt: skip
                flat = row * pairs + pair
                if top_index < 0 or value > top or (value == top and flat < top_index):
                    top = value
                    top_index = flat
    return found, top, top_index


def count_at_most(
    small: np.ndarray, small_weights: np.ndarray, large: np.ndarray,
    large_cumulative: np.ndarray, threshold: float,
) -> int:  # fmt: skip
    """As :func:`.factorized_reference.count_at_most`."""
    lo = np.zeros(small.size, dtype=np.int64)
    hi = np.full(small.size, large.size, dtype=np.int64)
    boundaries = np.empty(small.size, dtype=np.int64)
    return int(_count(small, small_weights, large, large_cumulative, float(threshold), lo, hi,
                      boundaries))  # fmt: skip


def select(
    small: np.ndarray, small_weights: np.ndarray, large: np.ndarray,
    large_cumulative: np.ndarray, rank: int, sample_size: int = _SAMPLE, gather: int = _GATHER,
) -> float:  # fmt: skip
    """As :func:`.factorized_reference.select`; ``sample_size`` candidates drawn per round
    for the pivots, and at most ``gather`` candidates sorted outright (tests make them small
    to exercise the rounds)."""
    return float(_select(small, small_weights, large, large_cumulative, int(rank),
                         int(sample_size), int(gather)))  # fmt: skip


def feasible_and_best(
    problem: SweepProblem, spec: ReduceSpec, order: RowOrder
) -> tuple[int, float, int]:
    """As :func:`.factorized_reference.feasible_and_best`."""
    pairs = problem.utilization.size * problem.mixes.shape[0]
    bounds = _blocks(pairs)
    positions = order.rows.size
    levels = np.zeros(positions + 1, dtype=np.int64)
    levels[1:] = np.frexp(np.arange(1, positions + 1, dtype=np.float64))[1] - 1
    objective = order.objective

    def block(b: int) -> tuple[int, float, int]:
        first, last = bounds[b]
        found, value, index = _feasible_and_best_block(
            first, last, problem.mixes.shape[0], problem.utilization, problem.mfu,
            problem.coefficients, spec.feasible_mix, spec.constraint_quantity,
            spec.constraint_lower, spec.constraint_upper, spec.objective_quantity,
            spec.objective_sign, order.group_start, order.keys, order.directions, levels,
            objective.values, objective.directions, objective.extreme_table,
            objective.row_table, objective.by_key, objective.by_key_values,
            objective.by_key_rows, objective.by_key_row_table, objective.scan,
        )  # fmt: skip
        return int(found), float(value), int(index)

    results = run_blocks(block, len(bounds))
    best_value, best_index = best_of_blocks(np.array([r[1] for r in results]),
                                            np.array([r[2] for r in results]))  # fmt: skip
    return sum(r[0] for r in results), best_value, best_index


@functools.cache
def warm_up() -> None:
    """Compile (or load) every kernel once, on a one-point sweep with the argument types of
    any other (a selection with nothing gathered at first, so that it samples and counts)."""
    one = np.ones(1)
    select(one, np.ones(1, dtype=np.int64), one, np.array([0, 1], dtype=np.int64), 1,
           sample_size=2, gather=0)  # fmt: skip
    problem = SweepProblem(
        power=one, pue=one, utilization=one, mixes=np.ones((1, 1)), mfu=1.0, it_basis=False,
        count_basis=False, provisioned=one, idle=np.zeros(1), busy=one, sizing=one, flops=one,
    )  # fmt: skip
    spec = ReduceSpec(
        lower=np.zeros(6), upper=np.ones(6), bins=1, constraint_quantity=np.zeros(1, np.int64),
        constraint_lower=np.zeros(1), constraint_upper=one, feasible_mix=np.ones(1, np.uint8),
        objective_quantity=0, objective_sign=1.0,
    )  # fmt: skip
    feasible_and_best(problem, spec, row_order(problem, spec, row_keys(problem)))
