"""``capacity costs POWER_OR_COUNT``: capex, energy cost and cost of ownership of a conversion."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from capacity.cli.convert import converted
from capacity.cli.format import echo, human, money, to_json, wide_console
from capacity.cli.options import (
    COST_OPTIONS,
    ChipOptions,
    CostOptions,
    FormatOption,
    GridOption,
    InputOptions,
    ModelOptions,
    PowerOrCountArgument,
    ProfilesOption,
    SetOption,
    SiteOptions,
    check_format,
    cost_option_names,
    parse_overrides,
)
from capacity.cli.output import WideOption, csv_text
from capacity.convert import Conversion
from capacity.costs import (
    COMPONENTS,
    COST_PARAMETERS,
    CostAssumptions,
    Costs,
    conversion_costs,
    cost_assumptions,
    load_cost_defaults,
    shown,
    shown_range,
)
from capacity.environment import Site
from capacity.errors import InputError, ProfileError
from capacity.figures import Figure
from capacity.profiles import load_profiles
from capacity.units import format_count


def costs_command(
    power_or_count: PowerOrCountArgument,
    *,
    chips: ChipOptions,
    inputs: InputOptions,
    model: ModelOptions,
    costs: CostOptions,
    site: SiteOptions,
    grid: GridOption = None,
    set_: SetOption = None,
    profiles: ProfilesOption = None,
    output_format: FormatOption = "table",
    wide: WideOption = False,
) -> None:
    """All-in capex by component, energy cost, non-energy opex and annual cost of ownership
    of a power (or a number of accelerators), per GW and per accelerator: every default
    shown with its value, confidence and source. The site region (--grid) sets the
    electricity price."""
    check_format(output_format, ("table", "json", "csv"), wide)
    given = {**inputs.given(), **model.given()}
    profile_set = load_profiles(profiles)
    overrides = parse_overrides(set_)
    if overrides:
        profile_set = profile_set.with_overrides(overrides)
    conversion = converted(
        power_or_count, example="1GW", **chips.given(), **given, **site.given(), grids=grid,
        profiles=profile_set,
    )  # fmt: skip
    cost_overrides = costs.overrides()
    try:
        assumptions = cost_assumptions(
            conversion.chips, profile_set, cost_overrides, conversion.site
        )
    except ProfileError as error:  # a malformed override: name the option, not the API key
        raise InputError(cost_option_names(str(error))) from None
    figures = conversion_costs(conversion, assumptions)
    if output_format == "json":
        document = {
            "conversion": conversion.to_dict(),
            "cost_parameters": assumptions.to_dict(),
            "costs": figures.to_dict(),
        }
        echo(to_json(document))
    elif output_format == "csv":
        from capacity.tables import document_rows

        rows = document_rows(conversion.to_dict()) + document_rows(figures.to_dict())
        echo(csv_text(rows, wide), nl=False)
    else:
        _print_tables(conversion, assumptions, figures, given)


def _print_tables(
    conversion: Conversion,
    assumptions: CostAssumptions,
    costs: Costs,
    given: dict[str, Any],
) -> None:
    console = wide_console(120)

    def label(name: str) -> str:
        return f"{conversion.inputs[name]}" + ("" if name in given else " (default)")

    chips = ", ".join(f"{chip} {float(conversion.mix[chip]):.3g}" for chip in conversion.chips)
    headline = Table(title="Capacity", show_header=False)
    headline.add_column("quantity")
    headline.add_column("value", justify="right")
    for name, value in (
        ("chips (share)", chips),
        ("PUE", label("pue")),
        ("utilization", label("utilization")),
        ("MFU", label("mfu")),
        ("accelerators", format_count(conversion.accelerators.magnitude)),
        ("IT power", human(conversion.it_power, "W")),
        ("facility power", human(conversion.facility_power, "W")),
        ("delivered compute", human(conversion.delivered_flops, "FLOP/s")),
        ("annual energy", f"{conversion.annual_energy.to('TWh').magnitude:.4g} TWh/yr"),
    ):
        headline.add_row(name, value)
    console.print(headline)

    parameters = Table(title="Cost parameters (each set by the option named)")
    for column in ("parameter", "value", "range", "confidence"):
        parameters.add_column(column)
    sources: list[str] = []
    rows: list[tuple[str, Figure | None, str]] = [
        (f"price of {chip} per accelerator (--price {chip}=…)", figure, "USD")
        for chip, figure in assumptions.accelerator_price.items()
        if chip in conversion.chips
    ]
    options = {key: option for option, key in COST_OPTIONS.items()}

    def how(name: str) -> str:
        if name in options:
            return f"--{options[name].replace('_', '-')}"
        return f"--cost {name}=…"

    rows += [
        (f"{name.replace('_', ' ')} ({how(name)})", figure, unit)
        for name, figure in assumptions.parameters().items()
        for unit in (COST_PARAMETERS[name][2],)
    ]
    for name, figure, unit in rows:
        if figure is None:
            parameters.add_row(name, "none", "", "no public figure")
            continue
        parameters.add_row(name, shown(figure, unit), shown_range(figure, unit), figure.confidence)
        note = f" ({figure.summary})" if figure.summary else ""
        sources.append(f"{name.split(' (')[0]}: {figure.source}{note}")
    console.print(parameters)
    console.print("[bold]Sources of the cost parameters:[/bold]")
    for line in sources:
        console.print(f"  - {line}", markup=False, highlight=False, soft_wrap=True)

    crf_hardware, crf_facility = assumptions.annualization()
    missing = ", ".join(costs.missing_prices)
    breakdown = Table(title="Capex by component (annualized with each component's lifetime)")
    for column in ("component", "capex", "per GW", "per accelerator", "annualized"):
        breakdown.add_column(column, justify="left" if column == "component" else "right")
    for name, row in costs.breakdown().items():

        def cell(value: Any, unit: str) -> str:
            return "–" if value is None else human(value, unit)

        breakdown.add_row(
            COMPONENTS[name][0], cell(row["capex_usd"], "USD"),
            cell(row["capex_usd_per_gw"], "USD"), cell(row["capex_usd_per_accelerator"], "USD"),
            cell(row["annualized_usd_per_year"], "USD") + "/yr",
        )  # fmt: skip
    console.print(breakdown)
    table = Table(title="Costs", show_header=False)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    if len(conversion.chips) > 1:
        for chip, share in costs.hardware_capex_by_chip.items():
            table.add_row(f"hardware capex, {chip}", money(share, missing=chip))
    for name, value in (
        ("hardware capex", money(costs.hardware_capex, missing=missing)),
        ("facility capex", money(costs.facility_capex, missing=missing)),
        ("capex", money(costs.capex, missing=missing)),
        (
            f"annual energy cost ({_price_basis(conversion.site, assumptions)})",
            money(costs.annual_energy_cost, "USD/year", "/yr", missing=missing),
        ),
        (
            "non-energy opex",
            money(costs.non_energy_opex, "USD/year", "/yr", missing=missing),
        ),
        (
            f"annualized capex (CRF {crf_hardware:.4g}/yr hardware, {crf_facility:.4g}/yr "
            f"facility, cost of capital {assumptions.discount_rate.si:g})",
            money(costs.annualized_capex, "USD/year", "/yr", missing=missing),
        ),
        ("annual cost of ownership", money(costs.annual_cost, "USD/year", "/yr", missing=missing)),
        (
            "capex per accelerator",
            "–"
            if costs.capex is None or costs.accelerators is None
            else human(costs.capex / costs.accelerators, "USD"),
        ),
        (
            "capex per GW of facility power",
            money(costs.capex_per_gw, "USD/GW", "/GW", missing=missing),
        ),
        (
            "cost per delivered EFLOP (1e18 FLOP)",
            money(costs.cost_per_delivered_flop, "USD/EFLOP", "/EFLOP", missing=missing),
        ),
    ):
        table.add_row(name, value)
    console.print(table)

    lines = [*conversion.assumptions, *costs.assumptions]
    if lines:
        console.print("[bold]Assumptions and estimates in these figures:[/bold]")
        for line in lines:
            console.print(f"  - {line}", markup=False, highlight=False, soft_wrap=True)


def _price_basis(site: Site | None, assumptions: CostAssumptions) -> str:
    """Say whose electricity price the energy cost uses, never implying a region's own."""
    if site is not None and assumptions.electricity_price == site.electricity_price:
        return f"{site.region} price"
    if assumptions.electricity_price == load_cost_defaults()["electricity_price"]:
        if site is not None:
            return f"US industrial price; {site.region} has no price of its own"
        return "US industrial price"
    return "price set by --electricity"
