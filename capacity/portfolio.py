"""Portfolios of compute deals: a TOML file of named deals, converted, summed and scheduled.

:func:`load_portfolio` (or :func:`loads_portfolio` for a string) reads and validates a
portfolio file (format version 1, described in the README's "Portfolios" section and shown
in ``examples/openai-2025.toml``): every deal is a power or a
number of accelerators, on one chip or a mix, with PUE, utilization and MFU (numbers, or
distributions for Monte Carlo runs), a deployment schedule and optional prices.
:func:`evaluate_portfolio` converts each deal at its inputs' nominal values with
:func:`capacity.convert` (or :func:`capacity.convert_accelerators`), prices it with
:mod:`capacity.costs`, sums the deals, and builds a timeline by calendar year from the
schedules (:mod:`capacity.schedule`). :func:`portfolio_scenarios` gives one Monte Carlo
scenario per deal at full deployment, and :func:`simulate_portfolio` runs them.

Every error in a file names the file, the deal and the field:
``deals.toml: deal 'NVIDIA systems': field 'pue': must be ≥ 1, got 0.9``.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pint

from capacity import chain
from capacity.convert import BASES, Conversion, GridShare, convert, convert_accelerators
from capacity.convert import resolve_mix as _resolve_mix
from capacity.costs import COST_PARAMETERS, Costs, conversion_costs, cost_assumptions
from capacity.distributions import Distribution, fixed, parse_distribution
from capacity.errors import CapacityError, InputError
from capacity.grids import GridSet, select_grids
from capacity.profiles import ProfileSet, load_profiles
from capacity.schedule import Ramp, Schedule, days_in_year, year_end
from capacity.units import parse_count, to_si, ureg

if TYPE_CHECKING:
    from capacity.montecarlo import MonteCarloResult, Scenario

__all__ = [
    "FORMAT_VERSION",
    "Deal",
    "DealPrices",
    "DealResult",
    "Portfolio",
    "PortfolioError",
    "PortfolioReport",
    "PortfolioTotals",
    "TimelineYear",
    "evaluate_portfolio",
    "load_portfolio",
    "loads_portfolio",
    "portfolio_scenarios",
    "simulate_portfolio",
]

FORMAT_VERSION = 1
# The inputs a deal gets when neither it nor [defaults] sets them: capacity.convert's
# defaults (MODEL.md).
DEFAULT_PUE = 1.2
DEFAULT_UTILIZATION = 0.8
DEFAULT_MFU = 1.0
DEFAULT_BASIS = "facility"
RAMPS = ("linear", "step")
# Tranches written by hand ("1 GW" + "5 GW" for a "6 GW" deal) add up to the deal's total
# to well within this relative tolerance, as mix shares do.
TRANCHE_SUM_TOLERANCE = 1e-6
SECONDS_PER_DAY = 86_400.0
J_PER_TWH = float(ureg.Quantity(1, "TWh").to("J").magnitude)
# The grid whose share the table shows; JSON has every grid.
HEADLINE_GRID = "global-datacenters"

_PORTFOLIO_KEYS = ("name", "description", "as_of", "version")
_TOP_KEYS = ("portfolio", "defaults", "deal")
_SCHEDULE_KEYS = ("start", "end", "ramp", "tranche")
_DEAL_KEYS = (
    "name",
    "counterparty",
    "announced",
    "power",
    "accelerators",
    "basis",
    "chip",
    "mix",
    "pue",
    "utilization",
    "mfu",
    *_SCHEDULE_KEYS,
    "prices",
    "notes",
)
_DEFAULT_KEYS = tuple(k for k in _DEAL_KEYS if k not in ("name", "counterparty", *_SCHEDULE_KEYS))
_TRANCHE_KEYS = ("start", "end", "power", "accelerators")
# [deal.prices] key → (cost override key of capacity.costs, dimension); "accelerator" is a
# table of chip → price, "value" the announced deal value, shown for reference only.
_PRICE_KEYS: dict[str, tuple[str, str]] = {
    "facility_capex_per_watt": ("facility_capex_per_watt", "power price"),
    "electricity": ("electricity_price", "energy price"),
    **{
        name: (name, spec[0])
        for name, spec in COST_PARAMETERS.items()
        if name not in ("facility_capex_per_watt", "electricity_price")
    },
}
_PRICE_TABLE_KEYS = ("accelerator", "value", *_PRICE_KEYS)
_DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PortfolioError(InputError):
    """A portfolio file that cannot be used; the message names the file, the deal and the
    field."""


@dataclass(frozen=True)
class DealPrices:
    """Prices given in a deal's ``[deal.prices]`` table.

    Attributes
    ----------
    accelerator : mapping of str to str
        Profile id → price per accelerator, as written ("60000 USD"). [USD]
    parameters : mapping of str to Any
        Other cost overrides by their :mod:`capacity.costs` name (``facility_capex_per_watt``,
        ``electricity_price``, lifetimes, ``discount_rate``), as written.
    value : float or None
        The announced value of the deal, shown for reference only (not used in costs). [USD]
    """

    accelerator: Mapping[str, str] = field(default_factory=dict)
    parameters: Mapping[str, Any] = field(default_factory=dict)
    value: float | None = None

    def cost_overrides(self) -> dict[str, Any]:
        """The ``overrides`` of :func:`capacity.costs.cost_assumptions` for this deal."""
        overrides: dict[str, Any] = {f"price.{chip}": p for chip, p in self.accelerator.items()}
        return overrides | dict(self.parameters)


@dataclass(frozen=True)
class Deal:
    """One deal of a portfolio, validated. Distributions are in SI units.

    Exactly one of ``power`` and ``accelerators`` is set. ``shares`` maps resolved profile ids
    to shares of IT power (one chip: ``{id: 1.0}``).
    """

    name: str
    counterparty: str
    shares: Mapping[str, float]
    power: Distribution | None
    """The deal's power at full deployment, facility or IT per ``basis``. [W]"""
    accelerators: Distribution | None
    """The deal's number of accelerators at full deployment. [1]"""
    basis: str
    pue: Distribution
    utilization: Distribution
    mfu: Distribution
    schedule: Schedule | None
    """None when the file gives no start and no tranches: the deal is left out of the
    timeline."""
    prices: DealPrices
    chip: str | None = None
    """The chip as written, when the deal names one chip."""
    announced: date | None = None
    notes: str = ""

    @property
    def chips(self) -> str:
        """The chip, or the mix: "rubin", "gb200 50 % + gb300 50 %"."""
        if len(self.shares) == 1:
            return next(iter(self.shares))
        return " + ".join(f"{chip} {share * 100:.3g} %" for chip, share in self.shares.items())

    def to_dict(self) -> dict[str, Any]:
        """The deal's inputs as a JSON-ready dict (SI units named in the keys)."""

        def described(distribution: Distribution | None) -> dict[str, Any] | None:
            if distribution is None:
                return None
            return {"nominal": distribution.nominal(), "text": distribution.text}

        return {
            "name": self.name,
            "counterparty": self.counterparty,
            "announced": None if self.announced is None else self.announced.isoformat(),
            "mix": dict(self.shares),
            "power_w": described(self.power),
            "accelerators": described(self.accelerators),
            "basis": self.basis if self.power is not None else None,
            "pue": described(self.pue),
            "utilization": described(self.utilization),
            "mfu": described(self.mfu),
            "schedule": None
            if self.schedule is None
            else [
                {
                    "start": ramp.start.isoformat(),
                    "end": None if ramp.end is None else ramp.end.isoformat(),
                    "share": ramp.share,
                }
                for ramp in self.schedule.ramps
            ],
            "price_overrides": self.prices.cost_overrides(),
            "announced_value_usd": self.prices.value,
            "notes": self.notes,
        }


