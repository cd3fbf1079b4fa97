"""The benchmark suite, in one process and one run: ``python -m benchmarks.run``.

Cases (README.md gives the sizes): a materialized sweep (K = 4 chips, about 1e7 points), a
reduced sweep (K = 6, about 1e8 points, with quantile histograms, a grid-share constraint, a
vendor-share constraint and an objective) and a reduced sweep of about 1e9 points. Each runs
on every available backend and as the plain-NumPy broadcast a user would write (a slice
where the full broadcast would not fit in memory) and a Python loop on a small slice, both
extrapolated as points/s. The machine's memory bandwidth is measured in the same run.
Prints a table; ``--json PATH`` keeps the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numba
import numpy as np
from rich.console import Console
from rich.table import Table

from benchmarks import baselines, montecarlo_before
from benchmarks.ceilings import (
    best_seconds,
    cpu_bandwidth,
    cpu_generator_rate,
    gpu_bandwidth,
    gpu_generator_rate,
)
from capacity.kernels.backends import (
    Backend,
    CudaBackend,
    NumbaBackend,
    NumpyBackend,
    cuda_status,
    output_buffers,
)
from capacity.kernels.montecarlo_problem import (
    N_SCENARIO_QUANTITIES,
    MonteCarloProblem,
    SamplePartial,
    SampleSpec,
)
from capacity.kernels.partial import Partial
from capacity.kernels.problem import SweepProblem
from capacity.montecarlo import montecarlo, simulate
from capacity.portfolio import load_portfolio, portfolio_scenarios
from capacity.profiles import load_profiles
from capacity.sweep import SweepPlan, plan_sweep

MATERIALIZED_CHIPS = "h100,mi355x,tpu-v7,openai-broadcom-xpu"
REDUCED_CHIPS = "h100,b200,gb300,mi355x,tpu-v7,openai-broadcom-xpu"
GRID = "global-datacenters"
SHARE_LIMIT = 0.3


@dataclass
class Row:
    case: str
    method: str
    points: int
    """Points of the case."""
    measured_points: int
    """Points actually timed (a slice for the slow baselines)."""
    seconds: float
    """Time for the measured points."""
    ratio_to_numpy: float | None = None
    bytes_per_s: float | None = None
    fraction_of_write_bandwidth: float | None = None
    fraction_of_copy_bandwidth: float | None = None
    note: str = ""
    fraction_of_generator: float | None = None
    """Monte Carlo: uniform numbers drawn per second over the generator's own rate."""

    @property
    def points_per_s(self) -> float:
        return self.measured_points / self.seconds

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "points_per_s": self.points_per_s}


