"""``capacity examples``: the example portfolios shipped with the package, which
``capacity portfolio --example NAME`` reads."""

from __future__ import annotations

from rich.table import Table

from capacity.cli.format import echo, to_json, wide_console
from capacity.cli.options import FormatOption, check_format
from capacity.example_portfolios import example_portfolios


def examples(output_format: FormatOption = "table") -> None:
    """List the example portfolios shipped with capacity (read one with
    'capacity portfolio --example NAME')."""
    check_format(output_format, ("table", "json", "csv"))
    shipped = example_portfolios()
    if output_format == "json":
        echo(to_json({e.name: {"title": e.title, "path": str(e.path)} for e in shipped}))
        return
    if output_format == "csv":  # one row per example: what it holds is text, not outputs
        from capacity.cli.output import csv_text

        rows = [{"name": e.name, "title": e.title, "path": str(e.path)} for e in shipped]
        echo(csv_text(rows), nl=False)
        return
    table = Table(title="Example portfolios (capacity portfolio --example NAME)")
    table.add_column("name")
    table.add_column("portfolio")
    for example in shipped:
        table.add_row(example.name, example.title)
    wide_console(100).print(table)
    if shipped:
        echo(f"files: {shipped[0].path.parent}")
