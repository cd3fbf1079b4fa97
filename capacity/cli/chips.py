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
from capacity.errors import InputError
from capacity.figures import Figure, weakest_confidence
from capacity.grids import GRID_KINDS, SITE_FIELDS, Grid, GridSet, load_grids
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
    """A figure in its own unit, or rescaled with an SI prefix of ``unit``, which is the
    model's unit of the figure's dimension (that of ``figure.si``)."""
    if figure is None:
        return "–"
    return figure.display() if unit is None else human(figure.si, unit)


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
    check_format(output_format, ("table", "json", "csv"), wide)
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
    check_format(output_format, ("table", "json", "csv"), wide)
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
    kind: Annotated[
        str | None,
        typer.Option(help=f"Only grids of this kind: {', '.join(GRID_KINDS)}."),
    ] = None,
    output_format: FormatOption = "table",
    wide: WideOption = False,
) -> None:
    """List the grids and regions: annual generation, capacity, carbon and water intensity of
    generation and industrial electricity price, each with its year, grade and source."""
    check_format(output_format, ("table", "json", "csv"), wide)
    if kind is not None and kind not in GRID_KINDS:
        raise InputError(f"--kind must be one of {', '.join(GRID_KINDS)}; got {kind!r}")
    known = load_grids(grid_files)
    chosen = [g for g in known.values() if kind is None or g.kind == kind]
    if output_format == "csv":
        echo(csv_text(_grid_csv_rows(chosen, known), wide), nl=False)
        return
    if output_format == "json":
        echo(to_json({grid.id: grid_document(grid, known) for grid in chosen}))
        return
    table = Table(title="Grids and regions" + (f" ({kind})" if kind else ""))
    for column in ("id", "kind", "name", "annual energy", "capacity", "gCO2e/kWh", "water L/kWh",
                   "USD/MWh", "grades"):  # fmt: skip
        table.add_column(column, overflow="fold")
    for grid in chosen:
        cells = []
        grades = []
        for name, unit in (("annual_energy", "TWh"), ("capacity", "GW"),
                           *((key, spec[1]) for key, spec in SITE_FIELDS.items())):  # fmt: skip
            figure, origin = (
                known.site_figure(grid, name)
                if name in SITE_FIELDS
                else (getattr(grid, name), grid)
            )
            if figure is None:
                cells.append("–")
                continue
            text = f"{figure.value.to(unit).magnitude:.4g}"
            if origin is not grid:
                text += f" ({origin.id})"
            elif (figure.year or grid.year) is not None:
                text += f" ({figure.year or grid.year})"
            cells.append(text)
            grades.append(figure.confidence)
        table.add_row(
            grid.id + (REPLACED_MARK if grid.replaces else ""),
            grid.kind,
            grid.name,
            *cells,
            ", ".join(dict.fromkeys(grades)),
        )
    wide_console(200).print(table)
    echo(
        "A figure in brackets after a value is its year; a grid id there is the parent region "
        "whose figure stands in. Sources: capacity grids --format json."
    )
    _echo_replaced(grid.replacement_note for grid in chosen)


def _grid_csv_rows(chosen: list[Grid], known: GridSet) -> list[dict[str, Any]]:
    """Tidy rows of the grids: every figure of each, in the unit its name says, with its year,
    grade and source (from :func:`grid_document`)."""
    rows = []
    for grid in chosen:
        for output, figure in grid_document(grid, known).items():
            if isinstance(figure, dict):
                rows.append({
                    "entity": grid.id, "output": output, "value": figure["value"],
                    "unit": _unit_of_key(output), "year": figure.get("year"),
                    "confidence": figure["confidence"], "source": figure["source"],
                })  # fmt: skip
    return rows


def _unit_of_key(key: str) -> str:
    """The unit a key of :func:`grid_document` names: "TWh" for "annual_energy_twh"."""
    units = {"annual_energy": "TWh", "capacity": "GW",
             **{name: spec[1] for name, spec in SITE_FIELDS.items()}}  # fmt: skip
    for name, unit in units.items():
        if key.startswith(f"{name}_"):
            return unit
    return ""


def grid_document(grid: Grid, known: GridSet) -> dict[str, Any]:
    """One grid as JSON: every figure with its value, year, grade and source."""
    document: dict[str, Any] = {"name": grid.name, "kind": grid.kind, "year": grid.year,
                                "parent": grid.parent, "replaces": grid.replaces}  # fmt: skip
    units = {"annual_energy": "TWh", "capacity": "GW",
             **{key: spec[1] for key, spec in SITE_FIELDS.items()}}  # fmt: skip
    for name, unit in units.items():
        figure, origin = (
            known.site_figure(grid, name) if name in SITE_FIELDS else (getattr(grid, name), grid)
        )
        key = f"{name}_{unit.lower().replace('/', '_per_')}"
        document[key] = (
            None
            if figure is None
            else {
                "value": float(figure.value.to(unit).magnitude),
                "low": None if figure.low is None else float(figure.low.to(unit).magnitude),
                "high": None if figure.high is None else float(figure.high.to(unit).magnitude),
                "year": figure.year,
                "confidence": figure.confidence,
                "source": figure.source,
                "note": figure.note,
                "from": origin.id,
            }
        )
    # kept for readers of the earlier document
    document["annual_energy_twh"] = (
        None if grid.annual_energy is None else grid.annual_energy.value.to("TWh").magnitude
    )
    document["capacity_w"] = None if grid.capacity is None else grid.capacity.si
    document["source"] = None if grid.annual_energy is None else grid.annual_energy.source
    return document
