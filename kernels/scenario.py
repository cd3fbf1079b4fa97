"""The chain (docs/model.md) for one scenario at one Monte Carlo sample, written once.

Input ``v`` at sample ``i`` is row ``v`` of the distribution table evaluated at the uniform
number ``uniform(keys[v], i)``. :func:`draw_inputs` draws every input of a sample into a
small scratch array, once, so an input shared by several scenarios (a chip's power
multiplier) takes the same value in each; :func:`scenario_quantities` then needs only that
array. Plain Python: compiled with ``numba.njit`` by :mod:`.montecarlo_cpu` and as CUDA
device functions by :mod:`.montecarlo_cuda` (see :mod:`.compose`).
"""

from __future__ import annotations

from typing import Any

from capacity.kernels.point import point_quantities
from capacity.kernels.random import uniform
from capacity.kernels.sampling import draw

__all__ = [
    "CHIP_INPUTS",
    "SCENARIO_INPUTS",
    "SCENARIO_QUANTITIES",
    "draw_inputs",
    "input_value",
    "scenario_quantities",
]

# What scenario_quantities returns, in order, with SI units (USD for money).
SCENARIO_QUANTITIES = (
    "accelerators",
    "peak_flops",
    "delivered_flops",
    "average_facility_power",
    "facility_power",
    "it_power",
    "capex",
    "annual_cost",
    "emissions",
    "water",
)
# Columns of the per-scenario input table (indices into the distribution table); the
# ``driver`` is the power (W, facility or IT by basis) or, for count scenarios, the number
# of accelerators.
SCENARIO_INPUTS = (
    "driver",
    "pue",
    "utilization",
    "mfu",
    "facility_capex_per_watt",
    "electricity_price",
    "hardware_annualization",
    "facility_annualization",
    "network_storage_per_accelerator",
    "power_infrastructure_per_watt",
    "non_energy_opex_share",
    "land_and_soft_share",
    "carbon_intensity",
    "water_intensity",
    "wue",
)
# Per scenario and chip: multipliers of the chip's power and FLOP/s, and its price.
CHIP_INPUTS = ("power_multiplier", "flops_multiplier", "price")


def input_value(v: int, index: int, table: Any, keys: Any, pool: Any) -> float:
    """Input ``v`` at sample ``index``."""
    if table[v, 0] == 0:
        return table[v, 1]  # type: ignore[no-any-return]
    u = uniform(keys[v], index)
    return draw(
        table[v, 0], table[v, 1], table[v, 2], table[v, 3], table[v, 4], table[v, 5],
        table[v, 6], u, pool,
    )  # fmt: skip


def draw_inputs(index: int, table: Any, keys: Any, pool: Any, values: Any) -> None:
    """Every input at sample ``index``, into ``values``."""
    for v in range(table.shape[0]):
        values[v] = input_value(v, index, table, keys, pool)


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
