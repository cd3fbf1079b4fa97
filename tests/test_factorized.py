"""Factorized reductions equal enumeration, bit for bit, on random sweeps.

The oracle is the point formula itself (:func:`capacity.kernels.point.point_quantities`)
broadcast over every point in NumPy, sorted: the same float values every backend computes.
Min, max, feasible counts, the best point (value and flat index, ties to the lower index)
and quantiles must be equal; means agree to a relative 1e-12 (sums round differently).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from capacity.kernels import factorized_reference
from capacity.kernels.factorized import quantile_rank, reduce_factorized
from capacity.kernels.factors import Side, row_keys, row_order
from capacity.kernels.point import N_QUANTITIES, QUANTITIES, point_quantities
from capacity.kernels.problem import ReduceSpec, SweepProblem
from capacity.objectives import measure
from capacity.sweep import plan_sweep

IMPLEMENTATIONS = ["numpy", "numba"]
LEVELS = (0.0, 0.05, 0.25, 0.5, 0.95, 1.0)


def _axis(rng: np.random.Generator, size: int, pool: np.ndarray) -> np.ndarray:
    """``size`` values drawn from a small pool: repeats, and the pool's zeros, are likely."""
    return rng.choice(pool, size)


def random_problem(rng: np.random.Generator) -> SweepProblem:
    """A random sweep of 1–6 chips with repeated axis values, zeros (power, utilization,
    shares and FLOP/s: a chip without the precision asked for), both bases and mix bases,
    busy or nameplate sizing."""
    chips = int(rng.integers(1, 7))
    n_power, n_pue, n_utilization, n_mix = (int(n) for n in rng.integers(1, 6, 4))
    provisioned = rng.uniform(300.0, 3000.0, chips)
    idle = rng.uniform(0.1, 0.4, chips)
    busy = np.where(rng.random(chips) < 0.2, idle, rng.uniform(0.5, 1.0, chips))
    flops = np.where(rng.random(chips) < 0.2, 0.0, rng.uniform(1e13, 5e15, chips))
    shares = rng.dirichlet(np.ones(chips), n_mix) * (rng.random((n_mix, chips)) < 0.7)
    shares[shares.sum(axis=1) == 0, 0] = 1.0
    shares /= shares.sum(axis=1, keepdims=True)
    shares = shares[rng.integers(0, n_mix, n_mix)]  # repeated mixes
    return SweepProblem(
        power=_axis(rng, n_power, np.append(rng.uniform(1e6, 5e10, 3), 0.0)),
        pue=_axis(rng, n_pue, np.append(rng.uniform(1.0, 2.0, 3), 1.0)),
        utilization=_axis(rng, n_utilization, np.append(rng.uniform(0.0, 1.0, 3), [0.0, 1.0])),
        mixes=shares,
        mfu=float(rng.choice([1.0, rng.uniform(0.05, 1.0)])),
        it_basis=bool(rng.random() < 0.5),
        count_basis=bool(rng.random() < 0.5),
        provisioned=provisioned,
        idle=idle,
        busy=busy,
        sizing=provisioned * np.where(rng.random(chips) < 0.5, busy, 1.0),
        flops=flops,
    )


def enumerate_points(problem: SweepProblem) -> np.ndarray:
    """Every point's six quantities, points × 6 in flat order, by the point formula."""
    c = problem.coefficients
    values = point_quantities(
        problem.power[:, None, None, None], problem.pue[None, :, None, None],
        problem.utilization[None, None, :, None], problem.mfu, problem.it_basis,
        c[None, None, None, :, 0], c[None, None, None, :, 1], c[None, None, None, :, 2],
        c[None, None, None, :, 3],
    )  # fmt: skip
    return np.stack([np.broadcast_to(v, problem.shape).ravel() for v in values], axis=-1)