@dataclass(frozen=True)
class Portfolio:
    """A validated portfolio: its name, optional description and date, and its deals."""

    name: str
    deals: tuple[Deal, ...]
    description: str = ""
    as_of: date | None = None
    source: str = ""
    """Where it was read from (a file name), for messages."""

    def __getitem__(self, name: str) -> Deal:
        for deal in self.deals:
            if deal.name == name:
                return deal
        raise KeyError(name)


# ---------------------------------------------------------------------------------------------
# Loading and validation


def load_portfolio(path: str | Path, *, profiles: ProfileSet | None = None) -> Portfolio:
    """Read and validate a portfolio TOML file.

    Parameters
    ----------
    path : str or Path
        The portfolio file (format version 1).
    profiles : ProfileSet, optional
        Hardware profiles that chips are looked up in (default: built-in plus
        ``$CAPACITY_PROFILES``).

    Returns
    -------
    Portfolio

    Raises
    ------
    PortfolioError
        For a file that cannot be read, is not TOML, or breaks the format; the message names
        the file, the deal and the field.

    Examples
    --------
    >>> portfolio = load_portfolio("tests/data/portfolios/two-deals.toml")
    >>> [deal.name for deal in portfolio.deals]
    ['Alpha', 'Beta']
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else str(error)
        raise PortfolioError(f"{path}: cannot read the portfolio file: {reason}") from None
    return loads_portfolio(text, name=str(path), profiles=profiles)


def loads_portfolio(
    text: str, *, name: str = "<portfolio>", profiles: ProfileSet | None = None
) -> Portfolio:
    """Read and validate a portfolio from TOML text; ``name`` stands for the file in errors.

    Examples
    --------
    >>> portfolio = loads_portfolio('''
    ... [portfolio]
    ... name = "example"
    ... [[deal]]
    ... name = "campus"
    ... counterparty = "a utility"
    ... power = "1 GW"
    ... chip = "h100"
    ... start = 2026-01-01
    ... ''')
    >>> deal = portfolio.deals[0]
    >>> deal.chips, deal.power.nominal(), deal.pue.nominal()
    ('h100-sxm', 1000000000.0, 1.2)
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PortfolioError(f"{name}: not valid TOML: {error}") from None
    return _Reader(name, profiles if profiles is not None else load_profiles()).portfolio(raw)


