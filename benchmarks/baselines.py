"""What a user would write without the engine: a NumPy broadcast, and a Python loop.

Both compute the same outputs as the kernels, from the same :class:`SweepProblem` (one
power value, facility basis, shares of power), so the suite can check them against each
other before timing them.
"""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np

from capacity.kernels.problem import SweepProblem

SECONDS_PER_YEAR = 365.25 * 86400


def numpy_materialize(problem: SweepProblem, pue_slice: slice = slice(None)) -> dict[str, Any]:
    """Every output at every point by broadcasting (PUE, utilization, mix, chip) arrays."""
    assert problem.power.size == 1 and not problem.it_basis and not problem.count_basis
    power = problem.power[0]
    pue = problem.pue[pue_slice][:, None, None, None]
    u = problem.utilization[None, :, None, None]
    mix = problem.mixes[None, None, :, :]
    it_power = power / pue
    counts = mix * it_power / problem.sizing * np.ones_like(u)
    peak = (counts * problem.flops).sum(axis=-1)
    draw = problem.provisioned * (problem.idle + (problem.busy - problem.idle) * u)
    return {
        "accelerators_by_chip": counts,
        "accelerators": counts.sum(axis=-1),
        "peak_flops": peak,
        "delivered_flops": peak * u[..., 0] * problem.mfu,
        "average_facility_power": pue[..., 0] * (counts * draw).sum(axis=-1),
    }


def numpy_reduce(
    problem: SweepProblem, grid_energy: float, share_limit: float, mix_ok: np.ndarray,
    pue_slice: slice = slice(None),
) -> dict[str, Any]:  # fmt: skip
    """Materialize, then min/max/mean/quantiles of each output and the constrained best."""
    outputs = numpy_materialize(problem, pue_slice)
    summary = {}
    for name in ("accelerators", "peak_flops", "delivered_flops", "average_facility_power"):
        values = outputs[name]
        summary[name] = (
            values.min(), values.max(), values.mean(),
            np.quantile(values, [0.05, 0.5, 0.95]),
        )  # fmt: skip
    share = outputs["average_facility_power"] * SECONDS_PER_YEAR / grid_energy
    feasible = (share <= share_limit) & mix_ok[None, None, :]
    objective = np.where(feasible, outputs["delivered_flops"], -np.inf)
    summary["best"] = (int(np.argmax(objective)), float(objective.max()))
    return summary


def python_loop(problem: SweepProblem, points: int) -> float:
    """The chain point by point in plain Python; returns the largest delivered FLOP/s."""
    n_pue, n_utilization = problem.pue.size, problem.utilization.size
    n_mix = problem.mixes.shape[0]
    power = float(problem.power[0])
    mixes = problem.mixes.tolist()
    sizing, flops = problem.sizing.tolist(), problem.flops.tolist()
    provisioned = problem.provisioned.tolist()
    idle, busy = problem.idle.tolist(), problem.busy.tolist()
    best = -math.inf
    for flat in range(points):
        im = flat % n_mix
        iu = flat // n_mix % n_utilization
        iq = flat // (n_mix * n_utilization) % n_pue
        pue, u = float(problem.pue[iq]), float(problem.utilization[iu])
        it_power = power / pue
        accelerators = peak = average = 0.0
        for k, share in enumerate(mixes[im]):
            count = share * it_power / sizing[k]
            accelerators += count
            peak += count * flops[k]
            average += count * provisioned[k] * (idle[k] + (busy[k] - idle[k]) * u)
        delivered = peak * u * problem.mfu
        average *= pue
        best = max(best, delivered)
    return best


def numpy_montecarlo(
    samples: int, power: float, watts: float, idle: float, busy: float, flops: float,
    seed: int = 1,
) -> dict[str, np.ndarray]:  # fmt: skip
    """The Monte Carlo case as a user would write it with NumPy: draw every input with
    ``np.random.Generator``, compute the outputs, then ``np.quantile``, mean and std.

    One chip, facility basis, nameplate provisioning; the five uncertain inputs of the
    benchmark (PUE, utilization, facility capex, electricity price, accelerator price) with
    the same distributions as the compiled run. Returns P5/P50/P95, mean and std per output.
    """
    rng = np.random.default_rng(seed)
    pue = rng.triangular(1.1, 1.2, 1.4, samples)
    utilization = rng.uniform(0.6, 0.9, samples)
    capex_per_watt = rng.triangular(9.3, 11.7, 15.0, samples)
    electricity = rng.triangular(57.5, 80.6, 89.2, samples) / 3.6e9  # USD/MWh → USD/J
    price = rng.triangular(25_000.0, 33_750.0, 50_000.0, samples)
    it_power = power / pue
    accelerators = it_power / watts
    peak = accelerators * flops
    delivered = peak * utilization
    average = pue * accelerators * watts * (idle + (busy - idle) * utilization)
    hardware = accelerators * price
    facility = it_power * capex_per_watt
    annual = hardware / 5 + facility / 20 + average * SECONDS_PER_YEAR * electricity
    outputs = {
        "accelerators": accelerators, "peak_flops": peak, "delivered_flops": delivered,
        "average_facility_power": average, "it_power": it_power, "capex": hardware + facility,
        "annual_cost": annual,
    }  # fmt: skip
    return {
        name: np.concatenate([np.quantile(x, [0.05, 0.5, 0.95]), [x.mean(), x.std()]])
        for name, x in outputs.items()
    }


def python_montecarlo(
    samples: int, power: float, watts: float, idle: float, busy: float, flops: float
) -> float:
    """The same, one sample at a time with the standard library (no quantiles)."""
    rng = random.Random(1)
    total = 0.0
    for _ in range(samples):
        pue = rng.triangular(1.1, 1.4, 1.2)
        utilization = rng.uniform(0.6, 0.9)
        capex_per_watt = rng.triangular(9.3, 15.0, 11.7)
        electricity = rng.triangular(57.5, 89.2, 80.6) / 3.6e9
        price = rng.triangular(25_000.0, 50_000.0, 33_750.0)
        it_power = power / pue
        accelerators = it_power / watts
        average = pue * accelerators * watts * (idle + (busy - idle) * utilization)
        annual = (accelerators * price / 5 + it_power * capex_per_watt / 20
                  + average * SECONDS_PER_YEAR * electricity)  # fmt: skip
        total += accelerators * flops * utilization + annual
    return total
