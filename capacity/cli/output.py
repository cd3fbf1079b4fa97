"""How a command hands its result out: a table, JSON, CSV (tidy or wide), a chart, a file
chosen by its extension, or an HTML report.

A command computes its result, then calls :func:`deliver` with the ways to show it; the
output options (:class:`OutputOptions`) say which. ``capacity report COMMAND ... --out
FILE.html`` runs the same command with a :class:`ReportOutput` in their place.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from capacity.cli.format import check_finite, echo, to_json
from capacity.cli.options import FormatOption, OptionGroup, check_format
from capacity.errors import InputError
from capacity.extras import import_extra

__all__ = [
    "EXPORT_SUFFIXES",
    "OutputOptions",
    "PlotOption",
    "ReportOutput",
    "WideOption",
    "csv_text",
    "deliver",
    "export",
]

WideOption = Annotated[
    bool,
    typer.Option(
        "--wide", help="CSV with one row per entity and one column per output (unit in its name)."
    ),
]
PlotOption = Annotated[
    Path | None,
    typer.Option(help="Also draw the result's chart to this .png, .svg or .pdf file."),
]
# The format of a command whose output went to --out already: nothing on standard output.
NOTHING = "none"
# --out FILE: the format follows the suffix.
EXPORT_SUFFIXES = (".csv", ".parquet", ".json", ".xlsx")


@dataclasses.dataclass(frozen=True)
class OutputOptions(OptionGroup):
    """How the result is shown: --format, --wide and --plot."""

    output_format: FormatOption = "table"
    wide: WideOption = False
    plot: PlotOption = None


@dataclasses.dataclass(frozen=True)
class ReportOutput(OutputOptions):
    """The result goes into a self-contained HTML report at ``report`` instead."""

    report: Path | None = None
    command: str = ""


def csv_text(
    rows: Sequence[Mapping[str, Any]], wide: bool = False, keys: Sequence[str] = ("entity",),
    column: str = "output",
) -> str:  # fmt: skip
    """Tidy rows as CSV text, or pivoted to one row per ``keys`` with ``wide``."""
    from capacity.tables import wide_rows

    table = wide_rows(rows, keys, column) if wide else list(rows)
    check_finite([{k: v for k, v in row.items() if v == v} for row in table])  # NaN: empty cell
    columns = list(dict.fromkeys(k for row in table for k in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator="\n")
    writer.writeheader()
    for row in table:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return value


def deliver(
    result: Any,
    output: OutputOptions,
    *,
    table: Callable[[], None],
    document: Callable[[], dict[str, Any]],
    rows: Callable[[], Sequence[Mapping[str, Any]]],
    keys: Sequence[str] = ("entity",),
    column: str = "output",
    figure: Callable[[], Any] | None = None,
    report: Callable[[], Mapping[str, Any]] | None = None,
) -> None:
    """Show ``result`` as ``output`` asks: ``table`` prints the tables, ``document`` gives
    the JSON document, ``rows`` the tidy rows (pivoted on ``keys`` × ``column`` for
    ``--wide``), ``figure`` draws the chart for ``--plot``, and ``report`` gives what an HTML
    report adds (the profiles and grids used, a second result)."""
    if isinstance(output, ReportOutput) and output.report is not None:
        from capacity.report import write_report

        extra = dict(report() if report is not None else {})
        write_report(result, output.report, command=output.command, **extra)
        return
    if output.output_format != NOTHING:
        check_format(output.output_format, ("table", "json", "csv"), output.wide)
    if output.plot is not None:
        if figure is None:
            raise InputError("--plot: this command draws no chart")
        from capacity.plots import save_figure

        save_figure(figure(), output.plot)
    if output.output_format == NOTHING:
        return
    if output.output_format == "json":
        echo(to_json(document()))
    elif output.output_format == "csv":
        echo(csv_text(rows(), output.wide, keys, column), nl=False)
    else:
        table()


def export(
    path: Path, rows: Sequence[Mapping[str, Any]], *, keys: Sequence[str] = ("entity",),
    column: str = "output", wide: bool = False, document: Mapping[str, Any] | None = None,
    label: str = "--out",
) -> Path:  # fmt: skip
    """Write tidy ``rows`` (or, with ``wide``, their pivot) to ``path``, atomically, in the
    format its suffix names: .csv, .parquet, .json (the JSON ``document`` where given, else
    the rows) or .xlsx (needs openpyxl)."""
    from capacity.streaming import atomic_destination, check_output_path
    from capacity.tables import frame, wide_frame

    destination = check_output_path(path, label)
    suffix = destination.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise InputError(
            f"{label}: {str(path)!r} must end in {', '.join(EXPORT_SUFFIXES)}: the format "
            "follows the suffix"
        )
    if suffix == ".xlsx":
        import_extra("openpyxl", "xlsx", f"{label}: writing .xlsx (or write .csv, which "
                     "spreadsheets open too)")  # fmt: skip
    elif suffix == ".parquet":
        import_extra("pyarrow.parquet", "parquet", f"{label}: writing Parquet")

    def table() -> Any:  # built only for the formats that need it
        made = wide_frame(rows, keys, column) if wide else frame(rows)
        made.attrs = {}
        return made

    with atomic_destination(destination, label) as temporary:
        if suffix == ".csv":
            temporary.write_text(csv_text(rows, wide, keys, column), encoding="utf-8")
        elif suffix == ".json":
            text = to_json(document if document is not None else _records(table()), False)
            temporary.write_text(text + "\n", encoding="utf-8")
        elif suffix == ".parquet":
            table().to_parquet(temporary, index=False)
        else:
            table().to_excel(temporary, index=False, engine="openpyxl")
    return destination


def _records(table: Any) -> list[dict[str, Any]]:
    return [
        {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
        for row in table.to_dict(orient="records")
    ]