def machine() -> dict[str, Any]:
    model = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    info = {
        "cpu": model,
        "cores": os.cpu_count(),
        "numba_threads": numba.get_num_threads(),
        "memory_gib": round(memory / 2**30, 1),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "cuda": cuda_status().reason,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    if cuda_status().usable:
        import cupy

        info["cupy"] = cupy.__version__
    return info


def reduce_all(backend: Backend, plan: SweepPlan, points: int | None = None) -> Partial:
    """The chunk loop of :func:`capacity.sweep` over the first ``points`` points."""
    points = plan.problem.points if points is None else points
    chunk = backend.default_chunk_points
    total = Partial.empty(plan.spec.bins)
    for start in range(0, points, chunk):
        stop = min(start + chunk, points)
        total = total.merge(backend.reduce(plan.problem, plan.spec, start, stop))
    return total


def _sync(backend: Backend) -> Callable[[], Any]:
    if isinstance(backend, CudaBackend) and not backend.simulated:
        import cupy

        return cupy.cuda.runtime.deviceSynchronize  # type: ignore[no-any-return]
    return lambda: None


def compiled_backends(names: list[str]) -> list[Backend]:
    chosen: list[Backend] = []
    if "numba" in names:
        chosen.append(NumbaBackend())
    if "cuda" in names and cuda_status().usable:
        chosen.append(CudaBackend())
    return chosen


def slow_rows(
    rows: list[Row], case: str, n: int, numpy_rate: float, problem: SweepProblem,
    sizes: dict[str, Any], reference: Callable[[int], None] | None,
) -> None:  # fmt: skip
    """The Python loop and (when given) the numpy backend, each timed on a slice."""
    points = min(n, sizes["loop_points"])
    seconds = best_seconds(lambda: baselines.python_loop(problem, points), 1)
    rows.append(Row(case, "Python loop", n, points, seconds, points / seconds / numpy_rate,
                    note=f"first {points:,} points, extrapolated"))  # fmt: skip
    if reference is not None:
        points = min(n, sizes["reference_points"])
        seconds = best_seconds(lambda: reference(points), 1)
        rate = points / seconds / numpy_rate
        rows.append(Row(case, "numpy backend (reference)", n, points, seconds, rate,
                        note=f"first {points:,} points"))  # fmt: skip


def materialized_case(
    sizes: dict[str, Any], names: list[str], bandwidth: dict[str, Any], rows: list[Row]
) -> None:
    case = "materialized, K=4"
    plan = plan_sweep("30GW", chips=MATERIALIZED_CHIPS, pue=sizes["pue"],
                      utilization=sizes["utilization"], mix_step=sizes["mix_step_4"],
                      backend="numba")  # fmt: skip
    problem = plan.problem
    n = problem.points
    bytes_per_point = (problem.chips + 4) * 8

    # The plain-NumPy broadcast: the whole grid at once, as a user would write it.
    started = time.perf_counter()
    expected = baselines.numpy_materialize(problem)
    numpy_seconds = time.perf_counter() - started
    numpy_rate = n / numpy_seconds
    rows.append(Row(case, "plain NumPy broadcast", n, n, numpy_seconds, 1.0,
                    n * bytes_per_point / numpy_seconds, note="whole grid, one run"))  # fmt: skip

    def reference(points: int) -> None:
        NumpyBackend().materialize(problem, 0, points, output_buffers(points, problem.chips))

    slow_rows(rows, case, n, numpy_rate, problem, sizes, reference if "numpy" in names else None)

    for backend in compiled_backends(names):
        if isinstance(backend, CudaBackend):

            def run(gpu: CudaBackend = backend) -> Any:
                return gpu.materialize_on_device(problem, 0, n)

            seconds = best_seconds(run, sizes["repeats_materialized"], _sync(backend))
            ceiling = bandwidth.get("gpu", {})
            note = "outputs kept on the device"
            kept = {k: v.get() for k, v in run().items()}
        else:
            kept = output_buffers(n, problem.chips)
            for values in kept.values():
                values.fill(0.0)  # fault the pages in: time the kernel, not the allocator
            seconds = best_seconds(
                lambda cpu=backend, out=kept: cpu.materialize(problem, 0, n, out),
                sizes["repeats_materialized"],
            )
            ceiling = bandwidth["cpu"]
            note = "into preallocated host arrays"
        for name, values in kept.items():
            np.testing.assert_allclose(values.reshape(expected[name].shape), expected[name],
                                       rtol=1e-12, err_msg=name)  # fmt: skip
        rate = n * bytes_per_point / seconds
        rows.append(Row(
            case, f"{backend.name} ({backend.detail})", n, n, seconds, n / seconds / numpy_rate,
            rate, rate / ceiling["write_bytes_per_s"] if ceiling else None,
            rate / ceiling["copy_bytes_per_s"] if ceiling else None, note,
        ))  # fmt: skip


def reduced_case(
    case: str, power: str, sizes: dict[str, Any], names: list[str], rows: list,
    full_numpy: bool = True,
) -> None:  # fmt: skip
    plan = plan_sweep(power, chips=REDUCED_CHIPS, pue=sizes["pue"],
                      utilization=sizes["utilization_reduced"], mix_step=sizes["mix_step_6"],
                      backend="numba", objective="max-delivered-flops",
                      constraints=[f"grid-share:{GRID}<={SHARE_LIMIT}",
                                   "vendor-share<=0.6"])  # fmt: skip
    problem = plan.problem
    n = problem.points
    single_power = plan_sweep("30GW", chips=REDUCED_CHIPS, pue=sizes["pue"],
                              utilization=sizes["utilization_reduced"],
                              mix_step=sizes["mix_step_6"], backend="numba").problem  # fmt: skip

    # The plain-NumPy broadcast on as many PUE values as fit comfortably in memory.
    per_pue = single_power.points // single_power.pue.size
    pue_values = max(1, min(single_power.pue.size, sizes["numpy_reduce_points"] // per_pue))
    grid_energy = plan.known_grids[GRID].annual_energy.si
    mix_ok = plan.spec.feasible_mix.astype(bool)
    started = time.perf_counter()
    baselines.numpy_reduce(single_power, grid_energy, SHARE_LIMIT, mix_ok, slice(0, pue_values))
    numpy_seconds = time.perf_counter() - started
    measured = pue_values * per_pue
    numpy_rate = measured / numpy_seconds
    note = "whole grid" if measured == n else f"{pue_values} of {single_power.pue.size} PUE values"
    rows.append(Row(case, "plain NumPy broadcast", n, measured, numpy_seconds, 1.0,
                    note=f"{note}, one run; np.quantile for quantiles"))  # fmt: skip

    def reference(points: int) -> None:
        reduce_all(NumpyBackend(), plan, points)

    slow_rows(rows, case, n, numpy_rate, single_power, sizes,
              reference if "numpy" in names else None)  # fmt: skip

    results = {}
    for backend in compiled_backends(names):
        repeats = sizes["repeats"] if n <= 2e8 or isinstance(backend, CudaBackend) else 1
        seconds = best_seconds(lambda b=backend: reduce_all(b, plan), repeats, _sync(backend))
        results[backend.name] = reduce_all(backend, plan)
        rows.append(Row(case, f"{backend.name} ({backend.detail})", n, n, seconds,
                        n / seconds / numpy_rate,
                        note=f"{plan.spec.bins} histogram bins × 6 quantities, 2 constraints, "
                        "objective"))  # fmt: skip
    if len(results) == 2:
        numba_best, cuda_best = results["numba"], results["cuda"]
        assert numba_best.feasible == cuda_best.feasible
        np.testing.assert_allclose(numba_best.best_value, cuda_best.best_value, rtol=1e-12)
        np.testing.assert_allclose(numba_best.total, cuda_best.total, rtol=1e-9)


MONTECARLO_POWER = "30GW"
MONTECARLO_INPUTS = {"chip": "h100", "pue": "tri:1.1,1.2,1.4", "utilization": "uniform:0.6,0.9"}
# Uncertain inputs a sample draws in that case: PUE, utilization, and the default ranges of
# facility capex, electricity price and the H100's price.
MONTECARLO_DRAWS = 5
PORTFOLIO = Path(__file__).resolve().parent.parent / "examples" / "openai-2025.toml"


def montecarlo_case(
    sizes: dict[str, Any], names: list[str], generator: dict[str, float], rows: list[Row]
) -> None:
    """The README's Monte Carlo run, and the OpenAI portfolio, on every backend."""
    case = "Monte Carlo, 1 chip, 5 uncertain inputs"
    n = sizes["montecarlo_samples"]
    h100 = load_profiles()["h100-sxm"]
    watts = h100.system.power.si / h100.system.accelerators.si * (1 + h100.cluster_overhead.si)
    figures = (30e9, watts,
               h100.idle_fraction.si, h100.busy_fraction.si, h100.peak["bf16"].si)  # fmt: skip
    measured = min(n, sizes["numpy_montecarlo_samples"])
    numpy_seconds = best_seconds(lambda: baselines.numpy_montecarlo(measured, *figures), 1)
    numpy_rate = measured / numpy_seconds
    rows.append(Row(case, "plain NumPy (Generator, np.quantile)", n, measured, numpy_seconds,
                    1.0, note=f"first {measured:,} samples, one run"))  # fmt: skip
    loop = min(n, sizes["loop_points"])
    seconds = best_seconds(lambda: baselines.python_montecarlo(loop, *figures), 1)
    rate = loop / seconds / numpy_rate
    rows.append(Row(case, "Python loop (random.Random)", n, loop, seconds, rate,
                    note=f"{loop:,} samples, no quantiles"))  # fmt: skip

    def run(backend: Backend | str, samples: int) -> Any:
        return montecarlo(MONTECARLO_POWER, samples=samples, backend=backend, seed=1,
                          **MONTECARLO_INPUTS)  # type: ignore[arg-type]  # fmt: skip

    reference_rows = []
    if "numpy" in names:
        reference_rows.append((NumpyBackend(), min(n, sizes["reference_points"])))
    before_rows: list[tuple[Backend, int]] = []
    if "numba" in names:
        before_rows.append((BeforeNumbaBackend(), n))
    rates: dict[str, float] = {}
    for backend, samples in (
        reference_rows + [(b, n) for b in compiled_backends(names)] + (before_rows)
    ):
        run(backend, 1000)  # compile
        result = min((run(backend, samples) for _ in range(sizes["repeats"])),
                     key=lambda r: r.compute_seconds)  # fmt: skip
        ceiling = generator.get("gpu" if isinstance(backend, CudaBackend) else "cpu")
        rate = samples / result.compute_seconds
        rates[backend.name] = rate
        note = f"{result.passes} pass, 2048 bins, {N_SCENARIO_QUANTITIES} outputs; pilot excluded"
        if backend.name == BeforeNumbaBackend.name and "numba" in rates:
            note += f"; the current kernel runs {rates['numba'] / rate:.2f} × as many samples/s"
        rows.append(Row(
            case, f"{backend.name} ({backend.detail})", n, samples, result.compute_seconds,
            rate / numpy_rate, note=note,
            fraction_of_generator=rate * MONTECARLO_DRAWS / ceiling if ceiling else None,
        ))  # fmt: skip
        accelerators = result.summary(result.top, "accelerators")
        expected = baselines.numpy_montecarlo(20_000, *figures)["accelerators"]
        # different generators: the quantiles agree to sampling error, not digits
        np.testing.assert_allclose(list(accelerators.quantiles((0.05, 0.5, 0.95)).values()),
                                   expected[:3], rtol=0.01)  # fmt: skip

    case = "Monte Carlo, OpenAI portfolio (4 deals)"
    scenarios = portfolio_scenarios(load_portfolio(PORTFOLIO))
    n = sizes["portfolio_samples"]
    for backend in compiled_backends(names):
        simulate(scenarios, samples=1000, backend=backend)
        runs = [simulate(scenarios, samples=n, backend=backend, seed=1)
                for _ in range(sizes["repeats"])]  # fmt: skip
        result = min(runs, key=lambda r: r.compute_seconds)
        note = f"{len(result.inputs)} uncertain inputs, 5 groups × 8 outputs"
        rows.append(Row(case, f"{backend.name} ({backend.detail})", n, n,
                        result.compute_seconds, note=note))  # fmt: skip
    # The rank correlations over the pilot, against the kernel, at the CLI's --samples 100000.
    samples = sizes["portfolio_rank_samples"]
    for backend in compiled_backends(names)[:1]:
        kernel, ranks = rank_correlation_seconds(scenarios, samples, backend, sizes["repeats"])
        rows.append(Row(case, "rank correlations (NumPy, the pilot's samples)", samples,
                        samples, ranks, note=f"{backend.name} kernel on {samples:,} samples: "
                        f"{kernel:.4g} s (× {ranks / kernel:.2f})"))  # fmt: skip


class BeforeNumbaBackend(NumbaBackend):
    """The numba backend with the Monte Carlo kernel of before (montecarlo_before.py)."""

    name = "numba-before"

    def __init__(self) -> None:
        super().__init__()
        self.detail = f"the kernel of before issue 11, {self.threads} threads"

    def reduce_samples(
        self, problem: MonteCarloProblem, spec: SampleSpec, start: int, stop: int
    ) -> SamplePartial:
        n = stop - start
        blocks = max(1, min(4 * self.threads, n // 4096))
        minimum, maximum, total, squares, histogram = montecarlo_before.reduce_samples(
            start, stop, blocks, problem.table, problem.keys, problem.pool,
            problem.scenario_inputs, problem.chip_inputs, problem.shares, problem.provisioned,
            problem.idle, problem.busy, problem.sizing_fraction, problem.flops, problem.modes,
            problem.seconds_per_year, spec.bin_lower, spec.scale, spec.bins, spec.center,
            spec.logarithmic, problem.groups,
        )  # fmt: skip
        return SamplePartial(
            samples=n, minimum=minimum.min(axis=0), maximum=maximum.max(axis=0),
            total=total.sum(axis=0), total_squares=squares.sum(axis=0),
            histogram=histogram.sum(axis=0, dtype=np.int64),
        )  # fmt: skip


def rank_correlation_seconds(
    scenarios: Any, samples: int, backend: Backend, repeats: int
) -> tuple[float, float]:
    """The kernel's seconds (``compute_seconds``) and the rank correlations' seconds of one
    portfolio run, best of ``repeats``."""
    module = sys.modules["capacity.montecarlo"]
    original = module._rank_correlation
    spent: list[float] = []

    def timed(*arguments: Any) -> Any:
        started = time.perf_counter()
        result = original(*arguments)
        spent.append(time.perf_counter() - started)
        return result

    module._rank_correlation = timed
    try:
        kernel = min(simulate(scenarios, samples=samples, backend=backend, seed=seed)
                     .compute_seconds for seed in range(repeats))  # fmt: skip
    finally:
        module._rank_correlation = original
    return kernel, min(spent)


SIZES = {
    "full": {
        "pue": "1.05:1.6:0.01",  # 56 values
        "utilization": "0.3:1:0.05",  # 15
        "utilization_reduced": "0.3:1:0.02",  # 36
        "mix_step_4": 0.025,  # 12,341 mixes of 4 chips: 10.4 M points materialized
        "mix_step_6": 0.05,  # 53,130 mixes of 6 chips: 107 M points reduced
        "billion_power": "10GW:100GW:10GW",  # × 10: 1.07 G points
        "loop_points": 20_000,
        "reference_points": 1_000_000,
        "numpy_reduce_points": 12_000_000,
        "repeats": 3,
        "repeats_materialized": 10,
        "bandwidth_gb": 1.0,
        "montecarlo_samples": 100_000_000,
        "numpy_montecarlo_samples": 10_000_000,
        "portfolio_samples": 10_000_000,
        "portfolio_rank_samples": 100_000,
        "montecarlo_bins": 2048,
        "generator_draws": 400_000_000,
    },
    "quick": {
        "pue": "1.05:1.6:0.05",
        "utilization": "0.3:1:0.1",
        "utilization_reduced": "0.3:1:0.1",
        "mix_step_4": 0.1,
        "mix_step_6": 0.25,
        "billion_power": None,
        "loop_points": 2_000,
        "reference_points": 20_000,
        "numpy_reduce_points": 50_000,
        "repeats": 1,
        "repeats_materialized": 1,
        "bandwidth_gb": 0.05,
        "montecarlo_samples": 100_000,
        "numpy_montecarlo_samples": 100_000,
        "portfolio_samples": 20_000,
        "portfolio_rank_samples": 20_000,
        "montecarlo_bins": 2048,
        "generator_draws": 2_000_000,
    },
}


def print_table(
    rows: list[Row], info: dict[str, Any], bandwidth: dict[str, Any], generator: dict[str, float]
) -> None:
    console = Console(width=max(Console().width, 160))
    console.print(", ".join(f"{k}: {v}" for k, v in info.items()), highlight=False, markup=False)
    for where, ceiling in bandwidth.items():
        console.print(
            f"{where} memory bandwidth: "
            + ", ".join(
                f"{k.replace('_bytes_per_s', '')} {v / 1e9:.1f} GB/s" for k, v in ceiling.items()
            ),
            highlight=False,
        )
    for where, rate in generator.items():
        console.print(f"{where} generator (Philox2x32-10, every thread): "
                      f"{rate / 1e6:,.0f} M uniform draws/s", highlight=False)  # fmt: skip
    table = Table()
    columns = ("case", "method", "points", "timed", "seconds", "M points/s", "× NumPy",
               "GB/s written", "of write BW", "of copy BW", "of generator", "note")  # fmt: skip
    for column in columns:
        left = column in ("case", "method", "note")
        table.add_column(column, justify="left" if left else "right")

    def fraction(value: float | None) -> str:
        return "" if value is None else f"{value:.0%}"

    for row in rows:
        table.add_row(
            row.case, row.method, f"{row.points:,}", f"{row.measured_points:,}",
            f"{row.seconds:.4g}", f"{row.points_per_s / 1e6:,.1f}",
            "" if row.ratio_to_numpy is None else f"{row.ratio_to_numpy:,.2f}",
            "" if row.bytes_per_s is None else f"{row.bytes_per_s / 1e9:.1f}",
            fraction(row.fraction_of_write_bandwidth), fraction(row.fraction_of_copy_bandwidth),
            fraction(row.fraction_of_generator), row.note,
        )  # fmt: skip
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    parser.add_argument("--json", type=Path, help="write the results to this JSON file")
    parser.add_argument("--backends", default="numpy,numba,cuda",
                        help="backends to run (default: every available one)")  # fmt: skip
    parser.add_argument("--no-billion", action="store_true", help="skip the 1e9-point sweep")
    arguments = parser.parse_args(argv)
    sizes = SIZES["quick" if arguments.quick else "full"]
    names = [name.strip() for name in arguments.backends.split(",")]

    info = machine()
    bandwidth: dict[str, Any] = {"cpu": cpu_bandwidth(sizes["bandwidth_gb"])}
    if "cuda" in names and cuda_status().usable:
        bandwidth["gpu"] = gpu_bandwidth(4 * sizes["bandwidth_gb"])
    generator = {"cpu": cpu_generator_rate(sizes["generator_draws"])}
    if "cuda" in names and cuda_status().usable:
        generator["gpu"] = gpu_generator_rate(10 * sizes["generator_draws"])
    rows: list[Row] = []
    materialized_case(sizes, names, bandwidth, rows)
    reduced_case("reduced, K=6", "30GW", sizes, names, rows)
    if sizes["billion_power"] and not arguments.no_billion:
        reduced_case("reduced, K=6, 10 powers", sizes["billion_power"], sizes,
                     [n for n in names if n != "numpy"], rows)  # fmt: skip
    montecarlo_case(sizes, names, generator, rows)
    print_table(rows, info, bandwidth, generator)
    if arguments.json:
        document = {"machine": info, "bandwidth": bandwidth, "generator_draws_per_s": generator,
                    "rows": [r.to_dict() for r in rows]}  # fmt: skip
        arguments.json.write_text(json.dumps(document, indent=2))
        print(f"results written to {arguments.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
