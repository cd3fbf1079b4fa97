"""``capacity check CLAIM``: does "30 GW = 4.5M h100" or "30 GW = 25% of world" add up?"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from capacity.claims import (
    CLAIM_FORMS,
    READINGS,
    AcceleratorCheck,
    Claim,
    ClaimReport,
    ComputeCheck,
    ShareCheck,
    check_claim,
)
from capacity.cli.format import echo, human, percent, to_json, wide_console
from capacity.cli.options import (
    BasisOption,
    DataOptions,
    FormatOption,
    MethodOption,
    ProvisionOption,
    PueOption,
    UtilizationOption,
    check_format,
    number_option,
)
from capacity.cli.output import WideOption, csv_text
from capacity.cli.shares import ShareCells
from capacity.defaults import DEFAULTS
from capacity.errors import InputError
from capacity.units import format_count

_BASIS_WORDS = {"facility": "facility power", "it": "IT power"}


def check_command(
    claim: Annotated[
        str | None,
        typer.Argument(
            metavar="CLAIM",
            help="The claim, quoted: '30 GW = 4.5M h100', '30 GW = 25% of global-datacenters', "
            "a range '30 GW = 4-5M h100' or a chain of these. Or give --power and --count/--chip "
            "or --percent/--grid.",
        ),
    ] = None,
    *,
    power: Annotated[
        str | None, typer.Option(help="The claim's power ('30GW'), instead of CLAIM.")
    ] = None,
    count: Annotated[
        str | None, typer.Option(help="Claimed number of accelerators ('4.5M', a range '4-5M').")
    ] = None,
    chip: Annotated[
        str | None,
        typer.Option(
            help="The counted chip with --count; otherwise the chip whose average draw gives "
            "grid shares (default: the claim's chip, else h100-sxm)."
        ),
    ] = None,
    percent_: Annotated[
        str | None,
        typer.Option("--percent", help="Claimed share of --grid in percent ('25', '20-25')."),
    ] = None,
    grid: Annotated[str | None, typer.Option(help="Grid id of --percent.")] = None,
    pue: PueOption = None,
    utilization: UtilizationOption = None,
    basis: BasisOption = None,
    provision: ProvisionOption = None,
    method: MethodOption = None,
    tolerance: Annotated[
        float,
        typer.Option(
            parser=number_option, help="Claimed ÷ model within 1 ± this is 'consistent'."
        ),
    ] = DEFAULTS.tolerance,
    data: DataOptions,
    output_format: FormatOption = "table",
    wide: WideOption = False,
) -> None:
    """Check a claim that a power amounts to a number of accelerators or a share of a grid,
    and say what would make it true."""
    check_format(output_format, ("table", "json", "csv"), wide)
    options = {
        "pue": pue, "utilization": utilization, "basis": basis, "provision": provision,
        "method": method,
    }  # fmt: skip
    given: dict[str, Any] = {name: value for name, value in options.items() if value is not None}
    parts = {"--power": power, "--count": count, "--percent": percent_, "--grid": grid}
    if claim is not None:
        named = [name for name, value in parts.items() if value is not None]
        if named:
            raise InputError(f"give the claim as CLAIM or with options, not both ({named[0]})")
        parsed: str | Claim = claim
        fleet_chip = chip
    elif power is None:
        raise InputError(f"give a CLAIM, or --power with --count/--chip or --percent/--grid; "
                         f"claims: {CLAIM_FORMS}")  # fmt: skip
    else:
        counted = chip if count is not None else None
        parsed = Claim.from_parts(power, count=count, chip=counted, percent=percent_, grid=grid)
        fleet_chip = chip
    report = check_claim(
        parsed,
        chip=fleet_chip,
        tolerance=tolerance,
        **data.api_options(),
        **given,
    )
    if output_format == "json":
        echo(to_json(report.to_dict()))
    elif output_format == "csv":
        echo(csv_text(_csv_rows(report.to_dict()), wide, ("entity", "verdict")), nl=False)
    else:
        _print_report(report, given)


def _csv_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Tidy rows of a claim check: the model's figures and each claimed end's, per check."""
    from capacity.tables import document_rows

    rows = [row | {"verdict": ""} for row in document_rows(document, "claim")]
    for check in document["checks"]:
        rows += [row | {"verdict": check["verdict"]}
                 for row in document_rows(check, f"{check['claim']}: model")]  # fmt: skip
        ends = check.get("ends", [])
        for k, end in enumerate(ends):
            name = f"{check['claim']}: claimed" + (f" (end {k + 1})" if len(ends) > 1 else "")
            rows += [row | {"verdict": end.get("verdict", "")}
                     for row in document_rows(end, name)]  # fmt: skip
    return rows


