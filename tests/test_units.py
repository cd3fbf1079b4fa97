from __future__ import annotations

import numpy as np
import pytest

from capacity.errors import UnitError
from capacity.units import SECONDS_PER_YEAR, parse_count, parse_quantity, to_si, ureg


@pytest.mark.parametrize(
    ("text", "watts"),
    [("30 GW", 30e9), ("30GW", 30e9), ("150 MW", 150e6), ("700 W", 700.0), ("1.2kW", 1200.0)],
)
def test_power_strings_read_in_any_unit(text: str, watts: float) -> None:
    assert to_si(text, "power", "power") == pytest.approx(watts, rel=1e-15)


def test_quantities_and_arrays_pass_through() -> None:
    assert to_si(ureg.Quantity(2, "GW"), "power", "power") == 2e9
    watts = to_si(ureg.Quantity(np.array([1.0, 2.0]), "MW"), "power", "power")
    np.testing.assert_array_equal(watts, [1e6, 2e6])


def test_compute_rate_reads_flop_per_second() -> None:
    assert to_si("989.4 TFLOP/s", "compute rate", "peak") == pytest.approx(989.4e12)
    assert to_si("2.5 PFLOP/s", "compute rate", "peak") == pytest.approx(2.5e15)


@pytest.mark.parametrize(
    ("text", "words"),
    [("30 GWh", "an energy"), ("5 kg", "a mass"), ("989 TFLOP/s", "a compute rate")],
)
def test_wrong_dimension_names_argument_and_needed_dimension(text: str, words: str) -> None:
    with pytest.raises(UnitError, match=rf"^power: needs a power .*{words}"):
        parse_quantity(text, "power", "power")


def test_flops_plural_is_refused_with_a_hint() -> None:
    with pytest.raises(UnitError, match=r"an amount of FLOP.*TFLOP/s"):
        parse_quantity("989 TFLOPs", "compute rate", "peak.bf16")


def test_plain_number_for_a_power_is_refused() -> None:
    with pytest.raises(UnitError, match="needs a power with a unit"):
        parse_quantity(30, "power", "power")
    with pytest.raises(UnitError, match="plain number"):
        parse_quantity("30", "power", "power")


def test_garbage_is_refused() -> None:
    with pytest.raises(UnitError, match="cannot read"):
        parse_quantity("thirty gigawatts", "power", "power")


def test_memory_has_its_own_dimension() -> None:
    assert to_si("80 GB", "memory", "memory") == 80e9
    with pytest.raises(UnitError):
        parse_quantity("80 GW", "memory", "memory")


def test_year_is_julian() -> None:
    assert SECONDS_PER_YEAR == 365.25 * 86400


@pytest.mark.parametrize(
    ("text", "count"),
    [("200000", 200000), ("200k", 2e5), ("4.5M", 4.5e6), ("1.2 million", 1.2e6),
     ("1,000", 1000), ("2e6", 2e6), ("3bn", 3e9)],
)  # fmt: skip
def test_counts(text: str, count: float) -> None:
    assert parse_count(text) == pytest.approx(count)


@pytest.mark.parametrize("text", ["30GW", "30 MW", "4.5 Mx", "abc"])
def test_non_counts_are_not_counts(text: str) -> None:
    assert parse_count(text) is None


def test_negative_count_is_refused() -> None:
    with pytest.raises(UnitError):
        parse_count(-5)


def test_energy_and_time_constants() -> None:
    from capacity.units import JOULES_PER_TWH, SECONDS_PER_DAY

    assert JOULES_PER_TWH == 3.6e15  # 1 TWh = 1e12 W × 3600 s
    assert SECONDS_PER_DAY == 86_400.0
