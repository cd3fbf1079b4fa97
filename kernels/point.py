"""The chain (docs/model.md#sweeps) at one sweep point, written once for every backend.

A sweep point is a power, a PUE, a utilization and a mix. Everything a mix contributes is
linear in IT power, so each mix is first reduced to four coefficients per watt of IT power
(:func:`mix_coefficients`); :func:`point_quantities` then needs only scalars. It is plain
Python: :mod:`capacity.kernels.cpu` compiles it with ``numba.njit`` and
:mod:`capacity.kernels.cuda` as a CUDA device function.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "N_QUANTITIES",
    "POINT_QUANTITIES",
    "QUANTITIES",
    "mix_coefficients",
    "point_quantities",
]

# What point_quantities returns, in order, with SI units.
QUANTITIES = (
    "accelerators",
    "peak_flops",
    "delivered_flops",
    "average_facility_power",
    "facility_power",
    "it_power",
)
N_QUANTITIES = len(QUANTITIES)
# The first four vary from point to point; facility and IT power depend on power and PUE
# alone, so reductions take their statistics per (power, PUE) row (``row_statistics``).
POINT_QUANTITIES = 4


def point_quantities(
    power: float,
    pue: float,
    utilization: float,
    mfu: float,
    it_basis: bool,
    accelerators_per_watt: float,
    flops_per_watt: float,
    idle_draw_per_watt: float,
    busy_extra_draw_per_watt: float,
) -> tuple[float, float, float, float, float, float]:
    """The six :data:`QUANTITIES` at one point, from the mix's coefficients per IT watt.

    ``P_IT = P / PUE`` (or ``P`` on the IT basis); ``N = P_IT Σ c_k``;
    ``F_peak = P_IT Σ c_k f_k``; ``F_deliv = F_peak u η``;
    ``P_avg = PUE P_IT Σ c_k W_k (idle_k + (busy_k − idle_k) u)``, with ``c_k`` the
    accelerators of chip k per IT watt.
    """
    if it_basis:
        it_power = power
        facility_power = power * pue
    else:
        it_power = power / pue
        facility_power = power
    accelerators = it_power * accelerators_per_watt
    peak = it_power * flops_per_watt
    delivered = peak * utilization * mfu
    average = pue * it_power * (idle_draw_per_watt + busy_extra_draw_per_watt * utilization)
    return accelerators, peak, delivered, average, facility_power, it_power


def mix_coefficients(
    mixes: np.ndarray,
    sizing: np.ndarray,
    provisioned: np.ndarray,
    idle: np.ndarray,
    busy: np.ndarray,
    flops: np.ndarray,
    count_basis: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Each mix's accelerators per IT watt by chip, and its four per-watt coefficients.

    Returns ``counts_per_watt`` (mixes × chips): ``m_k / (W_k s_k)`` for shares of power,
    ``m_k / Σ_j m_j W_j s_j`` for shares of accelerators; and ``coefficients`` (mixes × 4):
    accelerators, peak FLOP/s, idle draw and busy-minus-idle draw per IT watt, the last two
    in W per W.
    """
    mixes = np.asarray(mixes, dtype=np.float64)
    if count_basis:
        counts_per_watt = mixes / np.sum(mixes * sizing, axis=-1, keepdims=True)
    else:
        counts_per_watt = mixes / sizing
    coefficients = np.stack(
        [
            np.sum(counts_per_watt, axis=-1),
            counts_per_watt @ flops,
            counts_per_watt @ (provisioned * idle),
            counts_per_watt @ (provisioned * (busy - idle)),
        ],
        axis=-1,
    )
    return counts_per_watt, np.ascontiguousarray(coefficients)
