"""The grammar of numbers and quantities that users write, read exactly or refused.

Text from users (command-line arguments, sweep axes, distribution parameters, claims, TOML
files, ``--set``) becomes a number through this module and nothing else. Nothing here
evaluates arithmetic: a quantity is one number followed by at most one unit.

A **number** is, in this order:

- an optional sign, ``+`` or ``-``;
- digits, optionally grouped in threes by one kind of separator used throughout the number:
  a comma (``1,500``), an underscore (``1_500``), a space, a no-break space or a thin space
  (``1 500``); the first group has one to three digits, every later group exactly three;
- an optional fraction after a point (``1.5``, ``.5``); a comma is never a decimal mark, so
  ``1,5`` is refused rather than read as 1.5 or 15;
- an optional exponent (``1e9``, ``2.5E-3``), of at most three digits.

A **quantity** is a number, optional space, then a unit: names of units joined by ``/``,
``*`` or ``·``, each name optionally raised to a small integer power (``m^2``, ``s**-1``).
pint resolves the names (``GW``, ``TFLOP/s``, ``USD/MWh``). ``%`` is the unit hundredth.

A **count** of accelerators is a number with an optional multiplier: ``k``, ``K`` or
``thousand``; ``M``, ``mn`` or ``million``; ``B``, ``bn`` or ``billion`` (``4.5M``,
``250 k``, ``1.2 million``).

Text longer than :data:`MAX_TEXT_LENGTH` characters is refused before it is read, and
every number must be finite in float64 after scaling: ``1e400`` is refused, and so is a
non-zero number that would round to zero.

>>> read_number("1 500")
1500.0
>>> read_quantity_text("1,500 MW", "power")
(1500.0, 'MW')
>>> read_count("4.5M", "count")
4500000.0
"""

from __future__ import annotations

import math
import re

from capacity.errors import UnitError

__all__ = [
    "COUNT_MULTIPLIERS",
    "MAX_TEXT_LENGTH",
    "GrammarError",
    "NoNumberError",
    "looks_like_count",
    "read_count",
    "read_number",
    "read_quantity_text",
    "split_number",
]

# Long enough for any number with a unit ("-1,234,567,890.123456789e-123 USD/MWh" is 38).
MAX_TEXT_LENGTH = 100

COUNT_MULTIPLIERS: dict[str, float] = {
    "k": 1e3,
    "K": 1e3,
    "thousand": 1e3,
    "M": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "B": 1e9,
    "bn": 1e9,
    "billion": 1e9,
}

# Separators between digit groups: comma, underscore, space, no-break space, thin space and
# narrow no-break space. Between the number and its unit any of the spaces may stand.
_GROUP_SEPARATORS = ",_ \u00a0\u2009\u202f"
_SPACES = " \u00a0\u2009\u202f"

_NUMBER = re.compile(
    r"""
    (?P<sign>[+-])?
    (?:
        (?P<integer>[0-9]+)
        (?P<groups>(?:[,_ \u00a0\u2009\u202f][0-9]{3}(?![0-9]))*)
        (?:\.(?P<fraction>[0-9]*))?
      |
        \.(?P<bare_fraction>[0-9]+)
    )
    (?:[eE](?P<exponent>[+-]?[0-9]+))?
    """,
    re.VERBOSE,
)
_UNIT_NAME = r"[A-Za-z_µμΩ°][A-Za-z_µμΩ°0-9]*"
_UNIT_TERM = rf"{_UNIT_NAME}(?:(?:\^|\*\*)[+-]?[0-9])?"
_UNIT = re.compile(rf"%|{_UNIT_TERM}(?:[ ]?[/*·][ ]?{_UNIT_TERM})*")
_MAX_EXPONENT_DIGITS = 3


class GrammarError(UnitError):
    """Text that is not a number, a count or a quantity of the documented grammar."""


class NoNumberError(GrammarError):
    """Text that does not start with a number at all ("GW", "nan", "thirty")."""


def _check_length(text: str, name: str) -> None:
    if len(text) > MAX_TEXT_LENGTH:
        raise GrammarError(
            f"{name}: the text is {len(text):,} characters long; a number with its unit takes "
            f"at most {MAX_TEXT_LENGTH}"
        )


