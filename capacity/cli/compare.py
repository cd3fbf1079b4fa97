"""``capacity compare POWER_OR_COUNT --chips A,B,C``: one column per chip, mix or deal, one row
per output, with the ratio of each column to the first."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from capacity.cli.errors import remove_stale_output
from capacity.cli.format import human, scientific, wide_console
from capacity.cli.options import (
    CostOptions,
    DataOptions,
    GridOption,
    InputOptions,
    ModelOptions,
    cost_option_names,
)
from capacity.cli.output import OutputOptions, deliver, export
from capacity.cli.shares import ShareCells
from capacity.compare import Comparison, compare, compare_deals
from capacity.errors import InputError, ProfileError, UnitError
from capacity.portfolio import evaluate_portfolio, load_portfolio
from capacity.streaming import check_output_path
from capacity.tables import LABELS, label_of
from capacity.units import format_count, ureg


def compare_command(
    power_or_count: Annotated[
        str | None,
        typer.Argument(
            metavar="POWER_OR_COUNT",
            help="A power ('1GW') or a count of accelerators ('200k'); not with --portfolio.",
        ),
    ] = None,
    *,
    chips: Annotated[
        str | None,
        typer.Option(help="One column per chip: ID,ID,... (profile ids or aliases)."),
    ] = None,
    mix: Annotated[
        list[str] | None,
        typer.Option("--mix", "--mixes", help="One column per mix: ID=SHARE,... (repeatable)."),
    ] = None,
    portfolio: Annotated[
        Path | None,
        typer.Option(help="Compare the deals of this portfolio file, one column per deal."),
    ] = None,
    inputs: InputOptions,
    model: ModelOptions,
    grid: GridOption = None,
    costs: CostOptions,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Also write the comparison to this file, atomically: .csv, .parquet, .json "
            "or .xlsx (one row per column and output; --wide: one row per column)."
        ),
    ] = None,
    data: DataOptions,
    output: OutputOptions,
) -> None:
    """Compare chips, mixes or the deals of a portfolio side by side: one column each, one
    row per output, with the ratio of each column to the first. Use --set ID.FIELD=VALUE to
    change one chip's figures."""
    if out is not None:
        check_output_path(out, "--out")
        remove_stale_output(out)
    profiles = data.profile_set()
    grid_set = data.grid_set()
    if portfolio is not None:
        given = [name for name, value in (("POWER_OR_COUNT", power_or_count), ("--chips", chips),
                                          ("--mix", mix)) if value]  # fmt: skip
        if given:
            raise InputError(f"--portfolio compares its deals: leave out {', '.join(given)}")
        report = evaluate_portfolio(
            load_portfolio(portfolio, profiles=profiles.with_overrides(data.overrides())),
            profiles=profiles, overrides=data.overrides(), grid_set=grid_set,
        )  # fmt: skip
        result = compare_deals(report)
    else:
        if power_or_count is None:
            raise InputError("give POWER_OR_COUNT ('1GW', '200k') and --chips or --mix, or "
                             "--portfolio FILE")  # fmt: skip
        try:
            result = compare(
                power_or_count, chips=chips, mixes=mix, **inputs.given(), **model.given(),
                grids=grid, profiles=profiles, grid_set=grid_set, overrides=data.overrides(),
                cost_overrides=costs.overrides() or None,
            )  # fmt: skip
        except ProfileError as error:
            raise InputError(cost_option_names(str(error))) from None
        except UnitError as error:
            raise UnitError(
                f"{error} (POWER_OR_COUNT is a power such as '1GW' or a count such as '200k')"
            ) from None
    if out is not None:
        export(out, result.tidy_rows(), wide=output.wide, document=result.to_dict())
    deliver(
        result,
        output,
        table=lambda: _print_table(result),
        document=result.to_dict,
        rows=result.tidy_rows,
        figure=result.plot,
        report=lambda: {
            "profiles": profiles.with_overrides(data.overrides()),
            "grid_set": grid_set,
        },
    )


def _cell(value: float | None, unit: str, shares: ShareCells) -> str:
    if value is None:
        return "– (no price)" if unit.startswith("USD") else "–"
    if unit == "1" and value <= 10 and not value.is_integer():
        return shares(value)
    if unit in ("1", ""):  # counts rounded down, as convert and the report show them
        return format_count(value) if abs(value) >= 1000 else f"{value:.4g}"
    if unit == "FLOP/year":
        return scientific(ureg.Quantity(value, "FLOP"), "FLOP")
    if unit == "TWh":
        return f"{value:.4g} TWh"
    if unit.startswith("USD"):
        return _money(value, unit)
    if "³" in unit and abs(value) >= 1e6:  # no SI prefix on a cubed unit: in words
        return f"{value / 1e6:.4g} million {unit}"
    if "³" in unit or "/kWh" in unit:
        return f"{value:,.4g} {unit}"
    return human(value, unit)


def _money(value: float, unit: str) -> str:
    from capacity.cli.format import MONEY_SCALES

    for scale, word in MONEY_SCALES:
        if abs(value) >= scale:
            return f"{value / scale:.4g} {word} {unit}"
    return f"{value:.4g} {unit}"


def _print_table(result: Comparison) -> None:
    console = wide_console(100)
    table = Table(title=f"{result.title} (× the first column)")
    table.add_column("output")
    for k, column in enumerate(result.columns):
        table.add_column(column if k == 0 else f"{column} (×)", justify="right")
    shares = ShareCells()
    order = {name: k for k, name in enumerate(LABELS)}
    rows = sorted(result.rows, key=lambda row: order.get(row.output, len(order)))
    for row in rows:
        cells = []
        for k, (value, ratio) in enumerate(zip(row.values, row.ratios, strict=True)):
            text = _cell(value, row.unit, shares)
            if k and ratio is not None:
                text += f" (×{ratio:.3g})"
            cells.append(text)
        table.add_row(label_of(row.output), *cells)
    console.print(table)
    shares.footnote(console)
    for line in result.warnings:
        console.print(f"warning: {line}", markup=False, highlight=False, soft_wrap=True)
    if result.assumptions:
        console.print("[bold]Assumptions and estimates in these figures:[/bold]")
        for line in result.assumptions:
            console.print(f"  - {line}", markup=False, highlight=False, soft_wrap=True)
