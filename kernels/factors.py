"""The factorized form of a sweep: every point's quantity as a row's key × a pair's factor.

A sweep's *rows* are its (power, PUE) pairs, ``r = ip × n_pue + iq``, and its *pairs* are its
(utilization, mix) pairs, ``p = iu × n_mix + im``, so that a point's flat index is
``r × n_pairs + p``. Each quantity of :data:`~.point.QUANTITIES` is, at every point, one
floating-point product ``fl(key[r] × factor[p])`` of the row's IT or facility power (the
quantity's key, :data:`~.point.ROW_KEYS`) and a factor of the pair
(:func:`~.point.pair_factor`), exactly as :func:`~.point.point_quantities` computes it. Both
are ≥ 0, and for non-negative floats ``fl(a × b)`` never decreases when ``a`` or ``b``
grows, so every count over the points follows from the two sides sorted, without visiting
the points:

- :class:`Side`: the distinct values of one side of a quantity, ascending, each with how many
  rows or pairs have it (a mix-only factor counts once per utilization);
- :class:`RowOrder`: the rows in groups, each group in an order along which the key of every
  constraint never decreases or never increases, so that a constraint's feasible rows at one
  pair are a contiguous run of its group (found by binary search); with the range tables that
  find the best feasible row of an objective.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from capacity.kernels.point import (
    FACILITY_POWER_KEY,
    IT_POWER_KEY,
    N_QUANTITIES,
    ROW_KEYS,
    pair_factor,
    point_quantities,
)
from capacity.kernels.problem import ReduceSpec, SweepProblem

__all__ = [
    "MAX_PAIRS",
    "MAX_ROWS",
    "NotFactorizable",
    "ObjectiveRows",
    "RowOrder",
    "Side",
    "check_size",
    "pair_factors",
    "quantity_sides",
    "range_table",
    "row_keys",
    "row_order",
]

# Above these sizes the factorized form would hold more memory than enumerating saves
# time: sorted pair factors take 16 bytes a pair, the range tables 16 × log2(rows) a row.
MAX_PAIRS = 1 << 25
MAX_ROWS = 1 << 20


class NotFactorizable(Exception):
    """The sweep cannot be reduced in factorized form; the message says why."""


@dataclass(frozen=True, eq=False)
class Side:
    """The distinct values of one side of a quantity, ascending, and their multiplicities."""

    values: np.ndarray
    """Distinct values, ascending (no negative zero)."""
    weights: np.ndarray
    """How many rows (or pairs) have each value, int64."""

    @classmethod
    def of(cls, values: np.ndarray, repeat: int = 1) -> Side:
        """The distinct values of ``values``, each counted ``repeat`` times per occurrence."""
        distinct, counts = np.unique(np.ravel(values) + 0.0, return_counts=True)
        return cls(np.ascontiguousarray(distinct, dtype=np.float64),
                   counts.astype(np.int64) * repeat)  # fmt: skip

    @functools.cached_property
    def cumulative(self) -> np.ndarray:
        """``cumulative[j]``: the weight of the first ``j`` values (``len + 1`` entries)."""
        return np.concatenate([[0], np.cumsum(self.weights)]).astype(np.int64)

    @functools.cached_property
    def count(self) -> int:
        return int(self.cumulative[-1])

    @functools.cached_property
    def total(self) -> float:
        """The sum of the values with their multiplicities."""
        return float(np.dot(self.values, self.weights.astype(np.float64)))


def row_keys(problem: SweepProblem) -> np.ndarray:
    """IT power and facility power of every row, ``(2, rows)``, as the point formula has them."""
    power: Any = problem.power[:, np.newaxis]  # the scalar formula, broadcast over arrays
    pue: Any = problem.pue[np.newaxis, :]
    *_, facility, it = point_quantities(power, pue, 0.0, 0.0, problem.it_basis, 0.0, 0.0, 0.0,
                                        0.0)  # fmt: skip
    shape = (problem.power.size, problem.pue.size)
    keys = np.empty((2, shape[0] * shape[1]))
    keys[IT_POWER_KEY] = np.broadcast_to(it, shape).ravel()
    keys[FACILITY_POWER_KEY] = np.broadcast_to(facility, shape).ravel()
    return keys


def pair_factors(problem: SweepProblem, quantity: int) -> np.ndarray:
    """The factor of ``quantity`` at every pair, ``(utilization, mix)``; one utilization row
    for the quantities that depend on the mix alone, and ``(1, 1)`` for facility and IT power."""
    coefficients = problem.coefficients
    factor = pair_factor(
        quantity, coefficients[:, 0], coefficients[:, 1], coefficients[:, 2],
        coefficients[:, 3], problem.utilization[:, np.newaxis], problem.mfu,
    )  # fmt: skip
    return np.atleast_2d(np.asarray(factor, dtype=np.float64))


def quantity_sides(problem: SweepProblem, keys: np.ndarray) -> tuple[tuple[Side, Side], ...]:
    """Each quantity's rows side and pairs side, in :data:`~.point.QUANTITIES` order."""
    n_utilization, n_mix = problem.utilization.size, problem.mixes.shape[0]
    rows = {key: Side.of(keys[key]) for key in (IT_POWER_KEY, FACILITY_POWER_KEY)}
    sides = []
    for quantity in range(N_QUANTITIES):
        factors = pair_factors(problem, quantity)
        repeat = n_utilization * n_mix // factors.size
        sides.append((rows[ROW_KEYS[quantity]], Side.of(factors, repeat)))
    return tuple(sides)