def random_spec(
    rng: np.random.Generator, problem: SweepProblem, values: np.ndarray,
    quantity: np.ndarray | None = None,
) -> ReduceSpec:  # fmt: skip
    """0–3 constraints on random quantities (or on ``quantity``), bounded at a point's own
    value (so that ties sit on the bounds) or near it; a random mask of mixes; a random
    objective, or none."""
    if quantity is None:
        quantity = rng.integers(0, N_QUANTITIES, int(rng.integers(0, 4)))
    constraints = quantity.size
    bound = values[rng.integers(0, len(values), constraints), quantity]
    bound *= rng.choice([1.0, 1.0, 0.8, 1.25], constraints)
    upper_side = rng.random(constraints) < 0.5
    lower, upper = problem.quantity_ranges()
    return ReduceSpec(
        lower=lower,
        upper=upper,
        bins=4,
        constraint_quantity=quantity.astype(np.int64),
        constraint_lower=np.where(upper_side, -np.inf, bound),
        constraint_upper=np.where(upper_side, bound, np.inf),
        feasible_mix=(rng.random(problem.mixes.shape[0]) < 0.8).astype(np.uint8),
        objective_quantity=int(rng.integers(-1, N_QUANTITIES)),
        objective_sign=float(rng.choice([1.0, -1.0])),
    )


