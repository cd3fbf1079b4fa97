"""``capacity montecarlo POWER_OR_COUNT``: the chain with uncertain inputs, as quantiles."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from capacity.cli.errors import remove_stale_output
from capacity.cli.format import (
    MONEY_SCALES,
    human,
    money,
    not_finite,
    percent,
    wide_console,
)
from capacity.cli.options import (
    COST_OPTIONS,
    BackendOption,
    ChipOptions,
    ClusterOptions,
    DataOptions,
    ModelOptions,
    SeedOption,
    UncertainCostOptions,
    UncertainInputOptions,
    cost_option_names,
    integer_option,
    listed,
    number_option,
)
from capacity.cli.output import OutputOptions, deliver, export
from capacity.cli.progress import progress_bar
from capacity.cli.shares import ShareCells
from capacity.convert import parse_mix
from capacity.costs import COST_PARAMETERS
from capacity.defaults import DEFAULTS
from capacity.distributions import COUNT, is_distribution_text
from capacity.errors import CapacityError, InputError, ProfileError, UnitError
from capacity.montecarlo import InputSummary, MonteCarloResult, TornadoBar, montecarlo
from capacity.streaming import check_output_path
from capacity.summary import OutputSummary
from capacity.units import JOULES_PER_TWH, SECONDS_PER_YEAR, Quantity, format_count, parse_count

# The outputs of the table, in order (grid shares follow), with their labels.
_OUTPUTS = {
    "accelerators": "accelerators",
    "peak_flops": "peak compute",
    "delivered_flops": "delivered compute",
    "facility_power": "facility power (provisioned)",
    "average_facility_power": "average facility power",
    "annual_energy": "annual energy",
    "capex": "capex",
    "annual_cost": "annual cost",
    "emissions": "emissions (location-based)",
    "water": "water (site + generation)",
}
_TORNADO_OUTPUTS = ("delivered_flops", "accelerators")
_TORNADO_BARS = 8
# The unit an input of each dimension of money is shown in: as the costs table shows it.
_SHOWN_UNITS = {dimension: unit for dimension, _, unit in COST_PARAMETERS.values() if unit}
# A swing smaller than this fraction of the output is rounding, not sensitivity.
_ROUNDING = 1e-9
# The std comes from sums of squares: below this fraction of the mean it is rounding.
_ROUNDING_STD = 1e-6


def montecarlo_command(
    power_or_count: Annotated[
        str,
        typer.Argument(
            metavar="POWER_OR_COUNT",
            help="A power ('30GW'), a power distribution ('uniform:25GW,35GW'), a count of "
            "accelerators ('4.5M') or a count distribution ('tri:4M,4.5M,5M'); "
            "'samples:FILE' reads powers with units.",
        ),
    ],
    *,
    chips: ChipOptions,
    inputs: UncertainInputOptions,
    samples: Annotated[str, typer.Option(help="Number of samples: 100000, 1e7 or 10M.")] = str(
        DEFAULTS.samples
    ),
    seed: SeedOption = DEFAULTS.seed,
    backend: BackendOption = DEFAULTS.backend,
    quantile: Annotated[
        list[float] | None,
        typer.Option(
            parser=number_option,
            help="A quantile to report, in [0, 1] (repeatable). Default: "
            + listed(DEFAULTS.quantiles, "and")
            + ".",
        ),
    ] = None,
    power_uncertainty: Annotated[
        list[str] | None,
        typer.Option(
            help="Multiplier on a chip's power per accelerator: CHIP=DIST, e.g. "
            "h100=tri:0.9,1,1.1 (repeatable; other chips by the confidence of their figures)."
        ),
    ] = None,
    flops_uncertainty: Annotated[
        list[str] | None,
        typer.Option(help="Multiplier on a chip's FLOP/s: CHIP=DIST (repeatable)."),
    ] = None,
    no_chip_uncertainty: Annotated[
        bool,
        typer.Option(
            "--no-chip-uncertainty",
            help="Take every chip's power and FLOP/s as exact (no multipliers).",
        ),
    ] = False,
    costs: UncertainCostOptions,
    model: ModelOptions,
    grid: Annotated[
        list[str] | None,
        typer.Option(
            help="Reference grid for grid share (repeatable). Default: every grid in JSON, "
            f"{DEFAULTS.headline_grid} in the table."
        ),
    ] = None,
    bins: Annotated[
        int,
        typer.Option(
            parser=integer_option,
            help="Histogram bins per output; quantiles are exact to one bin.",
        ),
    ] = DEFAULTS.montecarlo_bins,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Also write the quantiles to this file, atomically: .csv, .parquet, .json or "
            ".xlsx (one row per output and statistic; --wide: one per output)."
        ),
    ] = None,
    chart: Annotated[
        str,
        typer.Option(
            "--chart-output",
            help="Output the --plot chart shows: delivered_flops, accelerators, "
            "average_facility_power, annual_energy, capex...",
        ),
    ] = "delivered_flops",
    cdf: Annotated[
        bool, typer.Option("--cdf", help="Draw the --plot chart as a CDF, not a histogram.")
    ] = False,
    data: DataOptions,
    cluster: ClusterOptions,
    output: OutputOptions,
) -> None:
    """Convert a power (or a number of accelerators) whose inputs are uncertain: quantiles,
    mean and spread of every output over SAMPLES draws, with a tornado of what moves them."""
    if out is not None:
        check_output_path(out, "--out")
        remove_stale_output(out)
    if no_chip_uncertainty and (power_uncertainty or flops_uncertainty):
        raise InputError(
            "--no-chip-uncertainty fixes every chip's multipliers and --power-uncertainty or "
            "--flops-uncertainty sets some: choose one"
        )
    options: dict[str, Any] = inputs.given() | _driver(power_or_count, model.given())
    if quantile:
        options["quantiles"] = tuple(quantile)
    if no_chip_uncertainty:
        options |= {"power_uncertainty": "none", "flops_uncertainty": "none"}
    else:
        options |= {
            "power_uncertainty": _chip_settings("--power-uncertainty", power_uncertainty),
            "flops_uncertainty": _chip_settings("--flops-uncertainty", flops_uncertainty),
        }
    cost_overrides = costs.overrides()

    with cluster.client() as scheduler, progress_bar("montecarlo", "samples") as progress:
        try:
            result = montecarlo(
                **chips.given(),
                samples=_samples(samples),
                seed=seed,
                backend=backend,
                bins=bins,
                cost_overrides=cost_overrides or None,
                grids=grid,
                **data.api_options(),
                progress=progress,
                scheduler=scheduler,
                **options,
            )
        except (ProfileError, InputError, UnitError) as error:
            raise _in_option_terms(error) from None
    if out is not None:
        export(out, result.tidy_rows(), keys=("entity", "output", "unit"), column="statistic",
               wide=output.wide, document=result.to_dict())  # fmt: skip
    deliver(
        result,
        output,
        table=lambda: _print_tables(result, grid),
        document=result.to_dict,
        rows=result.tidy_rows,
        keys=("entity", "output", "unit"),
        column="statistic",
        figure=lambda: result.plot(output=chart, kind="cdf" if cdf else "histogram"),
        report=lambda: {
            "profiles": data.profile_set().with_overrides(data.overrides()),
            "grid_set": data.grid_set(),
            "chips": _chips(chips, data),
        },
    )


def _chips(chips: ChipOptions, data: DataOptions) -> list[str]:
    """The profile ids of --chip or --mix, for the report's list of figures."""
    profiles = data.profile_set()
    names = [chips.chip] if chips.chip else list(parse_mix(chips.mix or ""))
    return [profiles.resolve(name) for name in names]