def range_table(values: np.ndarray, largest: bool) -> np.ndarray:
    """A sparse table for range maxima (``largest``) or minima of ``values``: row ``j`` holds
    the extreme of ``values[i : i + 2**j]`` at ``i``; a range ``[lo, hi)`` is the extreme of
    ``table[j, lo]`` and ``table[j, hi − 2**j]`` with ``2**j ≤ hi − lo < 2**(j+1)``."""
    n = values.size
    levels = max(1, int(n).bit_length())
    table = np.empty((levels, max(n, 1)), dtype=values.dtype)
    table[0, :n] = values
    pick = np.maximum if largest else np.minimum
    for j in range(1, levels):
        half, width = 1 << (j - 1), 1 << j
        table[j, : n - width + 1] = pick(table[j - 1, : n - width + 1],
                                         table[j - 1, half : n - half + 1])  # fmt: skip
        table[j, n - width + 1 :] = table[j - 1, n - width + 1 :]
    return table


# A range table not needed is this placeholder (the kernels take the same types either way).
_NO_TABLE = np.zeros((1, 1))
_NO_ROW_TABLE = np.zeros((1, 1), dtype=np.int32)
# Runs of equal objective keys up to this long are scanned for their lowest row, not looked
# up in a range table.
SCAN_RUN = 8


@dataclass(frozen=True, eq=False)
class ObjectiveRows:
    """What finds, among a run of positions, the row with the best objective value and the
    lowest row among ties. Each table is built only where it is needed (else a 1 × 1
    placeholder)."""

    values: np.ndarray
    """The objective's key at each position."""
    directions: np.ndarray
    """Per group, +1 where the objective's key never decreases along it, −1 where it never
    increases (the extreme is then at an end of the run), 0 otherwise, int64."""
    extreme_table: np.ndarray
    """Range maxima (objective sign +1) or minima (−1) of the objective's key over positions,
    for the groups where it is not monotone."""
    row_table: np.ndarray
    """Range minima of the row over positions, int32: for the pairs whose objective factor
    is 0, where every position ties."""
    by_key: np.ndarray
    """Positions of each group sorted by the objective's key, then by position."""
    by_key_values: np.ndarray
    """The objective's key at each of ``by_key``."""
    by_key_rows: np.ndarray
    """The row at each of ``by_key``, int32."""
    by_key_row_table: np.ndarray
    """Range minima of ``by_key_rows``, where a run of equal keys is longer than
    :data:`SCAN_RUN`."""
    scan: bool
    """Whether runs of equal keys are scanned for their lowest row (no ``by_key_row_table``)."""


@dataclass(frozen=True, eq=False)
class RowOrder:
    """The rows in groups, each in an order along which every constrained key is monotone,
    and what finds the best row of a run of positions for the objective."""

    group_start: np.ndarray
    """Group g holds positions ``group_start[g] … group_start[g + 1] − 1``, int64."""
    rows: np.ndarray
    """The row at each position, int64."""
    keys: np.ndarray
    """IT and facility power at each position, ``(2, rows)``."""
    directions: np.ndarray
    """``(2, groups)``: +1 where the key never decreases along the group, −1 where it never
    increases, 0 where it is not constrained (and may do either)."""
    grouping: str
    """How the rows were grouped, in words."""
    objective: ObjectiveRows

    @property
    def groups(self) -> int:
        return int(self.group_start.size - 1)


def _direction(values: np.ndarray) -> int:
    """+1 if ``values`` never decrease, −1 if they never increase, 0 otherwise."""
    steps = np.diff(values)
    if np.all(steps >= 0):
        return 1
    if np.all(steps <= 0):
        return -1
    return 0


def _monotone_order(keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, int] | None:
    """``rows`` sorted by IT power, then by facility power up or down, so that both keys are
    monotone, and the facility key's direction; None when no such order exists."""
    it, facility = keys[IT_POWER_KEY, rows], keys[FACILITY_POWER_KEY, rows]
    for sign in (1, -1):
        order = rows[np.lexsort((sign * facility, it))]
        direction = _direction(keys[FACILITY_POWER_KEY, order])
        if direction != 0:
            return order, direction
    return None


