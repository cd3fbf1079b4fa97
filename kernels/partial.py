"""A chunk's reduction, and the exact merge of two of them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from capacity.kernels.point import N_QUANTITIES

__all__ = ["Partial", "best_of_blocks"]


@dataclass(frozen=True, eq=False)
class Partial:
    """Min, max, sum and histogram of each quantity over some points, and the best point.

    Merging is exact and associative: counts and histograms add, extremes compare, and the
    best point is the larger objective value, the smaller flat index on a tie.
    """

    points: int
    minimum: np.ndarray
    maximum: np.ndarray
    total: np.ndarray
    histogram: np.ndarray
    """quantities × bins counts."""
    feasible: int
    """Points that satisfy every constraint."""
    best_value: float
    """Signed objective value of the best feasible point (−inf when none)."""
    best_index: int
    """Flat index of the best feasible point (−1 when none)."""

    @classmethod
    def empty(cls, bins: int) -> Partial:
        return cls(
            points=0,
            minimum=np.full(N_QUANTITIES, np.inf),
            maximum=np.full(N_QUANTITIES, -np.inf),
            total=np.zeros(N_QUANTITIES),
            histogram=np.zeros((N_QUANTITIES, bins), dtype=np.int64),
            feasible=0,
            best_value=-np.inf,
            best_index=-1,
        )

    def merge(self, other: Partial) -> Partial:
        if other.best_index >= 0 and (
            self.best_index < 0
            or other.best_value > self.best_value
            or (other.best_value == self.best_value and other.best_index < self.best_index)
        ):
            best_value, best_index = other.best_value, other.best_index
        else:
            best_value, best_index = self.best_value, self.best_index
        return Partial(
            points=self.points + other.points,
            minimum=np.minimum(self.minimum, other.minimum),
            maximum=np.maximum(self.maximum, other.maximum),
            total=self.total + other.total,
            histogram=self.histogram + other.histogram,
            feasible=self.feasible + other.feasible,
            best_value=float(best_value),
            best_index=int(best_index),
        )


def best_of_blocks(values: np.ndarray, indices: np.ndarray) -> tuple[float, int]:
    """The best of per-block best points (index −1: none), by :meth:`Partial.merge`'s rule."""
    found = indices >= 0
    if not np.any(found):
        return -np.inf, -1
    values, indices = values[found], indices[found]
    top = values == np.max(values)
    return float(np.max(values)), int(np.min(indices[top]))
