"""Start-up: whole-process times of short commands against ``python -c "import numpy"``.

``python -m benchmarks.startup`` runs each command below several times, in turns (so that a
change of load on the machine falls on all of them alike), after one untimed run each that
fills the caches (the unit registry, the parsed profiles, Python's bytecode). It prints the
median wall-clock time of each, its CPU time (user + system, less sensitive to other work
on the machine) and the ratio of the medians to the baseline's, against the issue's targets.
Python may write its bytecode cache (``PYTHONDONTWRITEBYTECODE`` is unset for the runs), as
after ``pip install``, which compiles it.

| command | target |
|---|---|
| ``capacity --help`` | ≤ 1.5 × ``python -c "import numpy"`` |
| ``capacity convert 30GW --chip h100`` | ≤ 2.5 × |
| ``capacity chips`` | ≤ 3 × |

``python -c pass`` (the interpreter alone) and the same commands with the cache off
(``CAPACITY_NO_CACHE=1``) are shown for reference. ``--json PATH`` keeps the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BASELINE = "python -c 'import numpy'"
# Label → (arguments after the capacity command, target ratio to the baseline's median).
COMMANDS: dict[str, tuple[list[str], float | None]] = {
    "capacity --help": (["--help"], 1.5),
    "capacity convert 30GW --chip h100": (["convert", "30GW", "--chip", "h100"], 2.5),
    "capacity chips": (["chips"], 3.0),
}


@dataclass
class Timing:
    label: str
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    target: float | None = None
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)


def capacity_command() -> list[str]:
    """The installed ``capacity`` script beside this Python, else ``python -m capacity``."""
    script = Path(sys.executable).with_name("capacity")
    if script.exists():
        return [str(script)]
    found = shutil.which("capacity")
    return [found] if found else [sys.executable, "-m", "capacity"]


def run_once(argv: list[str], environment: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system) of one run of ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(argv, env=environment, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, check=False)  # fmt: skip
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise RuntimeError(f"{argv} failed: {completed.stderr.decode(errors='replace')}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(runs: int) -> list[Timing]:
    """Every command ``runs`` times, in turns, after one warm-up run each."""
    environment = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}
    # As installed: bytecode cached (the warm-up run writes it), no user data, the cache on.
    for name in (
        "PYTHONDONTWRITEBYTECODE",
        "CAPACITY_PROFILES",
        "CAPACITY_GRIDS",
        "CAPACITY_NO_CACHE",
    ):
        environment.pop(name, None)
    uncached = {**environment, "CAPACITY_NO_CACHE": "1"}
    capacity = capacity_command()
    cases: list[tuple[Timing, list[str], dict[str, str]]] = [
        (Timing(BASELINE), [sys.executable, "-c", "import numpy"], environment),
        (Timing("python -c pass", note="the interpreter alone"), [sys.executable, "-c", "pass"],
         environment),
    ]  # fmt: skip
    for label, (arguments, target) in COMMANDS.items():
        cases.append((Timing(label, target=target), capacity + arguments, environment))
    for label, (arguments, _) in COMMANDS.items():
        if arguments != ["--help"]:
            timing = Timing(f"{label} (cache off)", note="CAPACITY_NO_CACHE=1")
            cases.append((timing, capacity + arguments, uncached))
    for _, argv, env in cases:
        run_once(argv, env)
    for _ in range(runs):
        for timing, argv, env in cases:
            wall, cpu = run_once(argv, env)
            timing.wall.append(wall)
            timing.cpu.append(cpu)
    return [timing for timing, _, _ in cases]


def report(timings: list[Timing]) -> list[dict[str, Any]]:
    """Print the table; the rows as dictionaries."""
    baseline = timings[0]
    rows = []
    print(f"{'command':<46} {'median':>9} {'cpu':>9} {'× numpy':>8} {'target':>7}  met")
    for timing in timings:
        ratio = timing.median / baseline.median
        cpu_ratio = timing.cpu_median / baseline.cpu_median
        met = "" if timing.target is None else ("yes" if ratio <= timing.target else "NO")
        target = "" if timing.target is None else f"≤ {timing.target:g}"
        print(f"{timing.label:<46} {timing.median * 1e3:7.0f} ms {timing.cpu_median * 1e3:6.0f} ms"
              f" {ratio:8.2f} {target:>7}  {met} {timing.note}")  # fmt: skip
        rows.append({**asdict(timing), "median_s": timing.median,
                     "cpu_median_s": timing.cpu_median, "ratio": ratio, "cpu_ratio": cpu_ratio,
                     "met": met})  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each (default 7)")
    parser.add_argument("--json", type=Path, help="write the results to this JSON file")
    arguments = parser.parse_args(argv)
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(f"{arguments.runs} runs each; load average before: {load}")
    rows = report(measure(max(1, arguments.runs)))
    if arguments.json:
        arguments.json.write_text(json.dumps({"load_average": load, "rows": rows}, indent=2))
        print(f"results written to {arguments.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