def split_number(text: str, name: str) -> tuple[float, str]:
    """The number at the start of ``text`` and the rest of the text, stripped of spaces.

    Raises :class:`GrammarError` where ``text`` does not start with a number, where digit
    groups are malformed ("1,5", "1,5000", "1 50"), or where the number is not finite.
    """
    _check_length(text, name)
    stripped = text.strip(_SPACES)
    match = _NUMBER.match(stripped)
    if match is None:
        raise NoNumberError(f"{name}: cannot read {text!r}: it does not start with a number")
    rest = stripped[match.end() :]
    groups = match["groups"] or ""
    if groups:
        separators = {groups[i] for i in range(0, len(groups), 4)}
        if len(separators) > 1:
            raise GrammarError(
                f"{name}: {text!r} mixes digit-group separators; use one kind, as in "
                "'1,500,000' or '1 500 000'"
            )
        if len(match["integer"]) > 3:
            raise GrammarError(
                f"{name}: {text!r}: the first digit group has more than three digits; "
                "group digits in threes, as in '1,500,000', or not at all"
            )
    if rest[:1] in (",", "_") or (rest[:1] in _SPACES and rest.strip(_SPACES)[:1].isdigit()):
        raise GrammarError(
            f"{name}: cannot read {text!r}: digits are grouped in threes ('1,500' or "
            "'1 500' is fifteen hundred) and the decimal mark is a point ('1.5')"
        )
    exponent = match["exponent"]
    if exponent is not None and len(exponent.lstrip("+-")) > _MAX_EXPONENT_DIGITS:
        raise GrammarError(f"{name}: the exponent of {text!r} is out of range")
    literal = match.group(0)
    for separator in _GROUP_SEPARATORS:
        literal = literal.replace(separator, "")
    value = float(literal)
    if not math.isfinite(value):
        raise GrammarError(f"{name}: {text!r} is too large to represent")
    if value == 0 and re.search(r"[1-9]", literal.partition("e")[0].partition("E")[0]):
        raise GrammarError(f"{name}: {text!r} is too small to represent")
    return value, rest.strip(_SPACES)


def read_number(text: str, name: str = "value", *, percent: bool = True) -> float:
    """A plain number: ``"1.2"``, ``"1 500"``, ``"2.5e-3"``, or ``"80%"`` (0.8).

    Raises :class:`GrammarError` for anything else, NaN and infinity included.
    """
    value, rest = split_number(text, name)
    if percent and rest == "%":
        return value / 100
    if rest:
        raise GrammarError(
            f"{name}: {text!r} is not a number"
            + (" (a unit is not expected here)" if re.match(_UNIT_NAME, rest) else "")
        )
    return value


def read_quantity_text(text: str, name: str) -> tuple[float, str]:
    """(number, unit text) of a quantity: ``"1,500 MW"`` is (1500.0, "MW").

    The unit text is empty for a plain number and "%" for a percentage. It holds only names
    of units, ``/``, ``*``, ``·`` and small integer powers; pint resolves the names.
    """
    value, rest = split_number(text, name)
    if rest and _UNIT.fullmatch(rest) is None:
        raise GrammarError(
            f"{name}: cannot read {text!r}: a quantity is one number and one unit, such as "
            "'1,500 MW' or '989.5 TFLOP/s' (no arithmetic, no second number)"
        )
    return value, rest.replace("·", "*")


def looks_like_count(text: str) -> bool:
    """Whether ``text`` is a number with nothing after it but a count multiplier."""
    try:
        _, rest = split_number(text, "count")
    except UnitError:
        return False
    return rest == "" or rest in COUNT_MULTIPLIERS


def read_count(text: str, name: str) -> float | None:
    """A number of accelerators: ``"200000"``, ``"200 000"``, ``"4.5M"``, ``"1.2 million"``.

    Returns None where ``text`` does not start with a number, or is a number followed by
    something other than a multiplier (it may be a quantity such as "30 GW"); raises
    :class:`GrammarError` for malformed digit groups or a number out of range.
    """
    try:
        value, rest = split_number(text, name)
    except NoNumberError:
        return None
    if rest and rest not in COUNT_MULTIPLIERS:
        return None
    value *= COUNT_MULTIPLIERS.get(rest, 1.0)
    if not math.isfinite(value):
        raise GrammarError(f"{name}: {text!r} is too large to represent")
    return value
