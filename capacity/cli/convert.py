"""``capacity convert POWER_OR_COUNT``: one conversion, as a table, JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from capacity.cli.app import app, reports_errors
from capacity.cli.format import echo, human, scientific, to_csv, to_json, wide_console
from capacity.cli.options import (
    DEFAULTS,
    BasisOption,
    ChipOption,
    FormatOption,
    GridFileOption,
    GridOption,
    MethodOption,
    MixBasisOption,
    MixOption,
    PrecisionOption,
    ProfilesOption,
    ProvisionOption,
    SetOption,
    check_format,
    number_option,
    parse_overrides,
)
from capacity.cli.shares import ShareCells
from capacity.convert import Conversion, convert, convert_accelerators
from capacity.errors import InputError, UnitError
from capacity.grids import load_grids
from capacity.profiles import load_profiles
from capacity.units import format_count, parse_count


@app.command(name="convert")
@reports_errors
def convert_command(
    power_or_count: Annotated[
        str,
        typer.Argument(
            metavar="POWER_OR_COUNT",
            help="A power ('30GW', '150 MW') or a count of accelerators ('200000', '4.5M').",
        ),
    ],
    chip: ChipOption = None,
    mix: MixOption = None,
    pue: Annotated[
        float | None, typer.Option(parser=number_option, help="Facility ÷ IT power, ≥ 1. [1.2]")
    ] = None,
    utilization: Annotated[
        float | None,
        typer.Option(parser=number_option, help="Fraction of time the fleet is busy. [0.8]"),
    ] = None,
    mfu: Annotated[
        float | None,
        typer.Option(
            parser=number_option, help="Fraction of peak FLOP/s achieved while busy. [1.0]"
        ),
    ] = None,
    basis: BasisOption = None,
    provision: ProvisionOption = None,
    precision: PrecisionOption = None,
    method: MethodOption = None,
    mix_basis: MixBasisOption = None,
    grid: GridOption = None,
    grid_file: GridFileOption = None,
    set_: SetOption = None,
    profiles: ProfilesOption = None,
    output_format: FormatOption = "table",
) -> None:
    """Convert a power (or a number of accelerators) into accelerators, FLOP/s, energy and
    grid share."""
    check_format(output_format, ("table", "json", "csv"))
    given = {
        "pue": pue, "utilization": utilization, "mfu": mfu, "basis": basis,
        "provision": provision, "precision": precision, "method": method, "mix_basis": mix_basis,
    }  # fmt: skip
    chosen = {name: DEFAULTS[name] if value is None else value for name, value in given.items()}
    options: dict[str, Any] = {
        "chip": chip,
        "mix": mix,
        "grids": grid,
        "profiles": load_profiles(profiles),
        "grid_set": load_grids(grid_file),
        "overrides": parse_overrides(set_),
        **{k: v for k, v in chosen.items() if k != "basis"},
    }
    count = parse_count(power_or_count, "POWER_OR_COUNT")
    if count is not None:
        if basis is not None:
            raise InputError("--basis applies to a power; POWER_OR_COUNT here is a count")
        result = convert_accelerators(count, **options)
    else:
        try:
            result = convert(power_or_count, basis=str(chosen["basis"]), **options)
        except UnitError as error:
            raise UnitError(
                f"{error} (POWER_OR_COUNT is a power such as '30GW' or a count such as '200k')"
            ) from None
    if output_format == "json":
        echo(to_json(result.to_dict()))
    elif output_format == "csv":
        echo(to_csv(result.to_dict()), nl=False)
    else:
        _print_table(result, chosen, given, count is not None)


def _print_table(
    result: Conversion, chosen: dict[str, Any], given: dict[str, Any], from_count: bool
) -> None:
    console = wide_console(110)
    default = {name: given[name] is None for name in given}

    def label(name: str) -> str:
        return f"{chosen[name]}" + (" (default)" if default[name] else "")

    if from_count:
        headline = f"{format_count(result.accelerators.magnitude)} accelerators"
    else:
        headline = f"{human(result.inputs['power_w'], 'W')} of {chosen['basis']} power"
    inputs = Table(title=f"{headline}: inputs", show_header=False)
    inputs.add_column("input")
    inputs.add_column("value")
    rows = [
        ("PUE", label("pue")),
        ("utilization", label("utilization")),
        ("MFU", label("mfu")),
        ("provisioning", label("provision")),
        ("precision", label("precision")),
        ("method", label("method")),
        ("mix basis", label("mix_basis")),
    ]
    if not from_count:
        rows.insert(0, ("basis", label("basis")))
    for name, value in rows:
        inputs.add_row(name, value)
    console.print(inputs)

    chips = Table(title="By chip (counts rounded down)")
    for column in ("chip", "share", "W/accel (IT)", "accelerators", "systems", "peak FLOP/s",
                   "avg facility power"):  # fmt: skip
        chips.add_column(column, justify="left" if column == "chip" else "right")
    profiles = result.inputs["chips"]
    for chip in profiles:
        used = result.precision_by_chip[chip]
        flag = "" if used == chosen["precision"] else f" ({used or 'none'})"
        chips.add_row(
            chip,
            f"{float(result.mix[chip]):.3g}",
            human(result.power_per_accelerator[chip], "W"),
            format_count(result.accelerators_by_chip[chip].magnitude),
            format_count(result.systems_by_chip[chip].magnitude),
            human(result.peak_flops_by_chip[chip], "FLOP/s") + flag,
            human(result.average_facility_power_by_chip[chip], "W"),
        )
    console.print(chips)

    totals = Table(title="Totals", show_header=False)
    totals.add_column("quantity")
    totals.add_column("value", justify="right")
    for name, value in (
        ("accelerators", format_count(result.accelerators.magnitude)),
        ("IT power", human(result.it_power, "W")),
        ("facility power (provisioned)", human(result.facility_power, "W")),
        ("average facility power", human(result.average_facility_power, "W")),
        ("annual energy", f"{result.annual_energy.to('TWh').magnitude:.4g} TWh"),
        (f"peak compute ({chosen['precision']}, dense)", human(result.peak_flops, "FLOP/s")),
        ("delivered compute (× utilization × MFU)", human(result.delivered_flops, "FLOP/s")),
        ("delivered FLOP per year", scientific(result.flop_per_year, "FLOP")),
        ("H100-equivalents (peak, same precision)", human(result.h100_equivalents)),
    ):
        totals.add_row(name, value)
    console.print(totals)

    grids = Table(title="Grid share")
    for column in ("grid", "energy basis (avg draw ÷ avg load)", "capacity basis"):
        grids.add_column(column, justify="left" if column == "grid" else "right")
    shares = ShareCells()
    for grid_id, share in result.grid_share.items():
        grids.add_row(grid_id, shares(share.energy), shares(share.capacity))
    console.print(grids)
    shares.footnote(console)

    if result.assumptions:
        console.print("[bold]Assumptions and estimates in these figures:[/bold]")
        for line in result.assumptions:
            console.print(f"  - {line}", markup=False, highlight=False, soft_wrap=True)
