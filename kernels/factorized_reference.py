"""The factorized reductions in plain NumPy: the reference the numba kernels are checked against.

:func:`count_at_most`, :func:`select` and :func:`feasible_and_best` work on the factorized
form of :mod:`capacity.kernels.factors` and never visit the points. Binary searches run for
many elements at once (one per distinct row value, or one per pair), as vectorized
bisections: each step compares one product per element, computed as the point formula
computes it, so every comparison is exact.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from capacity.kernels.factors import RowOrder
from capacity.kernels.point import ROW_KEYS, pair_factor
from capacity.kernels.problem import ReduceSpec, SweepProblem

__all__ = ["count_at_most", "feasible_and_best", "select"]

# Pairs handled at once by feasible_and_best: bounds its memory, not its result.
PAIRS_PER_CHUNK = 1 << 18
# Thresholds counted at once by select: fewer rounds of NumPy calls.
THRESHOLDS_PER_ROUND = 31


def _first(
    predicate: Callable[[np.ndarray], np.ndarray], lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """For each element, the first index in ``[lo, hi)`` where ``predicate`` holds (it must be
    false, then true, along the index), or ``hi`` where it never does."""
    lo, hi = lo.copy(), hi.copy()
    active = lo < hi
    while np.any(active):
        mid = (lo + hi) // 2
        holds = predicate(np.where(active, mid, 0))
        lo = np.where(active & ~holds, mid + 1, lo)
        hi = np.where(active & holds, mid, hi)
        active = lo < hi
    return lo


def _compare(
    values: np.ndarray, factor: np.ndarray | float, compare: np.ufunc, bound: np.ndarray | float,
    index: np.ndarray,
) -> np.ndarray:  # fmt: skip
    return np.asarray(compare(values[index] * factor, bound))


def _boundaries(
    small: np.ndarray, large: np.ndarray, threshold: float | np.ndarray, lo: np.ndarray,
    hi: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """For each of ``small`` (and each threshold, a column of thresholds giving a row per
    threshold), how many of ``large`` give a product ≤ the threshold (the answer known to lie
    in ``[lo, hi]``)."""
    return _first(functools.partial(_compare, large, small, np.greater, threshold), lo, hi)


def count_at_most(
    small: np.ndarray, small_weights: np.ndarray, large: np.ndarray,
    large_cumulative: np.ndarray, threshold: float,
) -> int:  # fmt: skip
    """How many pairs (with their weights) of ``small`` × ``large`` have ``fl(a × b) ≤
    threshold``; both sides distinct and ascending, ``large_cumulative`` as in
    :attr:`~.factors.Side.cumulative`."""
    lo = np.zeros(small.size, dtype=np.int64)
    hi = np.full(small.size, large.size, dtype=np.int64)
    return int(small_weights @ large_cumulative[_boundaries(small, large, threshold, lo, hi)])


def select(
    small: np.ndarray, small_weights: np.ndarray, large: np.ndarray,
    large_cumulative: np.ndarray, rank: int,
) -> float:  # fmt: skip
    """The ``rank``-th smallest (from 1) of ``fl(a × b)`` over ``small`` × ``large`` with
    weights: the smallest float ``t`` with :func:`count_at_most` ``(t) ≥ rank``.

    A search over the bit patterns of non-negative floats (which order as the floats do):
    each round counts at :data:`THRESHOLDS_PER_ROUND` thresholds spread over the bracket at
    once, so that about 13 rounds narrow 2**62 patterns to one; each count searches only
    between the bracket's answers.
    """
    lowest = float(small[0] * large[0]) + 0.0
    lo = np.zeros(small.size, dtype=np.int64)
    hi = np.full(small.size, large.size, dtype=np.int64)
    at_lowest = _boundaries(small, large, lowest, lo, hi)
    if small_weights @ large_cumulative[at_lowest] >= rank:
        return lowest
    lo = at_lowest
    low_bits = int(np.float64(lowest).view(np.int64))
    high_bits = int(np.float64(small[-1] * large[-1]).view(np.int64))
    while high_bits - low_bits > 1:
        step = max(1, (high_bits - low_bits) // (THRESHOLDS_PER_ROUND + 1))
        bits = np.arange(low_bits + step, high_bits, step, dtype=np.int64)
        thresholds = bits.view(np.float64)[:, np.newaxis]
        boundaries = _boundaries(small, large, thresholds, lo, hi)  # thresholds × small
        reached = np.flatnonzero(large_cumulative[boundaries] @ small_weights >= rank)
        if reached.size:
            high_bits, hi = int(bits[reached[0]]), boundaries[reached[0]]
        if not reached.size or reached[0] > 0:
            below = reached[0] - 1 if reached.size else bits.size - 1
            low_bits, lo = int(bits[below]), boundaries[below]
    return float(np.int64(high_bits).view(np.float64))


def _range(table: np.ndarray, lo: np.ndarray, hi: np.ndarray, pick: np.ufunc) -> np.ndarray:
    """The extreme of each range ``[lo, hi)`` (non-empty) from a :func:`~.factors.range_table`."""
    level = np.frexp((hi - lo).astype(np.float64))[1] - 1
    return np.asarray(pick(table[level, lo], table[level, hi - (1 << level)]))


def _extreme(
    order: RowOrder, group: int, sign: float, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:  # fmt: skip
    """The largest (sign +1) or smallest (−1) objective key over each run ``[lo, hi)``."""
    objective = order.objective
    direction = objective.directions[group] * sign
    if direction == 0:
        return _range(objective.extreme_table, lo, hi, np.maximum if sign > 0 else np.minimum)
    return np.asarray(objective.values[hi - 1] if direction > 0 else objective.values[lo])


def _lowest_row(order: RowOrder, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """The lowest row over each non-empty run ``[first, last)`` of ``by_key``."""
    objective = order.objective
    if not objective.scan:
        return _range(objective.by_key_row_table, first, last, np.minimum)
    rows: np.ndarray = objective.by_key_rows[first].astype(np.int64)
    step, inside = 1, first + 1 < last
    while np.any(inside):
        rows[inside] = np.minimum(rows[inside], objective.by_key_rows[first[inside] + step])
        step += 1
        inside = first + step < last
    return rows


def _best_row(
    order: RowOrder, group: int, sign: float, factor: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The best signed objective value over positions ``[lo, hi)`` of each pair, and the lowest
    row that reaches it (ties: every key whose product with ``factor`` equals the best)."""
    objective = order.objective
    extreme = _extreme(order, group, sign, lo, hi)
    product = extreme * factor
    rows = np.full(lo.size, np.iinfo(np.int64).max)
    zero = factor == 0  # every key gives 0: the whole range ties
    rows[zero] = _range(objective.row_table, lo[zero], hi[zero], np.minimum)
    walk = np.flatnonzero(~zero)
    start, stop = order.group_start[group], order.group_start[group + 1]
    keys = objective.by_key_values[start:stop]
    key = extreme[walk]
    a = start + np.searchsorted(keys, key, side="left")
    b = start + np.searchsorted(keys, key, side="right")
    while walk.size:
        # rows with this key whose positions fall in [lo, hi): a run of by_key (by position)
        first = _first(functools.partial(_at_least, objective.by_key, lo[walk]), a, b)
        last = _first(functools.partial(_at_least, objective.by_key, hi[walk]), first, b)
        found = first < last
        rows[walk[found]] = np.minimum(rows[walk[found]],
                                       _lowest_row(order, first[found], last[found]))  # fmt: skip
        # the next distinct key in the direction away from the best, while it ties
        if sign > 0:
            more = a > start
            key = np.where(more, objective.by_key_values[np.maximum(a - 1, 0)], key)
        else:
            more = b < stop
            last_position = objective.by_key.size - 1
            key = np.where(more, objective.by_key_values[np.minimum(b, last_position)], key)
        more &= key * factor[walk] == product[walk]
        walk, key, a, b = walk[more], key[more], a[more], b[more]
        if sign > 0:
            b = a
            a = start + np.searchsorted(keys, key, side="left")
        else:
            a = b
            b = start + np.searchsorted(keys, key, side="right")
    return sign * product, rows


