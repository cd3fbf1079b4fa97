"""The library path: what a model that calls ``capacity`` from Python waits for, beside the
kernel's own time, in one run.

``python -m benchmarks.library`` prints, each against its baseline and the issue's target:

| case | baseline | target |
|---|---|---|
| 1,771 mixes (K = 4, step 0.05) as an (M, K) array | the same mixes as mappings | – |
| ``sweep()`` materialized, then ``to_xarray()`` | its kernel (``compute_seconds``) | ≤ 1.5 × |
| ``sweep(reduce=True)`` with an objective and constraints | its kernel | ≤ 1.5 × |
| a 10-point ``sweep()``, a scalar ``convert()`` | – (the whole call is overhead) | ≤ 0.2 ms |
| ``convert()`` over a 1e6-element PUE array | its outputs as NumPy formulas on floats | ≤ 2 × |

The sweeps run on ``numba`` after a warm-up call (kernels compiled or loaded), so that the
ratios measure what surrounds the kernel, not compiling. Times are the best of ``--repeats``
runs (the median for the short calls, of 200). ``--json PATH`` keeps the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import capacity
from capacity import chain
from capacity.axes import simplex_mixes
from capacity.sweep import plan_sweep

CHIPS = ["h100", "mi355x", "tpu-v7", "openai-broadcom-xpu"]
SWEEP_AXES = {"pue": "1.1:1.5:0.05", "utilization": "0.5:1:0.1"}
CONSTRAINTS = ["grid-share:global-datacenters<=0.4", "vendor-share<=0.6"]


def best(call: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """The shortest wall time of ``repeats`` calls, and the last call's result."""
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return min(times), result


def median_call(call: Callable[[], Any], runs: int = 200) -> float:
    """The median wall time of ``runs`` calls, after 5 untimed ones."""
    for _ in range(5):
        call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def mixes_case(repeats: int) -> dict[str, Any]:
    shares = simplex_mixes(len(CHIPS), 0.05)
    named = [{c: float(s) for c, s in zip(CHIPS, row, strict=True) if s > 0} for row in shares]
    as_array, _ = best(lambda: plan_sweep("30GW", chips=CHIPS, mixes=shares), repeats)
    as_mappings, _ = best(lambda: plan_sweep("30GW", chips=CHIPS, mixes=named), repeats)
    return {"case": f"plan a sweep of {len(shares):,} mixes", "ours": as_array,
            "baseline": as_mappings, "baseline_label": "the mixes as mappings",
            "target": None}  # fmt: skip


def sweep_case(step: float, reduce: bool, repeats: int) -> dict[str, Any]:
    shares = simplex_mixes(len(CHIPS), step)
    options: dict[str, Any] = dict(chips=CHIPS, mixes=shares, backend="numba", **SWEEP_AXES)
    if reduce:
        options.update(reduce=True, objective="max-delivered-flops", constraints=CONSTRAINTS)

    def whole() -> Any:
        result = capacity.sweep("30GW", **options)
        if not reduce:
            result.to_xarray()
        return result

    whole()  # compiles or loads the kernels
    seconds, result = best(whole, repeats)
    kind = "reduced" if reduce else "materialized + to_xarray()"
    return {"case": f"sweep() {kind}, {result.points:,} points", "ours": seconds,
            "baseline": result.compute_seconds, "baseline_label": "its kernel",
            "target": 1.5}  # fmt: skip


def small_calls() -> list[dict[str, Any]]:
    small = median_call(lambda: capacity.sweep("30GW", chips="h100", pue="1.1:1.5:0.1",
                                               utilization="0.5,1", reduce=True))  # fmt: skip
    scalar = median_call(lambda: capacity.convert("30GW", chip="h100"))
    return [
        {"case": "sweep() of 10 points, reduced (auto)", "ours": small, "limit": 2e-4},
        {"case": "convert('30GW', chip='h100')", "ours": scalar, "limit": 2e-4},
    ]


def convert_array_case(repeats: int) -> dict[str, Any]:
    pue = np.linspace(1.1, 1.5, 1_000_000)
    conversion = capacity.convert("30GW", chip="h100", pue=pue)
    # Each chip figure, as the conversion used it, from its first point.
    counts = conversion.accelerators.to("").magnitude
    sizing = float(conversion.it_power.to("W").magnitude[0] / counts[0])
    flops = float(conversion.peak_flops.to("FLOP/s").magnitude[0] / counts[0])
    average_power = conversion.average_facility_power.to("W").magnitude
    per_accelerator = float(average_power[0] / counts[0] / pue[0])

    grids = len(conversion.grid_share)

    def raw() -> list[np.ndarray]:
        """The same outputs as arrays: counts, FLOP/s, power, energy, a share of each grid,
        emissions and water (grid and site figures as round constants)."""
        it = chain.it_power(30e9, pue, "facility")
        counts = it / sizing
        peak = counts * flops
        average = pue * counts * per_accelerator
        energy = chain.annual_energy(average)
        outputs = [counts, peak, chain.delivered_flops(peak, 0.8, 0.4), average, energy]
        for _ in range(grids):
            outputs.append(chain.grid_energy_share(average, 3e19))
            outputs.append(chain.grid_capacity_share(np.full_like(pue, 30e9), 1e12))
        site_water = chain.yearly_amount(it * 1e-9)
        outputs += [energy * 1e-10, site_water, site_water + energy * 1e-9]
        return outputs

    ours, _ = best(lambda: capacity.convert("30GW", chip="h100", pue=pue), repeats)
    baseline, _ = best(raw, repeats)
    return {"case": "convert() over 1e6 PUE values", "ours": ours, "baseline": baseline,
            "baseline_label": "the same outputs as NumPy formulas", "target": 2.0}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each (3)")
    parser.add_argument("--json", type=Path, help="write the results to this JSON file")
    arguments = parser.parse_args(argv)
    repeats = arguments.repeats
    print(f"load average before: {os.getloadavg()}")
    rows = [
        mixes_case(repeats),
        sweep_case(0.025, reduce=False, repeats=repeats),
        sweep_case(0.05, reduce=True, repeats=repeats),
        sweep_case(0.02, reduce=True, repeats=repeats),
        convert_array_case(repeats),
    ]
    print(f"{'case':<52} {'ours':>10} {'baseline':>10} {'ratio':>7} {'target':>7}  baseline")
    for row in rows:
        ratio = row["ours"] / row["baseline"]
        row["ratio"] = ratio
        target = row["target"]
        met = "" if target is None else ("met" if ratio <= target else "NO")
        shown = "" if target is None else f"≤ {target:g}"
        print(f"{row['case']:<52} {row['ours'] * 1e3:>8.2f}ms {row['baseline'] * 1e3:>8.2f}ms "
              f"{ratio:>7.2f} {shown:>7} {met:<3} {row['baseline_label']}")  # fmt: skip
    for row in small_calls():
        met = "met" if row["ours"] <= row["limit"] else "NO"
        print(f"{row['case']:<52} {row['ours'] * 1e3:>8.3f}ms {'':>10} {'':>7} "
              f"≤ {row['limit'] * 1e3:g} ms {met}")  # fmt: skip
        rows.append(row)
    if arguments.json:
        arguments.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