def _driver(power_or_count: str, model: dict[str, Any]) -> dict[str, Any]:
    """POWER_OR_COUNT as the ``power`` or the ``accelerators`` argument of the API, with the
    model options given (``basis`` only with a power).

    A count reads as one ("4.5M"); so does a distribution whose first number is a count
    ("tri:4M,4.5M,5M"). Anything else is a power ("30GW", "uniform:25GW,35GW", "samples:FILE").
    """
    text = power_or_count.strip()
    is_count = parse_count(text, "POWER_OR_COUNT") is not None
    kind, _, rest = text.partition(":")
    if not is_count and is_distribution_text(text) and kind.strip().lower() != "samples":
        first = rest.split(",")[0].strip()
        is_count = bool(first) and parse_count(first, "POWER_OR_COUNT") is not None
    if is_count:
        if "basis" in model:
            raise InputError("--basis applies to a power; POWER_OR_COUNT here is a count")
        return {"accelerators": text, **model}
    return {"power": text, **model}


def _in_option_terms(error: CapacityError) -> CapacityError:
    """An error of the API in terms of this command's arguments and options."""
    text = str(error)
    message = _costcost_option_names(text)
    if message != text:
        return InputError(message)
    if isinstance(error, UnitError) and text.startswith("power:"):
        return UnitError(
            f"{text} (POWER_OR_COUNT is a power such as '30GW' or a count such as '200k')"
        )
    return error


