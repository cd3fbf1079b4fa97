"""Distributions of uncertain inputs: the generator, the samplers and their moments."""

from __future__ import annotations

import math
import statistics
from pathlib import Path

import numpy as np
import pytest

from capacity.distributions import Distribution, fixed, parse_distribution
from capacity.errors import CapacityError, InputError, UnitError
from capacity.kernels.random import philox2x32, stream_key, uniform, uniform_array
from capacity.kernels.sampling import TABLE_COLUMNS, draw, ndtri, ndtri_array

# Known-answer vectors of Philox2x32-10 from Random123's kat_vectors (Salmon et al. 2011):
# (counter, key) → output.
PHILOX_KAT = [
    ((0x00000000, 0x00000000), 0x00000000, (0xFF1DAE59, 0x6CD10DF2)),
    ((0xFFFFFFFF, 0xFFFFFFFF), 0xFFFFFFFF, (0x2C3F628B, 0xAB4FD7AD)),
    ((0x243F6A88, 0x85A308D3), 0x13198A2E, (0xDD7CE038, 0xF62A4C12)),
]


@pytest.mark.parametrize(("counter", "key", "expected"), PHILOX_KAT)
def test_philox_known_answers(counter: tuple[int, int], key: int, expected: tuple) -> None:
    x0, x1 = philox2x32(np.uint64(counter[0]), np.uint64(counter[1]), np.uint64(key))
    assert (int(x0), int(x1)) == expected


def test_uniform_scalar_and_array_agree_and_lie_inside_the_open_interval() -> None:
    indices = np.array([0, 1, 2, 2**32 - 1, 2**32, 2**40 + 7])
    array = uniform_array(12345, indices)
    scalar = [uniform(np.uint64(12345), int(i)) for i in indices]
    np.testing.assert_array_equal(array, scalar)
    assert np.all((array > 0) & (array < 1))


def test_uniform_numbers_are_uniform_and_independent_between_streams() -> None:
    n = 200_000
    a = uniform_array(stream_key(1, "pue"), np.arange(n))
    b = uniform_array(stream_key(1, "utilization"), np.arange(n))
    # mean 1/2 and variance 1/12, within 5 standard errors
    assert abs(a.mean() - 0.5) < 5 * math.sqrt(1 / 12 / n)
    assert abs(a.var() - 1 / 12) < 5 * 0.0745 / math.sqrt(n)
    counts = np.bincount((a * 20).astype(int), minlength=20)
    chi2 = float(np.sum((counts - n / 20) ** 2 / (n / 20)))
    assert chi2 < 50.0  # χ²(19) exceeds 43.8 with probability 0.001
    assert abs(np.corrcoef(a, b)[0, 1]) < 5 / math.sqrt(n)


def test_stream_keys_depend_on_seed_and_name_only() -> None:
    assert stream_key(7, "a: pue") == stream_key(7, "a: pue")
    assert stream_key(7, "a: pue") != stream_key(8, "a: pue")
    assert stream_key(7, "a: pue") != stream_key(7, "b: pue")


def test_ndtri_against_the_standard_library() -> None:
    reference = statistics.NormalDist()
    ps = np.concatenate(
        [np.logspace(-15, -1, 40), np.linspace(0.01, 0.99, 99), 1 - np.logspace(-15, -1.5, 40)]
    )
    for p in ps:
        expected = reference.inv_cdf(float(p))
        assert ndtri(float(p)) == pytest.approx(expected, rel=1e-13, abs=1e-13)
    np.testing.assert_allclose(ndtri_array(ps), [ndtri(float(p)) for p in ps], rtol=1e-15)


CASES = [
    ("uniform:0.6,0.9", 0.0, 1.0),
    ("tri:1.1,1.2,1.4", 1.0, math.inf),
    ("normal:1.2,0.2", 1.0, math.inf),
    ("normal:0.8,0.3", 0.0, 1.0),
    ("lognormal:1.3,0.3", 1.0, math.inf),
    ("lognormal:0.7,0.5", 0.0, 1.0),
    ("normal:0.5,0.1,0.45,0.7", 0.0, 1.0),
]


@pytest.mark.parametrize(("text", "lower", "upper"), CASES)
def test_sample_moments_match_exact_moments(text: str, lower: float, upper: float) -> None:
    distribution = parse_distribution(text, "x", lower=lower, upper=upper)
    n = 400_000
    x = distribution.ppf(uniform_array(99, np.arange(n)))
    std = distribution.std()
    assert x.mean() == pytest.approx(distribution.mean(), abs=5 * std / math.sqrt(n))
    assert x.std() == pytest.approx(std, rel=0.01)
    assert x.min() >= max(lower, -1e300) and x.max() <= upper


