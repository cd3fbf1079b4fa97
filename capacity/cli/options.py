"""Options shared by several commands, each defined once, with defaults and help texts from
:data:`capacity.defaults.DEFAULTS`.

A single shared option is an ``Annotated`` alias (``PueOption``). Options that commands take
together are an :class:`OptionGroup`: a frozen dataclass whose fields are such aliases. A
command names a group as one parameter (``model: ModelOptions = ModelOptions()``) and
:func:`expand_option_groups` gives typer the group's options in its place, then hands the
command one group object built from them.

Conversion options default to None, so that a command tells an option given from one left
out: it passes on only those given, and the API's own defaults apply to the others.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import re
import typing
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from capacity.chain import EPOCH_SYSTEM_OVERHEAD
from capacity.defaults import DEFAULTS
from capacity.errors import CapacityError, ClusterError, InputError
from capacity.grammar import read_number
from capacity.grids import GridSet, load_grids
from capacity.profiles import PRECISIONS, SPARSITIES, ProfileSet, load_profiles

Command = TypeVar("Command", bound=Callable[..., Any])


def number_option(text: str | float) -> float:
    """A number option read by :mod:`capacity.grammar` ("1.2", "1 500", "80%"), never by
    Python's float(), which takes "nan", "inf" and "1_2". Defaults arrive as numbers."""
    if not isinstance(text, str):
        return float(text)
    try:
        return read_number(text, "")
    except CapacityError as error:
        raise typer.BadParameter(str(error).removeprefix(": ")) from None


def integer_option(text: str | int) -> int:
    """A whole-number option: "1024", "1e6", "10 000"; refuses "1.5" and "1_0"."""
    if isinstance(text, int):
        return text
    number = number_option(text)
    if not number.is_integer():
        raise typer.BadParameter(f"{text!r} is not a whole number")
    return int(number)


def listed(items: Iterable[object], conjunction: str = "or") -> str:
    """Items as a sentence lists them: "fp4, fp6 or fp8", "0.05, 0.5 and 0.95"."""
    *others, last = (str(item) for item in items)
    return f"{', '.join(others)} {conjunction} {last}" if others else last


def default_text(name: str) -> str:
    """The end of a help text: " Default: 1.2." for a field of
    :data:`~capacity.defaults.DEFAULTS`."""
    return f" Default: {getattr(DEFAULTS, name)}."


# --- single options -----------------------------------------------------------------------

