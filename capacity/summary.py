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

from capacity.defaults import DEFAULTS
from capacity.kernels.partial import Partial
from capacity.kernels.problem import ReduceSpec

__all__ = ["OutputSummary", "summarize"]


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
    tail: OutputSummary | None = None
    """The same values binned over their exact range, for a quantile that falls outside
    ``edges`` (Monte Carlo runs whose histogram range came from a pilot)."""

    @property
    def resolution(self) -> float:
        """The width of the widest histogram bin: the accuracy of :meth:`quantile` at worst
        (every bin, where the bins are equal)."""
        return float(np.max(np.diff(self.edges)))

    @property
    def _uniform(self) -> bool:
        widths = np.diff(self.edges)
        return self.tail is None and bool(np.allclose(widths, widths[0], rtol=1e-9))

    def resolution_at(self, q: float) -> float:
        """The width of the bin that holds the ``q`` quantile: its accuracy."""
        b, outside = self._bin_of(q)
        if outside and self.tail is not None:
            return self.tail.resolution_at(q)
        return float(self.edges[b + 1] - self.edges[b])

    def _bin_of(self, q: float) -> tuple[int, bool]:
        """The bin holding the ``q`` quantile, and whether it holds values outside the edges."""
        cumulative = np.cumsum(self.counts)
        b = min(
            int(np.searchsorted(cumulative, q * self.points, side="left")), len(self.counts) - 1
        )
        clipped_below = b == 0 and self.minimum < self.edges[0]
        clipped_above = b == len(self.counts) - 1 and self.maximum > self.edges[-1]
        return b, clipped_below or clipped_above

    def quantile(self, q: float) -> float:
        """The ``q`` quantile (0 ≤ q ≤ 1), to within one bin."""
        if not 0 <= q <= 1:
            raise ValueError(f"quantile must be in [0, 1], got {q}")
        if self.points == 0:
            return float("nan")
        b, outside = self._bin_of(q)
        if self.tail is not None and outside:
            return self.tail.quantile(q)
        cumulative = np.cumsum(self.counts)
        target = q * self.points
        before = cumulative[b] - self.counts[b]
        inside = (target - before) / self.counts[b] if self.counts[b] else 0.0
        value = self.edges[b] + inside * (self.edges[b + 1] - self.edges[b])
        return float(np.clip(value, self.minimum, self.maximum))

    def quantiles(self, qs: Sequence[float] = DEFAULTS.quantiles) -> dict[float, float]:
        return {q: self.quantile(q) for q in qs}

    def to_dict(self, qs: Sequence[float] = DEFAULTS.quantiles) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "min": self.minimum,
            "max": self.maximum,
            "mean": self.mean,
            **({"std": self.std} if math.isfinite(self.std) else {}),
            **{f"p{_percent(q)}": value for q, value in self.quantiles(qs).items()},
            "quantile_resolution": self.resolution,
            **(
                {}
                if self._uniform
                else {f"p{_percent(q)}_resolution": self.resolution_at(q) for q in qs}
            ),
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
