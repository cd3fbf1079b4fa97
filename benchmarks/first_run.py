"""No long first run: what compiling adds to a first sweep and a first Monte Carlo run.

``python -m benchmarks.first_run`` runs each case below in fresh processes:

- *cold*, as after install: numba's cache (``NUMBA_CACHE_DIR``) and capacity's own cache
  (``CAPACITY_CACHE_DIR``) are empty folders, once;
- *warm*, as every later run: the same folders, filled by the cold run; the median of
  ``--runs`` runs.

It prints the whole call's time (imports, set-up, compiling and the work) cold and warm, and
their difference, which is what compiling and filling the caches add to the first run; the
issue's target is at most 3 s each for a first sweep and a first Monte Carlo run, on the
2-core development VM (about 11 s and 23 s before). Each case runs on ``numba`` (the
compiled kernels, whatever the size) and on ``auto`` (what a user gets: NumPy where it ends
first, see ``capacity/kernels/choice.py``). For comparison, the Monte Carlo kernel of
before (``benchmarks/montecarlo_before.py``) is compiled cold in the same run.
``--json PATH`` keeps the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
README_SWEEP = (
    "capacity.sweep('30GW', chips='h100,mi355x,tpu-v7,openai-broadcom-xpu', mix_step=0.05, "
    "pue='1.1:1.5:0.05', utilization='0.5:1:0.1', objective='max-delivered-flops', "
    "constraints=['grid-share:global-datacenters<=0.4', 'vendor-share<=0.6'], reduce=True, "
    "backend={backend!r})"
)
MATERIALIZED_SWEEP = (
    "capacity.sweep('30GW', chips='h100,mi355x,tpu-v7,openai-broadcom-xpu', mix_step=0.05, "
    "pue='1.1:1.5:0.05', utilization='0.5:1:0.1', backend={backend!r})"
)
README_MONTECARLO = (
    "capacity.montecarlo('30GW', chip='h100', pue='tri:1.1,1.2,1.4', "
    "utilization='uniform:0.6,0.9', samples=1_000_000, seed=1, backend={backend!r})"
)
NORMAL_MONTECARLO = (
    "capacity.montecarlo('30GW', chip='h100', pue='normal:1.2,0.05', "
    "utilization='lognormal:0.8,0.1', samples=1_000_000, seed=1, backend={backend!r})"
)
PORTFOLIO = (
    "capacity.simulate(__import__('capacity.portfolio', fromlist=['x']).portfolio_scenarios("
    f"capacity.load_portfolio({str(ROOT / 'examples' / 'openai-2025.toml')!r})), "
    "samples=100_000, seed=1, backend={backend!r})"
)
CASES = {
    "README sweep (reduced, 95,634 points)": README_SWEEP,
    "materialized sweep (95,634 points)": MATERIALIZED_SWEEP,
    "README Monte Carlo (1e6 samples)": README_MONTECARLO,
    "Monte Carlo, normal and lognormal inputs (1e6)": NORMAL_MONTECARLO,
    "OpenAI portfolio, 1e5 samples": PORTFOLIO,
}
# The kernel of before, compiled on the README case's problem (benchmarks/montecarlo_before.py).
BEFORE = """
import capacity, capacity.kernels.backends as b
from benchmarks import montecarlo_before
class Capture(b.NumpyBackend):
    def reduce_samples(self, problem, spec, start, stop):
        captured.append((problem, spec))
        return super().reduce_samples(problem, spec, start, stop)
captured = []
capacity.montecarlo('30GW', chip='h100', pue='tri:1.1,1.2,1.4', utilization='uniform:0.6,0.9',
                    samples=1000, seed=1, backend=Capture())
p, s = captured[0]
started = time.perf_counter()
montecarlo_before.reduce_samples(0, 256, 1, p.table, p.keys, p.pool, p.scenario_inputs,
    p.chip_inputs, p.shares, p.provisioned, p.idle, p.busy, p.sizing_fraction, p.flops,
    p.modes, p.seconds_per_year, s.bin_lower, s.scale, s.bins, s.center, s.logarithmic,
    p.groups)
result = {'compile_s': time.perf_counter() - started}
"""


def timed(statement: str, environment: dict[str, str]) -> dict[str, Any]:
    """Run ``statement`` in a fresh Python; its time from the first import to the end."""
    script = (
        "import time\nstarted = time.perf_counter()\nimport capacity, json\n"
        f"result = {statement}\n"
        "print(json.dumps({'seconds': time.perf_counter() - started, 'backend': "
        "result.backend, 'detail': result.backend_detail, 'compute_s': "
        "result.compute_seconds}))"
    )
    done = subprocess.run([sys.executable, "-c", script], env=environment, cwd=ROOT,
                          capture_output=True, text=True, check=True)  # fmt: skip
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def before_compile(environment: dict[str, str]) -> float:
    """Seconds to compile the Monte Carlo kernel of before, cold."""
    script = f"import time, json\n{BEFORE}\nprint(json.dumps(result))"
    done = subprocess.run([sys.executable, "-c", script], env=environment, cwd=ROOT,
                          capture_output=True, text=True, check=True)  # fmt: skip
    return float(json.loads(done.stdout.strip().splitlines()[-1])["compile_s"])


def measure(runs: int, backends: list[str]) -> list[dict[str, Any]]:
    rows = []
    base = {k: v for k, v in os.environ.items() if k not in ("CAPACITY_NO_CACHE",)}
    base.pop("PYTHONDONTWRITEBYTECODE", None)
    for case, statement in CASES.items():
        for backend in backends:
            with tempfile.TemporaryDirectory() as numba_cache, \
                    tempfile.TemporaryDirectory() as capacity_cache:  # fmt: skip
                environment = {**base, "NUMBA_CACHE_DIR": numba_cache,
                               "CAPACITY_CACHE_DIR": capacity_cache}  # fmt: skip
                call = statement.format(backend=backend)
                cold = timed(call, environment)
                warm = [timed(call, environment) for _ in range(runs)]
            warm_s = statistics.median(w["seconds"] for w in warm)
            rows.append({"case": case, "backend": backend, "ran_on": cold["backend"],
                         "cold_s": cold["seconds"], "warm_s": warm_s,
                         "added_s": cold["seconds"] - warm_s, "detail": cold["detail"],
                         "warm_detail": warm[-1]["detail"]})  # fmt: skip
            print(f"{case:<48} {backend:<6} ran on {cold['backend']:<6} cold "
                  f"{cold['seconds']:6.2f} s  warm {warm_s:6.2f} s  added "
                  f"{cold['seconds'] - warm_s:6.2f} s", flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory() as numba_cache:
        seconds = before_compile({**base, "NUMBA_CACHE_DIR": numba_cache})
    rows.append({"case": "README Monte Carlo: the kernel of before, compile alone",
                 "backend": "numba", "ran_on": "numba", "cold_s": seconds, "warm_s": None,
                 "added_s": seconds, "detail": "benchmarks/montecarlo_before.py"})  # fmt: skip
    print(f"{'the Monte Carlo kernel of before, compiling alone':<48} numba  {seconds:6.2f} s")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="warm runs of each (default 3)")
    parser.add_argument("--backends", default="numba,auto", help="default: numba,auto")
    parser.add_argument("--json", type=Path, help="write the results to this JSON file")
    arguments = parser.parse_args(argv)
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(f"load average before: {load}; target: a first run adds at most 3 s")
    rows = measure(max(1, arguments.runs), arguments.backends.split(","))
    if arguments.json:
        arguments.json.write_text(json.dumps({"load_average": load, "rows": rows}, indent=2))
        print(f"results written to {arguments.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
