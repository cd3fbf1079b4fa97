"""The portfolio file: a TOML file of named compute deals, read and validated once.

:func:`load_portfolio` (or :func:`loads_portfolio` for a string) reads a portfolio file
(format version 1, described in ``docs/commands/portfolio.md`` and shown in
``examples/openai-2025.toml``): every deal is a power or a number of accelerators, on one
chip or a mix, with PUE, utilization and MFU (numbers, or distributions for Monte Carlo
runs), a deployment schedule (:mod:`capacity.schedule`) and optional prices. What the deals
amount to is :mod:`capacity.portfolio`'s business.

Every error in a file names the file, the deal and the field:
``deals.toml: deal 'NVIDIA systems': field 'pue': must be ≥ 1, got 0.9``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from capacity.checks import describe, flag, instance_of, path_argument
from capacity.convert import resolve_mix as _resolve_mix
from capacity.costs import COST_PARAMETERS
from capacity.datafiles import (
    PORTFOLIO_FILE_LIMIT,
    as_path,
    decode_text,
    parse_toml,
    read_bounded,
)
from capacity.defaults import BASES, COOLING_TYPES, DEFAULTS, RANGES
from capacity.distributions import (
    COUNT,
    Distribution,
    SamplesAccess,
    fixed,
    is_distribution_text,
    parse_distribution,
)
from capacity.errors import CapacityError, InputError
from capacity.grammar import GrammarError
from capacity.profiles import ProfileSet, load_profiles
from capacity.schedule import Ramp, Schedule
from capacity.tomlread import TableReader
from capacity.units import parse_count, to_si

__all__ = [
    "FORMAT_VERSION",
    "Deal",
    "DealPrices",
    "Portfolio",
    "PortfolioError",
    "load_portfolio",
    "loads_portfolio",
]

FORMAT_VERSION = 1
RAMPS = ("linear", "step")
# Tranches written by hand ("1 GW" + "5 GW" for a "6 GW" deal) add up to the deal's total
# to well within this relative tolerance, as mix shares do.
TRANCHE_SUM_TOLERANCE = 1e-6

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
    "region",
    "cooling",
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
_WHAT = "portfolio file"


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
    region: str | None = None
    """The site region (a grid id such as "texas"); None for the default region."""
    cooling: str = DEFAULTS.cooling
    """The site's cooling type, for its WUE."""

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
            "region": self.region,
            "cooling": self.cooling,
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


def load_portfolio(
    path: str | Path,
    *,
    profiles: ProfileSet | None = None,
    samples_folder: str | Path | None = None,
    allow_samples_outside: bool = False,
) -> Portfolio:
    """Read and validate a portfolio TOML file.

    Parameters
    ----------
    path : str or Path
        The portfolio file (format version 1): a regular file of at most
        :data:`~capacity.datafiles.PORTFOLIO_FILE_LIMIT` bytes (16 MiB).
    profiles : ProfileSet, optional
        Hardware profiles that chips are looked up in (default: built-in plus
        ``$CAPACITY_PROFILES``).
    samples_folder : str or Path, optional
        The folder that a ``samples:PATH`` input of the file is read from, and must stay
        inside (default: the folder of the portfolio file).
    allow_samples_outside : bool
        Let ``samples:PATH`` inputs name files outside ``samples_folder`` (``..``, absolute
        paths, links that lead out). Off by default: a portfolio file someone sent you
        cannot make ``capacity`` read your other files.

    Returns
    -------
    Portfolio

    Raises
    ------
    PortfolioError
        For a file that cannot be read, is not a regular file, is too large or too deeply
        nested, is not TOML, or breaks the format; the message names the file, the deal and
        the field.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "deals.toml"
    ...     _ = path.write_text('''
    ... [portfolio]
    ... name = "example"
    ... [[deal]]
    ... name = "campus"
    ... counterparty = "a utility"
    ... power = "1 GW"
    ... chip = "h100"
    ... ''')
    ...     portfolio = load_portfolio(path)
    >>> [deal.name for deal in portfolio.deals]
    ['campus']
    """
    path = as_path(path, "path", "the portfolio file's path", PortfolioError)
    data = read_bounded(path, what=_WHAT, limit=PORTFOLIO_FILE_LIMIT, error=PortfolioError)
    return loads_portfolio(
        decode_text(data, path, what=_WHAT, error=PortfolioError),
        name=str(path),
        profiles=profiles,
        samples_folder=path.parent if samples_folder is None else samples_folder,
        allow_samples_outside=allow_samples_outside,
    )


