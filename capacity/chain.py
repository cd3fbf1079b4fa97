"""The power-to-capacity chain (docs/model.md) as plain functions on SI floats or arrays.

Each function is named after what it returns and broadcasts over NumPy arrays. Per-chip
arguments carry the chip on the *last* axis. Units are in brackets; they are SI: watts,
FLOP/s, joules, fractions. :func:`capacity.convert` is the unit-checked entry point.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from capacity.units import SECONDS_PER_YEAR

__all__ = [
    "EPOCH_SYSTEM_OVERHEAD",
    "accelerator_counts",
    "accelerator_counts_for_total",
    "annual_energy",
    "average_facility_power",
    "average_power",
    "delivered_flops",
    "epoch_provisioned_power",
    "facility_power",
    "grid_capacity_share",
    "grid_energy_share",
    "it_power",
    "it_power_for_counts",
    "peak_flops",
    "provisioned_power",
    "sizing_power",
    "yearly_amount",
]

ArrayLike = Any

# Epoch AI's facility-power factor: DGX H100 10.2 kW ÷ 8 GPUs ÷ 0.7 kW TDP = 1.82
# (epoch.ai/data/gpu-clusters-documentation/estimation).
EPOCH_SYSTEM_OVERHEAD = 1.82


def it_power(power: ArrayLike, pue: ArrayLike, basis: str) -> ArrayLike:
    """Critical IT power. [W]

    ``power / pue`` when ``power`` is facility power (``basis="facility"``), ``power`` itself
    when it is already IT power (``basis="it"``).
    """
    return power / pue if basis == "facility" else power * np.ones_like(pue)


def facility_power(power: ArrayLike, pue: ArrayLike, basis: str) -> ArrayLike:
    """Power drawn from the grid at full provisioned load. [W]"""
    return power * np.ones_like(pue) if basis == "facility" else power * pue


def provisioned_power(
    system_power: ArrayLike, system_accelerators: ArrayLike, cluster_overhead: ArrayLike
) -> ArrayLike:
    """Provisioned IT power per accelerator, W_k. [W]

    ``system_power / system_accelerators × (1 + cluster_overhead)``.
    """
    return system_power / system_accelerators * (1.0 + cluster_overhead)


def epoch_provisioned_power(tdp: ArrayLike) -> ArrayLike:
    """Epoch AI's IT power per accelerator, ``1.82 × TDP``. [W]"""
    return EPOCH_SYSTEM_OVERHEAD * tdp


def sizing_power(provisioned: ArrayLike, busy_fraction: ArrayLike, provision: str) -> ArrayLike:
    """IT power reserved per accelerator, W_k × s_k. [W]

    ``provision="nameplate"`` reserves the full provisioned power (s_k = 1); ``"busy"``
    reserves only the busy draw (s_k = busy_k), as at power-capped, oversubscribed sites.
    """
    return provisioned * busy_fraction if provision == "busy" else provisioned * 1.0


def average_power(
    provisioned: ArrayLike, idle_fraction: ArrayLike, busy_fraction: ArrayLike,
    utilization: ArrayLike,
) -> ArrayLike:  # fmt: skip
    """Average IT power per accelerator at fleet utilization u, A_k(u). [W]

    Linear idle-to-busy curve: ``W_k × (idle_k + (busy_k − idle_k) × u)``.
    """
    return provisioned * (idle_fraction + (busy_fraction - idle_fraction) * utilization)


def accelerator_counts(
    it_power: ArrayLike, mix: ArrayLike, sizing: ArrayLike, mix_basis: str = "power"
) -> ArrayLike:
    """Accelerators of each chip that ``it_power`` provisions, N_k. [1]

    Parameters
    ----------
    it_power : float or array
        Critical IT power. [W]
    mix : array, chip on the last axis
        Shares m_k, summing to 1: of IT power (``mix_basis="power"``) or of accelerators
        (``mix_basis="count"``). [1]
    sizing : array, chip on the last axis
        IT power reserved per accelerator, W_k × s_k. [W]

    Notes
    -----
    power basis: ``N_k = m_k × P_IT / (W_k s_k)``;
    count basis: ``N_k = m_k × P_IT / Σ_j m_j W_j s_j``.
    """
    it_power = np.asarray(it_power)[..., np.newaxis]
    if mix_basis == "count":
        return mix * it_power / np.sum(mix * sizing, axis=-1, keepdims=True)
    return mix * it_power / sizing


def accelerator_counts_for_total(
    total: ArrayLike, mix: ArrayLike, sizing: ArrayLike, mix_basis: str = "power"
) -> ArrayLike:
    """Split ``total`` accelerators into chips by ``mix``, N_k (the reverse direction). [1]

    count basis: ``N_k = m_k × N``; power basis: the N_k whose IT powers are in the
    proportions m_k, ``N_k = N × (m_k / W_k s_k) / Σ_j (m_j / W_j s_j)``.
    """
    total = np.asarray(total)[..., np.newaxis]
    if mix_basis == "count":
        return mix * total
    weights = mix / sizing
    return total * weights / np.sum(weights, axis=-1, keepdims=True)


def it_power_for_counts(counts: ArrayLike, sizing: ArrayLike) -> ArrayLike:
    """IT power that ``counts`` accelerators need, ``P_IT = Σ N_k W_k s_k``. [W]"""
    return np.sum(counts * sizing, axis=-1)


def peak_flops(counts: ArrayLike, flops_per_accelerator: ArrayLike) -> ArrayLike:
    """Peak compute of each chip's fleet, ``N_k × f_k,p``. [FLOP/s]"""
    return counts * flops_per_accelerator


def delivered_flops(peak: ArrayLike, utilization: ArrayLike, mfu: ArrayLike) -> ArrayLike:
    """Delivered compute, ``F_peak × u × η``. [FLOP/s]"""
    return peak * utilization * mfu


def average_facility_power(
    counts: ArrayLike, average_per_accelerator: ArrayLike, pue: ArrayLike
) -> ArrayLike:
    """Average facility draw of each chip's fleet, ``PUE × N_k × A_k(u)``. [W]"""
    return np.asarray(pue)[..., np.newaxis] * counts * average_per_accelerator


def yearly_amount(rate: ArrayLike) -> ArrayLike:
    """A rate kept up for one Julian year (365.25 days): W → J, FLOP/s → FLOP."""
    return rate * SECONDS_PER_YEAR


def annual_energy(average_facility_power: ArrayLike) -> ArrayLike:
    """Energy drawn in a year at the average facility power. [J]"""
    return yearly_amount(average_facility_power)


def grid_energy_share(
    average_facility_power: ArrayLike, grid_annual_energy: ArrayLike
) -> ArrayLike:
    """Share of a grid's annual energy, ``P_avg ÷ (E_grid / 1 year)``. [1]"""
    return average_facility_power / (grid_annual_energy / SECONDS_PER_YEAR)


def grid_capacity_share(facility_power: ArrayLike, grid_capacity: ArrayLike) -> ArrayLike:
    """Share of a grid's capacity, ``P_fac ÷ grid capacity``. [1]"""
    return facility_power / grid_capacity