def _power(report: ClaimReport) -> Any:
    """The claim's power (a power claim has one)."""
    assert report.claim.power is not None
    return report.claim.power


def _print_compute_report(report: ClaimReport) -> None:
    """A claim about FLOP/s: each count's peak compute at the claim's precision and sparsity."""
    console = wide_console(110)
    console.print(f"Claim: {report.claim.text}", markup=False, highlight=False, soft_wrap=True)
    table = Table(
        title=f"Peak compute ({report.inputs['precision']}, {report.inputs['sparsity']})"
    )
    for column in ("counted", "chip", "packages", "model peak", "claimed ÷ model", "verdict",
                   "claimed per unit"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("counted", "chip") else "right")
    for check in report.checks:
        if not isinstance(check, ComputeCheck):
            continue
        table.add_row(
            f"{check.term.text} ({check.term.unit})", check.chip,
            " – ".join(format_count(p) for p in check.packages),
            " – ".join(human(m, "FLOP/s") for m in check.model_flops),
            " – ".join(f"{r:.3g}" for r in check.ratios), check.verdict,
            " – ".join(human(f, "FLOP/s") for f in check.implied_flops_per_unit),
        )  # fmt: skip
    console.print(table)
    if report.assumptions:
        console.print("[bold]Assumptions and estimates in these figures:[/bold]")
        for line in report.assumptions:
            console.print(f"  - {line}", markup=False, highlight=False, soft_wrap=True)


def _print_report(report: ClaimReport, given: dict[str, Any]) -> None:
    if report.claim.compute is not None or report.claim.power is None:
        _print_compute_report(report)
        return
    power = report.claim.power
    console = wide_console(110)
    inputs = report.inputs

    def label(name: str) -> str:
        return f"{inputs[name]}" + ("" if name in given else " (default)")

    console.print(f"Claim: {report.claim.text}", markup=False, highlight=False, soft_wrap=True)
    overview = Table(title="Inputs", show_header=False)
    overview.add_column("input")
    overview.add_column("value")
    for name, value in (
        ("power", f"{human(power, 'W')} of {_BASIS_WORDS[inputs['basis']]}"),
        ("basis", label("basis")),
        ("PUE", label("pue")),
        ("utilization", label("utilization")),
        ("provisioning", label("provision")),
        ("method", label("method")),
        ("tolerance", f"± {inputs['tolerance']:.3g} (claimed ÷ model)"),
    ):
        overview.add_row(name, value)
    console.print(overview)
    for check in report.checks:
        if isinstance(check, AcceleratorCheck):
            _print_accelerators(console, check, report)
        elif isinstance(check, ShareCheck):
            _print_share(console, check, report)
    overall = "consistent" if report.consistent else "not consistent"
    console.print(f"[bold]Verdict: the claim is {overall} with the model.[/bold]")
    if report.assumptions:
        console.print("[bold]Assumptions and estimates in these figures:[/bold]")
        for line in report.assumptions:
            console.print(f"  - {line}", markup=False, highlight=False, soft_wrap=True)


def _headline(text: str, verdict: str, ratios: list[float], inside: bool | None) -> str:
    ratio = " to ".join(f"{r:.3g}" for r in ratios)
    where = ""
    if inside is not None:
        where = "; the model's figure is " + ("inside" if inside else "outside") + " the range"
    return escape(f"'{text}': {verdict} (claimed ÷ model = {ratio}){where}")


def _columns(table: Table, ends: int) -> None:
    table.add_column("quantity")
    if ends == 1:
        table.add_column("claim", justify="right")
    else:
        table.add_column("claim (low end)", justify="right")
        table.add_column("claim (high end)", justify="right")
    table.add_column("model", justify="right")


