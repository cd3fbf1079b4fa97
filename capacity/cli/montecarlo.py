"""``capacity montecarlo POWER_OR_COUNT``: the chain with uncertain inputs, as quantiles."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from capacity.cli.app import app, reports_errors
from capacity.cli.format import (
    MONEY_SCALES,
    echo,
    human,
    money,
    not_finite,
    percent,
    to_json,
    wide_console,
)
from capacity.cli.options import (
    COST_OPTIONS,
    BasisOption,
    ChipOption,
    DiscountRateOption,
    FacilityLifetimeOption,
    FormatOption,
    GridFileOption,
    LifetimeOption,
    MethodOption,
    MixBasisOption,
    MixOption,
    PrecisionOption,
    ProfilesOption,
    ProvisionOption,
    SetOption,
    check_format,
    cost_option_names,
    integer_option,
    number_option,
    parse_overrides,
    price_overrides,
)
from capacity.cli.progress import progress_bar
from capacity.cli.shares import ShareCells
from capacity.distributions import is_distribution_text
from capacity.errors import CapacityError, InputError, ProfileError, UnitError
from capacity.grids import load_grids
from capacity.montecarlo import DEFAULT_BINS, MonteCarloResult, TornadoBar, montecarlo
from capacity.profiles import load_profiles
from capacity.summary import DEFAULT_QUANTILES, OutputSummary
from capacity.units import SECONDS_PER_YEAR, Quantity, format_count, parse_count

_JOULES_PER_TWH = 3.6e15
_JOULES_PER_MWH = 3.6e9
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
}
_TORNADO_OUTPUTS = ("delivered_flops", "accelerators")
_TORNADO_BARS = 8
_DEFAULT_GRID = "global-datacenters"
# A swing smaller than this fraction of the output is rounding, not sensitivity.
_ROUNDING = 1e-9
# The std comes from sums of squares: below this fraction of the mean it is rounding.
_ROUNDING_STD = 1e-6


@app.command(name="montecarlo")
@reports_errors
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
    chip: ChipOption = None,
    mix: MixOption = None,
    pue: Annotated[
        str | None,
        typer.Option(
            help="Facility ÷ IT power, ≥ 1: a number or a distribution such as "
            "tri:1.1,1.2,1.4, uniform:LOW,HIGH, normal:MEAN,SD, lognormal:MEDIAN,SIGMA or "
            "samples:FILE. Default: 1.2."
        ),
    ] = None,
    utilization: Annotated[
        str | None,
        typer.Option(
            help="Fraction of time the fleet is busy: a number or a distribution. Default: 0.8."
        ),
    ] = None,
    mfu: Annotated[
        str | None,
        typer.Option(
            help="Fraction of peak FLOP/s achieved while busy: a number or a distribution. "
            "Default: 1.0."
        ),
    ] = None,
    samples: Annotated[
        str, typer.Option(help="Number of samples: 100000, 1e7 or 10M.")
    ] = "100000",
    seed: Annotated[
        int,
        typer.Option(
            parser=integer_option,
            help="Seed: the same seed gives the same samples on every backend.",
        ),
    ] = 0,
    backend: Annotated[
        str, typer.Option(help="auto (CUDA if usable, else numba), numba, cuda or numpy.")
    ] = "auto",
    quantile: Annotated[
        list[float] | None,
        typer.Option(
            parser=number_option,
            help="A quantile to report, in [0, 1] (repeatable). Default: 0.05, 0.5 and 0.95.",
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
    price: Annotated[
        list[str] | None,
        typer.Option(
            help="Price per accelerator: CHIP=VALUE or CHIP=DIST, e.g. gb300=55000USD or "
            "h100=tri:25kUSD,30kUSD,40kUSD (repeatable). Default: the profile's price range."
        ),
    ] = None,
    facility_capex: Annotated[
        str | None,
        typer.Option(
            help="Facility capex per watt of IT power, e.g. 11USD/W or tri:9USD/W,11USD/W,15USD/W."
        ),
    ] = None,
    electricity: Annotated[
        str | None,
        typer.Option(help="Electricity price, e.g. 80USD/MWh or uniform:60USD/MWh,90USD/MWh."),
    ] = None,
    lifetime: LifetimeOption = None,
    facility_lifetime: FacilityLifetimeOption = None,
    discount_rate: DiscountRateOption = None,
    basis: BasisOption = None,
    provision: ProvisionOption = None,
    precision: PrecisionOption = None,
    method: MethodOption = None,
    mix_basis: MixBasisOption = None,
    grid: Annotated[
        list[str] | None,
        typer.Option(
            help="Reference grid for grid share (repeatable). Default: every grid in JSON, "
            "global-datacenters in the table."
        ),
    ] = None,
    bins: Annotated[
        int,
        typer.Option(
            parser=integer_option,
            help="Histogram bins per output; quantiles are exact to one bin.",
        ),
    ] = DEFAULT_BINS,
    grid_file: GridFileOption = None,
    set_: SetOption = None,
    profiles: ProfilesOption = None,
    output_format: FormatOption = "table",
) -> None:
    """Convert a power (or a number of accelerators) whose inputs are uncertain: quantiles,
    mean and spread of every output over SAMPLES draws, with a tornado of what moves them."""
    check_format(output_format, ("table", "json"))
    if no_chip_uncertainty and (power_uncertainty or flops_uncertainty):
        raise InputError(
            "--no-chip-uncertainty fixes every chip's multipliers and --power-uncertainty or "
            "--flops-uncertainty sets some: choose one"
        )
    options: dict[str, Any] = {
        name: value
        for name, value in (("pue", pue), ("utilization", utilization), ("mfu", mfu))
        if value is not None
    }
    options |= _driver(power_or_count, basis)
    if no_chip_uncertainty:
        options |= {"power_uncertainty": "none", "flops_uncertainty": "none"}
    else:
        options |= {
            "power_uncertainty": _chip_settings("--power-uncertainty", power_uncertainty),
            "flops_uncertainty": _chip_settings("--flops-uncertainty", flops_uncertainty),
        }
    cost_overrides = price_overrides(price)
    values = {
        "facility_capex": facility_capex, "electricity": electricity, "lifetime": lifetime,
        "facility_lifetime": facility_lifetime, "discount_rate": discount_rate,
    }  # fmt: skip
    cost_overrides |= {COST_OPTIONS[k]: v for k, v in values.items() if v is not None}
    qs = tuple(quantile) if quantile else DEFAULT_QUANTILES

    with progress_bar("montecarlo", "samples") as progress:
        try:
            result = montecarlo(
                chip=chip,
                mix=mix,
                samples=_samples(samples),
                seed=seed,
                backend=backend,
                quantiles=qs,
                bins=bins,
                provision=provision or "nameplate",
                precision=precision or "bf16",
                method=method or "system",
                mix_basis=mix_basis or "power",
                cost_overrides=cost_overrides or None,
                grids=grid,
                profiles=load_profiles(profiles),
                grid_set=load_grids(grid_file),
                overrides=parse_overrides(set_),
                progress=progress,
                **options,
            )
        except (ProfileError, InputError, UnitError) as error:
            raise _in_option_terms(error) from None
    if output_format == "json":
        echo(to_json(result.to_dict()))
    else:
        _print_tables(result, grid)


def _driver(power_or_count: str, basis: str | None) -> dict[str, Any]:
    """POWER_OR_COUNT as the ``power`` or the ``accelerators`` argument of the API.

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
        if basis is not None:
            raise InputError("--basis applies to a power; POWER_OR_COUNT here is a count")
        return {"accelerators": text}
    return {"power": text, "basis": basis or "facility"}


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
        return f"{value / _JOULES_PER_TWH:.4g} TWh"
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


