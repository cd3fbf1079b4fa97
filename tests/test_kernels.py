"""Every compiled backend against the NumPy reference, on random problems, to relative 1e-12."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from capacity.kernels.backends import NumpyBackend, output_buffers
from capacity.kernels.partial import Partial
from capacity.kernels.point import N_QUANTITIES
from capacity.kernels.problem import OUTPUTS, ReduceSpec, SweepProblem
from capacity.kernels.reference import feasible_points, quantities
from tests.backends import BACKEND_PARAMS, COMPILED_PARAMS, make_backend, random_problem

RTOL = 1e-12
# Small enough for the CUDA simulator (≤ 1e4 points), large enough for several blocks.
SHAPES = [(1, 7, 5, 11), (3, 4, 3, 6), (2, 1, 1, 1)]


def _problem(seed: int, shape: tuple[int, int, int, int]) -> SweepProblem:
    rng = np.random.default_rng(seed)
    return random_problem(
        rng, chips=int(rng.integers(1, 7)), shape=shape,
        it_basis=bool(rng.integers(2)), count_basis=bool(rng.integers(2)),
    )  # fmt: skip


def _spec(problem: SweepProblem, rng: np.random.Generator, bins: int = 32) -> ReduceSpec:
    """Histograms over the exact ranges, two random point constraints, a random mix mask."""
    lower, upper = problem.quantity_ranges()
    quantities = rng.choice(N_QUANTITIES, size=2, replace=False)
    middle = lower + rng.uniform(0.3, 0.9, N_QUANTITIES) * (upper - lower)
    return ReduceSpec(
        lower=lower,
        upper=upper,
        bins=bins,
        constraint_quantity=quantities.astype(np.int64),
        constraint_lower=np.array(
            [-np.inf, lower[quantities[1]] + 0.1 * (upper - lower)[quantities[1]]]
        ),
        constraint_upper=np.array([middle[quantities[0]], np.inf]),
        feasible_mix=(rng.random(problem.mixes.shape[0]) < 0.8).astype(np.uint8),
        objective_quantity=int(rng.integers(N_QUANTITIES)),
        objective_sign=float(rng.choice([-1.0, 1.0])),
    )


def _materialized(backend_name: str, problem: SweepProblem, start: int, stop: int) -> dict:
    out = output_buffers(stop - start, problem.chips)
    for values in out.values():
        values.fill(np.nan)  # poison: every element must be written
    make_backend(backend_name).materialize(problem, start, stop, out)
    return out


@pytest.mark.parametrize("backend", COMPILED_PARAMS)
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("shape", SHAPES)
def test_materialize_matches_reference(backend: str, seed: int, shape: tuple) -> None:
    problem = _problem(seed, shape)
    points = problem.points
    start = int(np.random.default_rng(seed).integers(0, points))
    got = _materialized(backend, problem, start, points)
    expected = _materialized("numpy", problem, start, points)
    for name in OUTPUTS:
        assert not np.any(np.isnan(got[name])), f"{name} has unwritten elements"
        np.testing.assert_allclose(got[name], expected[name], rtol=RTOL, atol=0, err_msg=name)


def _assert_partials_agree(
    got: Partial, expected: Partial, problem: SweepProblem, spec: ReduceSpec
) -> None:
    assert got.points == expected.points
    np.testing.assert_allclose(got.minimum, expected.minimum, rtol=RTOL, atol=0)
    np.testing.assert_allclose(got.maximum, expected.maximum, rtol=RTOL, atol=0)
    np.testing.assert_allclose(got.total, expected.total, rtol=RTOL, atol=0)
    np.testing.assert_array_equal(got.histogram, expected.histogram)
    assert got.feasible == expected.feasible
    assert (got.best_index >= 0) == (expected.best_index >= 0)
    if expected.best_index >= 0:
        np.testing.assert_allclose(got.best_value, expected.best_value, rtol=RTOL, atol=0)
        # Points tied to within rounding may win on either backend; the winner must be
        # feasible and optimal by the reference's own numbers.
        i = got.best_index
        values = quantities(problem, i, i + 1)
        assert feasible_points(problem, spec, values, i, i + 1)[0]
        value = spec.objective_sign * values[0, spec.objective_quantity]
        assert value == pytest.approx(expected.best_value, rel=RTOL)


@pytest.mark.parametrize("backend", COMPILED_PARAMS)
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("shape", SHAPES)
def test_reduce_matches_reference(backend: str, seed: int, shape: tuple) -> None:
    problem = _problem(seed, shape)
    spec = _spec(problem, np.random.default_rng(seed + 100))
    got = make_backend(backend).reduce(problem, spec, 0, problem.points)
    _assert_partials_agree(
        got, NumpyBackend().reduce(problem, spec, 0, problem.points), problem, spec
    )


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_chunks_merge_exactly(backend: str) -> None:
    """Reducing in uneven chunks and merging gives the one-chunk result."""
    problem = _problem(7, (2, 5, 4, 9))
    spec = _spec(problem, np.random.default_rng(8))
    runner = make_backend(backend)
    edges = [0, 1, 37, 38, 200, problem.points]
    merged = Partial.empty(spec.bins)
    for start, stop in itertools.pairwise(edges):
        merged = merged.merge(runner.reduce(problem, spec, start, stop))
    _assert_partials_agree(merged, runner.reduce(problem, spec, 0, problem.points), problem, spec)


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_reduce_matches_materialize_then_reduce(backend: str) -> None:
    """The fused reduction equals reducing the materialized outputs with NumPy."""
    problem = _problem(11, (1, 6, 5, 13))
    spec = _spec(problem, np.random.default_rng(12), bins=16)
    out = _materialized(backend, problem, 0, problem.points)
    reduced = make_backend(backend).reduce(problem, spec, 0, problem.points)
    for quantity, name in ((0, "accelerators"), (1, "peak_flops"), (2, "delivered_flops"),
                           (3, "average_facility_power")):  # fmt: skip
        values = out[name]
        assert reduced.minimum[quantity] == pytest.approx(values.min(), rel=RTOL)
        assert reduced.maximum[quantity] == pytest.approx(values.max(), rel=RTOL)
        assert reduced.total[quantity] == pytest.approx(values.sum(), rel=1e-12)
        # bin b holds lower + b·width ≤ x < lower + (b + 1)·width; the ends take the rest
        position = (values - spec.lower[quantity]) * spec.scale[quantity]
        bins = np.clip(np.floor(position), 0, spec.bins - 1).astype(int)
        counts = np.bincount(bins, minlength=spec.bins)
        np.testing.assert_array_equal(reduced.histogram[quantity], counts)


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_empty_chunk(backend: str) -> None:
    """An empty range is a valid chunk (the sweep uses one to compile the kernels)."""
    problem = _problem(5, (1, 2, 2, 3))
    spec = _spec(problem, np.random.default_rng(6))
    runner = make_backend(backend)
    partial = runner.reduce(problem, spec, 4, 4)
    assert partial.points == 0 and partial.feasible == 0 and partial.best_index == -1
    assert not partial.histogram.any()
    runner.materialize(problem, 4, 4, output_buffers(0, problem.chips))


def test_empty_feasible_set_has_no_best_point() -> None:
    problem = _problem(3, (1, 3, 3, 4))
    spec = _spec(problem, np.random.default_rng(4))
    nothing = ReduceSpec(**{**spec.__dict__, "feasible_mix": np.zeros(4, dtype=np.uint8)})
    for name in ("numpy", "numba"):
        partial = make_backend(name).reduce(problem, nothing, 0, problem.points)
        assert partial.feasible == 0
        assert partial.best_index == -1


def test_quantity_ranges_bound_every_point() -> None:
    for seed in range(6):
        problem = _problem(seed, (2, 4, 3, 8))
        lower, upper = problem.quantity_ranges()
        values = quantities(problem, 0, problem.points)
        np.testing.assert_allclose(values.min(axis=0), lower, rtol=1e-14)
        np.testing.assert_allclose(values.max(axis=0), upper, rtol=1e-14)
