"""The grammar of numbers, counts and quantities: every text is read exactly or refused."""

from __future__ import annotations

import contextlib
import math
import re
import time

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from capacity.axes import parse_axis, parse_power_axis
from capacity.distributions import COUNT, parse_distribution
from capacity.errors import CapacityError, UnitError
from capacity.grammar import MAX_TEXT_LENGTH, read_count, read_number, read_quantity_text
from capacity.units import parse_count, parse_quantity, to_si

# --- the examples -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "watts"),
    [
        ("1 500 MW", 1.5e9),
        ("1,500 MW", 1.5e9),
        ("1_500 MW", 1.5e9),
        ("1\u202f500 MW", 1.5e9),
        ("1 000 GW", 1e12),
        ("1,500.25 MW", 1.50025e9),
        ("30GW", 30e9),
        (".5 GW", 0.5e9),
        ("2.5e3 MW", 2.5e9),
        ("+30 GW", 30e9),
    ],
)
def test_grouped_digits_read_as_the_number_they_spell(text: str, watts: float) -> None:
    assert to_si(text, "power", "power") == watts


@pytest.mark.parametrize(
    "text",
    [
        "30 GW 2",  # pint: 60 GW
        "30 GW @ 1.2",  # pint: 36 GW
        "GW",  # pint: 1 GW
        "10**10**10 GW",  # pint: hangs
        "30 GW * 2",
        "30 GW/2",
        "2 * 30 GW",
        "(30) GW",
        "30 GW + 1 GW",
        "1,5 GW",  # a decimal comma: neither 1.5 nor 15
        "1,50 GW",
        "1,5000 GW",
        "1 50 GW",
        "1500,000 W",
        "1,500 000 W",  # two kinds of separator
        "1 500,5 GW",
        "nan GW",
        "inf GW",
        "-inf W",
        "1e400 W",
        "1e-400 W",
        "1e99999 W",
        "0x10 W",
        "1__000 W",
        "",
        "   ",
        "30 GW;",
        "30 GW\n2",
        "३० GW",  # digits of another script
    ],
)
def test_arithmetic_and_malformed_numbers_are_refused(text: str) -> None:
    with pytest.raises(UnitError):
        parse_quantity(text, "power", "power")


def test_long_digit_strings_are_refused_at_once() -> None:
    started = time.perf_counter()
    with pytest.raises(UnitError, match="characters long"):
        parse_quantity("9" * 1_000_000 + " GW", "power", "power")
    assert time.perf_counter() - started < 0.1


def test_overflow_after_unit_conversion_is_refused() -> None:
    with pytest.raises(UnitError, match="too large to represent in W"):
        parse_quantity("1e308 GW", "power", "power")


def test_non_finite_quantities_and_arrays_are_refused() -> None:
    from capacity.units import ureg

    with pytest.raises(UnitError, match="finite"):
        parse_quantity(ureg.Quantity(float("nan"), "GW"), "power", "power")
    with pytest.raises(UnitError, match="finite"):
        parse_quantity(ureg.Quantity(np.array([1.0, np.inf]), "GW"), "power", "power")


@pytest.mark.parametrize(
    ("text", "value"),
    [("1.2", 1.2), ("80%", 0.8), ("80 %", 0.8), ("1 000", 1000.0), ("-0.5", -0.5)],
)
def test_plain_numbers(text: str, value: float) -> None:
    assert read_number(text) == value


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-Infinity", "1_2", "1.2.3", "1e", "one"])
def test_plain_numbers_refuse_what_float_would_take(text: str) -> None:
    with pytest.raises(UnitError):
        read_number(text)


@pytest.mark.parametrize(
    ("text", "count"),
    [("200 000", 2e5), ("4.5M", 4.5e6), ("250 k", 2.5e5), ("1,234,567", 1234567.0)],
)
def test_counts(text: str, count: float) -> None:
    assert parse_count(text) == count


@pytest.mark.parametrize("text", ["1,2,3", "1,5", "4.5,000M"])
def test_malformed_counts_are_refused(text: str) -> None:
    with pytest.raises(UnitError):
        parse_count(text)


def test_distributions_use_the_grammar() -> None:
    power = parse_distribution("uniform:1 500 MW,2 GW", "power", dimension="power", lower=0)
    assert power.parameters == (1.5e9, 2e9)
    with pytest.raises(CapacityError, match="commas separate numbers"):
        parse_distribution("uniform:1,500 MW,2 GW", "power", dimension="power", lower=0)
    for text in ("uniform:nan,2", "uniform:1,inf", "tri:1,1.2,1e999", "uniform:1,2 GW"):
        with pytest.raises(CapacityError):
            parse_distribution(text, "pue", lower=1.0)
    with pytest.raises(CapacityError, match="characters long"):
        parse_distribution("uniform:" + "1" * 10_000 + ",2", "pue", lower=1.0)
    assert parse_distribution("tri:4M,4.5M,5M", "n", dimension=COUNT).parameters == (
        4e6,
        4.5e6,
        5e6,
    )


def test_axes_use_the_grammar() -> None:
    np.testing.assert_array_equal(parse_power_axis("1 500 MW,2 GW"), [1.5e9, 2e9])
    with pytest.raises(CapacityError):
        parse_power_axis("10 GW 2,20 GW")
    with pytest.raises(CapacityError):
        parse_axis("1.1,nan", "pue", 1.0, math.inf)


