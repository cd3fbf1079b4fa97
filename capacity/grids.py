"""Grids and regions: annual generation, capacity, carbon and water intensity of generation
and industrial electricity price, each sourced and dated.

A grid serves two purposes. As a *reference* it is the denominator of a grid share (its
annual energy and, where known, its capacity). As a *site region* (``region="texas"``, CLI
``--grid texas``) it gives the electricity price, the carbon intensity and the water
intensity of generation that a fleet built there pays and causes (:mod:`capacity.environment`).
A region without a figure of its own may name a ``parent`` (a state's country), whose
figure it then uses; outputs say so.

Built-in grids come from ``capacity/data/grids.toml``. Users add their own from TOML files
of the same shape (:func:`load_grids`, ``--grid-file`` or ``CAPACITY_GRIDS``) or as
:class:`Grid` objects built in code with :meth:`Grid.create`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import ItemsView, Iterable, Iterator, Mapping, ValuesView
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from capacity.checks import (
    describe,
    flag,
    instance_of,
    one_of,
    optional_text,
    paths_argument,
    text_list,
    whole_number,
)
from capacity.datafiles import GRID_FILE_LIMIT, read_toml, user_paths
from capacity.errors import InputError, UnknownGridError
from capacity.figures import Figure, cached_reading, read_figure
from capacity.tomlread import TableReader
from capacity.units import parse_quantity

__all__ = [
    "GRIDS_ENV",
    "GRID_KINDS",
    "REFERENCE_GRIDS",
    "SITE_FIELDS",
    "Grid",
    "GridSet",
    "is_builtin",
    "known_grids",
    "load_grids",
    "named_grids",
    "select_grids",
]

GRIDS_ENV = "CAPACITY_GRIDS"
# Years a grid's figures may be for: any calendar year a date can hold.
YEARS = (1, 9999)
# What a grid entry is (``capacity grids --kind``).
GRID_KINDS = ("world", "region", "country", "state", "iso", "datacenters", "projection")
# A site region's figures: name → (dimension, unit shown, label).
SITE_FIELDS: dict[str, tuple[str, str, str]] = {
    "carbon_intensity": ("carbon intensity", "gCO2e/kWh", "carbon intensity"),
    "water_intensity": ("water intensity", "L/kWh", "water intensity of generation"),
    "electricity_price": ("energy price", "USD/MWh", "industrial electricity price"),
}
# The built-in grids whose shares every output shows when no grid is named.
REFERENCE_GRIDS = (
    "world",
    "us",
    "global-datacenters",
    "global-datacenters-2030",
    "us-datacenters",
    "us-datacenters-2028-low",
    "us-datacenters-2028-high",
)
_GRID_KEYS = ("name", "year", "kind", "parent", "annual_energy", "capacity", *SITE_FIELDS)


@dataclass(frozen=True)
class Grid:
    """A grid or region: the energy it generates in a year and, where known, its capacity,
    carbon and water intensity of generation and industrial electricity price.

    ``annual_energy`` is None for a region used only for its site figures (it then gives no
    grid share); ``parent`` names the grid whose site figures it uses where it has none.
    """

    id: str
    name: str
    year: int | None
    kind: str
    annual_energy: Figure | None
    capacity: Figure | None = None
    carbon_intensity: Figure | None = None
    water_intensity: Figure | None = None
    electricity_price: Figure | None = None
    parent: str | None = None
    path: Path | None = field(default=None, compare=False)
    """The file the grid was read from; None for one built in code."""
    replaces: str | None = field(default=None, compare=False)
    """What this grid took the place of, when an earlier one had its id ("the built-in
    grid", "the grid in FILE"); None for an id first given here."""

    @property
    def replacement_note(self) -> str | None:
        """The line every output using a replacing grid shows; None for the others."""
        if self.replaces is None:
            return None
        origin = f"read from {self.path}" if self.path is not None else "given in code"
        return f"grid {self.id} {origin} replaces {self.replaces}"

    @property
    def energy(self) -> Figure:
        """``annual_energy``, or an error for a region that has none (no grid share)."""
        if self.annual_energy is None:
            raise InputError(
                f"grid {self.id!r} has no annual energy, so it has no grid share; name a grid "
                "with one (capacity grids lists them)"
            )
        return self.annual_energy

    @property
    def has_site_figures(self) -> bool:
        """Whether the grid gives any site figure of its own (price or an intensity)."""
        return any(getattr(self, name) is not None for name in SITE_FIELDS)

    @classmethod
    def create(
        cls,
        id: str,
        annual_energy: Any = None,
        capacity: Any = None,
        *,
        name: str | None = None,
        year: int | None = None,
        source: str = "user-defined",
        kind: str = "region",
        carbon_intensity: Any = None,
        water_intensity: Any = None,
        electricity_price: Any = None,
        parent: str | None = None,
    ) -> Grid:
        """A user grid from quantities or strings: ``Grid.create("x", "490 TWh", "145 GW")``,
        ``Grid.create("site", carbon_intensity="350 gCO2e/kWh", electricity_price="60 USD/MWh")``.
        """
        if optional_text(id, "id") is None:
            raise InputError("id must be non-empty text such as 'texas', got None")
        optional_text(name, "name")
        optional_text(parent, "parent")
        one_of(kind, GRID_KINDS, "kind")
        if year is not None:
            whole_number(year, "year", minimum=YEARS[0], maximum=YEARS[1])
        if not isinstance(source, str):
            raise InputError(f"source must be text, got {describe(source)}")
        table = {"confidence": "user-override", "source": source}
        grid_raw: dict[str, Any] = {"name": name or id, "kind": kind}
        given = {
            "annual_energy": (annual_energy, "energy"),
            "capacity": (capacity, "power"),
            **{key: (value, SITE_FIELDS[key][0]) for key, value in (
                ("carbon_intensity", carbon_intensity), ("water_intensity", water_intensity),
                ("electricity_price", electricity_price))},
        }  # fmt: skip
        for key, (value, dimension) in given.items():
            if value is not None:
                grid_raw[key] = {**table, "value": str(parse_quantity(value, dimension, key))}
        if year is not None:
            grid_raw["year"] = year
        if parent is not None:
            grid_raw["parent"] = parent
        return _parse_grid(id, grid_raw, "user grid")


def _parse_grid(grid_id: str, raw: Any, where: Path | str) -> Grid:
    file = TableReader(where)
    table = file.table(raw, grid_id, f"a table [{grid_id}] with name and annual_energy")
    fields = file.within(grid_id)
    fields.check_keys(table, _GRID_KEYS)
    name = fields.text(table, "name")
    year = (
        fields.whole_number(table, "year", low=YEARS[0], high=YEARS[1], what="a year such as 2024")
        if "year" in table
        else None
    )
    kind = fields.optional_text(table, "kind") or "region"
    if kind not in GRID_KINDS:
        raise fields.fail("kind", f"{kind!r} is not one of {', '.join(GRID_KINDS)}")
    parent = fields.optional_text(table, "parent") or None
    energy = None
    if "annual_energy" in table:
        energy = read_figure(table["annual_energy"], fields, "annual_energy", "energy")
    capacity = None
    if "capacity" in table:
        capacity = read_figure(table["capacity"], fields, "capacity", "power")
    site = {
        key: read_figure(table[key], fields, key, dimension, "non-negative")
        if key in table
        else None
        for key, (dimension, _, _) in SITE_FIELDS.items()
    }
    if energy is None and not any(site.values()) and parent is None:
        raise fields.fail(
            "annual_energy",
            "a grid needs annual_energy (for grid share) or a site figure: "
            + ", ".join(SITE_FIELDS),
        )
    path = where if isinstance(where, Path) else None
    return Grid(
        grid_id, name, year, kind, energy, capacity, site["carbon_intensity"],
        site["water_intensity"], site["electricity_price"], parent, path,
    )  # fmt: skip


def _read_grid_file(path: Path) -> list[Grid]:
    raw = read_toml(path, what="grid file", limit=GRID_FILE_LIMIT)
    return [_parse_grid(grid_id, table, path) for grid_id, table in raw.items()]


class GridSet(Mapping[str, Grid]):
    """Grids by id; an unknown id raises an error listing the known ones."""

    def __init__(self, grids: Iterable[Grid]) -> None:
        self._grids: dict[str, Grid] = {}
        for grid in grids:
            earlier = self._grids.get(grid.id)
            if earlier is not None and earlier is not grid:  # a later one replaces it
                grid = dataclasses.replace(grid, replaces=earlier.replaces or _described(earlier))
            self._grids[grid.id] = grid

    def __getitem__(self, grid_id: str) -> Grid:
        key = grid_id.strip().lower()
        if key not in self._grids:
            raise UnknownGridError(f"unknown grid {grid_id!r}; known: {', '.join(self._grids)}")
        return self._grids[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._grids)

    # Mapping's own views look up each id again through __getitem__.
    def values(self) -> ValuesView[Grid]:
        return self._grids.values()

    def items(self) -> ItemsView[str, Grid]:
        return self._grids.items()

    def __len__(self) -> int:
        return len(self._grids)

    def with_grids(self, grids: Iterable[Grid]) -> GridSet:
        """A copy with ``grids`` added (replacing any of the same id)."""
        return GridSet([*self._grids.values(), *grids])

    def site_figure(self, grid: Grid, name: str) -> tuple[Figure | None, Grid]:
        """The site figure ``name`` of ``grid``, or of the nearest ancestor that has it,
        and the grid it comes from; (None, grid) where none in the chain has it."""
        seen = {grid.id}
        current = grid
        while True:
            figure = getattr(current, name)
            if figure is not None or current.parent is None:
                return figure, current
            if current.parent in seen or current.parent.strip().lower() not in self._grids:
                return None, grid
            seen.add(current.parent)
            current = self[current.parent]


def _described(grid: Grid) -> str:
    """How a replaced grid is named: "the built-in grid", "the grid in FILE"."""
    if is_builtin(grid):
        return "the built-in grid"
    return f"the grid in {grid.path}" if grid.path else "a grid given in code"


@cache
def _builtin_grids() -> tuple[Grid, ...]:
    """The built-in grids, read once and kept on disk until the file changes."""
    path = Path(str(resources.files("capacity.data") / "grids.toml"))
    return cached_reading("grids", [path], lambda: tuple(_read_grid_file(path)), __file__)


def load_grids(
    files: Iterable[str | Path] | str | Path | None = None, *, use_environment: bool = True
) -> GridSet:
    """The built-in grids, then those in ``$CAPACITY_GRIDS`` files, then ``files``."""
    given = paths_argument(files, "files")
    use_environment = flag(use_environment, "use_environment")
    user_files = user_paths(given, GRIDS_ENV, use_environment, "files")
    if not user_files:
        return _builtin_grid_set()
    grids: list[Grid] = list(_builtin_grids())
    for file in user_files:
        grids += _read_grid_file(file)
    return GridSet(grids)


@cache
def _builtin_grid_set() -> GridSet:
    """The built-in grids alone, as one set (a set is never changed)."""
    return GridSet(_builtin_grids())


def known_grids(grid_set: GridSet | None) -> GridSet:
    """The grids a public function's ``grid_set`` argument stands for: the :class:`GridSet`
    given, or the built-in grids and ``$CAPACITY_GRIDS`` for None."""
    if grid_set is None:
        return load_grids()
    return instance_of(grid_set, GridSet, "grid_set", "from capacity.load_grids")


def is_builtin(grid: Grid) -> bool:
    """Whether ``grid`` is one of the built-in grids (not replaced by a user's)."""
    return id(grid) in _builtin_ids()


@cache
def _builtin_ids() -> frozenset[int]:
    """The identities of the built-in grids (kept alive by :func:`_builtin_grids`' cache)."""
    return frozenset(id(grid) for grid in _builtin_grids())


def named_grids(grids: Iterable[str | Grid] | None, grid_set: GridSet | None) -> list[Grid]:
    """The grids named in ``grids`` (ids or :class:`Grid` objects), checked; [] for None."""
    named = text_list(grids, "grids", also=(Grid,))
    known = known_grids(grid_set)
    return [g if isinstance(g, Grid) else known[g] for g in named or []]


def select_grids(grids: Iterable[str | Grid] | None, grid_set: GridSet | None) -> list[Grid]:
    """The reference grids for grid share: those named in ``grids`` that have an annual
    energy, or by default the built-in references (:data:`REFERENCE_GRIDS`) and every user
    grid with an annual energy."""
    named = text_list(grids, "grids", also=(Grid,))
    known = known_grids(grid_set)
    if named is None:
        return [
            g
            for g in known.values()
            if g.annual_energy is not None and (g.id in REFERENCE_GRIDS or not is_builtin(g))
        ]
    chosen = [g if isinstance(g, Grid) else known[g] for g in named]
    return [g for g in chosen if g.annual_energy is not None]
