"""What a Monte Carlo kernel is given, and what it gives back.

Samples are numbered ``0 … samples − 1``; a chunk is a range ``[start, stop)`` of them, and
every backend reduces a chunk as a pure function of the :class:`MonteCarloProblem`, the
:class:`SampleSpec` and that range: the same seed gives the same draws on every backend and
for every chunking. The reduction holds, per group (each scenario, then their total when
there are several) and per quantity (:data:`~.scenario.SCENARIO_QUANTITIES`), the count,
min, max, sum, sum of squares and a histogram on fixed edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from capacity.kernels.scenario import SCENARIO_QUANTITIES

__all__ = ["N_SCENARIO_QUANTITIES", "MonteCarloProblem", "SamplePartial", "SampleSpec"]

N_SCENARIO_QUANTITIES = len(SCENARIO_QUANTITIES)


@dataclass(frozen=True, eq=False)
class MonteCarloProblem:
    """The inputs of a Monte Carlo run as arrays, in SI units.

    ``table`` (inputs × 7, :data:`~.sampling.TABLE_COLUMNS`), ``keys`` (inputs, the 32-bit
    Philox key of each input, as uint64) and ``pool`` (the values of every ``samples``
    distribution) describe the random inputs; ``scenario_inputs`` (scenarios × 8,
    :data:`~.scenario.SCENARIO_INPUTS`) and ``chip_inputs`` (scenarios × chips × 3) point
    into them. ``shares`` is scenarios × chips
    (0 where a scenario does not use a chip); ``modes`` is scenarios × 3 (driver is a count,
    power is IT power, shares are of accelerators). Per-chip figures are as in
    :class:`capacity.fleet.Fleet`; ``sizing_fraction`` is 1 (nameplate) or the busy fraction.
    """

    table: np.ndarray
    keys: np.ndarray
    pool: np.ndarray
    scenario_inputs: np.ndarray
    chip_inputs: np.ndarray
    shares: np.ndarray
    modes: np.ndarray
    provisioned: np.ndarray
    idle: np.ndarray
    busy: np.ndarray
    sizing_fraction: np.ndarray
    flops: np.ndarray
    seconds_per_year: float
    distributions: tuple[Any, ...] = ()
    """The :class:`capacity.distributions.Distribution` of each table row (for the NumPy
    reference, which samples through them rather than through the table)."""

    @property
    def scenarios(self) -> int:
        return int(self.shares.shape[0])

    @property
    def groups(self) -> int:
        """Scenarios, plus their total when there is more than one."""
        return self.scenarios + (1 if self.scenarios > 1 else 0)


@dataclass(frozen=True, eq=False)
class SampleSpec:
    """Histogram edges: ``bins`` bins per group and quantity from ``lower`` to ``upper``
    (groups × quantities), equal in the value or, where ``logarithmic``, in its logarithm
    (for outputs spanning orders of magnitude); values outside go to the end bins. Sums are
    taken of ``x − center`` (a value near the mean), so that the variance does not cancel
    away for an output that barely varies."""

    lower: np.ndarray
    upper: np.ndarray
    bins: int
    center: np.ndarray
    logarithmic: np.ndarray
    """groups × quantities, bool; only where ``lower`` > 0."""

    @property
    def bin_lower(self) -> np.ndarray:
        """The lower edge in the space the bins are equal in (ln x where logarithmic)."""
        return self._in_bin_space(self.lower)

    @property
    def scale(self) -> np.ndarray:
        """Bins per unit of the bin space (0 where the range is empty)."""
        width = self._in_bin_space(self.upper) - self.bin_lower
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(width > 0, self.bins / width, 0.0)

    def edges(self, g: int, q: int) -> np.ndarray:
        """The ``bins + 1`` edges of group ``g``'s quantity ``q``, in its own unit."""
        if self.logarithmic[g, q]:
            return np.geomspace(self.lower[g, q], self.upper[g, q], self.bins + 1)
        return np.linspace(self.lower[g, q], self.upper[g, q], self.bins + 1)

    def _in_bin_space(self, values: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.logarithmic, np.log(np.where(self.logarithmic, values, 1.0)),
                            values)  # fmt: skip


@dataclass(frozen=True, eq=False)
class SamplePartial:
    """The reduction of some samples; merging two is exact and associative (up to the
    order of floating-point sums, which is fixed for a backend and chunk size)."""

    samples: int
    minimum: np.ndarray
    maximum: np.ndarray
    total: np.ndarray
    """Σ (x − center)."""
    total_squares: np.ndarray
    """Σ (x − center)²."""
    histogram: np.ndarray
    """groups × quantities × bins counts."""

    @classmethod
    def empty(cls, groups: int, bins: int) -> SamplePartial:
        shape = (groups, N_SCENARIO_QUANTITIES)
        return cls(
            samples=0,
            minimum=np.full(shape, np.inf),
            maximum=np.full(shape, -np.inf),
            total=np.zeros(shape),
            total_squares=np.zeros(shape),
            histogram=np.zeros((*shape, bins), dtype=np.int64),
        )

    def merge(self, other: SamplePartial) -> SamplePartial:
        return SamplePartial(
            samples=self.samples + other.samples,
            minimum=np.minimum(self.minimum, other.minimum),
            maximum=np.maximum(self.maximum, other.maximum),
            total=self.total + other.total,
            total_squares=self.total_squares + other.total_squares,
            histogram=self.histogram + other.histogram,
        )