class _Reader:
    """Validation of one file's tables, with errors that name the file, table and field."""

    def __init__(self, where: str, profiles: ProfileSet) -> None:
        self.where = where
        self.profiles = profiles

    def fail(self, owner: str, field_name: str, problem: str) -> PortfolioError:
        return PortfolioError(f"{self.where}: {owner}: field '{field_name}': {problem}")

    def unknown_keys(self, raw: Mapping[str, Any], known: Sequence[str], owner: str) -> None:
        for key in raw:
            if key not in known:
                raise self.fail(owner, key, f"unknown field; known: {', '.join(known)}")

    def table(self, value: Any, owner: str, field_name: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(owner, field_name, f"must be a table, got {value!r}")
        return value

    def text(self, raw: Mapping[str, Any], key: str, owner: str, *, required: bool) -> str:
        if key not in raw:
            if required:
                raise self.fail(owner, key, "required, missing")
            return ""
        value = raw[key]
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(owner, key, f"must be a non-empty string, got {value!r}")
        return value.strip() if required else value

    def date(self, value: Any, owner: str, field_name: str) -> date:
        if isinstance(value, datetime):
            raise self.fail(owner, field_name, f"must be a date without a time, got {value}")
        if isinstance(value, date):
            return value
        if isinstance(value, str) and _DATE_PATTERN.match(value.strip()):
            try:
                return date.fromisoformat(value.strip())
            except ValueError as error:
                raise self.fail(owner, field_name, f"{value!r} is not a date: {error}") from None
        raise self.fail(
            owner, field_name, f"must be a date, YYYY-MM-DD (e.g. 2026-07-01), got {value!r}"
        )

    # --- inputs --------------------------------------------------------------------------

    def bounded(
        self, value: Any, owner: str, field_name: str, lower: float, upper: float
    ) -> Distribution:
        """A number in [lower, upper] or a distribution string for it."""
        limits = f"≥ {lower:g}" if math.isinf(upper) else f"in [{lower:g}, {upper:g}]"
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.fail(
                owner,
                field_name,
                f"must be a number {limits} or a distribution such as 'uniform:LOW,HIGH', "
                f"got {value!r}",
            )
        if isinstance(value, int | float):
            if not (math.isfinite(value) and lower <= value <= upper):
                raise self.fail(owner, field_name, f"must be {limits}, got {value:g}")
            return _written(fixed(float(value), lower, upper), f"{value:g}")
        return self.distribution(value, owner, field_name, "dimensionless", lower, upper)

    def distribution(
        self,
        value: Any,
        owner: str,
        field_name: str,
        dimension: str,
        lower: float,
        upper: float = math.inf,
    ) -> Distribution:
        try:
            parsed = parse_distribution(
                value, field_name, dimension=dimension, lower=lower, upper=upper
            )
        except CapacityError as error:
            message = str(error).removeprefix(f"{field_name}: ")
            raise self.fail(owner, field_name, message) from None
        return _written(parsed, str(value))

    def power(self, value: Any, owner: str, field_name: str) -> Distribution:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.fail(owner, field_name, f"must be a power such as '10 GW', got {value!r}")
        if isinstance(value, int | float):
            raise self.fail(
                owner,
                field_name,
                f"must be a power with its unit, such as '{value:g} GW', got the plain number "
                f"{value:g}",
            )
        power = self.distribution(value, owner, field_name, "power", 0.0)
        if not power.nominal() > 0:
            raise self.fail(owner, field_name, f"must be > 0, got {value!r}")
        return power

    def count(self, value: Any, owner: str, field_name: str) -> Distribution:
        """A number of accelerators (200000, "250k", "1.2M") or a distribution of them."""
        example = "a number of accelerators such as 250000, '250k' or '1.2M'"
        try:
            count = None if isinstance(value, bool) else parse_count(value, field_name)
        except CapacityError:
            raise self.fail(owner, field_name, f"must be > 0, got {value!r}") from None
        if count is not None:
            if not count > 0:
                raise self.fail(owner, field_name, f"must be > 0, got {value!r}")
            return _written(fixed(count, 0.0, math.inf), str(value))
        if isinstance(value, str) and ":" in value and value.strip()[:1].isalpha():
            kind, _, rest = value.partition(":")
            numbers = []
            for part in rest.split(","):
                number = parse_count(part.strip(), field_name) if part.strip() else None
                if number is None:
                    raise self.fail(
                        owner, field_name, f"{part.strip()!r} in {value!r} is not {example}"
                    )
                numbers.append(f"{number:.17g}")
            distribution = self.distribution(
                f"{kind}:{','.join(numbers)}", owner, field_name, "dimensionless", 0.0
            )
            return _written(distribution, value)
        if isinstance(value, str) and re.search(r"[A-Za-z]", value):
            try:
                to_si(value, "power", field_name)
            except CapacityError:
                pass
            else:
                raise self.fail(
                    owner,
                    field_name,
                    f"must be {example}, got the power {value!r}; write it as `power`",
                )
        raise self.fail(owner, field_name, f"must be {example}, got {value!r}")

    def shares(self, raw: Mapping[str, Any], owner: str) -> tuple[dict[str, float], str | None]:
        has_chip, has_mix = "chip" in raw, "mix" in raw
        if has_chip == has_mix:
            problem = "give one of them, not both" if has_chip else "required: give one of them"
            raise self.fail(
                owner, "chip' or 'mix", f"{problem} (known chips: {', '.join(self.profiles)})"
            )
        key = "chip" if has_chip else "mix"
        value = raw[key]
        if has_chip and not isinstance(value, str):
            raise self.fail(owner, key, f"must be a chip's profile id or alias, got {value!r}")
        if has_mix and not isinstance(value, dict | str):
            raise self.fail(owner, key, f"must be a table of chip = share, got {value!r}")
        try:
            shares = _resolve_mix(
                value if has_chip else None, None if has_chip else value, self.profiles
            )
        except CapacityError as error:
            raise self.fail(owner, key, str(error)) from None
        return {chip: float(share) for chip, share in shares.items()}, value if has_chip else None

    def prices(self, raw: Any, owner: str) -> DealPrices:
        table = self.table(raw, owner, "prices")
        self.unknown_keys(table, _PRICE_TABLE_KEYS, f"{owner}: [prices]")
        where = f"{owner}: [prices]"
        accelerator: dict[str, str] = {}
        for chip, price in self.table(table.get("accelerator", {}), where, "accelerator").items():
            label = f"accelerator.{chip}"
            try:
                chip_id = self.profiles.resolve(chip)
            except CapacityError as error:
                raise self.fail(where, label, str(error)) from None
            self.priced(price, where, label, "money")
            accelerator[chip_id] = price
        parameters = {}
        for key, (override, dimension) in _PRICE_KEYS.items():
            if key in table:
                self.priced(table[key], where, key, dimension)
                parameters[override] = table[key]
        value = None
        if "value" in table:
            value = self.priced(table["value"], where, "value", "money")
        return DealPrices(accelerator=accelerator, parameters=parameters, value=value)

    def priced(self, value: Any, owner: str, field_name: str, dimension: str) -> float:
        if dimension == "dimensionless" and isinstance(value, int | float):
            number = float(value)
        elif not isinstance(value, str):
            raise self.fail(owner, field_name, f"must be a string with its unit, got {value!r}")
        else:
            try:
                number = to_si(value, dimension, field_name)
            except CapacityError as error:
                message = str(error).removeprefix(f"{field_name}: ")
                raise self.fail(owner, field_name, message) from None
        if not (math.isfinite(number) and number >= 0):
            raise self.fail(owner, field_name, f"must be ≥ 0, got {value!r}")
        return number

    # --- schedule ------------------------------------------------------------------------

    def schedule(
        self, raw: Mapping[str, Any], owner: str, total: float, by_power: bool
    ) -> Schedule | None:
        if "tranche" in raw:
            written = [k for k in ("start", "end", "ramp") if k in raw]
            if written:
                raise self.fail(
                    owner,
                    written[0],
                    "give either start/end/ramp or [[deal.tranche]] tables, not both",
                )
            return self.tranches(raw["tranche"], owner, total, by_power)
        if "start" not in raw:
            for key in ("end", "ramp"):
                if key in raw:
                    raise self.fail(owner, "start", f"required with '{key}', missing")
            return None
        start = self.date(raw["start"], owner, "start")
        ramp = raw.get("ramp", "linear" if "end" in raw else "step")
        if ramp not in RAMPS:
            raise self.fail(owner, "ramp", f"must be one of {', '.join(RAMPS)}; got {ramp!r}")
        if ramp == "step":
            if "end" in raw:
                raise self.fail(
                    owner,
                    "end",
                    "a step ramp brings everything online at start; "
                    'remove end, or use ramp = "linear"',
                )
            return Schedule.create([Ramp(start, None, 1.0)])
        if "end" not in raw:
            raise self.fail(owner, "end", "a linear ramp needs an end date, missing")
        end = self.date(raw["end"], owner, "end")
        if end < start:
            raise self.fail(owner, "end", f"{end} is before start {start}")
        return Schedule.create([Ramp(start, end, 1.0)])

    def tranches(self, value: Any, owner: str, total: float, by_power: bool) -> Schedule:
        if not isinstance(value, list) or not value:
            raise self.fail(owner, "tranche", "write each tranche as a [[deal.tranche]] table")
        amount_key = "power" if by_power else "accelerators"
        other_key = "accelerators" if by_power else "power"
        pieces: list[tuple[int, date, date | None, float]] = []
        for index, tranche in enumerate(value, start=1):
            label = f"tranche[{index}]"
            tranche = self.table(tranche, owner, label)
            for key in tranche:
                if key not in _TRANCHE_KEYS:
                    raise self.fail(
                        owner,
                        f"{label}.{key}",
                        f"unknown field; known: {', '.join(_TRANCHE_KEYS)}",
                    )
            if other_key in tranche:
                raise self.fail(
                    owner,
                    f"{label}.{other_key}",
                    f"this deal is sized by {amount_key}; give each tranche's {amount_key}",
                )
            if "start" not in tranche:
                raise self.fail(owner, f"{label}.start", "required, missing")
            if amount_key not in tranche:
                raise self.fail(owner, f"{label}.{amount_key}", "required, missing")
            start = self.date(tranche["start"], owner, f"{label}.start")
            end = self.date(tranche["end"], owner, f"{label}.end") if "end" in tranche else None
            if end is not None and end < start:
                raise self.fail(owner, f"{label}.end", f"{end} is before start {start}")
            amount = self.tranche_amount(
                tranche[amount_key], owner, f"{label}.{amount_key}", by_power
            )
            pieces.append((index, start, end, amount))
        for i, (first, start_a, end_a, _) in enumerate(pieces):
            for second, start_b, end_b, _ in pieces[i + 1 :]:
                last_a, last_b = end_a or start_a, end_b or start_b
                if start_a <= last_b and start_b <= last_a:
                    raise self.fail(
                        owner,
                        "tranche",
                        f"tranches {first} ({_span(start_a, end_a)}) and {second} "
                        f"({_span(start_b, end_b)}) overlap; each day belongs to one tranche",
                    )
        summed = math.fsum(amount for *_, amount in pieces)
        if abs(summed - total) > TRANCHE_SUM_TOLERANCE * total:
            show = _show_power if by_power else _show_count
            raise self.fail(
                owner,
                "tranche",
                f"the tranches add up to {show(summed)} but the deal's {amount_key} is "
                f"{show(total)}",
            )
        return Schedule.create(
            Ramp(start, end, amount / summed) for _, start, end, amount in pieces
        )

    def tranche_amount(self, value: Any, owner: str, field_name: str, by_power: bool) -> float:
        if isinstance(value, str) and ":" in value and value.strip()[:1].isalpha():
            raise self.fail(
                owner,
                field_name,
                f"must be a fixed amount, got {value!r}; give a "
                "distribution on the deal's total instead",
            )
        if by_power:
            if isinstance(value, bool) or not isinstance(value, str):
                raise self.fail(
                    owner,
                    field_name,
                    f"must be a power with its unit, such as '1 GW', got {value!r}",
                )
            try:
                amount = to_si(value, "power", field_name)
            except CapacityError as error:
                message = str(error).removeprefix(f"{field_name}: ")
                raise self.fail(owner, field_name, message) from None
        else:
            try:
                parsed = None if isinstance(value, bool) else parse_count(value, field_name)
            except CapacityError:
                parsed = -1.0
            if parsed is None:
                raise self.fail(
                    owner,
                    field_name,
                    f"must be a number of accelerators such as 250000 or '250k', got {value!r}",
                )
            amount = parsed
        if not (math.isfinite(amount) and amount > 0):
            raise self.fail(owner, field_name, f"must be > 0, got {value!r}")
        return float(amount)

    # --- tables --------------------------------------------------------------------------

    def defaults(self, raw: Any) -> dict[str, Any]:
        owner = "[defaults]"
        table = self.table(raw, owner, "defaults")
        self.unknown_keys(table, _DEFAULT_KEYS, owner)
        self.inputs(table, owner)
        if "chip" in table or "mix" in table:
            self.shares(table, owner)
        if "power" in table and "accelerators" in table:
            raise self.fail(owner, "power' or 'accelerators", "give one of them, not both")
        if "power" in table:
            self.power(table["power"], owner, "power")
        if "accelerators" in table:
            self.count(table["accelerators"], owner, "accelerators")
        if "prices" in table:
            self.prices(table["prices"], owner)
        if "announced" in table:
            self.date(table["announced"], owner, "announced")
        self.text(table, "notes", owner, required=False)
        return table

    def inputs(self, raw: Mapping[str, Any], owner: str) -> dict[str, Any]:
        basis = raw.get("basis", DEFAULT_BASIS)
        if basis not in BASES:
            raise self.fail(owner, "basis", f"must be one of {', '.join(BASES)}; got {basis!r}")
        return {
            "basis": basis,
            "pue": self.bounded(raw.get("pue", DEFAULT_PUE), owner, "pue", 1.0, math.inf),
            "utilization": self.bounded(
                raw.get("utilization", DEFAULT_UTILIZATION), owner, "utilization", 0.0, 1.0
            ),
            "mfu": self.bounded(raw.get("mfu", DEFAULT_MFU), owner, "mfu", 0.0, 1.0),
        }

    def deal(self, raw: Any, index: int, defaults: Mapping[str, Any]) -> Deal:
        if not isinstance(raw, dict):
            raise PortfolioError(f"{self.where}: deal #{index}: must be a [[deal]] table")
        label = raw.get("name")
        owner = f"deal '{label}'" if isinstance(label, str) and label.strip() else f"deal #{index}"
        name = self.text(raw, "name", owner, required=True)
        self.unknown_keys(raw, _DEAL_KEYS, owner)
        counterparty = self.text(raw, "counterparty", owner, required=True)
        merged = _merged(defaults, raw)
        inputs = self.inputs(merged, owner)
        shares, chip = self.shares(merged, owner)
        has_power, has_count = "power" in merged, "accelerators" in merged
        if has_power == has_count:
            problem = "give one of them, not both" if has_power else "required: give one of them"
            raise self.fail(owner, "power' or 'accelerators", problem)
        power = self.power(merged["power"], owner, "power") if has_power else None
        count = None if has_power else self.count(merged["accelerators"], owner, "accelerators")
        if has_count and "basis" in raw:
            raise self.fail(
                owner, "basis", "applies to a power; this deal is a number of accelerators"
            )
        sized = power if power is not None else count
        assert sized is not None
        schedule = self.schedule(raw, owner, sized.nominal(), power is not None)
        prices = self.prices(merged["prices"], owner) if "prices" in merged else DealPrices()
        announced = (
            self.date(merged["announced"], owner, "announced") if "announced" in merged else None
        )
        return Deal(
            name=name,
            counterparty=counterparty,
            shares=shares,
            power=power,
            accelerators=count,
            basis=inputs["basis"],
            pue=inputs["pue"],
            utilization=inputs["utilization"],
            mfu=inputs["mfu"],
            schedule=schedule,
            prices=prices,
            chip=chip,
            announced=announced,
            notes=self.text(merged, "notes", owner, required=False),
        )

    def portfolio(self, raw: Mapping[str, Any]) -> Portfolio:
        for key in raw:
            if key not in _TOP_KEYS:
                raise PortfolioError(
                    f"{self.where}: unknown table or field '{key}'; known: {', '.join(_TOP_KEYS)}"
                )
        if "portfolio" not in raw:
            raise PortfolioError(f"{self.where}: [portfolio] table required, missing")
        owner = "[portfolio]"
        header = self.table(raw["portfolio"], owner, "portfolio")
        self.unknown_keys(header, _PORTFOLIO_KEYS, owner)
        name = self.text(header, "name", owner, required=True)
        if "version" in header and header["version"] != FORMAT_VERSION:
            raise self.fail(
                owner,
                "version",
                f"this capacity reads format version {FORMAT_VERSION}, got {header['version']!r}",
            )
        as_of = self.date(header["as_of"], owner, "as_of") if "as_of" in header else None
        defaults = self.defaults(raw["defaults"]) if "defaults" in raw else {}
        entries = raw.get("deal")
        if isinstance(entries, dict):
            raise PortfolioError(f"{self.where}: write each deal as [[deal]], not [deal]")
        if not isinstance(entries, list) or not entries:
            raise PortfolioError(f"{self.where}: no deals; add at least one [[deal]] table")
        deals: list[Deal] = []
        for index, entry in enumerate(entries, start=1):
            deal = self.deal(entry, index, defaults)
            for number, earlier in enumerate(deals, start=1):
                if earlier.name == deal.name:
                    raise self.fail(
                        f"deal '{deal.name}'",
                        "name",
                        f"deals #{number} and #{index} have the same name; names must be unique",
                    )
            deals.append(deal)
        return Portfolio(
            name=name,
            deals=tuple(deals),
            as_of=as_of,
            source=self.where,
            description=self.text(header, "description", owner, required=False),
        )


def _written(distribution: Distribution, text: str) -> Distribution:
    """The distribution with ``text``, how the file wrote it, for display."""
    d = distribution
    return Distribution(d.kind, d.parameters, d.lower, d.upper, d.samples, text=text.strip())


def _merged(defaults: Mapping[str, Any], raw: Mapping[str, Any]) -> dict[str, Any]:
    """The deal's fields over the defaults; chip/mix and power/accelerators replace as pairs,
    and prices merge key by key."""
    merged = dict(defaults)
    for pair in (("chip", "mix"), ("power", "accelerators")):
        if any(key in raw for key in pair):
            for key in pair:
                merged.pop(key, None)
    merged |= {k: v for k, v in raw.items() if k not in ("name", "counterparty")}
    if "prices" in defaults and "prices" in raw:
        prices = dict(defaults["prices"]) | dict(raw["prices"])
        if isinstance(defaults["prices"].get("accelerator"), dict) and isinstance(
            raw["prices"].get("accelerator"), dict
        ):
            prices["accelerator"] = (
                defaults["prices"]["accelerator"] | raw["prices"]["accelerator"]
            )
        merged["prices"] = prices
    return merged


def _span(start: date, end: date | None) -> str:
    return f"{start} … {end}" if end is not None else f"{start}, at once"


def _show_power(watts: float) -> str:
    return f"{watts / 1e9:.6g} GW"


def _show_count(count: float) -> str:
    return f"{count:,.6g} accelerators"


# ---------------------------------------------------------------------------------------------
# Evaluation


@dataclass(frozen=True)
class DealResult:
    """One deal at full deployment, at its inputs' nominal values."""

    deal: Deal
    conversion: Conversion
    costs: Costs

    @property
    def systems(self) -> pint.Quantity:
        """Reference systems, all chips together. [1]"""
        return _summed(self.conversion.systems_by_chip.values(), "")

    def to_dict(self) -> dict[str, Any]:
        document = {
            "name": self.deal.name,
            "counterparty": self.deal.counterparty,
            "chips": self.deal.chips,
            **self.conversion.to_dict(),
            "systems": float(self.systems.magnitude),
            "h100_equivalents": float(self.conversion.h100_equivalents.magnitude),
            "costs": self.costs.to_dict(),
            "announced_value_usd": self.deal.prices.value,
            "scheduled": self.deal.schedule is not None,
        }
        document.pop("assumptions")
        return document


@dataclass(frozen=True)
class PortfolioTotals:
    """Sums over the deals at full deployment; grid shares of the summed power.

    A cost is None when any deal lacks it (a missing price), never a partial sum.
    """

    accelerators: pint.Quantity
    systems: pint.Quantity
    it_power: pint.Quantity
    facility_power: pint.Quantity
    average_facility_power: pint.Quantity
    annual_energy: pint.Quantity
    peak_flops: pint.Quantity
    delivered_flops: pint.Quantity
    flop_per_year: pint.Quantity
    h100_equivalents: pint.Quantity
    grid_share: Mapping[str, GridShare]
    hardware_capex: pint.Quantity | None
    facility_capex: pint.Quantity
    capex: pint.Quantity | None
    annual_energy_cost: pint.Quantity
    annual_cost: pint.Quantity | None
    announced_value: pint.Quantity | None
    """Sum of the deals' announced values, when every deal gives one. [USD]"""

    def to_dict(self) -> dict[str, Any]:
        return {
            "accelerators": _si(self.accelerators, ""),
            "systems": _si(self.systems, ""),
            "it_power_w": _si(self.it_power, "W"),
            "facility_power_w": _si(self.facility_power, "W"),
            "average_facility_power_w": _si(self.average_facility_power, "W"),
            "annual_energy_twh": _si(self.annual_energy, "TWh"),
            "peak_flop_per_s": _si(self.peak_flops, "FLOP/s"),
            "delivered_flop_per_s": _si(self.delivered_flops, "FLOP/s"),
            "flop_per_year": _si(self.flop_per_year, "FLOP"),
            "h100_equivalents": _si(self.h100_equivalents, ""),
            "grid_share": {
                grid: {"energy": _si(share.energy, ""), "capacity": _si(share.capacity, "")}
                for grid, share in self.grid_share.items()
            },
            "hardware_capex_usd": _si(self.hardware_capex, "USD"),
            "facility_capex_usd": _si(self.facility_capex, "USD"),
            "capex_usd": _si(self.capex, "USD"),
            "annual_energy_cost_usd_per_year": _si(self.annual_energy_cost, "USD/year"),
            "annual_cost_usd_per_year": _si(self.annual_cost, "USD/year"),
            "announced_value_usd": _si(self.announced_value, "USD"),
        }


@dataclass(frozen=True)
class TimelineYear:
    """What is online at the end of one calendar year, and the energy used in it.

    Quantities online scale each deal's full conversion by its online fraction (the deal's
    inputs at their nominal values); energy is the exact integral of the online fraction
    over the year's days times each deal's average facility power.
    """

    year: int
    online_fraction: Mapping[str, float]
    """Deal name → fraction of the deal online at year end. [1]"""
    facility_power_by_deal: Mapping[str, pint.Quantity]
    facility_power: pint.Quantity
    it_power: pint.Quantity
    accelerators: pint.Quantity
    peak_flops: pint.Quantity
    delivered_flops: pint.Quantity
    energy_by_deal: Mapping[str, pint.Quantity]
    energy: pint.Quantity
    """Energy drawn during the year (its 365 or 366 days). [TWh]"""

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "online_fraction": dict(self.online_fraction),
            "facility_power_online_w": _si(self.facility_power, "W"),
            "facility_power_online_w_by_deal": {
                name: _si(q, "W") for name, q in self.facility_power_by_deal.items()
            },
            "it_power_online_w": _si(self.it_power, "W"),
            "accelerators_online": _si(self.accelerators, ""),
            "peak_flop_per_s_online": _si(self.peak_flops, "FLOP/s"),
            "delivered_flop_per_s_online": _si(self.delivered_flops, "FLOP/s"),
            "energy_twh": _si(self.energy, "TWh"),
            "energy_twh_by_deal": {name: _si(q, "TWh") for name, q in self.energy_by_deal.items()},
        }