def test_a_range_stop_off_the_step_grid_names_the_nearest_stops() -> None:
    with pytest.raises(CapacityError, match=r"end it at 1\.4 or 1\.7"):
        parse_axis("1.1:1.5:0.3", "pue", 1.0, math.inf)
    np.testing.assert_allclose(parse_axis("1.1:1.4:0.3", "pue", 1.0, math.inf), [1.1, 1.4])
    values = parse_axis("1.05:1.6:0.01", "pue", 1.0, math.inf)
    assert values.size == 56 and values[-1] == 1.6


# --- properties -------------------------------------------------------------------------------

UNITS = {"W": 1.0, "kW": 1e3, "MW": 1e6, "GW": 1e9, "TW": 1e12}
finite = st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False)


def _grouped(integer: int, separator: str) -> str:
    digits = str(integer)
    head = len(digits) % 3 or 3
    groups = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return separator.join(groups)


@settings(max_examples=300, deadline=None)
@given(
    integer=st.integers(min_value=0, max_value=10**15),
    fraction=st.one_of(st.just(""), st.from_regex(r"[0-9]{1,6}", fullmatch=True)),
    separator=st.sampled_from(["", ",", "_", " ", "\u00a0", "\u202f"]),
    gap=st.sampled_from(["", " "]),
    unit=st.sampled_from(sorted(UNITS)),
)
def test_any_grouped_number_reads_as_the_value_it_spells(
    integer: int, fraction: str, separator: str, gap: str, unit: str
) -> None:
    text = _grouped(integer, separator) + (f".{fraction}" if fraction else "") + gap + unit
    number, unit_text = read_quantity_text(text, "x")
    assert unit_text == unit
    assert number == float(f"{integer}.{fraction or 0}")


@settings(max_examples=300, deadline=None)
@given(value=finite, unit=st.sampled_from(sorted(UNITS)))
def test_repr_of_any_float_round_trips(value: float, unit: str) -> None:
    assert parse_quantity(f"{value!r} {unit}", "power", "p").magnitude == value


# An independent reading of the documented grammar: the number, then one unit name (optionally
# with /s; a unit may carry a one-digit power, and W^1 is W), nothing else. Any text this
# oracle does not accept must be refused.
_ORACLE = re.compile(
    r"(?P<number>[+-]?(?:(?:[0-9]{1,3}(?P<sep>[,_ \u00a0\u2009\u202f])[0-9]{3}"
    r"(?:(?P=sep)[0-9]{3})*|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?)"
    r"[ \u00a0\u2009\u202f]*(?P<unit>[nkMGTE]?W)(?:(?:\^|\*\*)\+?1)?"
)
ORACLE_UNITS = {**UNITS, "nW": 1e-9, "EW": 1e18}
alphabet = st.sampled_from([*list("0123456789 ,._eE+-*/^()%kMGTW@:;xn\xa0"), "**", "GW"])


@settings(max_examples=1500, deadline=None)
@given(st.lists(alphabet, max_size=14).map("".join))
@example("5W^1").via("found by hypothesis: a power of one is the unit itself")
@example("0W**+1").via("found by hypothesis")
def test_any_text_is_read_exactly_or_refused(text: str) -> None:
    try:
        watts = to_si(text, "power", "power")
    except CapacityError:
        watts = None
    expected = None
    match = _ORACLE.fullmatch(text.strip(" \u00a0\u2009\u202f"))
    if match is not None:
        number = float(re.sub(r"[,_ \u00a0\u2009\u202f]", "", match["number"]))
        if math.isfinite(number) and (number == 0 or number * ORACLE_UNITS[match["unit"]] != 0):
            expected = number * ORACLE_UNITS[match["unit"]]
    if watts is None:
        assert expected is None or not math.isfinite(expected), text
    else:
        assert expected is not None, f"{text!r} was read as {watts} W"
        assert watts == pytest.approx(expected, rel=1e-15), text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=2 * MAX_TEXT_LENGTH))
def test_arbitrary_text_never_escapes_as_another_exception(text: str) -> None:
    for read in (
        lambda: to_si(text, "power", "p"),
        lambda: read_number(text),
        lambda: read_count(text, "n"),
        lambda: parse_distribution(text, "pue", lower=1.0),
        lambda: parse_distribution(text, "p", dimension="power", lower=0.0),
        lambda: parse_distribution(text, "n", dimension=COUNT, lower=0.0),
        lambda: parse_axis(text, "pue", 1.0, math.inf),
        lambda: parse_power_axis(text),
    ):
        with contextlib.suppress(CapacityError):
            read()


@settings(max_examples=200, deadline=None)
@given(
    low=st.floats(min_value=0, max_value=1e6, allow_nan=False),
    width=st.floats(min_value=0, max_value=1e6, allow_nan=False),
    unit=st.sampled_from(sorted(UNITS)),
)
def test_distribution_parameters_read_exactly(low: float, width: float, unit: str) -> None:
    high = low + width
    parsed = parse_distribution(f"uniform:{low!r} {unit},{high!r}{unit}", "p", dimension="power")
    scale = UNITS[unit]
    assert parsed.parameters == (
        to_si(f"{low!r} {unit}", "power", "p"),
        to_si(f"{high!r} {unit}", "power", "p"),
    )
    assert parsed.parameters[0] == pytest.approx(low * scale, rel=1e-15)
