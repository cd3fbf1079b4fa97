"""Options shared by several commands."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer

from capacity.errors import CapacityError, InputError
from capacity.grammar import read_number

ProfilesOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--profiles",
        help="Directory of extra or replacement profile TOML files (repeatable; "
        "also $CAPACITY_PROFILES).",
        file_okay=False,
    ),
]
GridFileOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--grid-file",
        help="TOML file of extra reference grids (repeatable; also $CAPACITY_GRIDS).",
        dir_okay=False,
    ),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a profile field: ID.FIELD=VALUE (repeatable)."),
]
FormatOption = Annotated[
    str, typer.Option("--format", help="Output format: table, json (or csv where offered).")
]


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


def check_format(output_format: str, allowed: tuple[str, ...]) -> None:
    if output_format not in allowed:
        raise InputError(f"--format must be one of {', '.join(allowed)}; got {output_format!r}")


def parse_overrides(settings: list[str] | None) -> dict[str, str]:
    """``--set ID.FIELD=VALUE`` options as the ``overrides`` mapping of the API."""
    overrides: dict[str, str] = {}
    for setting in settings or []:
        key, equals, value = setting.partition("=")
        if not equals or "." not in key or not value.strip():
            raise InputError(f"--set {setting!r} must be ID.FIELD=VALUE, e.g. h100.tdp=700W")
        overrides[key.strip()] = value.strip()
    return overrides


# capacity.convert's defaults, filled in for conversion options left out (and shown as
# "(default)" where a command lists its inputs).
DEFAULTS: dict[str, Any] = {
    "pue": 1.2,
    "utilization": 0.8,
    "mfu": 1.0,
    "basis": "facility",
    "provision": "nameplate",
    "precision": "bf16",
    "method": "system",
    "mix_basis": "power",
}

# The conversion options every command shares. Defaults are None so that a command can tell
# an option given from one left out; each command fills in capacity.convert's defaults.
ChipOption = Annotated[str | None, typer.Option(help="One chip's profile id or alias.")]
MixOption = Annotated[
    str | None, typer.Option(help="Chip shares summing to 1: ID=SHARE,ID=SHARE,...")
]
BasisOption = Annotated[
    str | None,
    typer.Option(help="facility (site draw) or it (critical IT load). Default: facility."),
]
ProvisionOption = Annotated[
    str | None,
    typer.Option(help="nameplate or busy (power-capped sites). Default: nameplate."),
]
PrecisionOption = Annotated[
    str | None, typer.Option(help="fp4, fp6, fp8, bf16, tf32, fp32 or fp64. Default: bf16.")
]
MethodOption = Annotated[
    str | None,
    typer.Option(help="system (reference systems) or epoch (1.82 × TDP). Default: system."),
]
MixBasisOption = Annotated[
    str | None,
    typer.Option(help="Mix shares of IT power or of accelerator count. Default: power."),
]
GridOption = Annotated[
    list[str] | None,
    typer.Option(help="Reference grid id for grid share (repeatable). Default: all."),
]
# Cost options shared by `costs` and `montecarlo`.
LifetimeOption = Annotated[
    str | None, typer.Option(help="Hardware lifetime for annualized capex, e.g. 5year.")
]
FacilityLifetimeOption = Annotated[
    str | None, typer.Option(help="Facility lifetime for annualized capex, e.g. 20year.")
]
DiscountRateOption = Annotated[
    str | None, typer.Option(help="Discount rate per year, e.g. 0.08 (0: straight line).")
]

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
