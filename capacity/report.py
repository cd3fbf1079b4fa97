"""A self-contained HTML report of a result, and the HTML notebooks show.

:func:`write_report` writes one file that opens offline: inline CSS, charts as inline SVG,
no script, and a Content-Security-Policy that forbids every network request. It holds the
key numbers, the inputs, the result tables, the charts, every figure the result rests on with
its source and confidence grade, the notes on assumptions, and the exact command and version
that produced it. :func:`notebook_html` is the compact table that ``_repr_html_`` shows.

Tables are built from the result's tidy rows (:mod:`capacity.tables`), so every output a
result reports reaches the report.
"""

from __future__ import annotations

import datetime
import html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from capacity.errors import InputError
from capacity.tables import LABELS, label_of
from capacity.units import format_count

__all__ = ["Section", "notebook_html", "render_report", "write_report"]

REPORT_SUFFIXES = (".html", ".htm")
# No request of any kind leaves the page: styles inline, images as data: URLs only.
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
# Rows of a result table at most in the report (a sweep's summary, a timeline).
MAX_TABLE_ROWS = 400

_STYLE = """
:root { --ink: #1b2733; --muted: #5b6b7b; --rule: #d8dee6; --accent: #1f4e79;
        --flag: #a33a00; --paper: #ffffff; --tint: #f3f6fa; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--tint); color: var(--ink);
       font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 32px 48px; background: var(--paper);
       box-shadow: 0 0 0 1px var(--rule); }
header h1 { margin: 0 0 4px; font-size: 26px; color: var(--accent); }
header p { margin: 2px 0; color: var(--muted); }
h2 { margin: 34px 0 10px; font-size: 19px; border-bottom: 2px solid var(--accent);
     padding-bottom: 4px; }
h3 { margin: 20px 0 6px; font-size: 15px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr));
         gap: 12px; margin-top: 20px; }
.card { border: 1px solid var(--rule); border-left: 4px solid var(--accent); padding: 10px 14px;
        border-radius: 4px; background: var(--tint); }
.card .label { color: var(--muted); font-size: 13px; }
.card .value { font-size: 22px; font-weight: 650; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 14px; font-size: 13.5px; }
th, td { border-bottom: 1px solid var(--rule); padding: 5px 8px; text-align: left;
         vertical-align: top; }
th { background: var(--tint); font-weight: 600; }
td:first-child { min-width: 13em; }
th.number { text-align: right; }
td.number { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.flagged td { background: #fff4ec; }
.grade { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 12px;
         background: #e8eef5; white-space: nowrap; }
.grade.flag { background: #ffe1cc; color: var(--flag); }
figure { margin: 12px 0 20px; }
figure svg { max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 13px; }
pre { background: #0f1b26; color: #e8f0f8; padding: 12px 14px; border-radius: 4px;
      overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
ul.notes li { margin: 3px 0; }
.warning { color: var(--flag); }
.source { word-break: break-word; color: var(--muted); font-size: 12.5px; }
footer { margin-top: 36px; color: var(--muted); font-size: 13px; }
@media print { body { background: #fff; } main { box-shadow: none; } }
"""


