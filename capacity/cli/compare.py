"""``capacity compare POWER_OR_COUNT --chips A,B,C``: one column per chip, mix or deal, one row
per output, with the ratio of each column to the first."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from capacity.cli.errors import remove_stale_output
from capacity.cli.format import wide_console
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
from capacity.compare import Comparison, ComparisonRow, compare, compare_deals
from capacity.errors import InputError, ProfileError, UnitError
from capacity.portfolio import evaluate_portfolio, load_portfolio
from capacity.streaming import check_output_path
from capacity.tables import LABELS, label_of


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


def _cells(row: ComparisonRow, shares: ShareCells) -> tuple[str, list[str]]:
    """A row's unit and its values in it, at one readable magnitude for the whole row
    (:func:`capacity.report.row_in_one_unit`): the terminal and the report read alike."""
    from capacity.report import is_share, row_in_one_unit

    if is_share(row.output):  # the cells mark a share above 100 %
        return "%", [shares(value).replace(" %", "", 1) for value in row.values]
    unit, cells = row_in_one_unit(row.values, row.unit)
    if row.unit.startswith("USD"):
        cells = [
            "– (no price)" if value is None else cell
            for value, cell in zip(row.values, cells, strict=True)
        ]
    return unit, cells


def _print_table(result: Comparison) -> None:
    console = wide_console(100)
    table = Table(title=f"{result.title} (× the first column)")
    table.add_column("output")
    table.add_column("unit")
    for k, column in enumerate(result.columns):
        table.add_column(column if k == 0 else f"{column} (×)", justify="right")
    shares = ShareCells()
    order = {name: k for k, name in enumerate(LABELS)}
    rows = sorted(result.rows, key=lambda row: order.get(row.output, len(order)))
    for row in rows:
        unit, cells = _cells(row, shares)
        for k, ratio in enumerate(row.ratios):
            if k and ratio is not None:
                cells[k] += f" (×{ratio:.3g})"
        table.add_row(label_of(row.output), unit, *cells)
    console.print(table)
    shares.footnote(console)
    for line in result.warnings:
        console.print(f"warning: {line}", markup=False, highlight=False, soft_wrap=True)
    if result.assumptions:
        console.print("[bold]Assumptions and estimates in these figures:[/bold]")
        for line in result.assumptions:
            console.print(f"  - {line}", markup=False, highlight=False, soft_wrap=True)
