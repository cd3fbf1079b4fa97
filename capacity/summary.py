"""Summaries of a reduced sweep: min, max, mean and quantiles of each output.

Quantiles come from histograms on fixed edges, accumulated by the kernels without storing
points: a quantile is found to within one bin (``resolution``), interpolating linearly
inside the bin.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from capacity.kernels.partial import Partial
from capacity.kernels.problem import ReduceSpec

__all__ = ["DEFAULT_QUANTILES", "OutputSummary", "summarize"]

DEFAULT_QUANTILES = (0.05, 0.5, 0.95)


@dataclass(frozen=True)
class OutputSummary:
    """One output over every point of a sweep. Values are in ``unit`` (SI)."""

    name: str
    unit: str
    points: int
    minimum: float
    maximum: float
    mean: float
    edges: np.ndarray
    counts: np.ndarray
    std: float = float("nan")
    """Standard deviation (Monte Carlo runs; NaN for sweeps)."""

    @property
    def resolution(self) -> float:
        """The width of one histogram bin: the accuracy of :meth:`quantile`."""
        return float(self.edges[1] - self.edges[0])

    def quantile(self, q: float) -> float:
        """The ``q`` quantile (0 ≤ q ≤ 1), to within one bin."""
        if not 0 <= q <= 1:
            raise ValueError(f"quantile must be in [0, 1], got {q}")
        if self.points == 0:
            return float("nan")
        cumulative = np.cumsum(self.counts)
        target = q * self.points
        b = min(int(np.searchsorted(cumulative, target, side="left")), len(self.counts) - 1)
        before = cumulative[b] - self.counts[b]
        inside = (target - before) / self.counts[b] if self.counts[b] else 0.0
        value = self.edges[b] + inside * (self.edges[b + 1] - self.edges[b])
        return float(np.clip(value, self.minimum, self.maximum))

    def quantiles(self, qs: Sequence[float] = DEFAULT_QUANTILES) -> dict[float, float]:
        return {q: self.quantile(q) for q in qs}

    def to_dict(self, qs: Sequence[float] = DEFAULT_QUANTILES) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "min": self.minimum,
            "max": self.maximum,
            "mean": self.mean,
            **({"std": self.std} if math.isfinite(self.std) else {}),
            **{f"p{_percent(q)}": value for q, value in self.quantiles(qs).items()},
            "quantile_resolution": self.resolution,
        }


def _percent(q: float) -> str:
    return f"{q * 100:g}".replace(".", "_")


def summarize(
    name: str, unit: str, quantity: int, factor: float, partial: Partial, spec: ReduceSpec
) -> OutputSummary:
    """The summary of ``factor × quantity`` from a merged partial (``factor`` > 0)."""
    points = partial.points
    return OutputSummary(
        name=name,
        unit=unit,
        points=points,
        minimum=float(partial.minimum[quantity] * factor),
        maximum=float(partial.maximum[quantity] * factor),
        mean=float(partial.total[quantity] / points * factor) if points else float("nan"),
        edges=np.linspace(spec.lower[quantity], spec.upper[quantity], spec.bins + 1) * factor,
        counts=partial.histogram[quantity].copy(),
    )
