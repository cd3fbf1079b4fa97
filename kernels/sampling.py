"""Inverse-CDF sampling: one uniform number in (0, 1) to a sample of a distribution.

:func:`draw` is plain Python on scalars, compiled by the CPU and CUDA kernels; a row of the
distribution table (:data:`TABLE_COLUMNS`) says which distribution and its parameters.
:func:`ndtri` is the standard normal quantile: Acklam's rational approximation (relative
error below 1.2e-9) refined by one Halley step on ``erfc``, which brings it to about 1e-15.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "KINDS",
    "TABLE_COLUMNS",
    "clip",
    "draw",
    "ndtri",
    "ndtri_array",
    "normal_cdf",
    "normal_sample",
    "pool_sample",
    "triangular_sample",
    "uniform_sample",
]

# Distribution kinds, as stored in column 0 of the table.
KINDS = ("fixed", "uniform", "triangular", "normal", "lognormal", "samples")
# fixed: p0; uniform: [p0, p1]; triangular: low p0, mode p1, high p2;
# normal: mean p0, sd p1, CDF at the truncation bounds p2, p3 (lognormal: of ln x);
# samples: offset p0 and count p1 in the pool. Every draw is clipped to [lower, upper].
TABLE_COLUMNS = ("kind", "p0", "p1", "p2", "p3", "lower", "upper")

_A0, _A1, _A2 = -3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02
_A3, _A4, _A5 = 1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00
_B0, _B1, _B2 = -5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02
_B3, _B4 = 6.680131188771972e01, -1.328068155288572e01
_C0, _C1, _C2 = -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00
_C3, _C4, _C5 = -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00
_D0, _D1, _D2, _D3 = (
    7.784695709041462e-03,
    3.224671290700398e-01,
    2.445134137142996e00,
    3.754408661907416e00,
)
_P_LOW = 0.02425
_SQRT2 = math.sqrt(2.0)
_SQRT2PI = math.sqrt(2.0 * math.pi)


def normal_cdf(z: float) -> float:
    """Φ(z), the standard normal CDF."""
    return 0.5 * math.erfc(-z / _SQRT2)


def ndtri(p: float) -> float:
    """Φ⁻¹(p) for 0 < p < 1."""
    if p < _P_LOW:
        q = math.sqrt(-2.0 * math.log(p))
        x = (((((_C0 * q + _C1) * q + _C2) * q + _C3) * q + _C4) * q + _C5) / (
            (((_D0 * q + _D1) * q + _D2) * q + _D3) * q + 1.0
        )
    elif p <= 1.0 - _P_LOW:
        q = p - 0.5
        r = q * q
        x = (
            (((((_A0 * r + _A1) * r + _A2) * r + _A3) * r + _A4) * r + _A5)
            * q
            / (((((_B0 * r + _B1) * r + _B2) * r + _B3) * r + _B4) * r + 1.0)
        )
    else:
        q = math.sqrt(-2.0 * math.log(1.0 - p))
        x = -(((((_C0 * q + _C1) * q + _C2) * q + _C3) * q + _C4) * q + _C5) / (
            (((_D0 * q + _D1) * q + _D2) * q + _D3) * q + 1.0
        )
    # the upper half refines on 1 − p, which keeps its digits where p rounds towards 1
    error = 0.5 * math.erfc(-x / _SQRT2) - p if x < 0 else (1.0 - p) - 0.5 * math.erfc(x / _SQRT2)
    step = error * _SQRT2PI * math.exp(0.5 * x * x)
    return x - step / (1.0 + 0.5 * x * step)


def uniform_sample(low: float, high: float, u: float) -> float:
    """Uniform on [low, high]."""
    return low + (high - low) * u


def triangular_sample(low: float, mode: float, high: float, u: float) -> float:
    """Triangular with that mode."""
    width = high - low
    below = u * width < mode - low
    # one square root, of whichever side the draw falls on (a loop of it vectorizes)
    root = math.sqrt(u * width * (mode - low) if below else (1.0 - u) * width * (high - mode))
    return low + root if below else high - root


def normal_sample(mean: float, sd: float, cdf_low: float, cdf_high: float, u: float) -> float:
    """Normal truncated to where its CDF runs from ``cdf_low`` to ``cdf_high``."""
    return mean + sd * ndtri(cdf_low + u * (cdf_high - cdf_low))


def pool_sample(offset: float, count: float, u: float, pool: Any) -> float:
    """One of ``count`` equally likely values from ``pool[offset:]``."""
    n = int(count)
    return pool[int(offset) + min(int(u * n), n - 1)]  # type: ignore[no-any-return]


def draw(
    kind: Any,
    p0: float,
    p1: float,
    p2: float,
    p3: float,
    lower: float,
    upper: float,
    u: float,
    pool: Any,
) -> float:
    """The sample of a distribution-table row at uniform number ``u``."""
    if kind == 0:
        return p0
    if kind == 1:
        x = uniform_sample(p0, p1, u)
    elif kind == 2:
        x = triangular_sample(p0, p1, p2, u)
    elif kind == 3:
        x = normal_sample(p0, p1, p2, p3, u)
    elif kind == 4:
        x = math.exp(normal_sample(p0, p1, p2, p3, u))
    else:
        x = pool_sample(p0, p1, u, pool)
    return clip(x, lower, upper)


def clip(x: float, lower: float, upper: float) -> float:
    """``x`` within [lower, upper]."""
    return min(max(x, lower), upper)


def ndtri_array(p: np.ndarray) -> np.ndarray:
    """:func:`ndtri` on an array, with NumPy."""
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        q_low = np.sqrt(-2.0 * np.log(p))
        tail = (
            ((((_C0 * q_low + _C1) * q_low + _C2) * q_low + _C3) * q_low + _C4) * q_low + _C5
        ) / ((((_D0 * q_low + _D1) * q_low + _D2) * q_low + _D3) * q_low + 1.0)
        q_high = np.sqrt(-2.0 * np.log1p(-p))
        upper = -(
            ((((_C0 * q_high + _C1) * q_high + _C2) * q_high + _C3) * q_high + _C4) * q_high + _C5
        ) / ((((_D0 * q_high + _D1) * q_high + _D2) * q_high + _D3) * q_high + 1.0)
    q = p - 0.5
    r = q * q
    central = (
        (((((_A0 * r + _A1) * r + _A2) * r + _A3) * r + _A4) * r + _A5)
        * q
        / (((((_B0 * r + _B1) * r + _B2) * r + _B3) * r + _B4) * r + 1.0)
    )
    x = np.where(p < _P_LOW, tail, np.where(p <= 1.0 - _P_LOW, central, upper))
    from math import erfc

    erfc_array = np.vectorize(erfc, otypes=[float])
    error = np.where(
        x < 0, 0.5 * erfc_array(-x / _SQRT2) - p, (1.0 - p) - 0.5 * erfc_array(x / _SQRT2)
    )
    step = error * _SQRT2PI * np.exp(0.5 * x * x)
    return x - step / (1.0 + 0.5 * x * step)  # type: ignore[no-any-return]