def brute_force(
    problem: SweepProblem, spec: ReduceSpec, values: np.ndarray
) -> tuple[int, float, int]:
    """Feasible count and best point (signed value, flat index) over every point."""
    mix = np.arange(len(values)) % problem.mixes.shape[0]
    feasible = spec.feasible_mix[mix] != 0
    for q, low, high in zip(spec.constraint_quantity, spec.constraint_lower,
                            spec.constraint_upper, strict=True):  # fmt: skip
        feasible &= (values[:, q] >= low) & (values[:, q] <= high)
    if spec.objective_quantity < 0 or not np.any(feasible):
        return int(feasible.sum()), -np.inf, -1
    objective = np.where(feasible, spec.objective_sign * values[:, spec.objective_quantity],
                         -np.inf)  # fmt: skip
    index = int(np.argmax(objective))  # the first of equal values: the lowest flat index
    return int(feasible.sum()), float(objective[index]), index


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("seed", range(60))
def test_factorized_equals_enumeration(implementation: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    problem = random_problem(rng)
    values = enumerate_points(problem)
    spec = random_spec(rng, problem, values)
    reduction = reduce_factorized(problem, spec, implementation)
    partial = reduction.partial
    np.testing.assert_array_equal(partial.minimum, values.min(axis=0))
    np.testing.assert_array_equal(partial.maximum, values.max(axis=0))
    np.testing.assert_allclose(partial.total, values.sum(axis=0), rtol=1e-12, atol=0)
    assert (partial.feasible, partial.best_value, partial.best_index) == brute_force(
        problem, spec, values
    )
    ordered = np.sort(values, axis=0)
    for quantity, distribution in enumerate(reduction.distributions):
        assert distribution.points == len(values)
        for q in LEVELS:
            rank = quantile_rank(q, len(values))
            assert distribution.quantile(q) == ordered[rank - 1, quantity]
            assert distribution.quantile(q) == np.quantile(values[:, quantity], q,
                                                           method="inverted_cdf")  # fmt: skip
        for rank in rng.integers(1, len(values) + 1, 3):
            assert distribution.select(int(rank)) == ordered[rank - 1, quantity]


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("scan_run", [0, 10**9])
@pytest.mark.parametrize("seed", range(15))
def test_row_tables_or_scans(
    monkeypatch: pytest.MonkeyPatch, implementation: str, scan_run: int, seed: int
) -> None:
    """Runs of equal objective keys found by a range table (runs of any length) or by a scan
    (however long): the same best point."""
    from capacity.kernels import factors

    monkeypatch.setattr(factors, "SCAN_RUN", scan_run)
    rng = np.random.default_rng(3000 + seed)
    problem = random_problem(rng)
    problem = SweepProblem(**{**problem.__dict__, "power": rng.choice([1e9, 2e9], 5)})
    values = enumerate_points(problem)
    spec = random_spec(rng, problem, values)
    spec = ReduceSpec(**{**spec.__dict__, "objective_quantity": int(rng.integers(0, 6))})
    check_against_enumeration(problem, spec, implementation)


def check_against_enumeration(
    problem: SweepProblem, spec: ReduceSpec, implementation: str
) -> None:
    values = enumerate_points(problem)
    partial = reduce_factorized(problem, spec, implementation).partial
    assert (partial.feasible, partial.best_value, partial.best_index) == brute_force(
        problem, spec, values
    )


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("seed", range(20))
def test_constraints_on_both_keys(implementation: str, seed: int) -> None:
    """Constraints on outputs of IT power and of facility power, over power and PUE axes whose
    rows no single order keeps both monotone: the rows go in groups."""
    rng = np.random.default_rng(1000 + seed)
    problem = random_problem(rng)
    problem = SweepProblem(**{
        **problem.__dict__,
        "power": rng.uniform(1e9, 1.2e9, int(rng.integers(2, 6))),
        "pue": np.append(rng.uniform(1.3, 2.0, int(rng.integers(1, 5))), 1.0),
    })  # fmt: skip
    values = enumerate_points(problem)
    it_side = rng.choice([0, 1, 2, 5], int(rng.integers(1, 3)))
    facility_side = rng.choice([3, 4], int(rng.integers(1, 3)))
    spec = random_spec(rng, problem, values, np.concatenate([it_side, facility_side]))
    assert row_order(problem, spec, row_keys(problem)).groups > 1
    check_against_enumeration(problem, spec, implementation)


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize("quantity", range(N_QUANTITIES))
def test_best_point_among_keys_one_float_apart(
    implementation: str, sign: float, quantity: int
) -> None:
    """Rows whose keys differ by one float can give the same product: the best point is then
    the lowest row among every tie, not only among equal keys."""
    rng = np.random.default_rng(quantity)
    base = 3e9 + rng.uniform(0, 1e6)
    power = np.array([base, np.nextafter(base, np.inf), np.nextafter(base, 0), base * 0.5])
    problem = SweepProblem(
        power=rng.permutation(power), pue=np.array([1.0, 1.3]), utilization=np.array([0.3, 0.7]),
        mixes=np.array([[1.0, 0.0], [0.3, 0.7]]), mfu=0.37, it_basis=True, count_basis=False,
        provisioned=np.array([700.0, 1100.0]), idle=np.array([0.2, 0.3]),
        busy=np.array([0.7, 0.9]), sizing=np.array([700.0, 1100.0]),
        flops=np.array([0.7e15, 2.3e15]),
    )  # fmt: skip
    values = enumerate_points(problem)
    for constrained in ([], [3], [0], [0, 3]):
        spec = random_spec(rng, problem, values, np.array(constrained, dtype=np.int64))
        spec = ReduceSpec(**{**spec.__dict__, "objective_quantity": quantity,
                             "objective_sign": sign, "feasible_mix": np.ones(2, np.uint8)})  # fmt: skip
        check_against_enumeration(problem, spec, implementation)


@pytest.mark.parametrize("seed", range(12))
def test_equals_the_enumerating_kernel(seed: int) -> None:
    """The numba reduce kernel (no FMA contraction: the same products) agrees bit for bit."""
    from capacity.kernels.backends import NumbaBackend

    rng = np.random.default_rng(2000 + seed)
    problem = random_problem(rng)
    spec = random_spec(rng, problem, enumerate_points(problem))
    enumerated = NumbaBackend().reduce(problem, spec, 0, problem.points)
    factorized = reduce_factorized(problem, spec, "numba").partial
    np.testing.assert_array_equal(factorized.minimum, enumerated.minimum)
    np.testing.assert_array_equal(factorized.maximum, enumerated.maximum)
    np.testing.assert_allclose(factorized.total, enumerated.total, rtol=1e-12)
    assert factorized.feasible == enumerated.feasible
    assert (factorized.best_value, factorized.best_index) == (
        enumerated.best_value,
        enumerated.best_index,
    )


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_counts_at_every_threshold(implementation: str) -> None:
    """count_at_most agrees with counting the products, at each product and between them."""
    from capacity.kernels.factorized import implementation_module

    module = implementation_module(implementation)
    rng = np.random.default_rng(7)
    small = Side.of(rng.choice(np.append(rng.uniform(0, 5, 4), 0.0), 9))
    large = Side.of(rng.choice(rng.uniform(0, 3, 6), 20))
    products = np.outer(np.repeat(small.values, small.weights),
                        np.repeat(large.values, large.weights)).ravel()  # fmt: skip
    for threshold in np.concatenate([products, np.nextafter(products, 0), [0.0, -1.0, 1e9]]):
        expected = int(np.sum(products <= threshold))
        got = module.count_at_most(small.values, small.weights, large.values, large.cumulative,
                                   float(threshold))  # fmt: skip
        assert got == expected


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("ties", [False, True])
def test_select_among_many_candidates(implementation: str, ties: bool) -> None:
    """More candidates than are sorted outright: the pivots narrow them first (with ties:
    powers of two, whose products repeat across pairs, and zeros)."""
    from capacity.kernels.factorized import implementation_module

    module = implementation_module(implementation)
    rng = np.random.default_rng(11)
    if ties:
        small = Side(2.0 ** np.arange(-150, 150), rng.integers(1, 4, 300))
        large = Side(np.append(0.0, 2.0 ** np.arange(-400, 399)), rng.integers(1, 3, 800))
    else:
        small = Side(np.unique(rng.uniform(0, 2e10, 400)), np.ones(400, dtype=np.int64))
        large = Side(np.unique(rng.lognormal(0, 3, 1000)), rng.integers(1, 4, 1000))
    products = np.sort(np.outer(np.repeat(small.values, small.weights),
                                np.repeat(large.values, large.weights)).ravel())  # fmt: skip
    rounds = {"sample_size": 16, "gather": 40} if implementation == "numba" else {}
    for rank in [1, products.size, *rng.integers(1, products.size, 6)]:
        got = module.select(small.values, small.weights, large.values, large.cumulative,
                            int(rank))  # fmt: skip
        assert got == products[rank - 1]
        if rounds:  # few candidates sorted: many rounds, pivots that tie with the bound
            got = module.select(small.values, small.weights, large.values, large.cumulative,
                                int(rank), **rounds)  # fmt: skip
            assert got == products[rank - 1]


@pytest.mark.parametrize("seed", range(30))
def test_select_rounds_on_small_sides(seed: int) -> None:
    """The numba selection's rounds, with a tiny sample and gather, on random sides with
    repeated values, zeros and weights, at every rank."""
    from capacity.kernels import factorized_cpu

    rng = np.random.default_rng(500 + seed)
    small = Side.of(rng.choice(np.append(rng.uniform(0, 3, 5), 0.0), 12), int(rng.integers(1, 3)))
    large = Side.of(rng.choice(np.append(rng.uniform(0, 3, 9), [0.0, 1.0]), 30))
    products = np.sort(np.outer(np.repeat(small.values, small.weights),
                                np.repeat(large.values, large.weights)).ravel())  # fmt: skip
    for rank in range(1, products.size + 1):
        got = factorized_cpu.select(small.values, small.weights, large.values, large.cumulative,
                                    rank, sample_size=4, gather=3)  # fmt: skip
        assert got == products[rank - 1]


def test_rows_grouped_only_when_both_keys_are_constrained() -> None:
    rng = np.random.default_rng(3)
    problem = SweepProblem(
        power=np.array([1e9, 3e9, 1.2e9]), pue=np.array([1.5, 1.1, 1.3, 1.2]),
        utilization=np.array([0.5]), mixes=np.ones((1, 1)), mfu=1.0, it_basis=False,
        count_basis=False, provisioned=np.array([1000.0]), idle=np.array([0.2]),
        busy=np.array([0.8]), sizing=np.array([1000.0]), flops=np.array([1e15]),
    )  # fmt: skip
    values = enumerate_points(problem)
    spec = random_spec(rng, problem, values)
    keys = row_keys(problem)

    def grouping(quantities: list[int]) -> int:
        constrained = ReduceSpec(
            spec.lower, spec.upper, 4, np.array(quantities, dtype=np.int64),
            np.zeros(len(quantities)), np.full(len(quantities), np.inf), np.ones(1, np.uint8),
        )  # fmt: skip
        return row_order(problem, constrained, keys).groups

    assert grouping([0, 2, 5]) == 1  # IT power alone
    assert grouping([3, 4]) == 1  # facility power alone
    assert grouping([0, 3]) == 3  # both, over 3 powers × 4 PUE values: a group per power


def test_reference_module_needs_no_numba() -> None:
    assert "numba" not in factorized_reference.__dict__


# --- capacity.sweep: the factorized reduction as users run it ------------------------------

SWEEP_CHIPS = ["h100", "mi355x", "tpu-v7", "b200", "gb300", "openai-broadcom-xpu"]
VENDORS = {"h100": "NVIDIA", "mi355x": "AMD", "tpu-v7": "Google", "b200": "NVIDIA",
           "gb300": "NVIDIA", "openai-broadcom-xpu": "OpenAI / Broadcom"}  # fmt: skip
# Measures with the unit their bound is written in, and the quantity the summary names.
MEASURES = {
    "accelerators": "",
    "peak-flops": " FLOP/s",
    "delivered-flops": " FLOP/s",
    "h100-equivalents": "",
    "average-power": " W",
    "annual-energy": " J",
    "facility-power": " W",
    "it-power": " W",
    "grid-share:global-datacenters": "",
    "grid-capacity-share:us": "",
    "emissions": " kgCO2e",
}


def random_sweep_options(rng: np.random.Generator) -> dict[str, Any]:
    chips = list(rng.choice(SWEEP_CHIPS, int(rng.integers(1, 4)), replace=False))
    return {
        "power": str(rng.choice(["30GW", "10GW,30GW,10GW", "0GW,5GW,20GW,15GW"])),
        "chips": chips,
        "mix_step": 0.5 if len(chips) > 1 else None,
        "pue": str(rng.choice(["1.2", "1.1,1.3,1.1", "1:1.4:0.2"])),
        "utilization": str(rng.choice(["0.8", "0,0.5,1", "0.3:0.9:0.3"])),
        "mfu": float(rng.choice([1.0, 0.4])),
        "basis": str(rng.choice(["facility", "it"])),
        "mix_basis": str(rng.choice(["power", "count"])),
        "provision": str(rng.choice(["nameplate", "busy"])),
        "precision": str(rng.choice(["bf16", "fp8", "fp4"])),
    }


@pytest.mark.parametrize("seed", range(16))
def test_sweep_factorized_equals_enumerated(seed: int) -> None:
    """Random sweeps over both bases, mix bases, provisionings and precisions (with their
    fallbacks), power axes, constraints on every output (water aside: it needs one PUE, and
    is the same rescaling of average power as emissions) and on the mix, and every objective:
    the factorized reduction (NumPy and numba) equals the enumerating kernel, and its
    quantiles are the inverted CDF of the points numba materializes."""
    from capacity import sweep

    rng = np.random.default_rng(seed)
    options = random_sweep_options(rng)
    kept = sweep(**options, backend="numba")
    assert kept.data is not None
    constraints = []
    for name in rng.choice(list(MEASURES), int(rng.integers(0, 4)), replace=False):
        summary = kept.summary[name]
        bound = summary.minimum + (summary.maximum - summary.minimum) * rng.random()
        constraints.append(f"{name}{rng.choice(['<=', '>='])}{bound!r}{MEASURES[name]}")
    if rng.random() < 0.5 and len(options["chips"]) > 1:
        first = options["chips"][0]
        constraints.append(str(rng.choice([
            "vendor-share<=0.6", f"chip-share:{first}>=0.5", f"vendor-share:{VENDORS[first]}<=0.5",
        ])))  # fmt: skip
    objective = f"{rng.choice(['max', 'min'])}-{rng.choice(list(MEASURES))}"
    runs = {
        reduction: sweep(**options, backend=backend, reduce=True, reduction=reduction,
                         objective=objective, constraints=constraints)
        for reduction, backend in (("enumerated", "numba"), ("factorized", "numba"),
                                   ("auto", "numpy"))
    }  # fmt: skip
    enumerated = runs.pop("enumerated")
    for result in runs.values():
        assert result.reduction == "factorized"
        assert result.feasible_points == enumerated.feasible_points
        assert result.unmet == enumerated.unmet
        if enumerated.best is None:
            assert result.best is None
        else:
            assert result.best is not None
            assert (result.best.index, result.best.value) == (
                enumerated.best.index, enumerated.best.value,
            )  # fmt: skip
        for name, summary in enumerated.summary.items():
            exact = result.summary[name]
            assert (exact.minimum, exact.maximum) == (summary.minimum, summary.maximum)
            assert exact.mean == pytest.approx(summary.mean, rel=1e-12)
    plan = plan_sweep(**options)
    for name in ("accelerators", "peak-flops", "delivered-flops", "h100-equivalents",
                 "average-power", "annual-energy", "grid-share:global-datacenters"):  # fmt: skip
        output = measure(name, plan.known_grids, plan.reference_flops)
        values = kept.data[QUANTITIES[output.quantity]] * output.factor
        for result in runs.values():
            for q in (0.0, 0.05, 0.5, 0.95, 1.0):
                expected = np.quantile(values, q, method="inverted_cdf")
                assert result.summary[name].quantile(q) == expected


def test_reduction_argument_is_checked() -> None:
    from capacity import InputError, sweep

    with pytest.raises(
        InputError, match="reduction must be one of auto, factorized, enumerated; got 'exact'"
    ):
        sweep("30GW", chips="h100", reduce=True, reduction="exact")


def test_falls_back_to_enumeration_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    from capacity import InputError, sweep
    from capacity.kernels import factors

    monkeypatch.setattr(factors, "MAX_PAIRS", 4)
    options = {"chips": "h100", "utilization": "0.5,0.6,0.7,0.8,0.9", "reduce": True}
    result = sweep("30GW", **options)
    assert result.reduction == "enumerated"
    assert (
        "5 (utilization, mix) pairs exceed the factorized form's limit of 4"
        in result.reduction_detail
    )
    assert result.summary["accelerators"].quantile_method == "histogram"
    with pytest.raises(InputError, match=r"reduction='factorized' cannot run: 5 .* pairs exceed"):
        sweep("30GW", **options, reduction="factorized")


def test_materialized_sweep_enumerates_unless_asked() -> None:
    from capacity import sweep

    kept = sweep("30GW", chips="h100", pue="1.1,1.2")
    assert kept.reduction == "enumerated" and "computes anyway" in kept.reduction_detail
    exact = sweep("30GW", chips="h100", pue="1.1,1.2", reduction="factorized")
    assert exact.reduction == "factorized" and exact.data is not None
    assert exact.summary["it-power"].quantile(0.5) == exact.summary["it-power"].minimum


@pytest.mark.parametrize(("state", "expected"), [("cold", "numpy"), ("cached", "numpy"),
                                                 ("loaded", "numba")])  # fmt: skip
def test_auto_runs_the_factorized_form_in_numpy_below_a_size(
    monkeypatch: pytest.MonkeyPatch, state: str, expected: str
) -> None:
    """auto picks NumPy or numba for the factorized work by the form's smaller side (51 PUE
    rows here, against 91 pairs) and the state of the factorized kernels, and says why;
    a backend asked for by name decides it."""
    from capacity import sweep
    from capacity.kernels import choice

    monkeypatch.setattr(choice, "kernels_state", lambda kind: state)
    options = {"chips": "h100", "pue": "1.1:1.6:0.01", "utilization": "0.1:1:0.01",
               "reduce": True}  # fmt: skip
    result = sweep("30GW", **options)
    limit = choice.AUTO_NUMPY_WORK["factorized"][state]
    assert f"in {expected} on the CPU (auto: 51 rows or pairs" in result.reduction_detail
    assert (f"below {limit:,.0f}" if expected == "numpy" else f"not below {limit:,.0f}") in (
        result.reduction_detail
    )  # fmt: skip
    for backend, implementation in (("numpy", "numpy"), ("numba", "numba")):
        named = sweep("30GW", **options, backend=backend)
        assert f"in {implementation} on the CPU (as the {backend} backend)" in (
            named.reduction_detail
        )  # fmt: skip
        assert named.summary["it-power"].quantile(0.5) == result.summary["it-power"].quantile(0.5)