def _input_value(name: str, value: float) -> str:
    """An input's value in the unit people quote it in."""
    if name.endswith("multiplier") or name.endswith(("pue", "utilization", "mfu")):
        return f"{value:.4g}"
    if name.endswith("power"):
        return human(value, "W")
    if name.endswith("accelerators"):
        return format_count(value)
    if name.endswith("electricity price"):
        return f"{value * _JOULES_PER_MWH:.4g} USD/MWh"
    if name.endswith("capex per watt"):
        return f"{value:.4g} USD/W"
    if "price of " in name:
        return f"{value:,.0f} USD"
    return f"{value:.4g}"


def _input_text(name: str, text: str) -> str:
    """A distribution as written; the electricity price back in USD/MWh."""
    if not name.endswith("electricity price"):
        return text
    kind, _, rest = text.partition(":")
    try:
        numbers = [float(part) * _JOULES_PER_MWH for part in rest.split(",")]
    except ValueError:
        return text
    return f"{kind}:{','.join(f'{n:.4g}' for n in numbers)} USD/MWh"


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
        name = _short(result, item.name)
        values = (item.nominal, item.p5, item.p95)
        inputs.add_row(
            name, _input_text(name, item.text), *(_input_value(name, v) for v in values)
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
        shares = [name for name in shares if name == f"grid_share:{_DEFAULT_GRID}"]
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
    for bar in bars[:_TORNADO_BARS]:
        name = _short(result, bar.input)
        rho = correlations.get(bar.input)
        table.add_row(
            name,
            f"{_input_value(name, bar.low)} → {_input_value(name, bar.high)}",
            _value(output, summary.unit, bar.output_at_low),
            _value(output, summary.unit, bar.output_at_high),
            _value(output, summary.unit, bar.swing),
            "" if rho is None else f"{rho:+.2f}",
        )
    console.print(table)
