"""``capacity chips``, ``capacity show ID`` and ``capacity grids``: what the data holds."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

import typer
from rich.table import Table

from capacity.chain import provisioned_power
from capacity.cli.format import echo, human, to_json, wide_console
from capacity.cli.options import FormatOption, GridFileOption, ProfilesOption, check_format
from capacity.cli.output import WideOption, csv_text
from capacity.figures import Figure, weakest_confidence
from capacity.grids import load_grids
from capacity.profiles import Profile, load_profiles

_POWER_FIELDS = ("system.power", "system.accelerators")
# Marks an id in a listing whose profile or grid replaces a built-in one.
REPLACED_MARK = " (*)"


def _echo_replaced(notes: Iterable[str | None]) -> None:
    """The footnote of the ids marked (*): what each replaces."""
    for note in notes:
        if note is not None:
            echo(f"(*) {note}")


def _power_confidence(profile: Profile) -> str:
    return weakest_confidence(*(profile.figures()[f].confidence for f in _POWER_FIELDS))


def _flops_confidence(profile: Profile) -> str:
    return weakest_confidence(*(f.confidence for f in profile.peak.values()))


def _figure_text(figure: Figure | None, unit: str | None = None) -> str:
    """A figure in its own unit, or rescaled to ``unit`` with an SI prefix."""
    if figure is None:
        return "–"
    return figure.display() if unit is None else human(figure.value, unit)


def _chip_row(profile: Profile) -> dict[str, Any]:
    watts = provisioned_power(
        profile.system.power.si, profile.system.accelerators.si, profile.cluster_overhead.si
    )
    return {
        "id": profile.id,
        "aliases": list(profile.aliases),
        "name": profile.name,
        "vendor": profile.vendor,
        "year": profile.year,
        "tdp_w": None if profile.tdp is None else profile.tdp.si,
        "system": profile.system.name,
        "system_accelerators": profile.system.accelerators.si,
        "system_power_w": profile.system.power.si,
        "provisioned_power_per_accelerator_w": watts,
        "peak_flop_per_s": {p: f.si for p, f in profile.peak.items()},
        "memory_bytes": None if profile.memory_capacity is None else profile.memory_capacity.si,
        "memory_bandwidth_bytes_per_s": (
            None if profile.memory_bandwidth is None else profile.memory_bandwidth.si
        ),
        "power_confidence": _power_confidence(profile),
        "flops_confidence": _flops_confidence(profile),
        "replaces": profile.replaces,
    }


def _chip_csv_rows(row: dict[str, Any]) -> list[dict[str, Any]]:
    """Tidy rows of one chip: its figures in SI units, one peak per precision."""
    from capacity.tables import document_rows

    peaks = {f"peak_{p}_flop_per_s": v for p, v in row["peak_flop_per_s"].items()}
    rows = document_rows({k: v for k, v in row.items() if k != "peak_flop_per_s"} | peaks,
                         row["id"])  # fmt: skip
    for tidy in rows:
        tidy["power_confidence"] = row["power_confidence"]
        tidy["flops_confidence"] = row["flops_confidence"]
    return rows


def chips(
    profiles: ProfilesOption = None,
    output_format: FormatOption = "table",
    wide: WideOption = False,
) -> None:
    """List every hardware profile with its key figures and how sure they are."""
    check_format(output_format, ("table", "json", "csv"))
    known = load_profiles(profiles)
    if output_format == "json":
        echo(to_json({profile_id: _chip_row(known[profile_id]) for profile_id in known}))
        return
    if output_format == "csv":
        rows = [r for pid in known for r in _chip_csv_rows(_chip_row(known[pid]))]
        echo(csv_text(rows, wide, ("entity", "power_confidence", "flops_confidence")), nl=False)
        return
    table = Table(
        title="Hardware profiles (dense peaks; W per accelerator = system power ÷ count)"
    )
    for column in (
        "id",
        "name",
        "TDP",
        "W/accel",
        "BF16",
        "FP8",
        "FP4",
        "memory",
        "power",
        "FLOP/s",
    ):
        table.add_column(column, justify="right" if column in ("TDP", "W/accel") else "left")
    for profile_id in known:
        profile = known[profile_id]
        row = _chip_row(profile)
        ident = profile.id + (f" ({', '.join(profile.aliases)})" if profile.aliases else "")
        ident += REPLACED_MARK if profile.replaces else ""
        table.add_row(
            ident,
            f"{profile.name} [{profile.year}]",
            _figure_text(profile.tdp),
            human(row["provisioned_power_per_accelerator_w"], "W"),
            _figure_text(profile.peak.get("bf16"), "FLOP/s"),
            _figure_text(profile.peak.get("fp8"), "FLOP/s"),
            _figure_text(profile.peak.get("fp4"), "FLOP/s"),
            _figure_text(profile.memory_capacity),
            row["power_confidence"],
            row["flops_confidence"],
        )
    wide_console(200).print(table)
    echo("power / FLOP/s: the least sure grade among the figures behind them.")
    _echo_replaced(known[profile_id].replacement_note for profile_id in known)


def show(
    chip: Annotated[str, typer.Argument(help="Profile id or alias, e.g. h100 or gb300.")],
    profiles: ProfilesOption = None,
    output_format: FormatOption = "table",
    wide: WideOption = False,
) -> None:
    """Every field of one profile with its unit, confidence and source."""
    check_format(output_format, ("table", "json", "csv"))
    profile = load_profiles(profiles)[chip]
    figures = profile.figures()
    if output_format == "csv":
        rows = [
            {"entity": profile.id, "output": name, "value": float(f.value.magnitude),
             "unit": f"{f.value.units:~P}" or "1", "confidence": f.confidence,
             "source": f.source}
            for name, f in figures.items()
        ]  # fmt: skip
        echo(csv_text(rows, wide), nl=False)
        return
    if output_format == "json":
        document = {
            "id": profile.id, "aliases": list(profile.aliases), "name": profile.name,
            "vendor": profile.vendor, "year": profile.year, "system": profile.system.name,
            "memory_kind": profile.memory_kind, "notes": profile.notes,
            "file": str(profile.path) if profile.path else None, "replaces": profile.replaces,
            "figures": {
                name: {"value": f.display(), "si": f.si, "confidence": f.confidence,
                       "source": f.source, "note": f.note}
                for name, f in figures.items()
            },
        }  # fmt: skip
        echo(to_json(document))
        return
    console = wide_console(200)
    console.print(f"[bold]{profile.id}[/bold] — {profile.name} ({profile.vendor}, {profile.year})")
    if profile.aliases:
        console.print(f"aliases: {', '.join(profile.aliases)}")
    console.print(f"reference system: {profile.system.name}")
    if profile.memory_kind:
        console.print(f"memory: {profile.memory_kind}")
    if profile.path:
        console.print(f"file: {profile.path}", markup=False, highlight=False)
    if profile.replacement_note:
        console.print(f"{REPLACED_MARK.strip()} {profile.replacement_note}", markup=False)
    table = Table(show_lines=True)
    for column in ("field", "value", "confidence", "source", "note"):
        table.add_column(column, overflow="fold")
    for name, figure in figures.items():
        table.add_row(name, figure.display(), figure.confidence, figure.source, figure.note)
    console.print(table)
    if profile.notes:
        console.print(profile.notes)


def grids(
    grid_files: GridFileOption = None,
    output_format: FormatOption = "table",
    wide: WideOption = False,
) -> None:
    """List the reference grids used for grid share."""
    check_format(output_format, ("table", "json", "csv"))
    known = load_grids(grid_files)
    if output_format == "csv":
        rows = [
            {"entity": grid.id, "output": name, "value": figure.si if name == "capacity_w"
             else float(figure.value.to("TWh").magnitude), "unit": unit,
             "confidence": figure.confidence, "source": figure.source}
            for grid in known.values()
            for name, unit, figure in (("annual_energy_twh", "TWh", grid.annual_energy),
                                       ("capacity_w", "W", grid.capacity))
            if figure is not None
        ]  # fmt: skip
        echo(csv_text(rows, wide), nl=False)
        return
    if output_format == "json":
        document = {
            grid.id: {
                "name": grid.name,
                "year": grid.year,
                "annual_energy_twh": grid.annual_energy.value.to("TWh").magnitude,
                "capacity_w": None if grid.capacity is None else grid.capacity.si,
                "source": grid.annual_energy.source,
                "replaces": grid.replaces,
            }
            for grid in known.values()
        }
        echo(to_json(document))
        return
    table = Table(title="Reference grids")
    for column in ("id", "name", "year", "annual energy", "capacity", "confidence", "source"):
        table.add_column(column, overflow="fold")
    for grid in known.values():
        table.add_row(
            grid.id + (REPLACED_MARK if grid.replaces else ""), grid.name, str(grid.year or ""),
            grid.annual_energy.display(),
            grid.capacity.display() if grid.capacity else "–", grid.annual_energy.confidence,
            grid.annual_energy.source,
        )  # fmt: skip
    wide_console(200).print(table)
    _echo_replaced(grid.replacement_note for grid in known.values())