@dataclass(frozen=True)
class Section:
    """One table of the report: a title, column headers and rows of cells (text)."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""
    numbers: frozenset[int] = field(default_factory=frozenset)
    """Indexes of the columns of numbers (right-aligned)."""


# --- formatting -------------------------------------------------------------------------------


# SI units shown in the unit people quote: (factor to divide by, unit shown).
_QUOTED_UNITS = {"J": (3.6e15, "TWh"), "USD/J": (1 / 3.6e9, "USD/MWh"), "USD/W": (1.0, "USD/W")}
# Units of the model (pint's spelling) in those people quote, then shown at a readable
# magnitude: (factor to divide by, unit).
_CONVERTED_UNITS = {
    "kgCO2e/year": (1e3, "t CO2e/year"), "kgCO2e": (1e3, "t CO2e"),
    "m**3/year": (1.0, "m³/year"), "m**3": (1.0, "m³"),
    "m**3/J": (1 / 3.6e9, "L/kWh"), "kgCO2e/J": (1 / 3.6e9, "gCO2e/kWh"),
}  # fmt: skip


def _converted(value: Any, unit: str) -> tuple[Any, str]:
    """``value`` in the unit people quote for ``unit`` (t CO2e for kgCO2e, L/kWh for m³/J)."""
    if unit not in _CONVERTED_UNITS or not isinstance(value, int | float):
        return value, unit
    factor, quoted = _CONVERTED_UNITS[unit]
    return value / factor, quoted


def is_share(output: str) -> bool:
    """Whether an output is a share, shown as a percentage ("grid_share_energy_basis_us")."""
    return output.startswith(("grid_share", "share_")) or output.endswith("_share")


def shown(value: Any, unit: str, share: bool = False) -> str:
    """A value for people, at a readable magnitude: "19.61 million", "8.645 ZFLOP/s"; a
    ``share`` as a percentage."""
    from capacity.plots import scale

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, str):
        return value
    value, unit = _converted(float(value), unit)
    number = float(value)
    if not math.isfinite(number):
        return f"{number} (overflow)"
    if share:
        return f"{number * 100:.4g} %" if number else "0 %"
    if unit in _QUOTED_UNITS:
        factor, quoted = _QUOTED_UNITS[unit]
        return f"{number / factor:.4g} {quoted}"
    if unit in ("FLOP/year", "FLOP"):
        return f"{number:.4g} {unit}"
    if unit in ("", "1", "index"):  # counts are rounded down, as the tables round them
        return format_count(number) if abs(number) >= 1000 else f"{number:.4g}"
    factor, shown_unit = scale([number], unit)
    return f"{number / factor:.4g} {shown_unit}"


# A value this small beside the largest of its row is floating-point noise, shown as 0.
_ROUNDING_NOISE = 1e-9


def row_in_one_unit(
    values: Sequence[float | None], unit: str, share: bool = False
) -> tuple[str, list[str]]:
    """A row of values in one unit at a readable magnitude, for a table whose unit column
    says it: ("ZFLOP/s", ["0.4661", "1.319"]), ("thousand USD/accelerator", [...]), ("%",
    [...]); counts stay whole ("588,824")."""
    from capacity.plots import scale

    if unit in _CONVERTED_UNITS:
        factor, unit = _CONVERTED_UNITS[unit]
        values = [None if v is None else float(v) / factor for v in values]
    known = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if share:
        factor, shown_unit = 0.01, "%"
    elif unit in ("", "1", "FLOP/year", "FLOP"):
        return unit_cell(unit), [shown(v, unit).removesuffix(f" {unit}") for v in values]
    elif unit in _QUOTED_UNITS:
        factor, shown_unit = _QUOTED_UNITS[unit]
    else:
        factor, shown_unit = scale(known or [0.0], unit)

    largest = max((abs(v) for v in known), default=0.0)

    def cell(value: float | None) -> str:
        if value is None or not math.isfinite(float(value)):
            return shown(value, unit)
        if abs(float(value)) < _ROUNDING_NOISE * largest:  # a spread of equal draws: 5e-14 MW
            return "0"
        return f"{float(value) / factor:.4g}"

    return shown_unit, [cell(v) for v in values]


def unit_cell(unit: str) -> str:
    """A unit column's cell: empty for a count or a share (unit "1"), which say theirs."""
    return "" if unit == "1" else unit


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


# --- sections per result ---------------------------------------------------------------------


