"""What a kernel is given: the axes, the mixes and the per-chip figures of one sweep.

A sweep's points are the Cartesian product ``power × pue × utilization × mix`` in C order
(mix fastest). A chunk is a range ``[start, stop)`` of flat point indices; every backend
computes a chunk as a pure function of the :class:`SweepProblem`, the :class:`ReduceSpec`
and that range, so chunks can run anywhere and their results merge exactly.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from capacity.kernels.point import mix_coefficients

__all__ = ["OUTPUTS", "ReduceSpec", "SweepProblem"]

# What a materialized chunk holds: per-chip counts (points × chips) and one value per point.
OUTPUTS = (
    "accelerators_by_chip",
    "accelerators",
    "peak_flops",
    "delivered_flops",
    "average_facility_power",
)


@dataclass(frozen=True, eq=False)
class SweepProblem:
    """The axes and per-chip figures of a sweep, in SI units, as float64 arrays."""

    power: np.ndarray
    """Power values: facility power, or IT power when ``it_basis``. [W]"""
    pue: np.ndarray
    utilization: np.ndarray
    mixes: np.ndarray
    """Shares, mixes × chips; each row sums to 1."""
    mfu: float
    it_basis: bool
    count_basis: bool
    provisioned: np.ndarray
    idle: np.ndarray
    busy: np.ndarray
    sizing: np.ndarray
    flops: np.ndarray

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """Points along (power, pue, utilization, mix)."""
        return (self.power.size, self.pue.size, self.utilization.size, self.mixes.shape[0])

    @property
    def points(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def chips(self) -> int:
        return int(self.mixes.shape[1])

    @functools.cached_property
    def _per_watt(self) -> tuple[np.ndarray, np.ndarray]:
        return mix_coefficients(
            self.mixes, self.sizing, self.provisioned, self.idle, self.busy, self.flops,
            self.count_basis,
        )  # fmt: skip

    @property
    def counts_per_watt(self) -> np.ndarray:
        """Accelerators of each chip per IT watt, mixes × chips."""
        return self._per_watt[0]

    @property
    def coefficients(self) -> np.ndarray:
        """Per-watt coefficients of each mix, mixes × 4 (see ``mix_coefficients``)."""
        return self._per_watt[1]

    def quantity_ranges(self) -> tuple[np.ndarray, np.ndarray]:
        """Exact lower and upper bounds of each of the six quantities over the whole sweep.

        Each quantity is a product of non-negative factors that depend on disjoint axes
        (IT power on power and PUE; the mix's coefficients; utilization), so its extremes
        are products of the factors' extremes. Used as histogram edges before any point is
        computed.
        """
        p_low, p_high = float(self.power.min()), float(self.power.max())
        q_low, q_high = float(self.pue.min()), float(self.pue.max())
        u_low, u_high = float(self.utilization.min()), float(self.utilization.max())
        if self.it_basis:
            it = (p_low, p_high)
            facility = (p_low * q_low, p_high * q_high)
        else:
            it = (p_low / q_high, p_high / q_low)
            facility = (p_low, p_high)
        per_watt, flops, idle, extra = (self.coefficients[:, c] for c in range(4))
        draw = np.concatenate([idle + extra * u_low, idle + extra * u_high])
        lower = [
            it[0] * per_watt.min(),
            it[0] * flops.min(),
            it[0] * (flops.min() * u_low * self.mfu),
            facility[0] * draw.min(),
            facility[0],
            it[0],
        ]
        upper = [
            it[1] * per_watt.max(),
            it[1] * flops.max(),
            it[1] * (flops.max() * u_high * self.mfu),
            facility[1] * draw.max(),
            facility[1],
            it[1],
        ]
        return np.array(lower), np.array(upper)

    def unravel(self, index: int) -> tuple[int, int, int, int]:
        """(power, pue, utilization, mix) indices of flat point ``index``."""
        ip, iq, iu, im = np.unravel_index(index, self.shape)
        return int(ip), int(iq), int(iu), int(im)


@dataclass(frozen=True, eq=False)
class ReduceSpec:
    """What a reduction accumulates besides min, max and sum of each quantity.

    Histograms: ``bins`` equal bins per quantity from ``lower`` to ``upper`` (values outside
    go to the end bins). Constraints: quantity ``constraint_quantity[c]`` must lie in
    ``[constraint_lower[c], constraint_upper[c]]``, and the point's mix must be marked in
    ``feasible_mix``. Objective: the feasible point that maximizes
    ``objective_sign × quantity[objective_quantity]`` (none when the quantity is -1).
    """

    lower: np.ndarray
    upper: np.ndarray
    bins: int
    constraint_quantity: np.ndarray
    constraint_lower: np.ndarray
    constraint_upper: np.ndarray
    feasible_mix: np.ndarray
    objective_quantity: int = -1
    objective_sign: float = 1.0

    @property
    def scale(self) -> np.ndarray:
        """Bins per unit of each quantity (0 where the range is empty)."""
        width = self.upper - self.lower
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(width > 0, self.bins / width, 0.0)
