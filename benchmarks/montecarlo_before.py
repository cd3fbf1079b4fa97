"""The Monte Carlo CPU kernel as it was before issue 11 (that of 83f693b, with the scalar
cores it compiled as of main at d219ed2: ten outputs), frozen here for the benchmark suite
to time against the current kernel in the same run (``benchmarks/run.py``'s Monte Carlo
case, ``benchmarks/first_run.py``). Not used by the package; never edited (its numbers are
the baseline). Even the cores that are still the same as the package's are copied, not
imported: numba keys this file's cached kernels on this file alone, so a core changed later in
the package could be loaded stale from the cache, and the baseline would no longer be frozen.

The scalar cores compiled with numba, in parallel blocks of consecutive samples (numba's
``parallel=True``), each block walked in batches of :data:`BATCH` samples.
"""

from __future__ import annotations

import math
import types
from typing import Any

import numpy as np
from numba import njit, prange

from capacity.kernels.jit_options import CPU_INLINE, CPU_SAMPLE_KERNEL
from capacity.kernels.montecarlo_problem import N_SCENARIO_QUANTITIES

__all__ = ["BATCH", "reduce_samples"]

_MULTIPLIER = np.uint64(0xD256D193)
_KEY_BUMP = np.uint64(0x9E3779B9)
_LOW32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)
_SHIFT5 = np.uint64(5)
_SHIFT6 = np.uint64(6)
_ROUNDS = 10
# 2**-53 and 2**26: 27 + 26 random bits make a double in (0, 1)
_EPSILON = 1.0 / 9007199254740992.0
_HIGH_SCALE = 67108864.0


def philox2x32(counter_low: Any, counter_high: Any, key: Any) -> tuple[Any, Any]:
    """The two 32-bit outputs of Philox2x32-10 (each held in a uint64)."""
    x0 = counter_low
    x1 = counter_high
    k = key
    for r in range(_ROUNDS):
        if r > 0:
            k = (k + _KEY_BUMP) & _LOW32
        product = _MULTIPLIER * x0
        x0 = (product >> _SHIFT32) ^ k ^ x1
        x1 = product & _LOW32
    return x0, x1


def uniform(key: Any, index: Any) -> float:
    """Sample ``index`` (an int ≥ 0) of the uniform stream ``key``, in the open interval (0, 1)."""
    i = np.uint64(index)
    x0, x1 = philox2x32(i & _LOW32, i >> _SHIFT32, key)
    return (float(x0 >> _SHIFT5) * _HIGH_SCALE + float(x1 >> _SHIFT6) + 0.5) * _EPSILON


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
    if u * width < mode - low:
        return low + math.sqrt(u * width * (mode - low))
    return high - math.sqrt((1.0 - u) * width * (high - mode))


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


