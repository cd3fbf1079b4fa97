"""Statistics of the quantities that depend on power and PUE alone, per chunk, on the host.

Facility and IT power are the same at every utilization and mix of a (power, PUE) row, so
their min, max, sum and histogram over a chunk follow from the rows the chunk touches and
how many of its points fall in each, without visiting the points. The kernels reduce only
the per-point quantities; every compiled backend adds these.
"""

from __future__ import annotations

import numpy as np

from capacity.kernels.point import N_QUANTITIES, POINT_QUANTITIES
from capacity.kernels.problem import ReduceSpec, SweepProblem

__all__ = ["bin_indices", "row_statistics"]


def bin_indices(values: np.ndarray, lower: np.ndarray, scale: np.ndarray, bins: int) -> np.ndarray:
    """Histogram bin of each value, as every backend computes it: values below the lower
    edge go to the first bin, values at or above the upper edge to the last."""
    position = (values - lower) * scale
    indices = np.where(position > 0, position, 0.0).astype(np.int64)
    return np.asarray(np.minimum(indices, bins - 1))


def row_statistics(
    problem: SweepProblem, spec: ReduceSpec, start: int, stop: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Min, max, sum and histogram (quantities × bins) of facility and IT power over
    points ``[start, stop)``."""
    quantities = N_QUANTITIES - POINT_QUANTITIES
    if stop <= start:
        empty = np.zeros((quantities, spec.bins), dtype=np.int64)
        return np.full(quantities, np.inf), np.full(quantities, -np.inf), np.zeros(2), empty
    per_row = problem.utilization.size * problem.mixes.shape[0]
    rows = np.arange(start // per_row, (stop - 1) // per_row + 1, dtype=np.int64)
    weights = np.minimum(stop, (rows + 1) * per_row) - np.maximum(start, rows * per_row)
    power = problem.power[rows // problem.pue.size]
    pue = problem.pue[rows % problem.pue.size]
    if problem.it_basis:
        values = np.stack([power * pue, power], axis=-1)
    else:
        values = np.stack([power, power / pue], axis=-1)
    bins = bin_indices(values, spec.lower[POINT_QUANTITIES:], spec.scale[POINT_QUANTITIES:],
                       spec.bins)  # fmt: skip
    histogram = np.stack([np.bincount(bins[:, v], weights=weights, minlength=spec.bins)
                          for v in range(quantities)]).astype(np.int64)  # fmt: skip
    return values.min(axis=0), values.max(axis=0), weights @ values, histogram