@dataclass(frozen=True)
class PortfolioReport:
    """A portfolio evaluated: per-deal results, totals, a timeline by year, and notes.

    Attributes
    ----------
    flags : tuple of str
        Notes on the portfolio itself: deals without a schedule, missing prices.
    assumptions : tuple of str
        Assumption- and estimate-grade figures used by any deal (profiles and costs),
        without repeats.
    """

    portfolio: Portfolio
    deals: tuple[DealResult, ...]
    totals: PortfolioTotals
    timeline: tuple[TimelineYear, ...]
    flags: tuple[str, ...]
    assumptions: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of SI numbers whose keys name their unit (``--format json``)."""
        p = self.portfolio
        return {
            "portfolio": {
                "name": p.name,
                "description": p.description,
                "as_of": None if p.as_of is None else p.as_of.isoformat(),
                "source": p.source,
            },
            "inputs": [deal.to_dict() for deal in p.deals],
            "deals": [result.to_dict() for result in self.deals],
            "total": self.totals.to_dict(),
            "timeline": [year.to_dict() for year in self.timeline],
            "flags": list(self.flags),
            "assumptions": list(self.assumptions),
        }


def _si(quantity: pint.Quantity | None, unit: str) -> float | None:
    if quantity is None:
        return None
    value = float(quantity.to(unit).magnitude)
    return value if math.isfinite(value) else None


def _summed(quantities: Iterable[pint.Quantity], unit: str) -> pint.Quantity:
    return ureg.Quantity(math.fsum(float(q.to(unit).magnitude) for q in quantities), unit)


def _summed_or_none(quantities: Sequence[pint.Quantity | None], unit: str) -> pint.Quantity | None:
    if any(q is None for q in quantities):
        return None
    return _summed((q for q in quantities if q is not None), unit)


def _profiles(
    profiles: ProfileSet | str | Path | None, overrides: Mapping[str, Any] | None
) -> ProfileSet:
    profile_set = profiles if isinstance(profiles, ProfileSet) else load_profiles(profiles)
    return profile_set.with_overrides(overrides) if overrides else profile_set


def convert_deal(
    deal: Deal, *, profiles: ProfileSet | None = None, grid_set: GridSet | None = None
) -> Conversion:
    """One deal at full deployment, with every input at its nominal value.

    This is exactly :func:`capacity.convert` (or :func:`capacity.convert_accelerators`) of the
    deal's power (or count), mix, PUE, utilization, MFU and basis.
    """
    options: dict[str, Any] = {
        "mix": dict(deal.shares),
        "pue": deal.pue.nominal(),
        "utilization": deal.utilization.nominal(),
        "mfu": deal.mfu.nominal(),
        "profiles": profiles,
        "grid_set": grid_set,
    }
    if deal.power is not None:
        return convert(ureg.Quantity(deal.power.nominal(), "W"), basis=deal.basis, **options)
    assert deal.accelerators is not None
    return convert_accelerators(deal.accelerators.nominal(), **options)


def evaluate_portfolio(
    portfolio: Portfolio,
    *,
    profiles: ProfileSet | str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    grid_set: GridSet | None = None,
) -> PortfolioReport:
    """Convert, price and sum every deal of a portfolio, and lay its schedules out by year.

    Parameters
    ----------
    portfolio : Portfolio
        From :func:`load_portfolio` or :func:`loads_portfolio`.
    profiles : ProfileSet or path, optional
        Hardware profiles (default: built-in plus ``$CAPACITY_PROFILES``).
    overrides : mapping, optional
        Single profile fields for this run, as in :func:`capacity.convert`
        (``{"openai-broadcom-xpu.tdp": "1.2 kW"}``).
    grid_set : GridSet, optional
        Reference grids for grid share (default: built-in plus ``$CAPACITY_GRIDS``).

    Returns
    -------
    PortfolioReport

    Notes
    -----
    Each deal is converted at full deployment with its inputs at their nominal values
    (:meth:`capacity.distributions.Distribution.nominal`); totals are sums over deals, and the
    grid shares of the total are those of the summed average and facility power. At the end
    of year Y a deal contributes ``f(Y) × X`` of each full-deployment output X, where ``f`` is
    its online fraction; its energy in year Y is ``P_avg × ∫_Y f(t) dt``, integrated exactly
    over the year's days (:mod:`capacity.schedule`), so a full year online is 365 or 366 days
    of energy, not the 365.25 of ``annual_energy``.

    Examples
    --------
    >>> report = evaluate_portfolio(load_portfolio("tests/data/portfolios/two-deals.toml"))
    >>> round(report.totals.facility_power.to("GW").magnitude, 6)
    3.6
    >>> [(year.year, round(year.facility_power.to("GW").magnitude, 6)) for year in report.timeline]
    [(2026, 1.0), (2027, 3.6)]
    """
    profile_set = _profiles(profiles, overrides)
    results: list[DealResult] = []
    for deal in portfolio.deals:
        conversion = convert_deal(deal, profiles=profile_set, grid_set=grid_set)
        try:
            assumptions = cost_assumptions(
                conversion.chips, profile_set, deal.prices.cost_overrides()
            )
        except CapacityError as error:
            raise PortfolioError(
                f"{portfolio.source}: deal '{deal.name}': prices: {error}"
            ) from None
        results.append(DealResult(deal, conversion, conversion_costs(conversion, assumptions)))
    totals = _totals(results, grid_set)
    timeline = _timeline(results)
    flags: list[str] = []
    for result in results:
        deal = result.deal
        if deal.schedule is None:
            flags.append(
                f"deal '{deal.name}': no schedule (no start, no tranches); left out "
                "of the timeline"
            )
        if result.costs.missing_prices:
            flags.append(
                f"deal '{deal.name}': no price for {', '.join(result.costs.missing_prices)}; its "
                "hardware capex, capex and annual cost are unavailable, and so are the totals'; "
                'set one in [deal.prices] accelerator = { CHIP = "… USD" }'
            )
    assumptions_seen: dict[str, None] = {}
    for result in results:
        for line in (*result.conversion.assumptions, *result.costs.assumptions):
            if not line.startswith("no price for "):
                assumptions_seen.setdefault(line)
    return PortfolioReport(
        portfolio=portfolio,
        deals=tuple(results),
        totals=totals,
        timeline=timeline,
        flags=tuple(flags),
        assumptions=tuple(assumptions_seen),
    )


def _totals(results: Sequence[DealResult], grid_set: GridSet | None) -> PortfolioTotals:
    conversions = [r.conversion for r in results]
    costs = [r.costs for r in results]
    average = _summed((c.average_facility_power for c in conversions), "W")
    facility = _summed((c.facility_power for c in conversions), "W")
    grids = select_grids(None, grid_set)
    shares = {
        grid.id: GridShare(
            energy=ureg.Quantity(
                chain.grid_energy_share(average.magnitude, grid.annual_energy.si), ""
            ),
            capacity=None
            if grid.capacity is None
            else ureg.Quantity(
                chain.grid_capacity_share(facility.magnitude, grid.capacity.si), ""
            ),
        )
        for grid in grids
    }
    values = [r.deal.prices.value for r in results]
    return PortfolioTotals(
        accelerators=_summed((c.accelerators for c in conversions), ""),
        systems=_summed((r.systems for r in results), ""),
        it_power=_summed((c.it_power for c in conversions), "W"),
        facility_power=facility,
        average_facility_power=average,
        annual_energy=_summed((c.annual_energy for c in conversions), "TWh"),
        peak_flops=_summed((c.peak_flops for c in conversions), "FLOP/s"),
        delivered_flops=_summed((c.delivered_flops for c in conversions), "FLOP/s"),
        flop_per_year=_summed((c.flop_per_year for c in conversions), "FLOP"),
        h100_equivalents=_summed((c.h100_equivalents for c in conversions), ""),
        grid_share=shares,
        hardware_capex=_summed_or_none([c.hardware_capex for c in costs], "USD"),
        facility_capex=_summed((c.facility_capex for c in costs), "USD"),
        capex=_summed_or_none([c.capex for c in costs], "USD"),
        annual_energy_cost=_summed((c.annual_energy_cost for c in costs), "USD/year"),
        annual_cost=_summed_or_none([c.annual_cost for c in costs], "USD/year"),
        announced_value=None
        if any(v is None for v in values)
        else ureg.Quantity(math.fsum(v for v in values if v is not None), "USD"),
    )


def _timeline(results: Sequence[DealResult]) -> tuple[TimelineYear, ...]:
    scheduled = [r for r in results if r.deal.schedule is not None]
    if not scheduled:
        return ()
    first = min(r.deal.schedule.first_day.year for r in scheduled if r.deal.schedule)
    last = max(r.deal.schedule.last_day.year for r in scheduled if r.deal.schedule)
    years = []
    for year in range(first, last + 1):
        fraction: dict[str, float] = {}
        days: dict[str, float] = {}
        for r in scheduled:
            assert r.deal.schedule is not None
            fraction[r.deal.name] = r.deal.schedule.online_fraction(year_end(year))
            days[r.deal.name] = r.deal.schedule.year_online_days(year)
        assert all(d <= days_in_year(year) * (1 + 1e-12) for d in days.values())

        def online(
            output: Callable[[Conversion], pint.Quantity], unit: str, at: Mapping[str, float]
        ) -> pint.Quantity:
            return ureg.Quantity(
                math.fsum(
                    at[r.deal.name] * float(output(r.conversion).to(unit).magnitude)
                    for r in scheduled
                ),
                unit,
            )

        facility_by_deal = {
            r.deal.name: fraction[r.deal.name] * r.conversion.facility_power.to("GW")
            for r in scheduled
        }
        energy_by_deal = {
            r.deal.name: ureg.Quantity(
                float(r.conversion.average_facility_power.to("W").magnitude)
                * days[r.deal.name]
                * SECONDS_PER_DAY
                / J_PER_TWH,
                "TWh",
            )
            for r in scheduled
        }
        years.append(
            TimelineYear(
                year=year,
                online_fraction=fraction,
                facility_power_by_deal=facility_by_deal,
                facility_power=online(lambda c: c.facility_power, "W", fraction),
                it_power=online(lambda c: c.it_power, "W", fraction),
                accelerators=online(lambda c: c.accelerators, "", fraction),
                peak_flops=online(lambda c: c.peak_flops, "FLOP/s", fraction),
                delivered_flops=online(lambda c: c.delivered_flops, "FLOP/s", fraction),
                energy_by_deal=energy_by_deal,
                energy=_summed(energy_by_deal.values(), "TWh"),
            )
        )
    return tuple(years)


# ---------------------------------------------------------------------------------------------
# Monte Carlo


def portfolio_scenarios(portfolio: Portfolio) -> list[Scenario]:
    """One :class:`capacity.montecarlo.Scenario` per deal, at full deployment."""
    from capacity.montecarlo import Scenario

    return [
        Scenario(
            name=deal.name,
            shares=dict(deal.shares),
            power=deal.power,
            accelerators=deal.accelerators,
            basis=deal.basis,
            pue=deal.pue,
            utilization=deal.utilization,
            mfu=deal.mfu,
            cost_overrides=deal.prices.cost_overrides() or None,
        )
        for deal in portfolio.deals
    ]


def simulate_portfolio(
    portfolio: Portfolio,
    *,
    samples: int,
    seed: int = 0,
    backend: str = "auto",
    quantiles: Sequence[float] = (0.05, 0.5, 0.95),
    profiles: ProfileSet | str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    grid_set: GridSet | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> MonteCarloResult:
    """Monte Carlo over every deal's uncertain inputs, at full deployment.

    Each deal is one scenario of :func:`capacity.montecarlo.simulate` (groups: the deal
    names, then ``"total"`` when there is more than one deal); the parameters are its own.
    """
    from capacity.montecarlo import simulate

    return simulate(
        portfolio_scenarios(portfolio),
        samples=samples,
        seed=seed,
        backend=backend,
        quantiles=tuple(quantiles),
        profiles=_profiles(profiles, None),
        overrides=overrides,
        grid_set=grid_set,
        progress=progress,
    )