def _wide_section(
    title: str, rows: Sequence[Mapping[str, Any]], keys: Sequence[str], column: str = "output",
    note: str = "",
) -> Section:  # fmt: skip
    """A table with one row per ``keys`` and one column per ``column`` value, every cell at a
    readable magnitude in the unit of its output."""
    units: dict[str, str] = {}
    order: list[str] = []
    table: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        name = str(row[column])
        units.setdefault(name, str(row.get("unit", "")))
        if name not in order:
            order.append(name)
        index = tuple(row.get(k) for k in keys)
        table.setdefault(index, {})[name] = row["value"]
    body = []
    for index, values in list(table.items())[:MAX_TABLE_ROWS]:
        cells = [("" if k is None else str(k)) for k in index]
        cells += [shown(values.get(name), units[name], is_share(name)) for name in order]
        body.append(tuple(cells))
    headers = (
        *keys,
        *(
            f"{label_of(name)} [{units[name]}]" if units[name] else label_of(name)
            for name in order
        ),
    )
    numbers = frozenset(range(len(keys), len(headers)))
    return Section(title, tuple(headers), tuple(body), note, numbers)


def _statistics_section(
    title: str, rows: Sequence[Mapping[str, Any]], keys: Sequence[str] = ("output",),
    note: str = "",
) -> Section:  # fmt: skip
    """One row per output (and ``keys``), one column per statistic, each value in the unit of
    its own row."""
    statistics: list[str] = []
    table: dict[tuple[Any, ...], dict[str, Any]] = {}
    units: dict[tuple[Any, ...], str] = {}
    for row in rows:
        index = tuple(row.get(k) for k in keys)
        statistic = str(row["statistic"])
        if statistic not in statistics:
            statistics.append(statistic)
        table.setdefault(index, {})[statistic] = row["value"]
        units[index] = str(row.get("unit", ""))
    body = []
    for index, values in list(table.items())[:MAX_TABLE_ROWS]:
        names = [
            label_of(str(v)) if k == "output" else str(v) for k, v in zip(keys, index, strict=True)
        ]
        share = is_share(str(index[list(keys).index("output")])) if "output" in keys else False
        unit, cells = row_in_one_unit([values.get(s) for s in statistics], units[index], share)
        body.append((*names, unit, *cells))
    headers = (*keys, "unit", *(s.upper() if s.startswith("p") else s for s in statistics))
    numbers = frozenset(range(len(keys) + 1, len(headers)))
    return Section(title, tuple(headers), tuple(body), note, numbers)


def _output_rows_section(title: str, rows: Sequence[Mapping[str, Any]], note: str = "") -> Section:
    """Outputs as rows (one per output), entities as columns: a result's totals."""
    entities = list(dict.fromkeys(str(row["entity"]) for row in rows))
    outputs: dict[str, dict[str, Any]] = {}
    units: dict[str, str] = {}
    for row in rows:
        outputs.setdefault(row["output"], {})[str(row["entity"])] = row["value"]
        units[row["output"]] = row.get("unit", "")
    body = []
    for output, values in outputs.items():
        unit, cells = row_in_one_unit([values.get(e) for e in entities], units[output],
                                      is_share(output))  # fmt: skip
        body.append((label_of(output), unit, *cells))
    numbers = frozenset(range(2, 2 + len(entities)))
    return Section(title, ("output", "unit", *entities), tuple(body), note, numbers)


# Inputs in the words of the command line's options.
_INPUT_NAMES = {"power_w": "power", "pue": "PUE", "mfu": "MFU", "mix_basis": "mix shares of",
                "basis": "power basis", "columns": "compared"}  # fmt: skip


def _inputs_section(inputs: Mapping[str, Any], title: str = "Inputs") -> Section:
    rows = []
    for name, value in inputs.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            value = ", ".join(f"{k}={_plain(v)}" for k, v in value.items())
        elif isinstance(value, list | tuple):
            value = ", ".join(_plain(v) for v in value)
        else:
            value = _plain(value)
        if name == "power_w":
            value = shown(float(value), "W") if _is_float(value) else value
        rows.append((_INPUT_NAMES.get(name, name.replace("_", " ")), str(value)))
    return Section(title, ("input", "value"), tuple(rows))


