"""A chunk's reduction, and the exact merge of two of them."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from capacity.kernels.point import N_QUANTITIES

__all__ = ["Partial"]


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

    @classmethod
    def from_blocks(
        cls, points: int, minimum: np.ndarray, maximum: np.ndarray, total: np.ndarray,
        histogram: np.ndarray, feasible: np.ndarray, best_value: np.ndarray,
        best_index: np.ndarray,
    ) -> Partial:  # fmt: skip
        """Merge per-block partial arrays (blocks on the first axis) into one."""
        merged = cls(
            points=points,
            minimum=np.min(minimum, axis=0),
            maximum=np.max(maximum, axis=0),
            total=np.sum(total, axis=0),
            histogram=np.asarray(np.sum(histogram, axis=0, dtype=np.int64)),
            feasible=int(np.sum(feasible)),
            best_value=-np.inf,
            best_index=-1,
        )
        found = best_index >= 0
        if np.any(found):
            values, indices = best_value[found], best_index[found]
            top = values == np.max(values)
            merged = replace(
                merged, best_value=float(np.max(values)), best_index=int(np.min(indices[top]))
            )
        return merged