def scenario_quantities(
    s: int, values: Any, scenario_inputs: Any, chip_inputs: Any, shares: Any, provisioned: Any,
    idle: Any, busy: Any, sizing_fraction: Any, flops: Any, modes: Any, seconds_per_year: float,
) -> tuple[float, float, float, float, float, float, float, float, float, float]:  # fmt: skip
    """The ten :data:`SCENARIO_QUANTITIES` of scenario ``s`` at the drawn input ``values``.

    ``modes[s]`` = (driver is a count, power is IT power, shares are of accelerators); the
    annualizations are capital recovery factors per year.
    With chip k's provisioned power ``W_k m^P_k`` and sizing ``W_k m^P_k s_k``, accelerators
    per IT watt are ``c_k = x_k / (W_k m^P_k s_k)`` (``x_k / Σ_j x_j W_j m^P_j s_j`` for
    shares of accelerators); the chain itself is :func:`~.point.point_quantities`, the
    sweep's; the costs follow the formula of :mod:`capacity.costs` (hardware: accelerators and
    network per accelerator; facility: construction × (1 + soft share) per IT watt and power
    infrastructure per facility watt) and carbon and water those of
    :mod:`capacity.environment`.
    """
    driver = values[scenario_inputs[s, 0]]
    pue = values[scenario_inputs[s, 1]]
    utilization = values[scenario_inputs[s, 2]]
    mfu = values[scenario_inputs[s, 3]]
    capex_per_watt = values[scenario_inputs[s, 4]]
    electricity = values[scenario_inputs[s, 5]]
    hardware_rate = values[scenario_inputs[s, 6]]
    facility_rate = values[scenario_inputs[s, 7]]
    network_per_accelerator = values[scenario_inputs[s, 8]]
    power_per_watt = values[scenario_inputs[s, 9]]
    opex_rate = values[scenario_inputs[s, 10]]
    soft_share = values[scenario_inputs[s, 11]]
    carbon_intensity = values[scenario_inputs[s, 12]]
    water_intensity = values[scenario_inputs[s, 13]]
    wue = values[scenario_inputs[s, 14]]
    n_chips = shares.shape[1]
    denominator = 1.0
    if modes[s, 2]:
        denominator = 0.0
        for k in range(n_chips):
            if shares[s, k] > 0:
                multiplier = values[chip_inputs[s, k, 0]]
                denominator += shares[s, k] * provisioned[k] * multiplier * sizing_fraction[k]
    per_watt = 0.0
    flops_per_watt = 0.0
    idle_per_watt = 0.0
    extra_per_watt = 0.0
    price_per_watt = 0.0
    for k in range(n_chips):
        share = shares[s, k]
        if share > 0:
            watts = provisioned[k] * values[chip_inputs[s, k, 0]]
            count = share / denominator if modes[s, 2] else share / (watts * sizing_fraction[k])
            per_watt += count
            flops_per_watt += count * flops[k] * values[chip_inputs[s, k, 1]]
            idle_per_watt += count * watts * idle[k]
            extra_per_watt += count * watts * (busy[k] - idle[k])
            price_per_watt += count * values[chip_inputs[s, k, 2]]
    if modes[s, 0]:  # a count: the IT power those accelerators need
        power = driver / per_watt
        it_basis = True
    else:
        power = driver
        it_basis = modes[s, 1] != 0
    accelerators, peak, delivered, average, facility_power, it_power = point_quantities(
        power, pue, utilization, mfu, it_basis, per_watt, flops_per_watt, idle_per_watt,
        extra_per_watt,
    )  # fmt: skip
    hardware = it_power * price_per_watt + accelerators * network_per_accelerator
    facility_capex = (
        it_power * capex_per_watt * (1.0 + soft_share) + facility_power * power_per_watt
    )
    energy = average * seconds_per_year
    annual = (
        hardware * hardware_rate
        + facility_capex * (facility_rate + opex_rate)
        + energy * electricity
    )
    emissions = energy * carbon_intensity
    water = energy * (wue / pue + water_intensity)
    return (
        accelerators, peak, delivered, average, facility_power, it_power,
        hardware + facility_capex, annual, emissions, water,
    )  # fmt: skip


def _rebound(function: Any, **names: Any) -> Any:
    namespace = dict(function.__globals__)
    namespace.update(names)
    return types.FunctionType(
        function.__code__, namespace, function.__name__, function.__defaults__,
        function.__closure__,
    )  # fmt: skip


def _compile_cores_before(jit: Any) -> types.SimpleNamespace:
    """The cores compiled as capacity.kernels.compose.compile_cores did at 83f693b."""
    philox = jit(philox2x32)
    uniform_ = jit(_rebound(uniform, philox2x32=philox))
    ndtri_ = jit(ndtri)
    uniform_sample_ = jit(uniform_sample)
    triangular_sample_ = jit(triangular_sample)
    normal_sample_ = jit(_rebound(normal_sample, ndtri=ndtri_))
    pool_sample_ = jit(pool_sample)
    clip_ = jit(clip)
    draw_ = jit(
        _rebound(
            draw, uniform_sample=uniform_sample_, triangular_sample=triangular_sample_,
            normal_sample=normal_sample_, pool_sample=pool_sample_, clip=clip_,
        )
    )  # fmt: skip
    return types.SimpleNamespace(
        uniform=uniform_, uniform_sample=uniform_sample_, triangular_sample=triangular_sample_,
        clip=clip_, draw=draw_,
        scenario_quantities=jit(
            _rebound(scenario_quantities, point_quantities=jit(point_quantities))
        ),
    )  # fmt: skip


@njit(**CPU_INLINE)
def histogram_bin(x: float, lower: float, scale: float, bins: int) -> int:
    position = (x - lower) * scale
    if not position > 0.0:
        return 0
    if position >= bins:
        return bins - 1
    return int(position)


BATCH = 64
# Distribution kinds with a loop of their own (the rest go through the general ``draw``).
_UNIFORM, _TRIANGULAR = 1, 2

# Inlined in numba's IR: a call to a compiled function with array arguments costs reference
# counting on every array, far more than the arithmetic of a sample.
_cores = _compile_cores_before(njit(**CPU_INLINE))
_uniform = _cores.uniform
_uniform_sample = _cores.uniform_sample
_triangular_sample = _cores.triangular_sample
_clip = _cores.clip
_draw = _cores.draw
_scenario = _cores.scenario_quantities