def _costcost_option_names(message: str) -> str:
    """A cost override's error in terms of this command's options: "--electricity: ..."."""
    message = cost_option_names(message)
    for option, key in COST_OPTIONS.items():
        flag = f"--{option.replace('_', '-')}"
        message = re.sub(rf"^(cost override )?'?{key}'?:", f"{flag}:", message)
    return re.sub(r"^(cost override )?'?price\.([^':]+)'?:", r"--price \2:", message)


def _chip_settings(option: str, settings: list[str] | None) -> str | dict[str, str]:
    """``CHIP=DIST`` options as the API's chip → distribution mapping ("auto" if none)."""
    if not settings:
        return "auto"
    mapping: dict[str, str] = {}
    for setting in settings:
        chip, equals, value = setting.partition("=")
        if not equals or not chip.strip() or not value.strip():
            raise InputError(f"{option} {setting!r} must be CHIP=DIST, e.g. h100=tri:0.9,1,1.1")
        mapping[chip.strip()] = value.strip()
    return mapping


def _samples(text: str) -> Any:
    """``--samples``: "10M" as a count; anything else as written (the API checks it)."""
    try:
        count = parse_count(text.strip(), "--samples")
    except UnitError:
        return text
    return text if count is None else count


# ---------------------------------------------------------------- presentation


def _value(output: str, unit: str, value: float | None, shares: ShareCells | None = None) -> str:
    """One cell; grid shares through ``shares``, which marks those above 100 %, unless the
    value is not a share (a spread)."""
    if value is None:
        return "n/a"
    if not math.isfinite(value):
        return not_finite(value)
    if output.startswith("grid_share:"):
        return percent(value) if shares is None else shares(value)
    if unit == "J":
        return f"{value / JOULES_PER_TWH:.4g} TWh"
    if unit == "kgCO2e/year":
        return f"{value / 1e9:.4g} MtCO2e/yr"
    if unit == "m**3/year":
        return f"{value / 1e6:.4g} Mm³/yr"
    if unit in ("USD", "USD/year"):
        return str(money(Quantity(value, unit), unit, "/yr" if unit == "USD/year" else ""))
    return human(value, unit)


def _scaled(value: float | None, scale: float) -> str:
    """An amount of money in the row's scale ("27.07" for 27.07 billion USD)."""
    if value is None:
        return "n/a"
    if not math.isfinite(value):
        return not_finite(value)
    return f"{value / scale:.4g}"