def row_order(problem: SweepProblem, spec: ReduceSpec, keys: np.ndarray) -> RowOrder:
    """Group and order the rows for the constraints and objective of ``spec``.

    One group when the constraints use one key, or when some order of all rows keeps both
    monotone (one power or one PUE value, say); otherwise a group per power value or per PUE
    value, whichever are fewer: within one power, IT and facility power both follow PUE;
    within one PUE, both follow power.
    """
    n_power, n_pue = problem.power.size, problem.pue.size
    n_rows = n_power * n_pue
    used = sorted({ROW_KEYS[int(q)] for q in spec.constraint_quantity})
    directions: list[tuple[int, int]] = []
    if len(used) < 2:
        grouping = "one group of every row"
        if used:
            order = np.argsort(keys[used[0]], kind="stable")
            both = [0, 0]
            both[used[0]] = 1
            directions.append((both[0], both[1]))
        else:
            order = np.arange(n_rows)
            directions.append((0, 0))
        groups = [order]
    else:
        whole = _monotone_order(keys, np.arange(n_rows))
        if whole is not None:
            grouping = "one group of every row (IT and facility power rise together)"
            groups = [whole[0]]
            directions.append((1, whole[1]))
        else:
            by_power = n_power <= n_pue
            grid = np.arange(n_rows).reshape(n_power, n_pue)
            members = list(grid) if by_power else list(grid.T)
            grouping = (
                f"{len(members)} groups, one per {'power' if by_power else 'PUE'} value "
                "(constraints on outputs of both IT and facility power)"
            )
            groups = []
            for group in members:
                ordered = _monotone_order(keys, group)
                if ordered is None:  # not reached: within one power or PUE both keys follow
                    raise NotFactorizable("no order of the rows keeps the constraints monotone")
                groups.append(ordered[0])
                directions.append((1, ordered[1]))
    rows = np.concatenate(groups).astype(np.int64)
    group_start = np.concatenate([[0], np.cumsum([g.size for g in groups])]).astype(np.int64)
    ordered_keys = np.ascontiguousarray(keys[:, rows])
    return RowOrder(
        group_start=group_start,
        rows=rows,
        keys=ordered_keys,
        directions=np.ascontiguousarray(np.array(directions, dtype=np.int64).T),
        grouping=grouping,
        objective=_objective_rows(problem, spec, ordered_keys, rows, group_start),
    )


def _objective_rows(
    problem: SweepProblem, spec: ReduceSpec, keys: np.ndarray, rows: np.ndarray,
    group_start: np.ndarray,
) -> ObjectiveRows:  # fmt: skip
    """The tables that find the best row of a run of positions, for ``spec``'s objective."""
    quantity = spec.objective_quantity
    values = np.ascontiguousarray(keys[ROW_KEYS[quantity] if quantity >= 0 else IT_POWER_KEY])
    groups = group_start.size - 1
    directions = np.array([_direction(values[a:b]) for a, b in itertools.pairwise(group_start)],
                          dtype=np.int64)  # fmt: skip
    group_of = np.repeat(np.arange(groups), np.diff(group_start))
    by_key = np.lexsort((np.arange(rows.size), values, group_of)).astype(np.int64)
    by_key_values = np.ascontiguousarray(values[by_key])
    by_key_rows = rows[by_key].astype(np.int32)
    if quantity < 0:
        return ObjectiveRows(values, directions, _NO_TABLE, _NO_ROW_TABLE, by_key,
                             by_key_values, by_key_rows, _NO_ROW_TABLE, scan=True)  # fmt: skip
    extreme_table = (
        _NO_TABLE if np.all(directions != 0)
        else range_table(values, largest=spec.objective_sign > 0)
    )  # fmt: skip
    ties_everywhere = np.any(pair_factors(problem, quantity) == 0)
    row_table = range_table(rows.astype(np.int32), largest=False) if ties_everywhere else (
        _NO_ROW_TABLE
    )  # fmt: skip
    new_run = (np.diff(by_key_values) != 0) | (np.diff(group_of[by_key]) != 0)
    run_starts = np.flatnonzero(np.concatenate([[True], new_run]))
    scan = int(np.max(np.diff(np.append(run_starts, rows.size)))) <= SCAN_RUN
    by_key_row_table = _NO_ROW_TABLE if scan else range_table(by_key_rows, largest=False)
    return ObjectiveRows(values, directions, extreme_table, row_table, by_key, by_key_values,
                         by_key_rows, by_key_row_table, scan)  # fmt: skip


def check_size(problem: SweepProblem) -> None:
    """Raise :class:`NotFactorizable` when the factorized form would not fit in memory."""
    n_power, n_pue, n_utilization, n_mix = problem.shape
    pairs, rows = n_utilization * n_mix, n_power * n_pue
    if pairs > MAX_PAIRS:
        raise NotFactorizable(
            f"{pairs:,} (utilization, mix) pairs exceed the factorized form's limit of "
            f"{MAX_PAIRS:,}"
        )
    if rows > MAX_ROWS:
        raise NotFactorizable(
            f"{rows:,} (power, PUE) rows exceed the factorized form's limit of {MAX_ROWS:,}"
        )