@njit(**CPU_INLINE)
def _draw_batch(first, count, table, keys, pool, column, values):
    """Every input at samples ``first … first + count − 1`` into ``values[sample, input]``."""
    for v in range(table.shape[0]):
        kind = table[v, 0]
        p0, p1, p2, p3 = table[v, 1], table[v, 2], table[v, 3], table[v, 4]
        lower, upper = table[v, 5], table[v, 6]
        key = keys[v]
        if kind == 0:
            for j in range(count):
                column[j] = p0
        elif kind == _UNIFORM:
            for j in range(count):
                x = _uniform_sample(p0, p1, _uniform(key, first + j))
                column[j] = _clip(x, lower, upper)
        elif kind == _TRIANGULAR:
            for j in range(count):
                x = _triangular_sample(p0, p1, p2, _uniform(key, first + j))
                column[j] = _clip(x, lower, upper)
        else:
            for j in range(count):
                u = _uniform(key, first + j)
                column[j] = _draw(kind, p0, p1, p2, p3, lower, upper, u, pool)
        for j in range(count):
            values[j, v] = column[j]


@njit(**CPU_SAMPLE_KERNEL)
def reduce_samples(
    start, stop, blocks, table, keys, pool, scenario_inputs, chip_inputs, shares,
    provisioned, idle, busy, sizing_fraction, flops, modes, seconds_per_year,
    lower, scale, bins, center, logarithmic, groups,
):  # fmt: skip
    """Per-block min, max, sums of ``x − center`` and of its square, and histogram of
    samples ``[start, stop)``, for ``groups`` groups (the scenarios, then their total).
    ``lower`` and ``scale`` are in the bins' space: ln x where ``logarithmic``."""
    n_scenarios = shares.shape[0]
    n_quantities = N_SCENARIO_QUANTITIES
    with_total = groups > n_scenarios
    minimum = np.full((blocks, groups, n_quantities), np.inf)
    maximum = np.full((blocks, groups, n_quantities), -np.inf)
    total = np.zeros((blocks, groups, n_quantities))
    squares = np.zeros((blocks, groups, n_quantities))
    # int32 keeps a block's histograms small; a block holds far fewer than 2**31 samples
    histogram = np.zeros((blocks, groups, n_quantities, bins), dtype=np.int32)
    n = stop - start
    for block in prange(blocks):
        first = start + n * block // blocks
        last = start + n * (block + 1) // blocks
        values = np.empty((BATCH, table.shape[0]))
        column = np.empty(BATCH)
        out = np.empty((groups, n_quantities, BATCH))
        hist = histogram[block]
        for batch in range(first, last, BATCH):
            count = min(BATCH, last - batch)
            _draw_batch(batch, count, table, keys, pool, column, values)
            for j in range(count):
                if with_total:
                    for q in range(n_quantities):
                        out[n_scenarios, q, j] = 0.0
                for s in range(n_scenarios):
                    quantities = _scenario(
                        s, values[j], scenario_inputs, chip_inputs, shares, provisioned, idle,
                        busy, sizing_fraction, flops, modes, seconds_per_year,
                    )  # fmt: skip
                    for q in range(n_quantities):
                        out[s, q, j] = quantities[q]
                        if with_total:
                            out[n_scenarios, q, j] += quantities[q]
            for g in range(groups):
                for q in range(n_quantities):
                    x = out[g, q]
                    low = minimum[block, g, q]
                    high = maximum[block, g, q]
                    mid = center[g, q]
                    acc = 0.0
                    acc2 = 0.0
                    for j in range(count):
                        low = min(low, x[j])
                        high = max(high, x[j])
                        acc += x[j] - mid
                        acc2 += (x[j] - mid) * (x[j] - mid)
                    minimum[block, g, q] = low
                    maximum[block, g, q] = high
                    total[block, g, q] += acc
                    squares[block, g, q] += acc2
                    bins_of = hist[g, q]
                    edge, per_unit = lower[g, q], scale[g, q]
                    if logarithmic[g, q]:
                        for j in range(count):
                            bins_of[histogram_bin(math.log(x[j]), edge, per_unit, bins)] += 1
                    else:
                        for j in range(count):
                            bins_of[histogram_bin(x[j], edge, per_unit, bins)] += 1
    return minimum, maximum, total, squares, histogram
