"""The plain-NumPy Monte Carlo reference: samples drawn through each input's
:meth:`~capacity.distributions.Distribution.ppf`, the chain through :mod:`capacity.chain`,
chip by chip.

It shares only the uniform numbers (:func:`~.random.uniform_array`) with the compiled
kernels, so it checks their sampling and their arithmetic independently. Also used on the
host for the pilot samples that set histogram edges and rank correlations, and for the
tornado table (:func:`evaluate` on chosen input values).
"""

from __future__ import annotations

import numpy as np

from capacity import chain
from capacity.kernels.montecarlo_problem import (
    N_SCENARIO_QUANTITIES,
    MonteCarloProblem,
    SamplePartial,
    SampleSpec,
)
from capacity.kernels.random import uniform_array

__all__ = ["evaluate", "input_values", "materialize", "reduce"]


def input_values(problem: MonteCarloProblem, start: int, stop: int) -> np.ndarray:
    """Every input at samples ``[start, stop)``: inputs × samples. [SI units]"""
    indices = np.arange(start, stop, dtype=np.int64)
    values = np.empty((len(problem.distributions), stop - start))
    for v, distribution in enumerate(problem.distributions):
        if distribution.is_fixed:
            values[v] = distribution.parameters[0]
        else:
            values[v] = distribution.ppf(uniform_array(int(problem.keys[v]), indices))
    return values


def evaluate(problem: MonteCarloProblem, values: np.ndarray) -> np.ndarray:
    """The quantities of every group at the given input values (inputs × n): groups ×
    quantities × n."""
    n = values.shape[1]
    out = np.empty((problem.groups, N_SCENARIO_QUANTITIES, n))
    for s in range(problem.scenarios):
        out[s] = _scenario(problem, s, values)
    if problem.groups > problem.scenarios:
        out[-1] = out[: problem.scenarios].sum(axis=0)
    return out


def _scenario(problem: MonteCarloProblem, s: int, values: np.ndarray) -> np.ndarray:
    (
        driver, pue, utilization, mfu, capex_per_watt, electricity, hardware_rate, facility_rate,
        network_per_accelerator, power_per_watt, opex_rate, soft_share, carbon_intensity,
        water_intensity, wue,
    ) = (values[v] for v in problem.scenario_inputs[s])  # fmt: skip
    used = np.flatnonzero(problem.shares[s] > 0)
    power_multiplier = values[problem.chip_inputs[s, used, 0]].T  # samples × chips
    flops_multiplier = values[problem.chip_inputs[s, used, 1]].T
    price = values[problem.chip_inputs[s, used, 2]].T
    shares = problem.shares[s, used]
    provisioned = problem.provisioned[used] * power_multiplier
    sizing = provisioned * problem.sizing_fraction[used]
    count_driven, it_basis, count_shares = (bool(m) for m in problem.modes[s])
    mix_basis = "count" if count_shares else "power"
    if count_driven:
        counts = chain.accelerator_counts_for_total(driver, shares, sizing, mix_basis)
        it_power = chain.it_power_for_counts(counts, sizing)
        facility = it_power * pue
    else:
        basis = "it" if it_basis else "facility"
        it_power = chain.it_power(driver, pue, basis)
        facility = chain.facility_power(driver, pue, basis)
        counts = chain.accelerator_counts(it_power, shares, sizing, mix_basis)
    average_each = chain.average_power(
        provisioned, problem.idle[used], problem.busy[used], utilization[:, np.newaxis]
    )
    average = np.sum(chain.average_facility_power(counts, average_each, pue), axis=-1)
    peak = np.sum(chain.peak_flops(counts, problem.flops[used] * flops_multiplier), axis=-1)
    accelerators = np.sum(counts, axis=-1)
    hardware = np.sum(counts * price, axis=-1) + accelerators * network_per_accelerator
    facility_capex = it_power * capex_per_watt * (1.0 + soft_share) + facility * power_per_watt
    energy = chain.annual_energy(average)
    annual = (
        hardware * hardware_rate
        + facility_capex * (facility_rate + opex_rate)
        + energy * electricity
    )
    return np.stack(
        [
            accelerators,
            peak,
            chain.delivered_flops(peak, utilization, mfu),
            average,
            facility,
            it_power,
            hardware + facility_capex,
            annual,
            energy * carbon_intensity,
            energy * (wue / pue + water_intensity),
        ]
    )


def materialize(problem: MonteCarloProblem, start: int, stop: int) -> np.ndarray:
    """Every quantity of every group at samples ``[start, stop)``: groups × quantities × n."""
    return evaluate(problem, input_values(problem, start, stop))


def reduce(problem: MonteCarloProblem, spec: SampleSpec, start: int, stop: int) -> SamplePartial:
    """Reduce samples ``[start, stop)``."""
    values = materialize(problem, start, stop)
    shifted = values - spec.center[..., np.newaxis]
    with np.errstate(divide="ignore", invalid="ignore"):
        binned = np.where(spec.logarithmic[..., np.newaxis], np.log(values), values)
    position = (binned - spec.bin_lower[..., np.newaxis]) * spec.scale[..., np.newaxis]
    clamped = np.minimum(np.where(position > 0.0, position, 0.0), spec.bins - 1)
    bins = clamped.astype(np.int64)
    flat = (
        bins
        + spec.bins
        * np.arange(bins.shape[0] * bins.shape[1]).reshape(bins.shape[:2])[..., np.newaxis]
    )
    histogram = np.bincount(flat.ravel(), minlength=flat.shape[0] * flat.shape[1] * spec.bins)
    return SamplePartial(
        samples=stop - start,
        minimum=values.min(axis=-1, initial=np.inf),
        maximum=values.max(axis=-1, initial=-np.inf),
        total=shifted.sum(axis=-1),
        total_squares=np.sum(shifted * shifted, axis=-1),
        histogram=histogram.reshape(*values.shape[:2], spec.bins).astype(np.int64),
    )