def _money_scale(values: Sequence[float | None]) -> tuple[float, str]:
    """The scale of the smallest amount, so that every amount reads ≥ 1 in it."""
    amounts = [abs(v) for v in values if v is not None and math.isfinite(v) and v != 0]
    smallest = min(amounts, default=0.0)
    for scale, word in MONEY_SCALES:
        if smallest >= scale:
            return scale, word
    return 1.0, ""


def _input_value(item: InputSummary, value: float) -> str:
    """A value of an input in the unit people quote it in."""
    if item.dimension == COUNT:
        return format_count(value)
    if item.dimension == "power":
        return human(value, item.unit)
    if item.dimension == "water intensity":
        return f"{value * 3.6e9:.4g} L/kWh"  # m³/J → L/kWh
    if item.dimension == "carbon intensity":
        return f"{value * 3.6e9:.4g} gCO2e/kWh"  # kgCO2e/J → g/kWh
    unit = _SHOWN_UNITS.get(item.dimension)
    if unit is not None:
        return f"{Quantity(value, item.unit).to(unit).magnitude:.4g} {unit}"
    if item.dimension == "money":
        return f"{value:,.0f} {item.unit}"
    return f"{value:.4g}"


def _quantile_label(q: float) -> str:
    return f"P{q * 100:g}"


def _baseline(result: MonteCarloResult, output: str) -> float | None:
    """The output at every input's nominal value (rescaled for energy and grid shares)."""
    if output in result.baseline:
        return result.baseline[output]
    power = result.baseline.get("average_facility_power")
    if power is None:
        return None
    if output == "annual_energy":
        return power * SECONDS_PER_YEAR
    if output.startswith("grid_share:"):
        share = result.summary(result.top, output)
        average = result.summary(result.top, "average_facility_power")
        if share is None or average is None or not average.mean > 0:
            return None
        return power * share.mean / average.mean  # the share is a fixed multiple of the power
    return None


def _short(result: MonteCarloResult, name: str) -> str:
    """An input's name without the scenario prefix (a single conversion has one)."""
    prefix = f"{result.top}: "
    return name.removeprefix(prefix)


def _print_tables(result: MonteCarloResult, grids: Sequence[str] | None) -> None:
    # wide enough for every column, so that tables piped to a file do not wrap or truncate
    console = wide_console(max(120, 40 + 17 * (len(result.quantiles) + 3)))
    rate = result.samples / result.compute_seconds if result.compute_seconds > 0 else math.inf
    passes = "" if result.passes == 1 else f", {result.passes} passes"
    console.print(
        f"[bold]{result.top}[/bold]: {result.samples:,} samples, seed {result.seed}, backend "
        f"[bold]{result.backend}[/bold] ({result.backend_detail}): "
        f"{result.compute_seconds:.3g} s, {rate:,.3g} samples/s{passes} "
        f"({result.seconds:.3g} s with set-up, pilot and compiling)",
        highlight=False,
        soft_wrap=True,
    )

    inputs = Table(title="Uncertain inputs")
    for column in ("input", "distribution", "nominal", "P5", "P95"):
        left = column in ("input", "distribution")
        inputs.add_column(column, justify="left" if left else "right", no_wrap=True)
    for item in result.inputs:
        values = (item.nominal, item.p5, item.p95)
        inputs.add_row(
            _short(result, item.name), item.text, *(_input_value(item, v) for v in values)
        )
    if not result.inputs:
        inputs.add_row("none: every input is fixed", "", "", "", "")
    console.print(inputs)

    outputs = _shown_outputs(result, grids)
    missing = sorted({c for chips in result.missing_prices.values() for c in chips})
    labels = [_quantile_label(q) for q in result.quantiles]
    table = Table(
        title=f"Outputs over {result.samples:,} samples (quantiles to within one histogram bin)"
    )
    for column in ("output", *labels, "mean", "std", "at nominal"):
        table.add_column(column, justify="left" if column == "output" else "right", no_wrap=True)
    shares = ShareCells()
    for output in outputs:
        summary = result.summary(result.top, output)
        if summary is None:
            label = f"{_label(output)} (no price)"
            table.add_row(label, *["–"] * (len(labels) + 3))
            continue
        quantiles = summary.quantiles(result.quantiles).values()
        # a spread within rounding of the mean (an output the inputs do not move) is none
        std = summary.std if summary.std > _ROUNDING_STD * abs(summary.mean) else 0.0
        cells = [*quantiles, summary.mean, std, _baseline(result, output)]
        if summary.unit in ("USD", "USD/year"):  # the unit in the label, not in every cell
            scale, word = _money_scale([*quantiles, summary.mean])
            unit = f"{word} {summary.unit}".strip()
            table.add_row(f"{_label(output)} ({unit})", *(_scaled(v, scale) for v in cells))
        else:
            shown = [_value(output, summary.unit, v, shares) for v in cells]
            shown[-2] = _value(output, summary.unit, std)  # a spread, not a share
            table.add_row(_label(output), *shown)
    console.print(table)
    shares.footnote(console)
    for line in result.warnings:
        console.print(f"warning: {line}", markup=False, highlight=False, soft_wrap=True)

    for output in _TORNADO_OUTPUTS:
        _print_tornado(console, result, output)

    for chip in missing:
        line = f"capex unavailable: no price for {chip}; set --price {chip}=VALUE"
        console.print(line, markup=False, highlight=False)
    if result.assumptions:
        console.print("[bold]Assumptions and estimates in these figures:[/bold]")
        for line in result.assumptions:
            console.print(f"  - {line}", markup=False, highlight=False, soft_wrap=True)


