"""``capacity summarize DATASET``: the summary of a sweep's Parquet dataset already written."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from capacity.cli.format import counted, echo, human, to_json, wide_console
from capacity.cli.options import FormatOption, check_format
from capacity.dataset import SweepDataset, open_dataset
from capacity.defaults import DEFAULTS
from capacity.summary import OutputSummary

# Columns that are the sweep's inputs, not its outputs: left out of the table.
_INPUT_COLUMNS = ("power_w", "pue", "utilization", "mix")
# Inputs of the manifest not repeated in the table's header.
_NOT_SHOWN = ("chips", "reduce", "backend_requested")


def summarize_command(
    dataset: Annotated[
        Path,
        typer.Argument(
            metavar="DATASET",
            help="A folder written by 'capacity sweep --out NAME' (a Parquet dataset).",
        ),
    ],
    *,
    output_format: FormatOption = "table",
) -> None:
    """Summarize a sweep's dataset: check that it is complete, then read every part for
    min, max, mean and quantiles of each output, with the inputs, backend and assumptions
    its manifest records."""
    check_format(output_format, ("table", "json"))
    written = open_dataset(dataset)
    columns = [
        c for c in written.columns if c not in _INPUT_COLUMNS and not c.startswith("share_")
    ]
    summaries = written.summary(columns)
    if output_format == "json":
        echo(to_json(_document(written, summaries)))
    else:
        _print_tables(written, summaries)


def _document(written: SweepDataset, summaries: dict[str, OutputSummary]) -> dict[str, Any]:
    manifest = written.manifest
    sweep = manifest.get("sweep", {})
    return {
        "dataset": str(written.path),
        "rows": written.rows,
        "parts": len(manifest["parts"]),
        "written": manifest.get("written"),
        "capacity": manifest.get("capacity"),
        "backend": sweep.get("backend"),
        "cluster": sweep.get("cluster"),
        "inputs": sweep.get("inputs", {}),
        "columns": {name: s.to_dict(DEFAULTS.quantiles) for name, s in summaries.items()},
        "best": sweep.get("best"),
        "assumptions": sweep.get("assumptions", []),
    }


def _print_tables(written: SweepDataset, summaries: dict[str, OutputSummary]) -> None:
    console = wide_console(140)
    manifest = written.manifest
    sweep = manifest.get("sweep", {})
    console.print(
        f"[bold]{counted(written.rows, 'point')}[/bold] in "
        f"{counted(len(manifest['parts']), 'part')} of "
        f"{written.path}, written by capacity {manifest.get('capacity', '?')} on backend "
        f"[bold]{sweep.get('backend', '?')}[/bold]",
        highlight=False,
    )
    inputs = sweep.get("inputs", {})
    if inputs:
        shown = ", ".join(
            f"{k.replace('_', ' ')} {v}"
            for k, v in inputs.items()
            if k not in _NOT_SHOWN and v is not None
        )
        console.print(f"chips {', '.join(inputs.get('chips', []))}; {shown}", highlight=False)
    table = Table(title="Every column over every point (quantiles to within one bin)")
    for column in ("column", "min", "P5", "P50", "P95", "max", "mean"):
        table.add_column(column, justify="left" if column == "column" else "right", no_wrap=True)
    for name, summary in summaries.items():
        quantiles = summary.quantiles((0.05, 0.5, 0.95))
        values = [summary.minimum, *quantiles.values(), summary.maximum, summary.mean]
        table.add_row(name, *(_cell(v, summary.unit) for v in values))
    console.print(table)
    best = sweep.get("best")
    if best is not None:
        console.print(
            f"best point ({best['objective']}): index {best['index']:,}, power "
            f"{human(best['power_w'], 'W')}, PUE {best['pue']:.4g}, utilization "
            f"{best['utilization']:.4g}",
            highlight=False,
        )
    assumptions = sweep.get("assumptions", [])
    if assumptions:
        console.print("[bold]Assumptions and estimates in these figures:[/bold]")
        for line in assumptions:
            console.print(f"  - {line}", markup=False, highlight=False, soft_wrap=True)


def _cell(value: float, unit: str) -> str:
    if unit in ("W", "FLOP/s", "", "1"):  # "1": a count or a share
        return human(value, "" if unit == "1" else unit)
    return f"{value:.4g} {unit}"