def _plain(value: Any) -> str:
    try:
        import numpy as np

        if isinstance(value, np.ndarray):
            if value.size > 6:
                return f"array of {value.size} values, {value.min():g} to {value.max():g}"
            return ", ".join(f"{v:g}" for v in value.ravel())
    except ImportError:  # pragma: no cover
        pass
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass
class _Content:
    title: str
    subtitle: str = ""
    cards: list[tuple[str, str]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    figures: list[tuple[Any, str]] = field(default_factory=list)
    chips: list[str] = field(default_factory=list)
    grids: list[str] = field(default_factory=list)
    costs: bool = False
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _content(result: Any, simulated: Any = None, chips: Sequence[str] = ()) -> _Content:
    from capacity.compare import Comparison
    from capacity.convert import Conversion
    from capacity.montecarlo import MonteCarloResult
    from capacity.portfolio import PortfolioReport
    from capacity.power import PowerShares
    from capacity.sweep import SweepResult

    if isinstance(result, Conversion):
        return _conversion(result)
    if isinstance(result, PowerShares):
        return _power(result)
    if isinstance(result, SweepResult):
        return _sweep(result)
    if isinstance(result, MonteCarloResult):
        return _montecarlo(result, chips)
    if isinstance(result, PortfolioReport):
        return _portfolio(result, simulated)
    if isinstance(result, Comparison):
        return _comparison(result)
    raise InputError(f"no report for {type(result).__name__}")


def _first(quantity: Any, unit: str) -> float:
    import numpy as np

    return float(np.ravel(quantity.to(unit).magnitude)[0])


def _conversion(result: Any) -> _Content:
    from capacity.defaults import DEFAULTS

    chips = ", ".join(result.chips)
    inputs = result.inputs
    if "power_w" in inputs:
        what = f"{shown(_first(result.facility_power, 'W'), 'W')} of facility power"
    else:
        what = f"{shown(_first(result.accelerators, ''), '')} accelerators"
    content = _Content(f"{what} of {chips}", "What the power amounts to, step by step.")
    content.cards = [
        ("accelerators", shown(_first(result.accelerators, ""), "")),
        ("facility power", shown(_first(result.facility_power, "W"), "W")),
        ("delivered compute", shown(_first(result.delivered_flops, "FLOP/s"), "FLOP/s")),
        ("annual energy", shown(_first(result.annual_energy, "TWh"), "TWh")),
    ]
    share = result.grid_share.get(DEFAULTS.headline_grid)
    if share is not None:
        content.cards.append(
            (f"share of {DEFAULTS.headline_grid} (energy basis)",
             shown(_first(share.energy, ""), "1", share=True))
        )  # fmt: skip
    content.sections.append(_inputs_section(inputs))
    rows = result.to_dataframe().to_dict(orient="records")
    totals = [row for row in rows if row["entity"] == "total"]
    by_chip = [row for row in rows if row["entity"] != "total"]
    content.sections.append(_output_rows_section("Totals", totals))
    if by_chip:
        content.sections.append(_wide_section("By chip", by_chip, ("entity",)))
    content.figures.append((result.plot, "The chain from facility power to delivered FLOP/s."))
    content.chips = list(result.chips)
    content.grids = list(result.grid_share)
    content.notes = list(result.assumptions)
    content.warnings = list(result.warnings)
    return content


def _power(result: Any) -> _Content:
    power = shown(float(result.facility_power.to("W").magnitude), "W")
    content = _Content(f"{power} of facility power: grid shares without a chip",
                       f"Not shown: {result.needs_a_chip}.")  # fmt: skip
    it_power = shown(float(result.it_power.to("W").magnitude), "W")
    content.cards = [("facility power", power), ("IT power", it_power)]
    content.sections.append(_inputs_section(result.inputs))
    rows = result.to_dataframe().to_dict(orient="records")
    content.sections.append(_output_rows_section("Power and grid shares", rows))
    content.figures.append((result.plot, "Share of each grid, by basis."))
    content.grids = list(result.grid_share)
    content.notes = list(result.assumptions)
    content.warnings = list(result.warnings)
    return content


def _sweep(result: Any) -> _Content:
    content = _Content(
        f"Sweep of {', '.join(result.chips)}: {result.points:,} points",
        f"Power × PUE × utilization × {result.shape[3]:,} mixes; backend {result.backend}.",
    )
    content.cards = [
        ("points", f"{result.points:,}"),
        ("points meeting the constraints", f"{result.feasible_points:,}"),
    ]
    if result.best is not None:
        best = result.best
        content.cards += [
            (f"best: {best.objective}", shown(best.value, best.unit or "1")),
            ("at PUE, utilization", f"{best.pue:.3g}, {best.utilization:.3g}"),
        ]
    axes = {"power": _axis(result.power, "W"), "pue": _axis(result.pue, "1"),
            "utilization": _axis(result.utilization, "1"),
            "mixes": f"{result.shape[3]:,}", "objective": result.objective,
            "constraints": ", ".join(result.constraints) or "none"}  # fmt: skip
    content.sections.append(_inputs_section({**axes, **dict(result.inputs)}))
    rows = result.summary_rows()
    summary = [row for row in rows if row["entity"] == "all points"]
    content.sections.append(
        _statistics_section(
            "Over every point",
            summary,
            ("output",),
            "Exact quantiles."
            if result.reduction == "factorized"
            else "Quantiles to within one histogram bin.",
        )
    )
    best_rows = [row for row in rows if row["entity"] == "best point"]
    if best_rows:
        content.sections.append(_output_rows_section("Best point", best_rows))
    if result.data is not None:
        _, n_pue, n_util, n_mix = result.shape
        parts = []
        if n_pue * n_util > 1 or n_mix == 1:
            parts.append("a heatmap over PUE × utilization for one mix")
        if n_mix > 1:
            parts.append("the output across the mixes")
        caption = " and ".join(parts).capitalize() + "; the star marks the best point."
        content.figures.append((result.plot, caption))
    content.chips = list(result.chips)
    content.grids = [grid.id for grid in result.grids]
    content.notes = list(result.assumptions) + [f"unmet: {line}" for line in result.unmet]
    content.warnings = list(result.warnings)
    return content


def _axis(values: Any, unit: str) -> str:
    """An axis of a sweep in words: "30 GW", or "1.1 to 1.5 (9 values)"."""
    if values.size == 1:
        return f"{float(values[0]):g}" if unit == "1" else shown(float(values[0]), unit)
    low, high = float(values.min()), float(values.max())
    if unit == "1":
        return f"{low:g} to {high:g} ({values.size} values)"
    return f"{shown(low, unit)} to {shown(high, unit)} ({values.size} values)"


def _montecarlo(result: Any, chips: Sequence[str]) -> _Content:
    content = _Content(f"Monte Carlo: {result.top}",
                       f"{result.samples:,} samples, seed {result.seed}, backend "
                       f"{result.backend}.")  # fmt: skip
    for output, unit in (("delivered_flops", "FLOP/s"), ("accelerators", ""),
                         ("average_facility_power", "W")):  # fmt: skip
        summary = result.summary(result.top, output)
        if summary is not None:
            low, mid, high = (summary.quantile(q) for q in (0.05, 0.5, 0.95))
            content.cards.append(
                (f"{label_of(output)}, P50 (P5 {shown(low, unit)}, P95 {shown(high, unit)})",
                 shown(mid, unit))
            )  # fmt: skip
    inputs = Section(
        "Uncertain inputs", ("input", "distribution", "nominal", "P5", "P95"),
        tuple((item.name, item.text, *(shown(v, item.unit or "1") for v in
               (item.nominal, item.p5, item.p95))) for item in result.inputs),
        numbers=frozenset({2, 3, 4}),
    )  # fmt: skip
    content.sections.append(inputs)
    content.sections.append(
        _statistics_section(
            "Outputs",
            [r for r in result.tidy_rows() if r["entity"] == result.top],
            ("output",),
            "Quantiles to within one histogram bin.",
        )
    )
    tornado = [bar for bar in result.tornado.get("delivered_flops", ()) if bar.swing > 0]
    units = {item.name: item.unit or "1" for item in result.inputs}
    if tornado:
        content.sections.append(Section(
            "Tornado: delivered compute", ("input", "P5 → P95", "output at P5", "output at P95"),
            tuple((bar.input, f"{shown(bar.low, units.get(bar.input, '1'))} → "
                   f"{shown(bar.high, units.get(bar.input, '1'))}",
                   shown(bar.output_at_low, "FLOP/s"), shown(bar.output_at_high, "FLOP/s"))
                  for bar in tornado),
            numbers=frozenset({2, 3}),
        ))  # fmt: skip
    content.figures.append((result.plot, "Distribution with P5, P50 and P95, and the tornado."))
    content.chips = list(chips)
    content.grids = [name.partition(":")[2] for name in result.summaries[result.top]
                     if name.startswith("grid_share:")]  # fmt: skip
    content.notes = list(result.assumptions)
    content.warnings = list(result.warnings)
    return content


def _portfolio(report: Any, simulated: Any) -> _Content:
    portfolio = report.portfolio
    totals = report.totals
    content = _Content(portfolio.name, portfolio.description or "")
    content.cards = [
        ("deals", str(len(report.deals))),
        ("facility power", shown(totals.facility_power.to("W").magnitude, "W")),
        ("accelerators", shown(totals.accelerators.to("").magnitude, "")),
        ("delivered compute", shown(totals.delivered_flops.to("FLOP/s").magnitude, "FLOP/s")),
        ("annual energy", shown(totals.annual_energy.to("TWh").magnitude, "TWh")),
    ]
    if totals.capex is not None:
        content.cards.append(("capex", shown(totals.capex.to("USD").magnitude, "USD")))
    content.sections.append(Section(
        "Deals", ("deal", "counterparty", "chips", "size", "PUE", "utilization", "MFU"),
        tuple((d.name, d.counterparty, d.chips,
               f"{d.power.text} ({d.basis})" if d.power is not None
               else f"{d.accelerators.text if d.accelerators else ''} accelerators",
               d.pue.text, d.utilization.text, d.mfu.text) for d in portfolio.deals),
    ))  # fmt: skip
    rows = report.tidy_rows(simulated)
    names = {deal.name for deal in portfolio.deals} | {"total"}
    per_deal = [r for r in rows if r["section"] in ("deal", "total") and r["entity"] in names]
    content.sections.append(_output_rows_section("Deals and total at full deployment", per_deal))
    timeline = [r for r in rows if r["section"] == "timeline" and r["entity"] == "all deals"]
    if timeline:
        content.sections.append(_wide_section("Timeline (online at year end)", timeline,
                                              ("year",)))  # fmt: skip
        content.figures.append((lambda: report.plot(simulated), "Timeline by deal."))
    if simulated is not None:
        mc = [r for r in rows if r["section"] == "monte_carlo"]
        title = f"Monte Carlo ({simulated.samples:,} samples)"
        content.sections.append(_statistics_section(title, mc, ("entity", "output")))
    content.chips = list(dict.fromkeys(c for d in report.deals for c in d.conversion.chips))
    content.grids = list(totals.grid_share)
    content.costs = True
    content.notes = list(report.assumptions)
    content.warnings = list(report.flags)
    return content


def _comparison(result: Any) -> _Content:
    content = _Content(result.title, "One column per chip, mix or deal; × is the ratio to the "
                       "first column.")  # fmt: skip
    delivered = "delivered_flop_per_s"
    if delivered in result.outputs:
        row = result.row(delivered)
        content.cards = [
            (f"{column}: delivered compute", shown(value, "FLOP/s"))
            for column, value in zip(result.columns, row.values, strict=True)
        ]
    content.sections.append(_inputs_section(result.inputs))
    body = []
    order = {name: k for k, name in enumerate(LABELS)}  # the order of the terminal's table
    for row in sorted(result.rows, key=lambda row: order.get(row.output, len(order))):
        unit, texts = row_in_one_unit(row.values, row.unit, is_share(row.output))
        cells = [label_of(row.output), unit]
        for k, (text, ratio) in enumerate(zip(texts, row.ratios, strict=True)):
            cells.append(f"{text} (×{ratio:.3g})" if k and ratio is not None else text)
        body.append(tuple(cells))
    numbers = frozenset(range(2, 2 + len(result.columns)))
    headers = ("output", "unit", *result.columns)
    content.sections.append(Section("Side by side", headers, tuple(body), numbers=numbers))
    content.figures.append((result.plot, "Each output across the columns."))
    content.chips = list(dict.fromkeys(c for conv in result.conversions for c in conv.chips))
    content.grids = list(result.conversions[0].grid_share)
    content.costs = True
    content.notes = list(result.assumptions)
    content.warnings = list(result.warnings)
    return content


# --- figures the result rests on -------------------------------------------------------------


def _sources(
    chips: Iterable[str], grids: Iterable[str], costs: bool, profiles: Any, grid_set: Any
) -> tuple[Section, frozenset[int]]:
    """Every figure of the chips, grids (and costs) used: value, confidence and source."""
    from capacity.grids import SITE_FIELDS, known_grids
    from capacity.profiles import load_profiles

    profiles = profiles if profiles is not None else load_profiles()
    rows: list[tuple[str, ...]] = []
    flagged: list[int] = []
    for chip in chips:
        if chip not in profiles:
            continue
        for name, figure in profiles[chip].figures().items():
            if figure.flagged:
                flagged.append(len(rows))
            rows.append((f"{chip} {name}", figure.display(), figure.confidence,
                         figure.summary, figure.source))  # fmt: skip
    known = known_grids(grid_set)
    for grid_id in grids:
        if grid_id not in known:
            continue
        grid = known[grid_id]
        figures = [("annual energy", grid.annual_energy), ("capacity", grid.capacity)]
        for site_field in SITE_FIELDS:
            figure, origin = known.site_figure(grid, site_field)
            where = "" if origin is grid else f" (from {origin.id})"
            figures.append((site_field.replace("_", " ") + where, figure))
        for name, figure in figures:
            if figure is not None:
                if figure.flagged:
                    flagged.append(len(rows))
                rows.append((f"grid {grid_id} {name}", figure.display(), figure.confidence,
                             figure.summary, figure.source))  # fmt: skip
    if costs:
        from capacity.costs import load_cost_defaults

        for name, figure in load_cost_defaults().items():
            if figure.flagged:
                flagged.append(len(rows))
            rows.append((f"cost {name.replace('_', ' ')}", figure.display(), figure.confidence,
                         figure.summary, figure.source))  # fmt: skip
    return Section(
        "Every figure used, with its confidence and source",
        ("figure", "value", "confidence", "note", "source"),
        tuple(rows),
        "Highlighted rows are assumptions, estimates or overrides: the figures to question first.",
        frozenset({1}),
    ), frozenset(flagged)


# --- HTML -------------------------------------------------------------------------------------


def _section_html(section: Section, flagged: frozenset[int] = frozenset()) -> str:
    head = "".join(
        f'<th class="number">{_esc(c)}</th>' if k in section.numbers else f"<th>{_esc(c)}</th>"
        for k, c in enumerate(section.columns)
    )
    body = []
    for index, row in enumerate(section.rows):
        cells = []
        for k, cell in enumerate(row):
            if section.columns[k] == "confidence":
                grade = "grade flag" if index in flagged else "grade"
                cells.append(f'<td><span class="{grade}">{_esc(cell)}</span></td>')
            elif section.columns[k] == "source":
                cells.append(f'<td class="source">{_linked(cell)}</td>')
            else:
                kind = ' class="number"' if k in section.numbers else ""
                cells.append(f"<td{kind}>{_esc(cell)}</td>")
        mark = ' class="flagged"' if index in flagged else ""
        body.append(f"<tr{mark}>{''.join(cells)}</tr>")
    note = f'<p class="note">{_esc(section.note)}</p>' if section.note else ""
    return (f'<h3>{_esc(section.title)}</h3>{note}<div class="scroll"><table><thead><tr>'
            f"{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")  # fmt: skip


def _linked(text: str) -> str:
    """A source as text: addresses are shown, not linked, so that the page requests nothing
    even when clicked offline."""
    return _esc(text)


def _svg(figure: Any) -> str:
    import io

    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def render_report(
    result: Any, *, command: str = "", simulated: Any = None, profiles: Any = None,
    grid_set: Any = None, chips: Sequence[str] = (), generated: datetime.datetime | None = None,
) -> str:  # fmt: skip
    """The HTML report of ``result`` (a Conversion, PowerShares, SweepResult,
    MonteCarloResult, PortfolioReport or Comparison), as text."""
    from capacity import __version__

    content = _content(result, simulated, chips)
    generated = generated or datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="capacity {_esc(__version__)}">',
        f"<title>{_esc(content.title)}</title><style>{_STYLE}</style></head><body><main>",
        f"<header><h1>{_esc(content.title)}</h1>",
        f"<p>{_esc(content.subtitle)}</p>" if content.subtitle else "",
        f"<p>capacity {_esc(__version__)} · generated {generated.isoformat()}</p></header>",
    ]
    if content.cards:
        cards = "".join(
            f'<div class="card"><div class="label">{_esc(label)}</div>'
            f'<div class="value">{_esc(value)}</div></div>'
            for label, value in content.cards
        )
        parts.append(f'<section class="cards" id="key-numbers">{cards}</section>')
    if content.warnings:
        items = "".join(f"<li>{_esc(w)}</li>" for w in content.warnings)
        parts.append(f'<section id="warnings"><h2>Warnings</h2><ul class="notes warning">'
                     f"{items}</ul></section>")  # fmt: skip
    if content.figures:
        parts.append('<section id="charts"><h2>Charts</h2>')
        for draw, caption in content.figures:
            parts.append(f"<figure>{_svg(draw())}<figcaption>{_esc(caption)}</figcaption>"
                         "</figure>")  # fmt: skip
        parts.append("</section>")
    parts.append('<section id="results"><h2>Inputs and results</h2>')
    parts += [_section_html(section) for section in content.sections]
    parts.append("</section>")
    sources, flagged = _sources(content.chips, content.grids, content.costs, profiles, grid_set)
    parts.append('<section id="assumptions"><h2>Assumptions and sources</h2>')
    if content.notes:
        items = "".join(f"<li>{_esc(line)}</li>" for line in content.notes)
        parts.append(f"<h3>Assumptions and estimates in these figures</h3>"
                     f'<ul class="notes">{items}</ul>')  # fmt: skip
    parts.append(_section_html(sources, flagged))
    parts.append("</section>")
    parts.append(
        '<footer id="reproduce"><h2>Reproduce</h2><p>This report was produced by capacity '
        f"{_esc(__version__)} with:</p><pre>{_esc(command or '(the Python API)')}</pre>"
        "<p>Every number comes from the model in the documentation's model page, and every "
        "figure from the sources above.</p></footer>"
    )
    parts.append("</main></body></html>")
    return "\n".join(part for part in parts if part)


def write_report(result: Any, path: str | Path, *, label: str = "--out", **options: Any) -> Path:
    """Write the HTML report of ``result`` to ``path`` (.html), atomically; ``options`` as
    :func:`render_report`'s."""
    from capacity.streaming import atomic_destination, check_output_path

    destination = check_output_path(path, label)
    if destination.suffix.lower() not in REPORT_SUFFIXES:
        raise InputError(f"{label}: {str(path)!r} must end in .html: the report is one HTML file")
    text = render_report(result, **options)
    with atomic_destination(destination, label) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return destination


def notebook_html(result: Any) -> str:
    """A compact HTML view of ``result`` for notebooks: its key numbers and tables."""
    content = _content(result)
    parts = [f"<div><strong>{_esc(content.title)}</strong>"]
    if content.cards:
        items = "".join(f"<tr><td>{_esc(a)}</td><td style=\"text-align:right\">{_esc(b)}</td>"
                        "</tr>" for a, b in content.cards)  # fmt: skip
        parts.append(f"<table>{items}</table>")
    parts += [_section_html(section) for section in content.sections[1:3]]
    parts.append("</div>")
    return re.sub(r"\s+\n", "\n", "".join(parts))
