"""Reference grids for grid share: annual energy and, where known, capacity, each sourced.

Built-in grids come from ``capacity/data/grids.toml``. Users add their own from TOML files
of the same shape (:func:`load_grids`, ``--grid-file`` or ``CAPACITY_GRIDS``) or as
:class:`Grid` objects built in code with :meth:`Grid.create`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from capacity.checks import (
    describe,
    flag,
    instance_of,
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

__all__ = ["GRIDS_ENV", "Grid", "GridSet", "known_grids", "load_grids", "select_grids"]

GRIDS_ENV = "CAPACITY_GRIDS"
# Years a grid's figures may be for: any calendar year a date can hold.
YEARS = (1, 9999)


@dataclass(frozen=True)
class Grid:
    """A reference grid: the energy it delivers in a year and, where known, its capacity."""

    id: str
    name: str
    year: int | None
    kind: str
    annual_energy: Figure
    capacity: Figure | None = None
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

    @classmethod
    def create(
        cls,
        id: str,
        annual_energy: Any,
        capacity: Any = None,
        *,
        name: str | None = None,
        year: int | None = None,
        source: str = "user-defined",
    ) -> Grid:
        """A user grid from quantities or strings: ``Grid.create("x", "490 TWh", "145 GW")``."""
        if optional_text(id, "id") is None:
            raise InputError("id must be non-empty text such as 'texas', got None")
        optional_text(name, "name")
        if year is not None:
            whole_number(year, "year", minimum=YEARS[0], maximum=YEARS[1])
        if not isinstance(source, str):
            raise InputError(f"source must be text, got {describe(source)}")
        energy = parse_quantity(annual_energy, "energy", "annual_energy")
        table = {"value": str(energy), "confidence": "user-override", "source": source}
        grid_raw: dict[str, Any] = {"name": name or id, "annual_energy": table}
        if year is not None:
            grid_raw["year"] = year
        if capacity is not None:
            power = parse_quantity(capacity, "power", "capacity")
            grid_raw["capacity"] = {**table, "value": str(power)}
        return _parse_grid(id, grid_raw, "user grid")


def _parse_grid(grid_id: str, raw: Any, where: Path | str) -> Grid:
    file = TableReader(where)
    table = file.table(raw, grid_id, f"a table [{grid_id}] with name and annual_energy")
    fields = file.within(grid_id)
    fields.check_keys(table, ("name", "year", "kind", "annual_energy", "capacity"))
    name = fields.text(table, "name")
    year = (
        fields.whole_number(table, "year", low=YEARS[0], high=YEARS[1], what="a year such as 2024")
        if "year" in table
        else None
    )
    kind = fields.optional_text(table, "kind") or ""
    energy = read_figure(
        fields.required(table, "annual_energy"), fields, "annual_energy", "energy"
    )
    capacity = None
    if "capacity" in table:
        capacity = read_figure(table["capacity"], fields, "capacity", "power")
    path = where if isinstance(where, Path) else None
    return Grid(grid_id, name, year, kind, energy, capacity, path)


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

    def __len__(self) -> int:
        return len(self._grids)

    def with_grids(self, grids: Iterable[Grid]) -> GridSet:
        """A copy with ``grids`` added (replacing any of the same id)."""
        return GridSet([*self._grids.values(), *grids])


def _described(grid: Grid) -> str:
    """How a replaced grid is named: "the built-in grid", "the grid in FILE"."""
    if any(grid is builtin for builtin in _builtin_grids()):
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
    grids: list[Grid] = list(_builtin_grids())
    for file in user_paths(given, GRIDS_ENV, use_environment, "files"):
        grids += _read_grid_file(file)
    return GridSet(grids)


def known_grids(grid_set: GridSet | None) -> GridSet:
    """The grids a public function's ``grid_set`` argument stands for: the :class:`GridSet`
    given, or the built-in grids and ``$CAPACITY_GRIDS`` for None."""
    if grid_set is None:
        return load_grids()
    return instance_of(grid_set, GridSet, "grid_set", "from capacity.load_grids")


def select_grids(grids: Iterable[str | Grid] | None, grid_set: GridSet | None) -> list[Grid]:
    """The grids named in ``grids`` (ids or :class:`Grid` objects), or every known grid."""
    named = text_list(grids, "grids", also=(Grid,))
    known = known_grids(grid_set)
    if named is None:
        return list(known.values())
    return [g if isinstance(g, Grid) else known[g] for g in named]