PowerOrCountArgument = Annotated[
    str,
    typer.Argument(
        metavar="POWER_OR_COUNT",
        help="A power ('30GW', '150 MW') or a count of accelerators ('200000', '4.5M').",
    ),
]
# The loaders check the paths (capacity.datafiles), so that a bad one is one error line.
ProfilesOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--profiles",
        help="Directory of extra or replacement profile TOML files (repeatable; "
        "also $CAPACITY_PROFILES).",
    ),
]
GridFileOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--grid-file",
        help="TOML file of extra reference grids (repeatable; also $CAPACITY_GRIDS).",
    ),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a profile field: ID.FIELD=VALUE (repeatable)."),
]
FormatOption = Annotated[str, typer.Option("--format", help="Output format: table, json or csv.")]
ChipOption = Annotated[str | None, typer.Option(help="One chip's profile id or alias.")]
MixOption = Annotated[
    str | None, typer.Option(help="Chip shares summing to 1: ID=SHARE,ID=SHARE,...")
]
PueOption = Annotated[
    float | None,
    typer.Option(parser=number_option, help="Facility ÷ IT power, ≥ 1." + default_text("pue")),
]
UtilizationOption = Annotated[
    float | None,
    typer.Option(
        parser=number_option,
        help="Fraction of time the fleet is busy." + default_text("utilization"),
    ),
]
MfuOption = Annotated[
    float | None,
    typer.Option(
        parser=number_option,
        help="Fraction of peak FLOP/s achieved while busy." + default_text("mfu"),
    ),
]
BasisOption = Annotated[
    str | None,
    typer.Option(help="facility (site draw) or it (critical IT load)." + default_text("basis")),
]
ProvisionOption = Annotated[
    str | None,
    typer.Option(help="nameplate or busy (power-capped sites)." + default_text("provision")),
]
PrecisionOption = Annotated[
    str | None, typer.Option(help=f"{listed(PRECISIONS)}." + default_text("precision"))
]
MethodOption = Annotated[
    str | None,
    typer.Option(
        help=f"system (reference systems) or epoch ({EPOCH_SYSTEM_OVERHEAD:g} × TDP)."
        + default_text("method")
    ),
]
SparsityOption = Annotated[
    str | None,
    typer.Option(
        help=f"{listed(SPARSITIES)}: dense peaks, or structured-sparse peaks where the vendor "
        "publishes them." + default_text("sparsity")
    ),
]
CoolingOption = Annotated[
    str | None,
    typer.Option(
        help="Site cooling, for its water use (WUE): average, evaporative or closed-loop."
        + default_text("cooling")
    ),
]
WueOption = Annotated[
    str | None,
    typer.Option(help="Site water usage effectiveness for this run, e.g. 0.2L/kWh."),
]
MixBasisOption = Annotated[
    str | None,
    typer.Option(
        help="Mix shares of IT power or of accelerator count." + default_text("mix_basis")
    ),
]
GridOption = Annotated[
    list[str] | None,
    typer.Option(
        help="Grid id for grid share (repeatable; default: the reference grids). The first "
        "with a price or intensities is the site region (default: us): capacity grids."
    ),
]
BackendOption = Annotated[
    str, typer.Option(help="auto (CUDA if usable, else numba), numba, cuda or numpy.")
]
SeedOption = Annotated[
    int,
    typer.Option(
        parser=integer_option,
        help="Seed of the draws: the same seed gives the same samples on every backend.",
    ),
]
_DISTRIBUTIONS = (
    "tri:LOW,MODE,HIGH, uniform:LOW,HIGH, normal:MEAN,SD, lognormal:MEDIAN,SIGMA or samples:FILE"
)
PueDistributionOption = Annotated[
    str | None,
    typer.Option(
        help=f"Facility ÷ IT power, ≥ 1: a number or a distribution ({_DISTRIBUTIONS})."
        + default_text("pue")
    ),
]
UtilizationDistributionOption = Annotated[
    str | None,
    typer.Option(
        help="Fraction of time the fleet is busy: a number or a distribution."
        + default_text("utilization")
    ),
]
MfuDistributionOption = Annotated[
    str | None,
    typer.Option(
        help="Fraction of peak FLOP/s achieved while busy: a number or a distribution."
        + default_text("mfu")
    ),
]
PriceOption = Annotated[
    list[str] | None,
    typer.Option(help="Price per accelerator: CHIP=VALUE, e.g. gb300=55000USD (repeatable)."),
]
FacilityCapexOption = Annotated[
    str | None, typer.Option(help="Facility capex per watt of IT power, e.g. 11USD/W.")
]
ElectricityOption = Annotated[str | None, typer.Option(help="Electricity price, e.g. 80USD/MWh.")]
UncertainPriceOption = Annotated[
    list[str] | None,
    typer.Option(
        help="Price per accelerator: CHIP=VALUE or CHIP=DIST, e.g. gb300=55000USD or "
        "h100=tri:25kUSD,30kUSD,40kUSD (repeatable). Default: the profile's price range."
    ),
]
UncertainFacilityCapexOption = Annotated[
    str | None,
    typer.Option(
        help="Facility capex per watt of IT power, e.g. 11USD/W or tri:9USD/W,11USD/W,15USD/W."
    ),
]
UncertainElectricityOption = Annotated[
    str | None,
    typer.Option(help="Electricity price, e.g. 80USD/MWh or uniform:60USD/MWh,90USD/MWh."),
]
LifetimeOption = Annotated[
    str | None, typer.Option(help="Hardware lifetime for annualized capex, e.g. 5year.")
]
FacilityLifetimeOption = Annotated[
    str | None, typer.Option(help="Facility lifetime for annualized capex, e.g. 20year.")
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        help="Run the chunks on the Dask cluster whose scheduler is at this address "
        "(tcp://HOST:8786). Needs the distributed extra."
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        parser=integer_option,
        help="Run the chunks on a local Dask cluster of N worker processes. Needs the "
        "distributed extra.",
    ),
]
CostParameterOption = Annotated[
    list[str] | None,
    typer.Option(
        "--cost",
        help="Any cost parameter for this run: NAME=VALUE, e.g. "
        "network_storage_per_accelerator=7000USD or non_energy_opex_share=0.04 (repeatable; "
        "names: capacity costs --format json).",
    ),
]
DiscountRateOption = Annotated[
    str | None, typer.Option(help="Discount rate per year, e.g. 0.08 (0: straight line).")
]


