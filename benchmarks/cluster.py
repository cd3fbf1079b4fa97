"""Throughput per core on a local Dask cluster against in-process numba, in one run.

``python -m benchmarks.cluster [--points 1e9] [--samples 1e9] [--workers N] [--json PATH]``

The size options are ``--points``, ``--samples`` and ``--chunks`` (their help says "size"):
the defaults are the issue's 1e9 points and 1e9 samples, up to about 20 minutes on a quiet
2-core machine. ``--quick`` runs tiny sizes in well under a minute (a smoke test, not a
measurement); ``--points 1e8 --samples 1e8`` is a short measurement.

Two cases, each run in this process on the numba backend (every core) and on a
``LocalCluster`` of N worker processes (default: one per core, one numba thread each):

- a reduced sweep of about ``--points`` points (six chips in steps of 0.05, 56 PUE × 36
  utilization values, as many powers as it takes), with histograms, a constraint and an
  objective;
- a Monte Carlo run of ``--samples`` samples (two chips, four uncertain inputs).

For each chunk size of ``--chunks`` the cluster runs enough chunks to keep every worker busy
(at least ``CHUNKS_PER_WORKER`` a worker, at most the whole case) and the rate is compared
with the in-process rate per core: efficiency = (cluster items/s ÷ cluster cores) ÷
(in-process items/s ÷ cores here). The smallest chunk size from which the efficiency reaches
``TARGET_EFFICIENCY`` at every larger size tried is reported: chunks at least that large
amortize the scheduling. The
in-process run and the cluster's largest chunk cover the whole case; smaller chunks run on
the sweep's first power, or on enough samples for several chunks a worker. A warm-up loads
the kernels on every worker and checks that the two give the same result.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numba
from rich.console import Console
from rich.table import Table

import capacity
from capacity.distributed import local_cluster

TARGET_EFFICIENCY = 0.8
CHUNKS_PER_WORKER = 8
SWEEP_CHIPS = "h100,b200,gb300,mi355x,tpu-v7,openai-broadcom-xpu"
POINTS_PER_POWER = 53_130 * 56 * 36  # mixes × PUE × utilization
# The largest is the numba backend's own chunk, at which the in-process baseline runs.
DEFAULT_CHUNKS = (1 << 16, 1 << 18, 1 << 20, 1 << 22, 1 << 24)


@dataclass
class Row:
    case: str
    where: str
    chunk: int
    items: int
    seconds: float
    cores: int
    efficiency: float | None = None

    @property
    def per_core(self) -> float:
        return self.items / self.seconds / self.cores


def sweep_options(points: float, quick: bool) -> dict[str, Any]:
    if quick:
        return {"power": "30GW", "chips": "h100,b200", "mix_step": 0.01, "pue": "1.1:1.5:0.01",
                "utilization": "0.5:1:0.1"}  # fmt: skip
    powers = max(1, round(points / POINTS_PER_POWER))
    power = "30GW" if powers == 1 else f"10GW:{10 * powers}GW:10GW"
    return {
        "power": power, "chips": SWEEP_CHIPS, "mix_step": 0.05, "pue": "1.1:1.65:0.01",
        "utilization": "0.3:1:0.02", "objective": "max-delivered-flops",
        "constraints": ["grid-share:global-datacenters<=0.3"],
    }  # fmt: skip


MONTE_CARLO = {
    "power": "uniform:20GW,40GW",
    "mix": "h100=0.5,b200=0.5",
    "pue": "tri:1.1,1.2,1.4",
    "utilization": "uniform:0.5,0.9",
    "seed": 1,
}


def run_sweep(options: dict[str, Any], chunk: int, scheduler: Any = None) -> Any:
    # Enumerated in both: the cluster's work is the chunks of points (a factorized sweep
    # visits none, and runs in one process).
    return capacity.sweep(**options, reduce=True, backend="numba", chunk_points=chunk,
                          reduction="enumerated", scheduler=scheduler)  # fmt: skip


def run_montecarlo(samples: int, chunk: int, scheduler: Any = None) -> Any:
    return capacity.montecarlo(**MONTE_CARLO, samples=samples, backend="numba",
                               chunk_samples=chunk, scheduler=scheduler)  # fmt: skip


def sweep_rows(
    options: dict[str, Any], chunks: list[int], here_cores: int, cluster_cores: int,
    client: Any,
) -> list[Row]:  # fmt: skip
    """In process at the largest chunk, then on the cluster: the whole sweep at the largest
    chunk, its first power alone at the smaller ones (to bound the number of tasks)."""
    here = run_sweep(options, chunks[-1])
    name = f"reduced sweep, {here.points:.3g} points"
    rows = [Row(name, "in-process numba", chunks[-1], here.points, here.compute_seconds,
                here_cores)]  # fmt: skip
    first_power = {**options, "power": options["power"].split(":")[0]}
    for chunk in chunks:
        there = run_sweep(options if chunk == chunks[-1] else first_power, chunk, client)
        rows.append(Row(name, "LocalCluster", chunk, there.points, there.compute_seconds,
                        cluster_cores, 0.0))  # fmt: skip
    for row in rows[1:]:
        row.efficiency = row.per_core / rows[0].per_core
    return rows


def montecarlo_rows(
    samples: int, chunks: list[int], here_cores: int, cluster_cores: int, client: Any
) -> list[Row]:
    """In process at the largest chunk over every sample, then the cluster per chunk on
    enough samples to give every worker several chunks (every sample at the largest)."""
    here = run_montecarlo(samples, chunks[-1])
    name = f"Monte Carlo, {samples:.3g} samples"
    rows = [Row(name, "in-process numba", chunks[-1], samples, here.compute_seconds, here_cores)]
    for chunk in chunks:
        items = samples if chunk == chunks[-1] else min(samples, chunk * CHUNKS_PER_WORKER
                                                        * cluster_cores)  # fmt: skip
        there = run_montecarlo(items, chunk, client)
        rows.append(Row(name, "LocalCluster", chunk, items, there.compute_seconds,
                        cluster_cores, 0.0))  # fmt: skip
    for row in rows[1:]:
        row.efficiency = row.per_core / rows[0].per_core
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=float, default=1e9,
                        help="size: sweep points, about (default 1e9)")  # fmt: skip
    parser.add_argument("--samples", type=float, default=1e9,
                        help="size: Monte Carlo samples (default 1e9)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threads-per-worker", type=int, default=1)
    parser.add_argument("--chunks", default=",".join(str(c) for c in DEFAULT_CHUNKS),
                        help="size: chunk sizes to try on the cluster")  # fmt: skip
    parser.add_argument("--quick", action="store_true",
                        help="size: tiny sizes instead of the above, a smoke test")  # fmt: skip
    parser.add_argument("--json", type=Path, help="write the results to this JSON file")
    args = parser.parse_args(argv)
    chunks = sorted(int(float(c)) for c in args.chunks.split(","))
    samples = int(args.samples)
    if args.quick:
        chunks, samples = [1 << 12, 1 << 14], 1 << 17
    options = sweep_options(args.points, args.quick)
    here_cores = numba.get_num_threads()
    cluster_cores = args.workers * args.threads_per_worker
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")

    with local_cluster(args.workers, args.threads_per_worker) as client:
        # Warm-up: every worker loads (or compiles) the kernels; equality is checked.
        small = {**options, "power": "30GW"} if not args.quick else options
        warm_here = run_sweep(small, chunks[0])
        warm_there = run_sweep(small, chunks[0], client)
        assert warm_here.summary["accelerators"].mean == warm_there.summary["accelerators"].mean
        sampled_here = run_montecarlo(1 << 16, chunks[0])
        sampled_there = run_montecarlo(1 << 16, chunks[0], client)
        top = sampled_here.groups[-1]
        assert (
            sampled_here.summary(top, "accelerators").mean
            == sampled_there.summary(top, "accelerators").mean
        )
        rows = sweep_rows(options, chunks, here_cores, cluster_cores, client)
        rows += montecarlo_rows(samples, chunks, here_cores, cluster_cores, client)

    document = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "load_average_1min": load},
        "workers": args.workers,
        "threads_per_worker": args.threads_per_worker,
        "target_efficiency": TARGET_EFFICIENCY,
        "rows": [{**asdict(r), "per_core_per_s": r.per_core} for r in rows],
        "smallest_efficient_chunk": smallest_efficient(rows),
    }  # fmt: skip
    _print(rows, document)
    if args.json:
        args.json.write_text(json.dumps(document, indent=1) + "\n")
    return 0


def smallest_efficient(rows: list[Row]) -> dict[str, int | None]:
    """Per case, the smallest chunk size from which every cluster run, at that size and at
    every larger one, reaches :data:`TARGET_EFFICIENCY` (None where the largest does not)."""
    found: dict[str, int | None] = {}
    cluster_rows = [row for row in rows if row.efficiency is not None]
    for case in dict.fromkeys(row.case for row in cluster_rows):
        found[case] = None
        by_size = sorted((r for r in cluster_rows if r.case == case), key=lambda r: -r.chunk)
        for row in by_size:
            if row.efficiency is None or row.efficiency < TARGET_EFFICIENCY:
                break
            found[case] = row.chunk
    return found


def _print(rows: list[Row], document: dict[str, Any]) -> None:
    load = document["machine"]["load_average_1min"]
    table = Table(title=f"Local Dask cluster against in-process numba (load {load:.2f})")
    for column in ("case", "where", "chunk", "items", "s", "cores", "items/s/core", "efficiency"):
        table.add_column(column, justify="left" if column in ("case", "where") else "right")
    for row in sorted(rows, key=lambda r: (r.case, r.where != "in-process numba", r.chunk)):
        table.add_row(
            row.case, row.where, f"{row.chunk:,}", f"{row.items:,}", f"{row.seconds:.3g}",
            str(row.cores), f"{row.per_core:.3g}",
            "" if row.efficiency is None else f"{row.efficiency:.0%}",
        )  # fmt: skip
    console = Console(width=140)
    console.print(table)
    for case, chunk in document["smallest_efficient_chunk"].items():
        text = f"{chunk:,}" if chunk else "none of those tried"
        console.print(f"{case}: ≥ {TARGET_EFFICIENCY:.0%} per core from chunks of {text}")


if __name__ == "__main__":
    raise SystemExit(main())
