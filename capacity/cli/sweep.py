"""``capacity sweep POWER``: the chain over PUE × utilization × chip mix (× power)."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from capacity.cli.errors import remove_stale_output
from capacity.cli.format import counted, human, wide_console
from capacity.cli.options import (
    BackendOption,
    ClusterOptions,
    DataOptions,
    GridOption,
    MfuOption,
    ModelOptions,
    default_text,
    integer_option,
    number_option,
)
from capacity.cli.output import EXPORT_SUFFIXES, OutputOptions, ReportOutput, deliver, export
from capacity.cli.progress import progress_bar
from capacity.cli.shares import ShareCells
from capacity.defaults import DEFAULTS
from capacity.errors import CapacityError, InputError
from capacity.streaming import STREAMED_SUFFIXES, check_output_path
from capacity.summary import OutputSummary
from capacity.sweep import SweepResult, sweep
from capacity.units import JOULES_PER_TWH, format_count

_LABELS = {
    "accelerators": "accelerators",
    "peak-flops": "peak compute",
    "delivered-flops": "delivered compute",
    "h100-equivalents": "H100-equivalents",
    "average-power": "average facility power",
    "annual-energy": "annual energy",
    "facility-power": "facility power",
    "it-power": "IT power",
}


# A sweep of up to this many mixes points to ``capacity compare`` for them side by side.
_MIXES_SIDE_BY_SIDE = 8
# Points a sweep writes to .json or .xlsx at most: those files are built whole in memory (a
# few kB a point on the way), and a spreadsheet holds 1,048,576 rows.
HELD_EXPORT_POINTS = 1_000_000
KG_PER_MEGATONNE = 1e9


def _value(summary_unit: str, name: str, value: float, shares: ShareCells) -> str:
    if name.startswith(("grid-share", "grid-capacity-share")):
        return shares(value)
    if summary_unit == "J":
        return f"{value / JOULES_PER_TWH:.4g} TWh"
    if summary_unit == "kgCO2e":  # a year's emissions
        return f"{value / KG_PER_MEGATONNE:.4g} Mt CO2e/year"
    if summary_unit == "m**3":  # a year's water
        return f"{value / 1e6:.4g} million m³/year"
    return human(value, summary_unit)


def _label(name: str) -> str:
    if name.startswith("grid-share:"):
        return f"{name.split(':', 1)[1]} share (energy)"
    if name.startswith("grid-capacity-share:"):
        return f"{name.split(':', 1)[1]} share (capacity)"
    return _LABELS.get(name, name)


def sweep_command(
    power: Annotated[
        str,
        typer.Argument(
            metavar="POWER",
            help="A power or a power axis: '30GW', '10GW,20GW,30GW' or '10GW:30GW:5GW'.",
        ),
    ],
    *,
    chips: Annotated[
        str | None, typer.Option(help="Chips to mix: ID,ID,... (profile ids or aliases).")
    ] = None,
    pue: Annotated[
        str | None,
        typer.Option(
            help="PUE axis: START:STOP:STEP (stop included) or a comma list." + default_text("pue")
        ),
    ] = None,
    utilization: Annotated[
        str | None,
        typer.Option(
            help="Utilization axis: START:STOP:STEP or a comma list." + default_text("utilization")
        ),
    ] = None,
    mix_step: Annotated[
        float | None,
        typer.Option(
            parser=number_option,
            help="Every mix of --chips in steps of this share (0.05, 0.1, 0.25…).",
        ),
    ] = None,
    mix: Annotated[
        list[str] | None, typer.Option(help="One mix: ID=SHARE,ID=SHARE,... (repeatable).")
    ] = None,
    reduce: Annotated[
        bool,
        typer.Option(
            "--reduce",
            help="Summarize without keeping points (the default unless --out is given).",
        ),
    ] = False,
    objective: Annotated[
        str | None,
        typer.Option(help="max-OUTPUT or min-OUTPUT, e.g. max-delivered-flops."),
    ] = None,
    constraint: Annotated[
        list[str] | None,
        typer.Option(
            help="OUTPUT<=VALUE or OUTPUT>=VALUE (repeatable): "
            "grid-share:global-datacenters<=0.3, vendor-share<=0.6, average-power<=20GW."
        ),
    ] = None,
    backend: BackendOption = DEFAULTS.backend,
    reduction: Annotated[
        str,
        typer.Option(
            help="auto (factorized when reduced and it fits, else enumerated), factorized "
            "(exact quantiles, no point visited) or enumerated (every point, histogram "
            "quantiles)."
        ),
    ] = "auto",
    out: Annotated[
        str | None,
        typer.Option(
            help="Write every point to this file, one row per point, atomically: .parquet or "
            ".csv (streamed in chunks), .json or .xlsx (held in memory); a NAME without suffix "
            "is a folder holding a Parquet dataset, one file per chunk and a manifest written "
            "last (with --scheduler or --workers: written by the workers)."
        ),
    ] = None,
    chart: Annotated[
        str | None,
        typer.Option(
            "--chart-output",
            help="Output the --plot heatmap shows: delivered-flops (default: the objective's), "
            "peak-flops, accelerators, average-power, annual-energy or grid-share:GRID.",
        ),
    ] = None,
    mfu: MfuOption = None,
    model: ModelOptions,
    grid: GridOption = None,
    chunk_points: Annotated[
        int | None,
        typer.Option(parser=integer_option, help="Points per chunk (default: the backend's)."),
    ] = None,
    bins: Annotated[
        int,
        typer.Option(
            parser=integer_option, help="Histogram bins per output for enumerated quantiles."
        ),
    ] = DEFAULTS.sweep_bins,
    data: DataOptions,
    cluster: ClusterOptions,
    output: OutputOptions,
) -> None:
    """Sweep PUE × utilization × chip mix (× power): min, max, mean and quantiles of every
    output, the best point under constraints, every point to a file, or a heatmap."""
    if reduce and out is not None:
        raise InputError("--reduce keeps no points and --out writes every point: choose one")
    # A name without suffix is a dataset folder, written chunk by chunk like a streamed file.
    suffix = Path(out).suffix.lower() if out is not None else ""
    streamed = out is not None and (suffix in STREAMED_SUFFIXES or not suffix)
    held = out is not None and not streamed
    if held:
        check_output_path(out, "--out")  # type: ignore[arg-type]
        if Path(str(out)).suffix.lower() not in EXPORT_SUFFIXES:
            raise InputError(
                f"--out: {out!r} must end in {', '.join(EXPORT_SUFFIXES)}: the format follows "
                "the suffix"
            )
    _check_chips_have_mixes(chips, mix, mix_step, data)
    if out is not None:
        remove_stale_output(out)
    charted = output.plot is not None or isinstance(output, ReportOutput)
    if reduce and charted:
        raise InputError("--reduce keeps no points and a chart needs them: choose one")
    given = {"pue": pue, "utilization": utilization, "mfu": mfu, **model.given()}
    with (
        _out_in_option_terms(),
        cluster.client() as scheduler,
        progress_bar("sweep", "points") as progress,
    ):
        result = sweep(
            power,
            chips=chips,
            mixes=mix,
            mix_step=mix_step,
            **{name: value for name, value in given.items() if value is not None},
            backend=backend,
            reduce=out is None and not charted,
            reduction=reduction,
            objective=objective,
            constraints=constraint,
            out=out if streamed else None,
            chunk_points=chunk_points,
            bins=bins,
            grids=grid,
            **data.api_options(),
            progress=progress,
            scheduler=scheduler,
        )
    if held and out is not None:
        if result.points > HELD_EXPORT_POINTS:
            raise InputError(
                f"--out {out}: {result.points:,} points are more than the "
                f"{HELD_EXPORT_POINTS:,} a .json or .xlsx file takes (each is built whole in "
                "memory; a spreadsheet holds 1,048,576 rows); write them with --out "
                "FILE.parquet, FILE.csv or a folder, in chunks"
            )
        table = result.to_dataframe()
        if Path(out).suffix.lower() == ".json":
            every_point = {**result.to_dict(), "every_point": table.to_dict(orient="list")}
            export(Path(out), (), keys=(), document=every_point)
        else:
            export(Path(out), table.to_dict(orient="records"), keys=())
    deliver(
        result,
        output,
        table=lambda: _print_tables(result, Path(out) if held and out is not None else None),
        document=result.to_dict,
        rows=result.summary_rows,
        keys=("entity", "output", "unit"),
        column="statistic",
        figure=lambda: result.plot(output=chart),
        report=lambda: {
            "profiles": data.profile_set().with_overrides(data.overrides()),
            "grid_set": data.grid_set(),
        },
    )


def _check_chips_have_mixes(
    chips: str | None, mix: list[str] | None, mix_step: float | None, data: DataOptions
) -> None:
    """Several chips without mixes, refused in the command's own terms (the API's error
    names its arguments); an unknown chip is left to the sweep's own error first."""
    if not chips or mix or mix_step is not None:
        return
    names = [c.strip() for c in chips.split(",") if c.strip()]
    profiles = data.profile_set()
    if any(name not in profiles for name in names):
        return
    distinct = {profiles.resolve(name) for name in names}
    if len(distinct) > 1:
        raise InputError(
            f"--chips {chips}: {len(distinct)} chips need --mix-step (every mix in steps of a "
            "share, e.g. --mix-step 0.25) or --mix ID=SHARE,ID=SHARE (repeatable); to see them "
            f"side by side: capacity compare POWER --chips {chips}"
        )


