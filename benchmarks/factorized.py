"""Factorized reductions against the enumerating reduce kernel, in the same run.

The sweeps of the reduced cases (K = 6 chips at step 0.05: 53,130 mixes × 36 utilizations,
a grid-share constraint, a vendor-share constraint and an objective), at about 1e7, 1e8 and
1e9 points, and at 1e12 points (factorized only). The factorized time covers everything a
reduced sweep needs of it: min, max, sum, the feasible count and the best point of every
quantity, and the exact P5, P50 and P95 of each of the six. The numba reduce kernel (min,
max, sum and 1,024-bin histograms, the same constraints and objective) is timed on the same
sweeps, and the results are checked equal (feasible count, best point, min and max) before
they are reported.

Run alone, the factorized case times the numba reduce kernel itself at every size up to
1e9 points (once above 2e8: it takes tens of seconds on two cores), so that one command
gives every ratio the targets name (to the kernel at 1e9, 1e9 to 1e7 for both, 1e12)::

    python -m benchmarks.factorized [--quick] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.ceilings import best_seconds
from capacity.kernels.backends import NumbaBackend
from capacity.kernels.factorized import reduce_factorized, warm_up
from capacity.kernels.partial import Partial
from capacity.sweep import SweepPlan, plan_sweep

__all__ = ["FACTORIZED_SIZES", "factorized_case", "reduced_plan", "time_factorized"]

CHIPS = "h100,b200,gb300,mi355x,tpu-v7,openai-broadcom-xpu"
CONSTRAINTS = ["grid-share:global-datacenters<=0.3", "vendor-share<=0.6"]
OBJECTIVE = "max-delivered-flops"
LEVELS = (0.05, 0.5, 0.95)
# (label, power axis, PUE axis) at each size; the mixes and utilizations are the reduced
# cases' own.
FACTORIZED_SIZES = {
    "full": [
        ("1e7", "30GW", "1.05:1.1:0.01"),  # 6 PUE: 11.5 M points
        ("1e8", "30GW", "1.05:1.6:0.01"),  # 56 PUE: the "reduced, K=6" case, 107 M
        ("1e9", "10GW:100GW:10GW", "1.05:1.6:0.01"),  # × 10 powers: 1.07 G
        ("1e12", "1GW:950GW:1GW", "1.05:1.6:0.001"),  # 950 powers × 551 PUE: 1.0 T
    ],
    "quick": [
        ("1e4", "30GW", "1.05:1.1:0.05"),
        ("1e5", "10GW:100GW:10GW", "1.05:1.6:0.05"),
    ],
}


def reduced_plan(power: str, pue: str, sizes: dict[str, Any]) -> SweepPlan:
    """The reduced cases' sweep over ``power`` × ``pue``."""
    return plan_sweep(power, chips=CHIPS, pue=pue, utilization=sizes["utilization_reduced"],
                      mix_step=sizes["mix_step_6"], backend="numba", objective=OBJECTIVE,
                      constraints=CONSTRAINTS)  # fmt: skip


def factorized_summary(plan: SweepPlan) -> tuple[Partial, list[list[float]]]:
    """What a reduced sweep computes in factorized form: the partial and exact quantiles."""
    reduction = reduce_factorized(plan.problem, plan.spec, "numba")
    quantiles = [[d.quantile(q) for q in LEVELS] for d in reduction.distributions]
    return reduction.partial, quantiles


def time_factorized(plan: SweepPlan, repeats: int) -> float:
    warm_up("numba")
    return best_seconds(lambda: factorized_summary(plan), repeats)


def check_equal(factorized: Partial, enumerated: Partial) -> None:
    assert factorized.feasible == enumerated.feasible
    assert (factorized.best_index, factorized.best_value) == (
        enumerated.best_index, enumerated.best_value
    )  # fmt: skip
    np.testing.assert_array_equal(factorized.minimum, enumerated.minimum)
    np.testing.assert_array_equal(factorized.maximum, enumerated.maximum)
    np.testing.assert_allclose(factorized.total, enumerated.total, rtol=1e-9)


# The numba reduce kernel is timed here (where the reduced cases have not) up to this size,
# or up to ENUMERATED_ALONE when the factorized case runs alone; above 2e8 points once.
ENUMERATED_WITH_SUITE = 2e8
ENUMERATED_ALONE = 2e9


def factorized_case(
    sizes: dict[str, Any], rows: list[Any], enumerated: dict[int, tuple[float, Partial]],
    row_type: type, reduce_all: Any, quick: bool, enumerate_up_to: float = ENUMERATED_WITH_SUITE,
) -> None:  # fmt: skip
    """Rows for the factorized reductions at each size, with their ratio to the numba reduce
    kernel on the same sweep (``enumerated``: points → seconds and result, from the reduced
    cases; timed here where missing, up to ``enumerate_up_to`` points) and to the smallest
    size's time (the kernel's too)."""
    case = "exact reduction (factorized), K=6"
    first_seconds = first_kernel_seconds = None
    for label, power, pue in FACTORIZED_SIZES["quick" if quick else "full"]:
        plan = reduced_plan(power, pue, sizes)
        n = plan.problem.points
        seconds = time_factorized(plan, sizes["repeats"])
        partial = factorized_summary(plan)[0]
        first_seconds = first_seconds or seconds
        kernel = enumerated.get(n)
        if kernel is None and n <= enumerate_up_to:
            backend = NumbaBackend()
            reduce_all(backend, reduced_plan("30GW", "1.05", sizes))  # loaded: times the work
            if n <= 2e8:
                kernel_seconds = best_seconds(lambda b=backend, p=plan: reduce_all(b, p),
                                              sizes["repeats"])  # fmt: skip
                kernel = (kernel_seconds, reduce_all(backend, plan))
            else:  # once: a timed run whose result is kept (13.5 s at 1e9 points)
                started = time.perf_counter()
                result = reduce_all(backend, plan)
                kernel = (time.perf_counter() - started, result)
        note = f"{n / 1e9:,.3g} G points; {seconds / first_seconds:.2f}× the first size's time"
        if kernel is not None:
            check_equal(partial, kernel[1])
            first_kernel_seconds = first_kernel_seconds or kernel[0]
            note += f"; {kernel[0] / seconds:,.0f}× the numba reduce kernel ({kernel[0]:.3g} s)"
            scaling = kernel[0] / first_kernel_seconds
            rows.append(row_type(case, f"numba reduce kernel ({label})", n, n, kernel[0],
                                 note=f"enumerates every point; {scaling:.3g}× its first "
                                 "size's time"))  # fmt: skip
        rows.append(row_type(case, f"factorized, numba ({label})", n, n, seconds, note=note))


def main(argv: list[str] | None = None) -> int:
    """The factorized case alone, with the numba reduce kernel timed beside it."""
    from benchmarks.run import SIZES, Row, machine, print_table, reduce_all

    parser = argparse.ArgumentParser(description="Factorized reductions against the numba "
                                     "reduce kernel, in the same run")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    parser.add_argument("--json", type=Path, help="write the results to this JSON file")
    arguments = parser.parse_args(argv)
    sizes = SIZES["quick" if arguments.quick else "full"]
    info = machine()
    rows: list[Any] = []
    factorized_case(sizes, rows, {}, Row, reduce_all, arguments.quick, ENUMERATED_ALONE)
    print_table(rows, info, {}, {})
    if arguments.json:
        document = {"machine": info, "rows": [r.to_dict() for r in rows]}
        arguments.json.write_text(json.dumps(document, indent=2))
        print(f"results written to {arguments.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
