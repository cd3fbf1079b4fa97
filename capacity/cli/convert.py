"""``capacity convert POWER_OR_COUNT``: one conversion, as a table, JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import typer
from rich.table import Table

from capacity.cli.format import human, scientific, wide_console
from capacity.cli.options import (
    ChipOptions,
    DataOptions,
    GridOption,
    InputOptions,
    ModelOptions,
    PowerOrCountArgument,
    SiteOptions,
    number_option,
)
from capacity.cli.output import OutputOptions, deliver
from capacity.cli.shares import ShareCells
from capacity.convert import Conversion, convert, convert_accelerators
from capacity.errors import InputError, UnitError
from capacity.power import NEEDS_A_CHIP, PowerShares, power_shares
from capacity.units import format_count, parse_count


def convert_command(
    power_or_count: PowerOrCountArgument,
    *,
    chips: ChipOptions,
    inputs: InputOptions,
    model: ModelOptions,
    grid: GridOption = None,
    load_factor: Annotated[
        float | None,
        typer.Option(
            parser=number_option,
            help="Without a chip: average draw ÷ facility power, for the energy-basis grid "
            "share (e.g. 0.8).",
        ),
    ] = None,
    site: SiteOptions,
    data: DataOptions,
    output: OutputOptions,
) -> None:
    """Convert a power (or a number of accelerators) into accelerators, FLOP/s, energy, grid
    share, emissions and water (at the site region: the first --grid with site figures);
    without a chip, what the power alone defines."""
    given = {**inputs.given(), **model.given()}
    if not chips.given():
        _power_only(power_or_count, given | site.given(), grid, load_factor, data, output)
        return
    if load_factor is not None:
        raise InputError(
            "--load-factor applies without a chip; with a chip the average draw follows from "
            "--utilization and the chip's idle and busy draw"
        )
    profiles = data.profile_set()
    grid_set = data.grid_set()
    result = converted(
        power_or_count,
        example="30GW",
        **chips.given(),
        **given,
        **site.given(),
        grids=grid,
        profiles=profiles,
        grid_set=grid_set,
        overrides=data.overrides(),
    )
    deliver(
        result,
        output,
        table=lambda: _print_table(result, given),
        document=result.to_dict,
        rows=lambda: result.to_dataframe().to_dict(orient="records"),
        keys=("entity", "point") if np.ndim(result.accelerators.magnitude) else ("entity",),
        figure=result.plot,
        report=lambda: {
            "profiles": profiles.with_overrides(data.overrides()),
            "grid_set": grid_set,
        },
    )


def _power_only(
    power_or_count: str, given: dict[str, Any], grid: list[str] | None,
    load_factor: float | None, data: DataOptions, output: OutputOptions,
) -> None:  # fmt: skip
    """``convert POWER`` without a chip: facility and IT power and the grid shares."""
    if parse_count(power_or_count, "POWER_OR_COUNT") is not None:
        raise InputError(
            f"a count of accelerators needs a chip; known chips: {', '.join(data.profile_set())}"
        )
    needs_chip = [f"--{name.replace('_', '-')}" for name in given if name not in ("pue", "basis")]
    if needs_chip:
        raise InputError(f"{', '.join(needs_chip)} need a chip (--chip or --mix)")
    grid_set = data.grid_set()
    try:
        result = power_shares(power_or_count, **given, load_factor=load_factor, grids=grid,
                              grid_set=grid_set)  # fmt: skip
    except UnitError as error:
        raise UnitError(
            f"{error} (POWER_OR_COUNT is a power such as '10GW'; a count needs a chip)"
        ) from None
    deliver(
        result,
        output,
        table=lambda: _print_power_only(result),
        document=result.to_dict,
        rows=lambda: result.to_dataframe().to_dict(orient="records"),
        figure=result.plot,
        report=lambda: {"grid_set": grid_set},
    )


def _print_power_only(result: PowerShares) -> None:
    console = wide_console(100)
    inputs = result.inputs
    totals = Table(title=f"{human(inputs['power_w'], 'W')} of {inputs['basis']} power, no chip",
                   show_header=False)  # fmt: skip
    totals.add_column("quantity")
    totals.add_column("value", justify="right", no_wrap=True)
    totals.add_row("PUE", f"{inputs['pue']:g}")
    totals.add_row("facility power", human(result.facility_power, "W"))
    totals.add_row("IT power", human(result.it_power, "W"))
    if result.average_facility_power is not None and result.annual_energy is not None:
        totals.add_row(f"average draw (load factor {result.load_factor:g})",
                       human(result.average_facility_power, "W"))  # fmt: skip
        totals.add_row("annual energy", f"{result.annual_energy.to('TWh').magnitude:.4g} TWh")
    console.print(totals)
    grids = Table(title="Grid share")
    energy = ("energy basis (load factor "
              f"{result.load_factor:g})" if result.load_factor is not None
              else "energy basis")  # fmt: skip
    for name in ("grid", "capacity basis (facility power ÷ capacity)", energy):
        grids.add_column(name, justify="left" if name == "grid" else "right")
    shares = ShareCells()
    for grid_id, share in result.grid_share.items():
        grids.add_row(
            grid_id,
            shares(share.capacity) if share.capacity is not None else "– (no capacity figure)",
            shares(share.energy) if share.energy is not None else "– (give --load-factor)",
        )
    console.print(grids)
    shares.footnote(console)
    console.print(f"Not shown: {NEEDS_A_CHIP}.", markup=False, highlight=False, soft_wrap=True)


def converted(power_or_count: str, *, example: str, **options: Any) -> Conversion:
    """POWER_OR_COUNT through :func:`capacity.convert` (a power) or
    :func:`capacity.convert_accelerators` (a count), with ``options``; ``example`` is a power
    that error messages suggest."""
    count = parse_count(power_or_count, "POWER_OR_COUNT")
    if count is not None:
        if "basis" in options:
            raise InputError("--basis applies to a power; POWER_OR_COUNT here is a count")
        return convert_accelerators(count, **options)
    try:
        return convert(power_or_count, **options)
    except UnitError as error:
        raise UnitError(
            f"{error} (POWER_OR_COUNT is a power such as {example!r} or a count such as '200k')"
        ) from None


def _print_environment(console: Any, result: Conversion) -> None:
    """Emissions and water at the site region, with the figures they rest on."""
    place, env = result.site, result.environment
    if place is None or env is None:
        return
    table = Table(title=f"Carbon and water at the site ({place.region}, {place.cooling} cooling)",
                  show_header=False)  # fmt: skip
    table.add_column("quantity")
    table.add_column("value", justify="right")

    def per_year(quantity: Any, unit: str, scale: float, label: str) -> str:
        if quantity is None:
            return "– (no figure for the region)"
        return f"{quantity.to(unit).magnitude / scale:.4g} {label}/yr"

    table.add_row(
        "emissions (location-based)", per_year(env.emissions, "tCO2e/year", 1e6, "MtCO2e")
    )
    table.add_row("water, total", per_year(env.water, "m**3/year", 1e6, "million m³"))
    table.add_row(
        "  on site (WUE × IT energy)", per_year(env.site_water, "m**3/year", 1e6, "million m³")
    )
    table.add_row(
        "  at the power plants", per_year(env.generation_water, "m**3/year", 1e6, "million m³")
    )
    console.print(table)


def _print_table(result: Conversion, given: dict[str, Any]) -> None:
    console = wide_console(110)
    chosen = result.inputs
    from_count = "power_w" not in chosen

    def label(name: str) -> str:
        return f"{chosen[name]}" + ("" if name in given else " (default)")

    if from_count:
        headline = f"{format_count(result.accelerators.magnitude)} accelerators"
    else:
        headline = f"{human(chosen['power_w'], 'W')} of {chosen['basis']} power"
    inputs = Table(title=f"{headline}: inputs", show_header=False)
    inputs.add_column("input")
    inputs.add_column("value")
    rows = [
        ("PUE", label("pue")),
        ("utilization", label("utilization")),
        ("MFU", label("mfu")),
        ("provisioning", label("provision")),
        ("precision", label("precision")),
        ("sparsity", label("sparsity")),
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
        ("accelerators (packages)", format_count(result.accelerators.magnitude)),
        ("compute dies (packages × dies per package)", format_count(result.dies.magnitude)),
        ("IT power", human(result.it_power, "W")),
        ("facility power (provisioned)", human(result.facility_power, "W")),
        ("average facility power", human(result.average_facility_power, "W")),
        ("annual energy", f"{result.annual_energy.to('TWh').magnitude:.4g} TWh"),
        (
            f"peak compute ({chosen['precision']}, {chosen['sparsity']})",
            human(result.peak_flops, "FLOP/s"),
        ),
        ("delivered compute (× utilization × MFU)", human(result.delivered_flops, "FLOP/s")),
        ("delivered FLOP per year", scientific(result.flop_per_year, "FLOP")),
        ("H100-equivalents (peak, same precision)", human(result.h100_equivalents)),
    ):
        totals.add_row(name, value)
    console.print(totals)
    _print_environment(console, result)

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