# --- groups of options --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class OptionGroup:
    """Options that commands take together: subclasses are frozen dataclasses whose fields
    are options (``Annotated`` aliases with their defaults)."""

    def given(self) -> dict[str, Any]:
        """The options given, by name: those left out (None) are not there."""
        values = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        return {name: value for name, value in values.items() if value is not None}


@dataclasses.dataclass(frozen=True)
class ChipOptions(OptionGroup):
    """One chip or a mix of them."""

    chip: ChipOption = None
    mix: MixOption = None


@dataclasses.dataclass(frozen=True)
class InputOptions(OptionGroup):
    """The chain's numbers: PUE, utilization and MFU."""

    pue: PueOption = None
    utilization: UtilizationOption = None
    mfu: MfuOption = None


@dataclasses.dataclass(frozen=True)
class UncertainInputOptions(OptionGroup):
    """The chain's numbers, each fixed or a distribution."""

    pue: PueDistributionOption = None
    utilization: UtilizationDistributionOption = None
    mfu: MfuDistributionOption = None


@dataclasses.dataclass(frozen=True)
class ModelOptions(OptionGroup):
    """How the model reads a power and sizes a fleet."""

    basis: BasisOption = None
    provision: ProvisionOption = None
    precision: PrecisionOption = None
    method: MethodOption = None
    mix_basis: MixBasisOption = None
    sparsity: SparsityOption = None


@dataclasses.dataclass(frozen=True)
class SiteOptions(OptionGroup):
    """The site's cooling (the region is the first --grid with site figures)."""

    cooling: CoolingOption = None
    wue: WueOption = None


@dataclasses.dataclass(frozen=True)
class DataOptions(OptionGroup):
    """The user's own grids, profiles and profile fields for this run."""

    grid_file: GridFileOption = None
    set_: SetOption = None
    profiles: ProfilesOption = None

    def profile_set(self) -> ProfileSet:
        """The built-in profiles, ``$CAPACITY_PROFILES`` and ``--profiles``, read once a
        command however often it asks (a set is never changed)."""
        return self._profiles

    def grid_set(self) -> GridSet:
        """The built-in grids, ``$CAPACITY_GRIDS`` and ``--grid-file``, read once a command."""
        return self._grids

    @functools.cached_property
    def _profiles(self) -> ProfileSet:
        return load_profiles(self.profiles)

    @functools.cached_property
    def _grids(self) -> GridSet:
        return load_grids(self.grid_file)

    def overrides(self) -> dict[str, str]:
        """``--set`` as the ``overrides`` of the API."""
        return parse_overrides(self.set_)

    def api_options(self) -> dict[str, Any]:
        """The ``profiles``, ``grid_set`` and ``overrides`` arguments of the API."""
        return {
            "profiles": self.profile_set(),
            "grid_set": self.grid_set(),
            "overrides": self.overrides(),
        }


@dataclasses.dataclass(frozen=True)
class CostOptions(OptionGroup):
    """Cost figures for this run, each fixed."""

    price: PriceOption = None
    facility_capex: FacilityCapexOption = None
    electricity: ElectricityOption = None
    lifetime: LifetimeOption = None
    facility_lifetime: FacilityLifetimeOption = None
    discount_rate: DiscountRateOption = None
    cost: CostParameterOption = None

    def overrides(self) -> dict[str, str]:
        """The options given as the ``overrides`` of :func:`capacity.costs.cost_assumptions`."""
        given = self.given()
        overrides = price_overrides(given.pop("price", None))
        for setting in given.pop("cost", None) or []:
            name, equals, value = setting.partition("=")
            if not equals or not name.strip() or not value.strip():
                raise InputError(
                    f"--cost {setting!r} must be NAME=VALUE, e.g. non_energy_opex_share=0.04"
                )
            overrides[name.strip()] = value.strip()
        return overrides | {COST_OPTIONS[name]: value for name, value in given.items()}


@dataclasses.dataclass(frozen=True)
class UncertainCostOptions(CostOptions):
    """Cost figures for this run: prices, facility capex and electricity may be distributions."""

    price: UncertainPriceOption = None
    facility_capex: UncertainFacilityCapexOption = None
    electricity: UncertainElectricityOption = None


