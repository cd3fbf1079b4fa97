"""CSV on every command, --out by extension, and tables that never cut a number (issue 12,
items 4 and 7)."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from rich.table import Table
from typer.testing import CliRunner

from capacity.cli.app import app
from capacity.cli.format import TextConsole

from .test_portfolio import TWO_DEALS

runner = CliRunner()

SWEEP = ["sweep", "30GW", "--chips", "h100,gb300", "--mix-step", "0.5", "--pue", "1.1,1.2",
         "--utilization", "0.5,1", "--backend", "numpy"]  # fmt: skip
MONTECARLO = ["montecarlo", "1GW", "--chip", "h100", "--pue", "tri:1.1,1.2,1.4", "--samples",
              "4000", "--backend", "numpy"]  # fmt: skip
EVERY_COMMAND = {
    "chips": ["chips"],
    "show": ["show", "h100"],
    "grids": ["grids"],
    "check": ["check", "30 GW = 4.5M h100"],
    "convert": ["convert", "1GW", "--chip", "h100"],
    "costs": ["costs", "1GW", "--chip", "h100"],
    "montecarlo": MONTECARLO,
    "portfolio": ["portfolio", str(TWO_DEALS)],
    "sweep": SWEEP,
    "compare": ["compare", "1GW", "--chips", "h100,gb300,tpu-v7"],
}


def test_examples_list_as_csv() -> None:
    """Every command has CSV: the examples' list too, one row per example."""
    result = runner.invoke(app, ["examples", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = rows_of(result.stdout)
    assert list(rows[0]) == ["name", "title", "path"]
    assert "openai-2025" in {row["name"] for row in rows}
    assert all(Path(row["path"]).is_file() for row in rows)


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("command", list(EVERY_COMMAND))
def test_every_command_has_tidy_and_wide_csv(command: str) -> None:
    tidy = runner.invoke(app, [*EVERY_COMMAND[command], "--format", "csv"])
    assert tidy.exit_code == 0, tidy.output
    rows = rows_of(tidy.stdout)
    assert rows and {"entity", "value", "unit"} <= set(rows[0]), command
    assert "output" in rows[0] or command == "portfolio" or "statistic" in rows[0]
    wide = runner.invoke(app, [*EVERY_COMMAND[command], "--format", "csv", "--wide"])
    assert wide.exit_code == 0, wide.output
    wide_rows = rows_of(wide.stdout)
    entities = [row["entity"] for row in wide_rows]
    keys = [tuple(v for k, v in row.items() if k in ("section", "year", "entity", "output",
                                                     "statistic", "verdict", "unit"))
            for row in wide_rows]  # fmt: skip
    assert len(set(keys)) == len(keys), command  # one row per entity
    assert len(entities) < len(rows), command


def test_wide_csv_names_units_and_bases() -> None:
    result = runner.invoke(app, ["convert", "1GW", "--chip", "h100", "--format", "csv", "--wide"])
    header = result.stdout.splitlines()[0].split(",")
    for column in ("it_power_w", "annual_energy_twh", "delivered_flop_per_s",
                   "grid_share_energy_basis_us", "grid_share_capacity_basis_us"):  # fmt: skip
        assert column in header


def test_wide_needs_csv() -> None:
    result = runner.invoke(app, ["convert", "1GW", "--chip", "h100", "--wide"])
    assert result.exit_code == 2 and "--wide shapes CSV" in result.stderr


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json", ".xlsx"])
def test_out_by_extension_for_montecarlo_portfolio_and_compare(
    tmp_path: Path, suffix: str
) -> None:
    if suffix == ".xlsx":
        pytest.importorskip("openpyxl")
    for name, args in (("montecarlo", MONTECARLO), ("portfolio", ["portfolio", str(TWO_DEALS)]),
                       ("compare", EVERY_COMMAND["compare"])):  # fmt: skip
        out = tmp_path / f"{name}{suffix}"
        result = runner.invoke(app, [*args, "--out", str(out)])
        assert result.exit_code == 0, (name, result.output)
        if suffix == ".csv":
            table = pd.read_csv(out)
        elif suffix == ".parquet":
            table = pd.read_parquet(out)
        elif suffix == ".xlsx":
            table = pd.read_excel(out)
        else:
            assert isinstance(json.loads(out.read_text(encoding="utf-8")), dict)
            continue
        assert {"entity", "value", "unit"} <= set(table.columns), name
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{n}{suffix}" for n in ("montecarlo", "portfolio", "compare")
    )  # written atomically: no temporary file left


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json", ".xlsx"])
def test_sweep_out_writes_every_point(tmp_path: Path, suffix: str) -> None:
    if suffix == ".xlsx":
        pytest.importorskip("openpyxl")
    out = tmp_path / f"points{suffix}"
    result = runner.invoke(app, [*SWEEP, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"every point written to {out}" in result.stdout
    if suffix == ".json":
        document = json.loads(out.read_text(encoding="utf-8"))
        assert len(document["every_point"]["power_w"]) == 12
        return
    reader = {".csv": pd.read_csv, ".parquet": pd.read_parquet, ".xlsx": pd.read_excel}[suffix]
    table = reader(out)
    assert len(table) == 2 * 2 * 3  # PUE × utilization × mixes
    assert "grid_share_energy_basis_us" in table.columns
    if suffix == ".parquet":
        assert "grid_share_energy_basis_us" in pq.read_schema(out).names


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([*MONTECARLO, "--out", "x.txt"], "must end in .csv, .parquet, .json, .xlsx"),
        ([*SWEEP, "--out", "x.txt"], "must end in .csv, .parquet, .json, .xlsx"),
        (["compare", "1GW", "--chips", "h100", "--out", "missing/x.csv"], "does not exist"),
    ],
)
def test_bad_out_is_one_error_line(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, [a.replace("x.txt", str(tmp_path / "x.txt")) for a in args])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: --out: ") and message in result.stderr


def test_xlsx_without_openpyxl_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # an import of it fails
    result = runner.invoke(app, [*EVERY_COMMAND["compare"], "--out", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2
    assert "pip install 'datacenter-capacity[xlsx]'" in result.stderr
    assert list(tmp_path.iterdir()) == []


# --- tables never cut a number ----------------------------------------------------------------


def test_a_narrow_terminal_wraps_labels_not_numbers() -> None:
    buffer = io.StringIO()
    console = TextConsole(file=buffer, width=40, force_terminal=True, no_color=True)
    table = Table()
    table.add_column("output")
    for name in ("min", "P50", "max"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_row("delivered compute over every point", "878.9 EFLOP/s", "1.234 ZFLOP/s",
                  "19,607,843")  # fmt: skip
    console.print(table)
    text = buffer.getvalue()
    for number in ("878.9 EFLOP/s", "1.234 ZFLOP/s", "19,607,843"):
        assert number in text, text
    assert "…" not in text


@pytest.mark.parametrize("command", ["convert", "sweep", "montecarlo", "portfolio", "compare"])
def test_piped_output_does_not_depend_on_the_terminal_width(command: str) -> None:
    narrow = runner.invoke(app, EVERY_COMMAND[command], env={"COLUMNS": "60"})
    wide = runner.invoke(app, EVERY_COMMAND[command], env={"COLUMNS": "300"})
    assert narrow.exit_code == 0, narrow.output

    def steady(text: str) -> str:  # timings differ from run to run
        import re

        return re.sub(r"[0-9.e+]+ (s|M points/s|samples/s)\b", "…", text)

    assert steady(narrow.stdout) == steady(wide.stdout)
    assert "EFLOP…" not in narrow.stdout and "ZFLOP…" not in narrow.stdout


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _number_cells(text: str) -> set[str]:
    """The cells of ``text``'s tables after the first column that hold a number (up to the
    32 characters kept on one line)."""
    cells = set()
    for line in _ANSI.sub("", text).splitlines():
        if line.startswith("│"):
            for cell in line.split("│")[2:-1]:
                if cell.strip()[:1].isdigit() and len(cell.strip()) <= 32:
                    cells.add(cell.strip())
    return cells


@pytest.mark.parametrize("command", list(EVERY_COMMAND))
def test_a_tables_laid_out_width_is_its_rendered_width(
    command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The width the console widens to, from rich's column layout, is the width of the
    widest line rich renders, for every table of every command on narrow and wide
    terminals."""
    laid_out = TextConsole._rendered_width
    checked: list[int] = []

    def checking(console: TextConsole, table: Table) -> int:
        width = laid_out(console, table)
        assert width == console._widest_rendered_line(table), (console.width, table.title)
        checked.append(width)
        return width

    monkeypatch.setattr(TextConsole, "_rendered_width", checking)
    for columns in ("40", "100", "300"):
        done = runner.invoke(app, EVERY_COMMAND[command],
                             env={"FORCE_COLOR": "1", "COLUMNS": columns})  # fmt: skip
        assert done.exit_code == 0, done.output
    assert checked


@pytest.mark.parametrize("command", list(EVERY_COMMAND))
@pytest.mark.parametrize("columns", ["60", "100"])
def test_a_terminal_narrower_than_a_table_gets_every_number_whole(
    command: str, columns: str
) -> None:
    """rich lays a table out wider than a narrow terminal when its numbers do not fit, then
    crops the lines ("714,41" for 714,419): every number a terminal shows must be the number
    that piped output shows."""
    terminal = runner.invoke(app, EVERY_COMMAND[command],
                             env={"FORCE_COLOR": "1", "COLUMNS": columns})  # fmt: skip
    piped = runner.invoke(app, EVERY_COMMAND[command], env={"COLUMNS": "300"})
    assert terminal.exit_code == 0, terminal.output
    assert "\x1b[" in terminal.stdout  # laid out for a terminal
    shown = _ANSI.sub("", terminal.stdout)
    assert [cell for cell in _number_cells(piped.stdout) if cell not in shown] == []


@pytest.mark.parametrize("command", list(EVERY_COMMAND))
def test_wide_without_csv_is_refused_by_every_command(command: str) -> None:
    result = runner.invoke(app, [*EVERY_COMMAND[command], "--wide"])
    assert result.exit_code == 2, result.output
    assert "--wide shapes CSV: give it with --format csv" in result.stderr