def _print_accelerators(console: Console, check: AcceleratorCheck, report: ClaimReport) -> None:
    pue = report.inputs["pue"]
    facility = report.inputs["basis"] == "facility"
    where = "facility" if facility else "IT"
    table = Table(
        title=_headline(
            check.text, check.verdict, [e.ratio for e in check.ends], check.model_inside
        )
        + f" — {check.chip}"
    )
    _columns(table, len(check.ends))
    ends = check.ends
    rows: list[tuple[str, list[str], str]] = [
        ("accelerators", [format_count(e.accelerators) for e in ends],
         format_count(check.model_accelerators)),
        (f"{where} power per accelerator",
         [human(e.claimed_power_per_accelerator, "W") for e in ends],
         human(check.model_power_per_accelerator, "W")),
        ("claimed ÷ model", [f"{e.ratio:.4g}" for e in ends], ""),
        ("verdict", [e.verdict for e in ends], ""),
    ]  # fmt: skip
    if facility:
        rows.append(
            (
                "PUE that makes it true",
                [
                    f"{e.implied_pue:.4g}" + ("" if e.possible else " (< 1: impossible)")
                    for e in ends
                    if e.implied_pue is not None
                ],
                f"{pue:g}",
            )
        )
    rows += [
        (f"IT power per accelerator that makes it true (PUE {pue:g})" if facility
         else "IT power per accelerator that makes it true",
         [human(e.implied_it_power_per_accelerator, "W") for e in ends],
         human(check.it_power_per_accelerator, "W")),
        (f"{where} power the model gives for the count",
         [human(e.power_for_count, "W") for e in ends], human(_power(report), "W")),
    ]  # fmt: skip
    for name, claimed, model in rows:
        table.add_row(name, *claimed, model)
    console.print(table)
    for end in ends:
        if not end.possible:
            console.print(
                f"  {format_count(end.accelerators)} accelerators in "
                f"{human(_power(report), 'W')} needs a PUE below 1: impossible at the "
                f"profile's {human(check.it_power_per_accelerator, 'W')} IT per accelerator; "
                f"even at PUE 1 each would have to draw at most "
                f"{human(end.claimed_power_per_accelerator, 'W')}.",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )


def _print_share(console: Console, check: ShareCheck, report: ClaimReport) -> None:
    ends = check.ends
    table = Table(
        title=_headline(check.text, check.verdict, [e.ratio for e in ends], check.model_inside)
        + f" — average draw of {check.chip}"
    )
    _columns(table, len(ends))
    shares = ShareCells()
    grid = check.grid
    capacity = "–" if grid.capacity is None else human(grid.capacity.value, "W")
    rows: list[tuple[str, list[str], str]] = [
        (f"share of {grid.id} ({READINGS['energy']})", [shares(e.share) for e in ends],
         shares(check.model_share)),
        ("claimed ÷ model", [f"{e.ratio:.4g}" for e in ends], ""),
        ("verdict", [e.verdict for e in ends], ""),
    ]  # fmt: skip
    for reading, share in check.model_shares.items():
        if reading != "energy":
            rows.append(
                (
                    f"claimed ÷ model, read as {READINGS[reading]}",
                    [f"{e.ratios[reading]:.4g}" for e in ends],
                    shares(share),
                )
            )
    rows += [
        ("average facility draw that makes it true",
         [human(e.implied_average_facility_power, "W") for e in ends],
         human(check.average_facility_power, "W")),
        ("utilization that makes it true", [_utilization(e.implied_utilization) for e in ends],
         f"{report.inputs['utilization']:g}"),
        (f"{grid.id} annual energy that makes it true",
         [f"{e.implied_grid_annual_energy.to('TWh').magnitude:.4g} TWh" for e in ends],
         f"{grid.energy.value.to('TWh').magnitude:.4g} TWh"),
        (f"{grid.id} capacity that makes it true (facility power ÷ share)",
         [human(e.implied_grid_capacity, "W") for e in ends], capacity),
    ]  # fmt: skip
    for name, claimed, model in rows:
        table.add_row(name, *claimed, model)
    console.print(table)
    shares.footnote(console)
    others = [READINGS[name] for name in check.matches if name != "energy"]
    if others and "energy" not in check.matches:
        console.print(
            f"  '{check.text}' matches another reading: {' or '.join(others)} (a common "
            "confusion of provisioned power with average draw, or of energy with capacity).",
            markup=False, highlight=False, soft_wrap=True,
        )  # fmt: skip
    for end in ends:
        if end.implied_utilization is not None and not end.utilization_reachable:
            console.print(
                f"  {percent(end.share)} is out of reach by utilization alone: the model's "
                f"share runs from {percent(check.share_at_idle)} (idle) to "
                f"{percent(check.share_at_busy)} (busy).",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )


def _utilization(value: float | None) -> str:
    if value is None:
        return "none (the draw does not vary with it)"
    return f"{value:.3g}" + ("" if 0.0 <= value <= 1.0 else " (outside 0–1)")