@contextlib.contextmanager
def _out_in_option_terms() -> Iterator[None]:
    """The API's errors about its ``out`` argument in terms of ``--out``."""
    try:
        yield
    except CapacityError as error:
        text = str(error)
        if not text.startswith("out:"):
            raise
        raise type(error)(f"--{text}") from None


def _print_tables(result: SweepResult, written: Path | None = None) -> None:
    console = wide_console(140)
    n_power, n_pue, n_utilization, n_mix = result.shape
    rate = result.points / result.compute_seconds if result.compute_seconds > 0 else math.inf
    console.print(
        f"[bold]{counted(result.points, 'point')}[/bold] ({n_power} power × {n_pue} PUE × "
        f"{n_utilization} utilization × {counted(n_mix, 'mix', 'mixes')} of "
        f"{', '.join(result.chips)}) "
        f"on backend [bold]{result.backend}[/bold] ({result.backend_detail}) in "
        f"{result.compute_seconds:.3g} s ({rate / 1e6:,.3g} M points/s; "
        f"{result.seconds:.3g} s with set-up and compiling)",
        highlight=False,
    )
    inputs = result.inputs
    console.print(
        f"power {_axis(result.power, 'W')} ({inputs['basis']}), PUE {_axis(result.pue)}, "
        f"utilization {_axis(result.utilization)}, MFU {inputs['mfu']:g}, "
        f"{inputs['precision']}, {inputs['provision']} provisioning, method {inputs['method']}, "
        f"mix shares of {inputs['mix_basis']}",
        highlight=False,
    )
    if result.out is not None or written is not None:
        console.print(f"every point written to {result.out or written}", highlight=False)
    console.print(f"reduction: {result.reduction_detail}", highlight=False)
    if result.cluster is not None:
        cluster = result.cluster
        console.print(
            f"chunks run on the Dask cluster at {cluster['scheduler']}: "
            f"{counted(cluster['workers'], 'worker')}, {counted(cluster['threads'], 'thread')}",
            highlight=False,
        )

    exact = all(s.quantile_method == "exact" for s in result.summary.values())
    kind = "exact quantiles" if exact else "quantiles to within one histogram bin"
    table = Table(title=f"Over every point ({kind})")
    for column in ("output", "min", "P5", "P50", "P95", "max", "mean"):
        table.add_column(column, justify="left" if column == "output" else "right", no_wrap=True)
    shares = ShareCells()
    for name, summary in result.summary.items():
        table.add_row(_label(name), *_summary_cells(name, summary, shares))
    console.print(table)
    shares.footnote(console)
    if 1 < n_mix <= _MIXES_SIDE_BY_SIDE:
        power = _axis(result.power, "W").replace(" ", "") if result.power.size == 1 else "POWER"
        mixes = " ".join(f"--mix {label}" for label in result.mix_labels)
        console.print(
            f"The quantiles run over the {n_mix} mixes together; one column per mix: "
            f"capacity compare {power} {mixes}",
            highlight=False, soft_wrap=True,
        )  # fmt: skip

    if result.objective is not None:
        _print_best(console, result)
    if result.assumptions:
        console.print("[bold]Assumptions and estimates in these figures:[/bold]")
        for line in result.assumptions:
            console.print(f"  - {line}", markup=False, highlight=False, soft_wrap=True)