def _at_least(values: np.ndarray, bound: np.ndarray, index: np.ndarray) -> np.ndarray:
    return np.asarray(values[index] >= bound)


def feasible_and_best(
    problem: SweepProblem, spec: ReduceSpec, order: RowOrder
) -> tuple[int, float, int]:
    """Points that meet every constraint, and the best of them for the objective: its signed
    value and flat index (−inf and −1 when none, or without an objective).

    For each pair and group of rows, each constraint cuts the group's positions to a run
    (its key is monotone along the group), found by bisection; the best feasible row is the
    one with the extreme objective key over the run, the lowest row among ties.
    """
    n_mix = problem.mixes.shape[0]
    pairs = problem.utilization.size * n_mix
    coefficients = problem.coefficients
    quantities = {int(q) for q in spec.constraint_quantity}
    if spec.objective_quantity >= 0:
        quantities.add(spec.objective_quantity)
    feasible = 0
    best_value, best_index = -np.inf, -1
    for chunk in range(0, pairs, PAIRS_PER_CHUNK):
        pair = np.arange(chunk, min(chunk + PAIRS_PER_CHUNK, pairs), dtype=np.int64)
        pair = pair[spec.feasible_mix[pair % n_mix] != 0]
        mix, utilization = pair % n_mix, problem.utilization[pair // n_mix]
        factors = {
            q: np.broadcast_to(
                pair_factor(q, coefficients[mix, 0], coefficients[mix, 1], coefficients[mix, 2],
                            coefficients[mix, 3], utilization, problem.mfu),
                pair.shape,
            )
            for q in quantities
        }  # fmt: skip
        for group in range(order.groups):
            lo = np.full(pair.size, order.group_start[group], dtype=np.int64)
            hi = np.full(pair.size, order.group_start[group + 1], dtype=np.int64)
            for q, lower, upper in zip(
                spec.constraint_quantity, spec.constraint_lower, spec.constraint_upper,
                strict=True,
            ):  # fmt: skip
                key = int(ROW_KEYS[q])
                keys, factor = order.keys[key], factors[int(q)]
                tests: tuple[tuple[np.ufunc, float], tuple[np.ufunc, float]]
                if order.directions[key, group] >= 0:
                    tests = ((np.greater_equal, lower), (np.greater, upper))
                else:
                    tests = ((np.less_equal, upper), (np.less, lower))
                lo = _first(functools.partial(_compare, keys, factor, tests[0][0], tests[0][1]),
                            lo, hi)  # fmt: skip
                hi = _first(functools.partial(_compare, keys, factor, tests[1][0], tests[1][1]),
                            lo, hi)  # fmt: skip
            some = hi > lo
            feasible += int(np.sum(hi[some] - lo[some]))
            if spec.objective_quantity < 0 or not np.any(some):
                continue
            objective = factors[spec.objective_quantity][some]
            values, rows = _best_row(order, group, spec.objective_sign, objective, lo[some],
                                     hi[some])  # fmt: skip
            top = np.max(values)
            index = int(np.min(rows[values == top] * pairs + pair[some][values == top]))
            if best_index < 0 or top > best_value or (top == best_value and index < best_index):
                best_value, best_index = float(top), index
    return feasible, best_value, best_index