def loads_portfolio(
    text: str,
    *,
    name: str = "<portfolio>",
    profiles: ProfileSet | None = None,
    samples_folder: str | Path | None = None,
    allow_samples_outside: bool = False,
) -> Portfolio:
    """Read and validate a portfolio from TOML text; ``name`` stands for the file in errors.

    ``samples:PATH`` inputs are read from ``samples_folder`` (default: the current
    directory) and may not leave it unless ``allow_samples_outside`` is true, as in
    :func:`load_portfolio`.

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
    for argument, value in (("text", text), ("name", name)):
        if not isinstance(value, str):
            raise PortfolioError(f"{argument} must be a str, got {describe(value)}")
    if profiles is not None:
        instance_of(profiles, ProfileSet, "profiles", "from capacity.load_profiles")
    samples = SamplesAccess(
        folder=None if samples_folder is None else path_argument(samples_folder, "samples_folder"),
        confined=not flag(allow_samples_outside, "allow_samples_outside"),
    )
    raw = parse_toml(text, name, what=_WHAT, error=PortfolioError)
    return _Reader(name, profiles if profiles is not None else load_profiles(), samples).portfolio(
        raw
    )


class _Reader:
    """Validation of one file's tables, with errors that name the file, table and field."""

    def __init__(self, where: str, profiles: ProfileSet, samples: SamplesAccess) -> None:
        self.where = where
        self.file = TableReader(where, PortfolioError)
        self.profiles = profiles
        self.samples = samples

    def date(self, value: Any, fields: TableReader, field_name: str) -> date:
        if isinstance(value, datetime):
            raise fields.fail(field_name, f"must be a date without a time, got {value}")
        if isinstance(value, date):
            return value
        if isinstance(value, str) and _DATE_PATTERN.match(value.strip()):
            try:
                return date.fromisoformat(value.strip())
            except ValueError as error:
                raise fields.fail(field_name, f"{value!r} is not a date: {error}") from None
        raise fields.fail(
            field_name, f"must be a date, YYYY-MM-DD (e.g. 2026-07-01), got {value!r}"
        )

    # --- inputs --------------------------------------------------------------------------

    def bounded(
        self, value: Any, fields: TableReader, field_name: str, lower: float, upper: float
    ) -> Distribution:
        """A number in [lower, upper] or a distribution string for it."""
        limits = f"≥ {lower:g}" if math.isinf(upper) else f"in [{lower:g}, {upper:g}]"
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise fields.fail(
                field_name,
                f"must be a number {limits} or a distribution such as 'uniform:LOW,HIGH', "
                f"got {value!r}",
            )
        if isinstance(value, int | float):
            if not (math.isfinite(value) and lower <= value <= upper):
                raise fields.fail(field_name, f"must be {limits}, got {value:g}")
            return _written(fixed(float(value), lower, upper), f"{value:g}")
        return self.distribution(value, fields, field_name, "dimensionless", lower, upper)

    def distribution(
        self,
        value: Any,
        fields: TableReader,
        field_name: str,
        dimension: str,
        lower: float,
        upper: float = math.inf,
    ) -> Distribution:
        try:
            parsed = parse_distribution(
                value,
                field_name,
                dimension=dimension,
                lower=lower,
                upper=upper,
                samples_access=self.samples,
            )
        except CapacityError as error:
            message = str(error).removeprefix(f"{field_name}: ")
            raise fields.fail(field_name, message) from None
        return _written(parsed, str(value))

    def power(self, value: Any, fields: TableReader, field_name: str) -> Distribution:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise fields.fail(field_name, f"must be a power such as '10 GW', got {value!r}")
        if isinstance(value, int | float):
            raise fields.fail(
                field_name,
                f"must be a power with its unit, such as '{value:g} GW', got the plain number "
                f"{value:g}",
            )
        power = self.distribution(value, fields, field_name, "power", 0.0)
        if not power.nominal() > 0:
            raise fields.fail(field_name, f"must be > 0, got {value!r}")
        return power

    def count(self, value: Any, fields: TableReader, field_name: str) -> Distribution:
        """A number of accelerators (200000, "250k", "1.2M") or a distribution of them."""
        example = "a number of accelerators such as 250000, '250k' or '1.2M'"
        try:
            count = None if isinstance(value, bool) else parse_count(value, field_name)
        except GrammarError as error:
            message = str(error).removeprefix(f"{field_name}: ")
            raise fields.fail(field_name, message) from None
        except CapacityError:
            raise fields.fail(field_name, f"must be > 0, got {value!r}") from None
        if count is not None:
            if not count > 0:
                raise fields.fail(field_name, f"must be > 0, got {value!r}")
            return _written(fixed(count, 0.0, math.inf), str(value))
        if is_distribution_text(value):
            return self.distribution(value, fields, field_name, COUNT, 0.0)
        if isinstance(value, str) and re.search(r"[A-Za-z]", value):
            try:
                to_si(value, "power", field_name)
            except CapacityError:
                pass
            else:
                raise fields.fail(
                    field_name,
                    f"must be {example}, got the power {value!r}; write it as `power`",
                )
        raise fields.fail(field_name, f"must be {example}, got {value!r}")

    def shares(
        self, raw: Mapping[str, Any], fields: TableReader
    ) -> tuple[dict[str, float], str | None]:
        has_chip, has_mix = "chip" in raw, "mix" in raw
        if has_chip == has_mix:
            problem = "give one of them, not both" if has_chip else "required: give one of them"
            raise fields.fail(
                "chip' or 'mix", f"{problem} (known chips: {', '.join(self.profiles)})"
            )
        key = "chip" if has_chip else "mix"
        value = raw[key]
        if has_chip and not isinstance(value, str):
            raise fields.fail(key, f"must be a chip's profile id or alias, got {value!r}")
        if has_mix and not isinstance(value, dict | str):
            raise fields.fail(key, f"must be a table of chip = share, got {value!r}")
        try:
            shares = _resolve_mix(
                value if has_chip else None, None if has_chip else value, self.profiles
            )
        except CapacityError as error:
            raise fields.fail(key, str(error)) from None
        return {chip: float(share) for chip, share in shares.items()}, value if has_chip else None

    def prices(self, raw: Any, fields: TableReader) -> DealPrices:
        table = fields.table(raw, "prices")
        where = fields.about(f"{fields.owner}: [prices]")
        where.check_keys(table, _PRICE_TABLE_KEYS)
        accelerator: dict[str, str] = {}
        for chip, price in where.table(table.get("accelerator", {}), "accelerator").items():
            label = f"accelerator.{chip}"
            try:
                chip_id = self.profiles.resolve(chip)
            except CapacityError as error:
                raise where.fail(label, str(error)) from None
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

    def priced(self, value: Any, fields: TableReader, field_name: str, dimension: str) -> float:
        if dimension == "dimensionless" and isinstance(value, int | float):
            number = float(value)
        elif not isinstance(value, str):
            raise fields.fail(field_name, f"must be a string with its unit, got {value!r}")
        else:
            number = fields.si(value, field_name, dimension)
        if not (math.isfinite(number) and number >= 0):
            raise fields.fail(field_name, f"must be ≥ 0, got {value!r}")
        return number

    # --- schedule ------------------------------------------------------------------------

    def schedule(
        self, raw: Mapping[str, Any], fields: TableReader, total: float, by_power: bool
    ) -> Schedule | None:
        if "tranche" in raw:
            written = [k for k in ("start", "end", "ramp") if k in raw]
            if written:
                raise fields.fail(
                    written[0],
                    "give either start/end/ramp or [[deal.tranche]] tables, not both",
                )
            return self.tranches(raw["tranche"], fields, total, by_power)
        if "start" not in raw:
            for key in ("end", "ramp"):
                if key in raw:
                    raise fields.fail("start", f"required with '{key}', missing")
            return None
        start = self.date(raw["start"], fields, "start")
        ramp = raw.get("ramp", "linear" if "end" in raw else "step")
        if ramp not in RAMPS:
            raise fields.fail("ramp", f"must be one of {', '.join(RAMPS)}; got {ramp!r}")
        if ramp == "step":
            if "end" in raw:
                raise fields.fail(
                    "end",
                    "a step ramp brings everything online at start; "
                    'remove end, or use ramp = "linear"',
                )
            return Schedule.create([Ramp(start, None, 1.0)])
        if "end" not in raw:
            raise fields.fail("end", "a linear ramp needs an end date, missing")
        end = self.date(raw["end"], fields, "end")
        if end < start:
            raise fields.fail("end", f"{end} is before start {start}")
        return Schedule.create([Ramp(start, end, 1.0)])

    def tranches(self, value: Any, fields: TableReader, total: float, by_power: bool) -> Schedule:
        if not isinstance(value, list) or not value:
            raise fields.fail("tranche", "write each tranche as a [[deal.tranche]] table")
        amount_key = "power" if by_power else "accelerators"
        other_key = "accelerators" if by_power else "power"
        pieces: list[tuple[int, date, date | None, float]] = []
        for index, tranche in enumerate(value, start=1):
            label = f"tranche[{index}]"
            tranche = fields.table(tranche, label)
            fields.within(label).check_keys(tranche, _TRANCHE_KEYS)
            if other_key in tranche:
                raise fields.fail(
                    f"{label}.{other_key}",
                    f"this deal is sized by {amount_key}; give each tranche's {amount_key}",
                )
            if "start" not in tranche:
                raise fields.fail(f"{label}.start", "required, missing")
            if amount_key not in tranche:
                raise fields.fail(f"{label}.{amount_key}", "required, missing")
            start = self.date(tranche["start"], fields, f"{label}.start")
            end = self.date(tranche["end"], fields, f"{label}.end") if "end" in tranche else None
            if end is not None and end < start:
                raise fields.fail(f"{label}.end", f"{end} is before start {start}")
            amount = self.tranche_amount(
                tranche[amount_key], fields, f"{label}.{amount_key}", by_power
            )
            pieces.append((index, start, end, amount))
        _check_no_overlap(pieces, lambda problem: fields.fail("tranche", problem))
        summed = math.fsum(amount for *_, amount in pieces)
        if abs(summed - total) > TRANCHE_SUM_TOLERANCE * total:
            show = _show_power if by_power else _show_count
            raise fields.fail(
                "tranche",
                f"the tranches add up to {show(summed)} but the deal's {amount_key} is "
                f"{show(total)}",
            )
        return Schedule.create(
            Ramp(start, end, amount / summed) for _, start, end, amount in pieces
        )

    def tranche_amount(
        self, value: Any, fields: TableReader, field_name: str, by_power: bool
    ) -> float:
        if is_distribution_text(value):
            raise fields.fail(
                field_name,
                f"must be a fixed amount, got {value!r}; give a "
                "distribution on the deal's total instead",
            )
        if by_power:
            if isinstance(value, bool) or not isinstance(value, str):
                raise fields.fail(
                    field_name,
                    f"must be a power with its unit, such as '1 GW', got {value!r}",
                )
            amount = fields.si(value, field_name, "power")
        else:
            try:
                parsed = None if isinstance(value, bool) else parse_count(value, field_name)
            except GrammarError as error:
                message = str(error).removeprefix(f"{field_name}: ")
                raise fields.fail(field_name, message) from None
            except CapacityError:
                raise fields.fail(field_name, f"must be > 0, got {value!r}") from None
            if parsed is None:
                raise fields.fail(
                    field_name,
                    f"must be a number of accelerators such as 250000 or '250k', got {value!r}",
                )
            amount = parsed
        if not (math.isfinite(amount) and amount > 0):
            raise fields.fail(field_name, f"must be > 0, got {value!r}")
        return float(amount)

    # --- tables --------------------------------------------------------------------------

    def defaults(self, raw: Any) -> dict[str, Any]:
        fields = self.file.about("[defaults]")
        table = fields.table(raw, "defaults")
        fields.check_keys(table, _DEFAULT_KEYS)
        self.inputs(table, fields)
        if "chip" in table or "mix" in table:
            self.shares(table, fields)
        if "power" in table and "accelerators" in table:
            raise fields.fail("power' or 'accelerators", "give one of them, not both")
        if "power" in table:
            self.power(table["power"], fields, "power")
        if "accelerators" in table:
            self.count(table["accelerators"], fields, "accelerators")
        if "prices" in table:
            self.prices(table["prices"], fields)
        if "announced" in table:
            self.date(table["announced"], fields, "announced")
        fields.optional_text(table, "notes") or ""
        return table

    def inputs(self, raw: Mapping[str, Any], fields: TableReader) -> dict[str, Any]:
        """The deal's basis, PUE, utilization and MFU; those it and [defaults] leave out
        are :data:`capacity.defaults.DEFAULTS`."""
        basis = raw.get("basis", DEFAULTS.basis)
        if basis not in BASES:
            raise fields.fail("basis", f"must be one of {', '.join(BASES)}; got {basis!r}")
        inputs: dict[str, Any] = {"basis": basis}
        for name, (low, high) in RANGES.items():
            inputs[name] = self.bounded(
                raw.get(name, getattr(DEFAULTS, name)), fields, name, low, high
            )
        return inputs

    def deal(self, raw: Any, index: int, defaults: Mapping[str, Any]) -> Deal:
        if not isinstance(raw, dict):
            raise PortfolioError(f"{self.where}: deal #{index}: must be a [[deal]] table")
        label = raw.get("name")
        fields = self.file.about(
            f"deal '{label}'" if isinstance(label, str) and label.strip() else f"deal #{index}"
        )
        name = fields.text(raw, "name")
        fields.check_keys(raw, _DEAL_KEYS)
        counterparty = fields.text(raw, "counterparty")
        merged = _merged(defaults, raw)
        inputs = self.inputs(merged, fields)
        shares, chip = self.shares(merged, fields)
        has_power, has_count = "power" in merged, "accelerators" in merged
        if has_power == has_count:
            problem = "give one of them, not both" if has_power else "required: give one of them"
            raise fields.fail("power' or 'accelerators", problem)
        power = self.power(merged["power"], fields, "power") if has_power else None
        count = None if has_power else self.count(merged["accelerators"], fields, "accelerators")
        if has_count and "basis" in raw:
            raise fields.fail("basis", "applies to a power; this deal is a number of accelerators")
        sized = power if power is not None else count
        assert sized is not None
        schedule = self.schedule(raw, fields, sized.nominal(), power is not None)
        prices = self.prices(merged["prices"], fields) if "prices" in merged else DealPrices()
        announced = (
            self.date(merged["announced"], fields, "announced") if "announced" in merged else None
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
            notes=fields.optional_text(merged, "notes") or "",
            region=fields.optional_text(merged, "region") or None,
            cooling=self.cooling(merged, fields),
        )

    def cooling(self, raw: Mapping[str, Any], fields: TableReader) -> str:
        cooling = raw.get("cooling", DEFAULTS.cooling)
        if cooling not in COOLING_TYPES:
            raise fields.fail(
                "cooling", f"must be one of {', '.join(COOLING_TYPES)}; got {cooling!r}"
            )
        return str(cooling)

    def portfolio(self, raw: Mapping[str, Any]) -> Portfolio:
        for key in raw:
            if key not in _TOP_KEYS:
                raise PortfolioError(
                    f"{self.where}: unknown table or field '{key}'; known: {', '.join(_TOP_KEYS)}"
                )
        if "portfolio" not in raw:
            raise PortfolioError(f"{self.where}: [portfolio] table required, missing")
        fields = self.file.about("[portfolio]")
        header = fields.table(raw["portfolio"], "portfolio")
        fields.check_keys(header, _PORTFOLIO_KEYS)
        name = fields.text(header, "name")
        if "version" in header and header["version"] != FORMAT_VERSION:
            raise fields.fail(
                "version",
                f"this capacity reads format version {FORMAT_VERSION}, got {header['version']!r}",
            )
        as_of = self.date(header["as_of"], fields, "as_of") if "as_of" in header else None
        defaults = self.defaults(raw["defaults"]) if "defaults" in raw else {}
        entries = raw.get("deal")
        if isinstance(entries, dict):
            raise PortfolioError(f"{self.where}: write each deal as [[deal]], not [deal]")
        if not isinstance(entries, list) or not entries:
            raise PortfolioError(f"{self.where}: no deals; add at least one [[deal]] table")
        deals: list[Deal] = []
        numbers: dict[str, int] = {}  # deal name → its number, to find a repeated name at once
        for index, entry in enumerate(entries, start=1):
            deal = self.deal(entry, index, defaults)
            if deal.name in numbers:
                raise self.file.about(f"deal '{deal.name}'").fail(
                    "name",
                    f"deals #{numbers[deal.name]} and #{index} have the same name; names must "
                    "be unique",
                )
            numbers[deal.name] = index
            deals.append(deal)
        return Portfolio(
            name=name,
            deals=tuple(deals),
            as_of=as_of,
            source=self.where,
            description=fields.optional_text(header, "description") or "",
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


def _check_no_overlap(
    pieces: Sequence[tuple[int, date, date | None, float]],
    fail: Callable[[str], CapacityError],
) -> None:
    """Raise ``fail(problem)`` when two tranches share a day.

    Sorted by start, tranches are disjoint exactly when each starts after the latest last day
    of those before it, so one pass after the sort finds an overlap: O(n log n), not the
    O(n²) of comparing every pair.
    """
    ordered = sorted(pieces, key=lambda piece: (piece[1], piece[0]))
    latest: tuple[int, date, date | None, float] | None = None
    for piece in ordered:
        _, start, end, _ = piece
        if latest is not None and start <= (latest[2] or latest[1]):
            first, second = sorted((latest, piece))
            raise fail(
                f"tranches {first[0]} ({_span(first[1], first[2])}) and {second[0]} "
                f"({_span(second[1], second[2])}) overlap; each day belongs to one tranche"
            )
        if latest is None or (end or start) > (latest[2] or latest[1]):
            latest = piece


def _span(start: date, end: date | None) -> str:
    return f"{start} … {end}" if end is not None else f"{start}, at once"


def _show_power(watts: float) -> str:
    return f"{watts / 1e9:.6g} GW"


def _show_count(count: float) -> str:
    return f"{count:,.6g} accelerators"


# ---------------------------------------------------------------------------------------------
# Evaluation