def _axis(values: Any, unit: str = "") -> str:
    low, high = float(values.min()), float(values.max())

    def text(value: float) -> str:
        return human(value, unit) if unit else f"{value:g}"

    if values.size == 1:
        return text(low)
    return f"{text(low)}…{text(high)} ({values.size} values)"


def _summary_cells(name: str, summary: OutputSummary, shares: ShareCells) -> list[str]:
    quantiles = summary.quantiles((0.05, 0.5, 0.95))
    values = [summary.minimum, *quantiles.values(), summary.maximum, summary.mean]
    return [_value(summary.unit, name, v, shares) for v in values]


def _print_best(console: Console, result: SweepResult) -> None:
    constraints = ", ".join(result.constraints) or "none"
    console.print(
        f"objective {result.objective}, constraints: {constraints}; "
        f"{result.feasible_points:,} of {result.points:,} points satisfy them",
        highlight=False,
    )
    best = result.best
    if best is None:
        console.print("[bold]No point satisfies the constraints.[/bold]")
        for reason in result.unmet:
            console.print(f"  - {reason}", markup=False, highlight=False)
        return
    conversion = best.conversion
    table = Table(title="Best point", show_header=False)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    mix = ", ".join(f"{chip} {share:.3g}" for chip, share in best.mix.items() if share > 0)
    shares = ShareCells()
    rows = [
        ("power", human(best.power, "W")),
        ("PUE", f"{best.pue:.4g}"),
        ("utilization", f"{best.utilization:.4g}"),
        (
            "mix (share of power)"
            if result.inputs["mix_basis"] == "power"
            else "mix (share of count)",
            mix,
        ),
        ("accelerators", format_count(conversion.accelerators.magnitude)),
        *(
            (f"  {chip}", format_count(count.magnitude))
            for chip, count in conversion.accelerators_by_chip.items()
        ),
        ("peak compute", human(conversion.peak_flops, "FLOP/s")),
        ("delivered compute", human(conversion.delivered_flops, "FLOP/s")),
        ("average facility power", human(conversion.average_facility_power, "W")),
        ("annual energy", f"{conversion.annual_energy.to('TWh').magnitude:.4g} TWh"),
        *_environment_rows(conversion),
        *(
            (f"share of {grid_id} (energy)", shares(share.energy))
            for grid_id, share in conversion.grid_share.items()
        ),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    shares.footnote(console)


def _environment_rows(conversion: Any) -> list[tuple[str, str]]:
    """The best point's emissions and water at the site region, where it has the figures."""
    place, env = conversion.site, conversion.environment
    if place is None or env is None:
        return []
    rows = []
    for name, amount, unit in (
        ("emissions", env.emissions, "kgCO2e"),
        ("water", env.water, "m**3"),
    ):
        if amount is not None:
            yearly = float(amount.to(f"{unit}/year").magnitude)
            rows.append((f"{name} at {place.region}", _value(unit, name, yearly, ShareCells())))
    return rows