def _label(output: str) -> str:
    if output.startswith("grid_share:"):
        return f"share of {output.split(':', 1)[1]} (energy)"
    return _OUTPUTS.get(output, output)


def _shown_outputs(result: MonteCarloResult, grids: Sequence[str] | None) -> list[str]:
    """The outputs of the table: facility power only where it varies; the grids asked for."""
    available = result.summaries[result.top]
    shown = []
    for output in _OUTPUTS:
        summary = available.get(output)
        if output == "facility_power" and summary is not None and not summary.std > 0:
            continue
        if output in available:
            shown.append(output)
    shares = [name for name in available if name.startswith("grid_share:")]
    if not grids:
        shares = [name for name in shares if name == f"grid_share:{DEFAULTS.headline_grid}"]
    return shown + shares


def _print_tornado(console: Console, result: MonteCarloResult, output: str) -> None:
    summary: OutputSummary | None = result.summary(result.top, output)
    bars: Sequence[TornadoBar] = [
        bar
        for bar in result.tornado.get(output, ())
        if bar.swing > _ROUNDING * max(abs(bar.output_at_low), abs(bar.output_at_high))
    ]
    label = _label(output)
    if summary is None:
        return
    if not bars:
        console.print(f"No uncertain input moves {label}.", highlight=False)
        return
    correlations = result.rank_correlation.get(output, {})
    console.print(
        f"[bold]Tornado: {label}[/bold] (each input from its P5 to its P95, the others at "
        "nominal; ρ: rank correlation over the pilot samples)",
        highlight=False,
    )
    table = Table()
    for column in ("input", "input P5 → P95", "output at P5", "output at P95", "swing", "ρ"):
        table.add_column(column, justify="left" if column == "input" else "right", no_wrap=True)
    inputs = {item.name: item for item in result.inputs}
    for bar in bars[:_TORNADO_BARS]:
        item = inputs[bar.input]
        rho = correlations.get(bar.input)
        table.add_row(
            _short(result, bar.input),
            f"{_input_value(item, bar.low)} → {_input_value(item, bar.high)}",
            _value(output, summary.unit, bar.output_at_low),
            _value(output, summary.unit, bar.output_at_high),
            _value(output, summary.unit, bar.swing),
            "" if rho is None else f"{rho:+.2f}",
        )
    console.print(table)
