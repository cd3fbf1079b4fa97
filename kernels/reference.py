"""The NumPy reference: a chunk computed through :mod:`capacity.chain`, chip by chip.

It does not use the per-mix coefficients of :mod:`capacity.kernels.point`, so the compiled
backends are checked against an independent route through the model. It materializes the
chunk, then reduces it: slow and memory-hungry, and the definition of right.
"""

from __future__ import annotations

import numpy as np

from capacity import chain
from capacity.kernels.partial import Partial
from capacity.kernels.problem import ReduceSpec, SweepProblem
from capacity.kernels.rows import bin_indices

__all__ = ["feasible_points", "materialize", "quantities", "reduce"]


def materialize(problem: SweepProblem, start: int, stop: int) -> dict[str, np.ndarray]:
    """Every output of points ``[start, stop)``, as in :data:`~.problem.OUTPUTS`."""
    ip, iq, iu, im = np.unravel_index(np.arange(start, stop, dtype=np.int64), problem.shape)
    pue = problem.pue[iq]
    utilization = problem.utilization[iu]
    it_power = chain.it_power(problem.power[ip], pue, "it" if problem.it_basis else "facility")
    counts = chain.accelerator_counts(
        it_power, problem.mixes[im], problem.sizing, "count" if problem.count_basis else "power"
    )
    peak = np.sum(chain.peak_flops(counts, problem.flops), axis=-1)
    average = chain.average_power(
        problem.provisioned, problem.idle, problem.busy, utilization[:, np.newaxis]
    )
    return {
        "accelerators_by_chip": counts,
        "accelerators": np.sum(counts, axis=-1),
        "peak_flops": peak,
        "delivered_flops": chain.delivered_flops(peak, utilization, problem.mfu),
        "average_facility_power": np.sum(
            chain.average_facility_power(counts, average, pue), axis=-1
        ),
    }


def quantities(problem: SweepProblem, start: int, stop: int) -> np.ndarray:
    """The six per-point quantities of :data:`~.point.QUANTITIES`, points × 6."""
    outputs = materialize(problem, start, stop)
    ip, iq, _, _ = np.unravel_index(np.arange(start, stop, dtype=np.int64), problem.shape)
    basis = "it" if problem.it_basis else "facility"
    power, pue = problem.power[ip], problem.pue[iq]
    return np.stack(
        [
            outputs["accelerators"],
            outputs["peak_flops"],
            outputs["delivered_flops"],
            outputs["average_facility_power"],
            chain.facility_power(power, pue, basis),
            chain.it_power(power, pue, basis),
        ],
        axis=-1,
    )


def feasible_points(
    problem: SweepProblem, spec: ReduceSpec, values: np.ndarray, start: int, stop: int
) -> np.ndarray:
    """Which points of the chunk satisfy every constraint."""
    im = np.arange(start, stop, dtype=np.int64) % problem.mixes.shape[0]
    feasible: np.ndarray = spec.feasible_mix[im].astype(bool)
    for q, low, high in zip(
        spec.constraint_quantity, spec.constraint_lower, spec.constraint_upper, strict=True
    ):
        feasible &= ~((values[:, q] < low) | (values[:, q] > high))
    return feasible


def reduce(problem: SweepProblem, spec: ReduceSpec, start: int, stop: int) -> Partial:
    """Materialize points ``[start, stop)``, then reduce them."""
    values = quantities(problem, start, stop)
    bins = bin_indices(values, spec.lower, spec.scale, spec.bins)
    histogram = np.stack([np.bincount(bins[:, v], minlength=spec.bins) for v in range(6)])
    feasible = feasible_points(problem, spec, values, start, stop)
    best_value, best_index = -np.inf, -1
    if spec.objective_quantity >= 0 and np.any(feasible):
        objective = np.where(feasible, spec.objective_sign * values[:, spec.objective_quantity],
                             -np.inf)  # fmt: skip
        position = int(np.argmax(objective))
        if objective[position] == -np.inf:  # every feasible value is -inf: take the first
            position = int(np.argmax(feasible))
        best_value, best_index = float(objective[position]), start + position
    return Partial(
        points=stop - start,
        minimum=values.min(axis=0) if stop > start else np.full(6, np.inf),
        maximum=values.max(axis=0) if stop > start else np.full(6, -np.inf),
        total=values.sum(axis=0),
        histogram=histogram.astype(np.int64),
        feasible=int(np.sum(feasible)),
        best_value=best_value,
        best_index=best_index,
    )
