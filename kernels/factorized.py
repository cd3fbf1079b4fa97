"""A reduced sweep from its factorized form: exact statistics without visiting the points.

:func:`reduce_factorized` gives what the enumerating kernels give over every point (min,
max and sum of each quantity, the points that meet the constraints, the best of them), and
each quantity's exact distribution (:class:`ProductDistribution`), whose quantiles are
values of the sweep's points, bit for bit. The work runs in plain NumPy
(:mod:`.factorized_reference`) or in numba kernels (:mod:`.factorized_cpu`, compiled on
first use); both give the same results.

Quantiles follow the inverted CDF (NumPy's ``method="inverted_cdf"``): the ``q`` quantile of
``N`` values is the value of rank ``⌈q N⌉`` in ascending order (rank 1 for ``q = 0``), the
smallest value that at least a share ``q`` of the points do not exceed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import ModuleType

import numpy as np

from capacity.kernels.choice import auto_prefers_numpy, note_compiled
from capacity.kernels.factors import (
    NotFactorizable,
    Side,
    check_size,
    quantity_sides,
    row_keys,
    row_order,
)
from capacity.kernels.partial import Partial
from capacity.kernels.problem import ReduceSpec, SweepProblem

__all__ = [
    "IMPLEMENTATIONS",
    "FactorizedReduction",
    "NotFactorizable",
    "ProductDistribution",
    "choose_implementation",
    "quantile_rank",
    "reduce_factorized",
    "warm_up",
]

IMPLEMENTATIONS = ("numpy", "numba")


def implementation_module(name: str) -> ModuleType:
    """The module that runs the factorized work: NumPy, or the numba kernels (imported, and
    so numba with them, only here)."""
    if name == "numba":
        from capacity.kernels import factorized_cpu

        return factorized_cpu
    if name == "numpy":
        from capacity.kernels import factorized_reference

        return factorized_reference
    raise ValueError(f"implementation must be one of {IMPLEMENTATIONS}, got {name!r}")


def warm_up(implementation: str) -> None:
    """Compile (or load from numba's cache) the kernels of ``implementation``, so that the
    timings that follow measure the work alone."""
    module = implementation_module(implementation)
    if hasattr(module, "warm_up"):
        module.warm_up()
        note_compiled("factorized")


def choose_implementation(problem: SweepProblem, backend_name: str, auto: bool) -> tuple[str, str]:
    """``numpy`` or ``numba`` for a factorized reduction, and why, in words: as the backend
    (NumPy for ``numpy``, numba for the compiled ones) unless it was chosen by ``auto``; then
    NumPy where it ends before numba's kernels would load or compile (:mod:`.choice`), by the
    length of the form's smaller side."""
    if not auto:
        chosen = "numpy" if backend_name == "numpy" else "numba"
        return chosen, f"as the {backend_name} backend"
    n_power, n_pue, n_utilization, n_mix = problem.shape
    numpy_first, reason = auto_prefers_numpy(
        "factorized", min(n_power * n_pue, n_utilization * n_mix)
    )
    return ("numpy" if numpy_first else "numba"), reason


def quantile_rank(q: float, points: int) -> int:
    """The rank (from 1) of the ``q`` quantile of ``points`` values: ``⌈q N⌉``, at least 1."""
    return min(points, max(1, math.ceil(q * points)))


@dataclass(frozen=True, eq=False)
class ProductDistribution:
    """A quantity over every point of a sweep: the values ``fl(a × b)`` for every row value
    ``a`` and pair value ``b``, with their multiplicities."""

    rows: Side
    pairs: Side
    implementation: str
    _ranks: dict[int, float] = field(default_factory=dict, repr=False)

    @property
    def points(self) -> int:
        return self.rows.count * self.pairs.count

    @property
    def minimum(self) -> float:
        return float(self.rows.values[0] * self.pairs.values[0])

    @property
    def maximum(self) -> float:
        return float(self.rows.values[-1] * self.pairs.values[-1])

    @property
    def total(self) -> float:
        """The sum over every point (to rounding: the product of the sides' sums)."""
        return self.rows.total * self.pairs.total

    def select(self, rank: int) -> float:
        """The ``rank``-th smallest value (from 1), exactly; remembered once found."""
        if not 1 <= rank <= self.points:
            raise ValueError(f"rank must be in [1, {self.points}], got {rank}")
        if rank not in self._ranks:
            small, large = sorted((self.rows, self.pairs), key=lambda side: side.values.size)
            module = implementation_module(self.implementation)
            self._ranks[rank] = float(
                module.select(small.values, small.weights, large.values, large.cumulative, rank)
            )
        return self._ranks[rank]

    def quantile(self, q: float) -> float:
        """The ``q`` quantile (0 ≤ q ≤ 1): the value of rank ``⌈q N⌉``, exactly."""
        if not 0 <= q <= 1:
            raise ValueError(f"quantile must be in [0, 1], got {q}")
        return self.select(quantile_rank(q, self.points))


@dataclass(frozen=True, eq=False)
class FactorizedReduction:
    """A whole sweep reduced from its factorized form."""

    partial: Partial
    """Min, max, sum per quantity, feasible count and best point, as the enumerating kernels
    give them (no histograms: ``histogram`` has no bins)."""
    distributions: tuple[ProductDistribution, ...]
    """Each quantity's exact distribution, in :data:`~.point.QUANTITIES` order."""
    implementation: str
    """``numpy`` or ``numba``."""
    grouping: str
    """How the rows were grouped for the constraints, in words."""


def reduce_factorized(
    problem: SweepProblem, spec: ReduceSpec, implementation: str = "numba"
) -> FactorizedReduction:
    """Reduce every point of ``problem`` under ``spec`` (its histograms aside) without
    visiting the points. Raises :class:`NotFactorizable` when the form would not fit."""
    module = implementation_module(implementation)
    check_size(problem)
    keys = row_keys(problem)
    distributions = tuple(
        ProductDistribution(rows, pairs, implementation)
        for rows, pairs in quantity_sides(problem, keys)
    )
    n_power, n_pue, n_utilization, _ = problem.shape
    if spec.constraint_quantity.size == 0 and spec.objective_quantity < 0:
        grouping = "no constraint on the points"
        feasible = n_power * n_pue * n_utilization * int(np.count_nonzero(spec.feasible_mix))
        best_value, best_index = -np.inf, -1
    else:
        order = row_order(problem, spec, keys)
        grouping = order.grouping
        feasible, best_value, best_index = module.feasible_and_best(problem, spec, order)
    partial = Partial(
        points=problem.points,
        minimum=np.array([d.minimum for d in distributions]),
        maximum=np.array([d.maximum for d in distributions]),
        total=np.array([d.total for d in distributions]),
        histogram=np.zeros((len(distributions), 0), dtype=np.int64),
        feasible=int(feasible),
        best_value=float(best_value),
        best_index=int(best_index),
    )
    return FactorizedReduction(partial, distributions, implementation, grouping)
