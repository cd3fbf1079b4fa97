"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from capacity.errors import InputError

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