def test_known_moments() -> None:
    # uniform(a, b): mean (a+b)/2, sd (b−a)/√12; triangular: mean (a+b+c)/3
    assert parse_distribution("uniform:0.6,0.9", "u").std() == pytest.approx(0.3 / math.sqrt(12))
    assert parse_distribution("tri:1.1,1.2,1.4", "p").mean() == pytest.approx(3.7 / 3)
    # an untruncated normal and lognormal keep their textbook moments
    normal = parse_distribution("normal:5,2", "n")
    assert (normal.mean(), normal.std()) == pytest.approx((5.0, 2.0), rel=1e-12)
    lognormal = parse_distribution("lognormal:2,0.5", "l", lower=0.0)
    assert lognormal.mean() == pytest.approx(2 * math.exp(0.125), rel=1e-12)
    # a normal truncated at its mean: mean μ + σ √(2/π)
    half = parse_distribution("normal:1,0.1", "h", lower=1.0)
    assert half.mean() == pytest.approx(1 + 0.1 * math.sqrt(2 / math.pi), rel=1e-12)


@pytest.mark.parametrize(("text", "lower", "upper"), CASES)
def test_scalar_sampler_matches_the_numpy_quantile_function(
    text: str, lower: float, upper: float
) -> None:
    distribution = parse_distribution(text, "x", lower=lower, upper=upper)
    row = distribution.table_row()
    assert len(row) == len(TABLE_COLUMNS)
    u = uniform_array(5, np.arange(2000))
    scalar = [draw(*row, float(v), np.zeros(1)) for v in u]
    np.testing.assert_allclose(scalar, distribution.ppf(u), rtol=1e-14)


def test_samples_distribution_from_an_array_and_a_file(tmp_path: Path) -> None:
    values = np.array([1.1, 1.2, 1.3, 1.5])
    from_array = parse_distribution(values, "pue", lower=1.0)
    path = tmp_path / "pue.txt"
    path.write_text("# measured PUE\n1.1\n1.2\n1.3\n1.5\n")
    from_file = parse_distribution(f"samples:{path}", "pue", lower=1.0)
    u = uniform_array(3, np.arange(10_000))
    np.testing.assert_array_equal(from_array.ppf(u), from_file.ppf(u))
    assert set(np.unique(from_file.ppf(u))) == set(values)
    assert from_file.mean() == pytest.approx(values.mean())
    row = from_file.table_row(pool_offset=3)
    pool = np.concatenate([np.zeros(3), values])
    assert draw(*row, 0.99, pool) == 1.5


def test_quantities_with_units() -> None:
    power = parse_distribution("uniform:9GW,11GW", "power", dimension="power", lower=0.0)
    assert power.parameters == (9e9, 11e9)
    price = parse_distribution("tri:25kUSD,30kUSD,40kUSD", "price", dimension="money")
    assert price.nominal() == 30_000.0
    assert parse_distribution("30 GW", "power", dimension="power").is_fixed


def test_nominal_values() -> None:
    assert parse_distribution("uniform:0.6,0.9", "u").nominal() == pytest.approx(0.75)
    assert parse_distribution("tri:1.1,1.2,1.4", "p").nominal() == 1.2
    assert parse_distribution("lognormal:1.3,0.3", "p", lower=1.0).nominal() == 1.3
    assert fixed(0.8).nominal() == 0.8


@pytest.mark.parametrize(
    ("value", "kwargs", "message"),
    [
        ("uniform:0.9,1.2", {"lower": 1.0}, "must be ≥ 1"),
        ("uniform:0.5,1.2", {"lower": 0.0, "upper": 1.0}, "in [0, 1]"),
        ("tri:1.4,1.2,1.1", {"lower": 1.0}, "increasing order"),
        ("tri:1.1,1.2", {}, "takes 3 numbers"),
        ("beta:1,2", {}, "unknown distribution 'beta'"),
        ("normal:1.2,0", {"lower": 1.0}, "spread must be > 0"),
        ("normal:0,0.01", {"lower": 1.0}, "almost no probability"),
        ("lognormal:-1,0.2", {}, "median must be > 0"),
        ("uniform:a,b", {}, "pue: "),
        ("samples:/no/such/file.txt", {}, "cannot read the samples file"),
        (np.array([0.9, 1.2]), {"lower": 1.0}, "samples run from 0.9"),
    ],
)
def test_bad_distributions_are_refused_with_the_input_named(
    value: object, kwargs: dict, message: str
) -> None:
    with pytest.raises(CapacityError, match="pue") as error:
        parse_distribution(value, "pue", **kwargs)
    assert message in str(error.value)


def test_a_unit_of_the_wrong_dimension_is_refused() -> None:
    with pytest.raises(UnitError, match="power: needs a power"):
        parse_distribution("uniform:9GWh,11GWh", "power", dimension="power")
    with pytest.raises(UnitError, match="power: needs a power"):
        parse_distribution("uniform:9,11", "power", dimension="power")


def test_a_parsed_distribution_is_checked_again() -> None:
    wide = Distribution("uniform", (0.5, 0.9), -math.inf, math.inf, text="uniform:0.5,0.9")
    with pytest.raises(InputError, match="pue"):
        parse_distribution(wide, "pue", lower=1.0)