@dataclasses.dataclass(frozen=True)
class ClusterOptions(OptionGroup):
    """Where the chunks run: a Dask cluster's scheduler, or a local cluster of N workers."""

    scheduler: SchedulerOption = None
    workers: WorkersOption = None

    @contextlib.contextmanager
    def client(self) -> Iterator[Any]:
        """The API's ``scheduler`` argument for the block: None (this process), or a client
        of the scheduler given or of a local cluster started for the block."""
        from capacity import distributed

        if self.scheduler is not None and self.workers is not None:
            raise InputError("--scheduler and --workers: give one (a cluster, or a local one)")
        if self.scheduler is None and self.workers is None:
            yield None
            return
        option = "--scheduler" if self.workers is None else "--workers"
        distributed.require_distributed(option)
        if self.workers is not None:
            if not 1 <= self.workers <= distributed.MAX_LOCAL_WORKERS:
                raise InputError(
                    f"--workers must be in [1, {distributed.MAX_LOCAL_WORKERS}], got "
                    f"{self.workers}"
                )
            with distributed.local_cluster(self.workers) as client:
                yield client
            return
        try:
            with distributed.connected(self.scheduler) as client:
                yield client
        except ClusterError as error:
            if not str(error).startswith("scheduler:"):
                raise
            raise ClusterError(f"--{error}") from None


def expand_option_groups(command: Command) -> Command:
    """``command`` with each parameter annotated with an :class:`OptionGroup` replaced by the
    group's options; when it runs, they reach ``command`` as one group object again.

    Every parameter becomes keyword-only (typer passes options by name), in the order of
    ``command``'s parameters and of each group's fields.
    """
    signature = inspect.signature(command, eval_str=True)
    parameters: list[inspect.Parameter] = []
    groups: dict[str, type[OptionGroup]] = {}
    for parameter in signature.parameters.values():
        group = parameter.annotation
        if not (isinstance(group, type) and issubclass(group, OptionGroup)):
            parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY))
            continue
        groups[parameter.name] = group
        hints = typing.get_type_hints(group, include_extras=True)
        parameters += [
            inspect.Parameter(
                field.name, inspect.Parameter.KEYWORD_ONLY, default=field.default,
                annotation=hints[field.name],
            )
            for field in dataclasses.fields(group)
        ]  # fmt: skip
    names = [parameter.name for parameter in parameters]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise TypeError(f"{command.__name__}: options {repeated} are given twice")

    @functools.wraps(command)
    def run(**options: Any) -> Any:
        for name, group in groups.items():
            fields = dataclasses.fields(group)
            options[name] = group(**{field.name: options.pop(field.name) for field in fields})
        return command(**options)

    expanded = signature.replace(parameters=parameters)
    run.__signature__ = expanded  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in parameters}
    return run  # type: ignore[return-value]


# --- reading options ----------------------------------------------------------------------


def check_format(output_format: str, allowed: tuple[str, ...], wide: bool = False) -> None:
    """Refuse a ``--format`` outside ``allowed``, and ``--wide`` with any format but CSV."""
    if output_format not in allowed:
        raise InputError(f"--format must be one of {', '.join(allowed)}; got {output_format!r}")
    if wide and output_format != "csv":
        raise InputError("--wide shapes CSV: give it with --format csv (or --out FILE.csv)")


def parse_overrides(settings: list[str] | None) -> dict[str, str]:
    """``--set ID.FIELD=VALUE`` options as the ``overrides`` mapping of the API."""
    overrides: dict[str, str] = {}
    for setting in settings or []:
        key, equals, value = setting.partition("=")
        if not equals or "." not in key or not value.strip():
            raise InputError(f"--set {setting!r} must be ID.FIELD=VALUE, e.g. h100.tdp=700W")
        overrides[key.strip()] = value.strip()
    return overrides


# Option → cost override key of capacity.costs.cost_assumptions.
COST_OPTIONS = {
    "facility_capex": "facility_capex_per_watt",
    "electricity": "electricity_price",
    "lifetime": "hardware_lifetime",
    "facility_lifetime": "facility_lifetime",
    "discount_rate": "discount_rate",
}


def cost_option_names(message: str) -> str:
    """An override error in terms of this command's options ("--electricity: needs ...")."""
    for option, key in COST_OPTIONS.items():
        message = message.replace(f"cost override: field '{key}'", f"--{option.replace('_', '-')}")
    return re.sub(r"cost override: field 'price\.([^']+)'", r"--price \1", message)


def price_overrides(settings: list[str] | None) -> dict[str, str]:
    """``--price CHIP=VALUE`` options as ``price.CHIP`` cost overrides."""
    overrides: dict[str, str] = {}
    for setting in settings or []:
        chip, equals, value = setting.partition("=")
        if not equals or not chip.strip() or not value.strip():
            raise InputError(f"--price {setting!r} must be CHIP=VALUE, e.g. gb300=55000USD")
        overrides[f"price.{chip.strip()}"] = value.strip()
    return overrides
