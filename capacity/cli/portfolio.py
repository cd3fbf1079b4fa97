"""``capacity portfolio FILE``: the deals of a portfolio file, summed and laid out by year.

``--format csv`` writes one tidy CSV, ``section,entity,output,value,unit`` (with ``year`` for
the timeline and ``statistic`` for Monte Carlo): section ``deal`` (entity: the deal, or a chip
of it), ``total``, ``timeline`` and, with ``--samples``, ``monte_carlo``. ``--wide`` gives one
row per section, year, entity (and statistic) and one column per output. ``--out FILE``
writes .csv, .parquet, .json or .xlsx by its suffix, and any other file the --format output.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from capacity.checks import one_of
from capacity.cli.errors import remove_stale_output
from capacity.cli.format import PLAIN_WIDTH, TextConsole, echo, human, to_json, wide_console
from capacity.cli.options import (
    BackendOption,
    ClusterOptions,
    DataOptions,
    SeedOption,
    check_format,
    integer_option,
)
from capacity.cli.output import (
    EXPORT_SUFFIXES,
    OutputOptions,
    ReportOutput,
    csv_text,
    deliver,
    export,
)
from capacity.cli.progress import progress_bar
from capacity.cli.shares import ShareCells
from capacity.defaults import DEFAULTS
from capacity.errors import InputError
from capacity.example_portfolios import example_portfolios
from capacity.montecarlo import MonteCarloResult
from capacity.portfolio import (
    PortfolioReport,
    evaluate_portfolio,
    load_portfolio,
    simulate_portfolio,
)
from capacity.streaming import atomic_destination, check_output_path
from capacity.units import JOULES_PER_TWH, format_count, ureg

# Width of the console for the tables, so that they do not wrap when piped to a file.
TABLE_WIDTH = 150
# The grid whose share the tables show; JSON has every grid.
HEADLINE_GRID = DEFAULTS.headline_grid
# Histogram bins per Monte Carlo output in --format json.
JSON_HISTOGRAM_BINS = 32
# Monte Carlo outputs shown in the tables: (output, label, unit for human()).
_MC_OUTPUTS = (
    ("accelerators", "accelerators", ""),
    ("facility_power", "facility power", "W"),
    ("it_power", "IT power", "W"),
    ("average_facility_power", "average facility power", "W"),
    ("annual_energy", "annual energy", "TWh"),
    ("peak_flops", "peak FLOP/s", "FLOP/s"),
    ("delivered_flops", "delivered FLOP/s", "FLOP/s"),
    (f"grid_share:{HEADLINE_GRID}", f"share of {HEADLINE_GRID} (energy)", "%"),
    ("capex", "capex", "USD"),
    ("annual_cost", "annual cost", "USD/year"),
    ("emissions", "emissions (location-based)", "tCO2e/year"),
    ("water", "water (site + generation)", "m³/year"),
)
# The outputs of the per-deal Monte Carlo table.
_MC_BY_DEAL = (
    "accelerators",
    "average_facility_power",
    "annual_energy",
    "delivered_flops",
    "capex",
    "emissions",
    "water",
)


def portfolio_command(
    file: Annotated[
        Path | None,
        typer.Argument(
            metavar="FILE", help="Portfolio TOML file of named deals (or --example NAME)."
        ),
    ] = None,
    *,
    example: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="Read a shipped example portfolio instead of FILE (see 'capacity examples').",
            autocompletion=lambda: [portfolio.name for portfolio in example_portfolios()],
        ),
    ] = None,
    samples: Annotated[
        int | None,
        typer.Option(
            parser=integer_option,
            help="Monte Carlo samples: P5/P50/P95 of every deal and of the total.",
        ),
    ] = None,
    seed: SeedOption = DEFAULTS.seed,
    backend: BackendOption = DEFAULTS.backend,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Write to this file (atomically) instead of stdout: .csv, .parquet, .json or "
            ".xlsx by its suffix; any other file gets the --format output."
        ),
    ] = None,
    data: DataOptions,
    cluster: ClusterOptions,
    output: OutputOptions,
    allow_samples_outside: Annotated[
        bool,
        typer.Option(
            "--allow-samples-outside",
            help="Let 'samples:PATH' inputs of FILE read files outside FILE's folder "
            "(refused by default: see docs/trust-model.md).",
        ),
    ] = False,
) -> None:
    """Per-deal and total accelerators, FLOP/s, energy, grid share and costs of a portfolio
    of deals, with a timeline by year (and ranges with --samples)."""
    output_format = output.output_format
    check_format(output_format, ("table", "json", "csv"))
    if samples is not None and samples < 1:
        raise InputError(f"--samples must be ≥ 1, got {samples}")
    if out is not None:
        out = check_output_path(out, "--out")
        remove_stale_output(out)
    profile_set = data.profile_set()
    grid_set = data.grid_set()
    overrides = data.overrides()
    portfolio = load_portfolio(
        _portfolio_file(file, example),
        profiles=profile_set.with_overrides(overrides),
        allow_samples_outside=allow_samples_outside,
    )
    report = evaluate_portfolio(
        portfolio, profiles=profile_set, overrides=overrides, grid_set=grid_set
    )
    simulated = None
    if samples is not None:
        with cluster.client() as scheduler, progress_bar("portfolio", "samples") as progress:
            simulated = simulate_portfolio(
                portfolio,
                samples=samples,
                seed=seed,
                backend=backend,
                profiles=profile_set,
                overrides=overrides,
                grid_set=grid_set,
                progress=progress,
                scheduler=scheduler,
            )
    keys = ("section", "year", "entity", "statistic")

    def document() -> dict[str, Any]:
        document = report.to_dict()
        if simulated is not None:
            document["monte_carlo"] = simulated.to_dict(JSON_HISTOGRAM_BINS)
        return document

    if out is not None and not isinstance(output, ReportOutput):
        if out.suffix.lower() in EXPORT_SUFFIXES:
            export(out, report.tidy_rows(simulated), keys=keys, wide=output.wide,
                   document=document())  # fmt: skip
        elif output_format == "json":
            _emit(to_json(document(), ascii_only=False) + "\n", out)
        elif output_format == "csv":
            _emit(csv_text(report.tidy_rows(simulated), output.wide, keys), out)
        else:
            buffer = io.StringIO()
            console = TextConsole(file=buffer, width=PLAIN_WIDTH, no_color=True)
            _print_tables(console, report, simulated)
            _emit(buffer.getvalue(), out)
        output = OutputOptions("none", plot=output.plot)
    deliver(
        report,
        output,
        table=lambda: _print_tables(wide_console(TABLE_WIDTH), report, simulated),
        document=document,
        rows=lambda: report.tidy_rows(simulated),
        keys=keys,
        figure=lambda: report.plot(simulated),
        report=lambda: {
            "simulated": simulated,
            "profiles": profile_set.with_overrides(overrides),
            "grid_set": grid_set,
        },
    )


def _portfolio_file(file: Path | None, example: str | None) -> Path:
    """FILE, or the shipped example named by --example: exactly one of the two."""
    if file is not None and example is not None:
        raise InputError(
            f"give a portfolio FILE or --example, not both; got FILE {str(file)!r} and "
            f"--example {example!r}"
        )
    if file is not None:
        return file
    if example is None:
        raise InputError(
            "give a portfolio FILE or --example NAME ('capacity examples' lists the examples)"
        )
    shipped = {portfolio.name: portfolio.path for portfolio in example_portfolios()}
    return shipped[one_of(example, shipped, "--example")]


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        echo(text, nl=False)
        return
    with atomic_destination(out, "--out") as temporary:
        temporary.write_text(text, encoding="utf-8")


# --- tables -------------------------------------------------------------------------------------


def _money(quantity: Any, unit: str = "USD") -> str:
    return "–" if quantity is None else human(quantity, unit)


def _twh(quantity: Any) -> str:
    return f"{quantity.to('TWh').magnitude:.4g} TWh"


def _print_tables(
    console: Console, report: PortfolioReport, simulated: MonteCarloResult | None
) -> None:
    p = report.portfolio
    as_of = f", figures as of {p.as_of}" if p.as_of else ""
    console.print(f"[bold]{p.name}[/bold] ({len(p.deals)} deals, {p.source}{as_of})")
    if p.description:
        console.print(p.description, markup=False, highlight=False)

    inputs = Table(title="Deals: inputs (a range → the nominal value the deal figures use)")
    for column in (
        "deal",
        "counterparty",
        "chips",
        "size",
        "PUE",
        "utilization",
        "MFU",
        "schedule",
    ):
        inputs.add_column(column, overflow="fold")
    for deal in p.deals:
        inputs.add_row(
            deal.name,
            deal.counterparty,
            deal.chips,
            f"{deal.power.text} ({deal.basis})"
            if deal.power is not None
            else f"{deal.accelerators.text if deal.accelerators else ''} accelerators",
            _input_text(deal.pue.text, deal.pue.nominal(), deal.pue.is_fixed),
            _input_text(
                deal.utilization.text, deal.utilization.nominal(), deal.utilization.is_fixed
            ),
            _input_text(deal.mfu.text, deal.mfu.nominal(), deal.mfu.is_fixed),
            _schedule_text(deal.schedule),
        )
    console.print(inputs)

    hardware = Table(title="Deals at full deployment (counts rounded down)")
    for column in (
        "deal",
        "facility power",
        "IT power",
        "accelerators",
        "systems",
        "peak FLOP/s",
        "delivered FLOP/s",
        "H100e",
    ):
        hardware.add_column(column, justify="left" if column == "deal" else "right")
    for result in report.deals:
        c = result.conversion
        hardware.add_row(
            result.deal.name,
            human(c.facility_power, "W"),
            human(c.it_power, "W"),
            format_count(c.accelerators.magnitude),
            format_count(result.systems.magnitude),
            human(c.peak_flops, "FLOP/s"),
            human(c.delivered_flops, "FLOP/s"),
            format_count(c.h100_equivalents.magnitude),
        )
    t = report.totals
    hardware.add_section()
    hardware.add_row(
        "total",
        human(t.facility_power, "W"),
        human(t.it_power, "W"),
        format_count(t.accelerators.magnitude),
        format_count(t.systems.magnitude),
        human(t.peak_flops, "FLOP/s"),
        human(t.delivered_flops, "FLOP/s"),
        format_count(t.h100_equivalents.magnitude),
        style="bold",
    )
    console.print(hardware)

    shares = ShareCells()
    energy = Table(title="Energy, grid share and costs at full deployment")
    for column in (
        "deal",
        "avg facility power",
        "energy per year",
        f"{HEADLINE_GRID} share",
        "capex",
        "annual cost",
        "emissions",
        "water",
        "announced value",
    ):
        energy.add_column(column, justify="left" if column == "deal" else "right")
    for result in report.deals:
        c, costs = result.conversion, result.costs
        value = result.deal.prices.value
        energy.add_row(
            result.deal.name,
            human(c.average_facility_power, "W"),
            _twh(c.annual_energy),
            _share(c.grid_share, HEADLINE_GRID, shares),
            _money(costs.capex),
            _money(costs.annual_cost, "USD/year"),
            _emissions(None if c.environment is None else c.environment.emissions),
            _water(None if c.environment is None else c.environment.water),
            "–" if value is None else human(value, "USD"),
        )
    energy.add_section()
    energy.add_row(
        "total",
        human(t.average_facility_power, "W"),
        _twh(t.annual_energy),
        _share(t.grid_share, HEADLINE_GRID, shares),
        _money(t.capex),
        _money(t.annual_cost, "USD/year"),
        _emissions(t.emissions),
        _water(t.water),
        _money(t.announced_value),
        style="bold",
    )
    console.print(energy)
    shares.footnote(console)
    console.print(
        "Capex and annual cost need a price for every chip (– where one is missing; a total "
        "only when every deal has one). The announced value is shown for reference, not used "
        "in costs.",
        highlight=False,
    )

    if report.timeline:
        _print_timeline(console, report)
    if simulated is not None:
        _print_monte_carlo(console, report, simulated)

    if report.flags:
        console.print("[bold]Notes on this portfolio:[/bold]")
        for line in report.flags:
            console.print(f"  - {line}", markup=False, highlight=False, soft_wrap=True)
    lines = list(report.assumptions)
    if simulated is not None:
        lines += [line for line in simulated.assumptions if line not in report.assumptions]
    if lines:
        console.print("[bold]Assumptions and estimates in these figures:[/bold]")
        for line in lines:
            console.print(f"  - {line}", markup=False, highlight=False, soft_wrap=True)


def _print_timeline(console: Console, report: PortfolioReport) -> None:
    table = Table(title="Timeline: online at year end (nominal inputs), energy drawn in the year")
    for column in (
        "year",
        "facility power",
        "accelerators",
        "peak FLOP/s",
        "delivered FLOP/s",
        "energy in year",
    ):
        table.add_column(column, justify="left" if column == "year" else "right")
    for year in report.timeline:
        table.add_row(
            str(year.year),
            human(year.facility_power, "W"),
            format_count(year.accelerators.magnitude),
            human(year.peak_flops, "FLOP/s"),
            human(year.delivered_flops, "FLOP/s"),
            _twh(year.energy),
        )
    console.print(table)
    names = list(report.timeline[0].facility_power_by_deal)
    by_deal = Table(title="Facility power online at year end, by deal (share of the deal)")
    by_deal.add_column("year")
    for name in names:
        by_deal.add_column(name, justify="right", overflow="fold")
    for year in report.timeline:
        by_deal.add_row(
            str(year.year),
            *(
                f"{human(year.facility_power_by_deal[n], 'W')} "
                f"({year.online_fraction[n] * 100:.3g} %)"
                for n in names
            ),
        )
    console.print(by_deal)
    console.print(
        "Energy in a year integrates each deal's ramp exactly over the year's 365 or 366 days.",
        highlight=False,
    )


def _print_monte_carlo(
    console: Console, report: PortfolioReport, simulated: MonteCarloResult
) -> None:
    shares = ShareCells()
    console.print(
        f"Monte Carlo: {simulated.samples:,} samples, seed {simulated.seed}, backend "
        f"[bold]{simulated.backend}[/bold] ({simulated.backend_detail}); every deal at full "
        "deployment; chip power and FLOP/s figures and prices vary with their confidence",
        highlight=False,
    )
    q_labels = [f"P{q * 100:g}" for q in simulated.quantiles]
    totals = Table(title=f"{simulated.top}: nominal and Monte Carlo quantiles")
    for column in ("output", "nominal", *q_labels, "mean"):
        totals.add_column(column, justify="left" if column == "output" else "right")
    for output, label, unit in _MC_OUTPUTS:
        cells = _mc_cells(report, simulated, simulated.top, output, unit, shares)
        totals.add_row(label, *cells)
    console.print(totals)
    if len(simulated.groups) == 1:
        shares.footnote(console)
        return
    by_deal = Table(title="By deal: nominal and Monte Carlo quantiles")
    for column in ("deal", "output", "nominal", *q_labels, "mean"):
        by_deal.add_column(column, justify="left" if column in ("deal", "output") else "right")
    for group in simulated.groups[:-1]:
        shown = [entry for entry in _MC_OUTPUTS if entry[0] in _MC_BY_DEAL]
        for row, (output, label, unit) in enumerate(shown):
            cells = _mc_cells(report, simulated, group, output, unit, shares)
            by_deal.add_row(group if row == 0 else "", label, *cells)
        by_deal.add_section()
    console.print(by_deal)
    shares.footnote(console)


def _mc_cells(
    report: PortfolioReport, simulated: MonteCarloResult, group: str, output: str, unit: str,
    shares: ShareCells,
) -> list[str]:  # fmt: skip
    """Nominal, quantiles and mean of one output of one group, as table cells."""
    nominal = _nominal(report, group, shares)[output]
    summary = simulated.summary(group, output)
    if summary is None:
        return [nominal, *("–" for _ in simulated.quantiles), "–"]
    values = [summary.quantile(q) for q in simulated.quantiles] + [summary.mean]
    return [nominal, *(_value(v, unit, shares) for v in values)]


def _nominal(report: PortfolioReport, group: str, shares: ShareCells) -> dict[str, str]:
    """The deterministic figures of ``group`` (a deal or the total) as table cells."""
    if group == "total":
        t = report.totals
        facility, it_power, average = t.facility_power, t.it_power, t.average_facility_power
        accelerators, energy, peak, delivered = (
            t.accelerators,
            t.annual_energy,
            t.peak_flops,
            (t.delivered_flops),
        )
        share, capex, annual = t.grid_share.get(HEADLINE_GRID), t.capex, t.annual_cost
        emissions, water = t.emissions, t.water
    else:
        result = next(r for r in report.deals if r.deal.name == group)
        c = result.conversion
        facility, it_power, average = c.facility_power, c.it_power, c.average_facility_power
        accelerators, energy, peak, delivered = (
            c.accelerators,
            c.annual_energy,
            c.peak_flops,
            (c.delivered_flops),
        )
        share = c.grid_share.get(HEADLINE_GRID)
        capex, annual = result.costs.capex, result.costs.annual_cost
        emissions = None if c.environment is None else c.environment.emissions
        water = None if c.environment is None else c.environment.water
    return {
        "accelerators": format_count(accelerators.magnitude),
        "facility_power": human(facility, "W"),
        "it_power": human(it_power, "W"),
        "average_facility_power": human(average, "W"),
        "annual_energy": _twh(energy),
        "peak_flops": human(peak, "FLOP/s"),
        "delivered_flops": human(delivered, "FLOP/s"),
        f"grid_share:{HEADLINE_GRID}": "–" if share is None else shares(share.energy),
        "capex": _money(capex),
        "annual_cost": _money(annual, "USD/year"),
        "emissions": _emissions(emissions),
        "water": _water(water),
    }


def _emissions(quantity: Any) -> str:
    """Emissions per year: "59.1 MtCO2e/yr", or "–"."""
    if quantity is None:
        return "–"
    return f"{quantity.to('MtCO2e/year').magnitude:.3g} MtCO2e/yr"


def _water(quantity: Any) -> str:
    """Water per year in cubic metres: "424 Mm³/yr", or "–"."""
    if quantity is None:
        return "–"
    return f"{quantity.to('m**3/year').magnitude / 1e6:.3g} Mm³/yr"


def _value(value: float, unit: str, shares: ShareCells) -> str:
    if unit == "tCO2e/year":
        return _emissions(ureg.Quantity(value, "kgCO2e/year"))
    if unit == "m³/year":
        return _water(ureg.Quantity(value, "m**3/year"))
    if unit == "%":
        return shares(value)
    if unit == "":
        return format_count(value)
    if unit == "TWh":
        return f"{value / JOULES_PER_TWH:.4g} TWh"
    return human(value, unit)


def _share(by_grid: Any, grid: str, shares: ShareCells) -> str:
    share = by_grid.get(grid)
    return "–" if share is None else shares(share.energy)


def _input_text(text: str, nominal: float, is_fixed: bool) -> str:
    return f"{nominal:g}" if is_fixed else f"{text} → {nominal:g}"


def _schedule_text(schedule: Any) -> str:
    if schedule is None:
        return "none"
    if len(schedule.ramps) == 1:
        ramp = schedule.ramps[0]
        return f"{ramp.start} at once" if ramp.end is None else f"{ramp.start} → {ramp.end}"
    return f"{len(schedule.ramps)} tranches, {schedule.first_day} → {schedule.last_day}"
