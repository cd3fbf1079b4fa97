"""Hardware profiles: one TOML file per accelerator, validated once at load.

Built-in profiles ship in ``capacity/hardware_profiles/`` (``hardware_profiles/`` in the
repository). Users add or replace profiles from their own directories, given to
:func:`load_profiles` or listed in the ``CAPACITY_PROFILES`` environment variable, and
override single fields for one run with :meth:`ProfileSet.with_overrides`.
See ``hardware_profiles/README.md`` for the file format.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from capacity.checks import flag, optional_mapping, paths_argument
from capacity.datafiles import as_path, read_toml, user_paths
from capacity.errors import InputError, ProfileError, UnknownChipError
from capacity.figures import Figure, cached_reading, read_figure, weakest_confidence
from capacity.tomlread import TableReader
from capacity.units import ureg

__all__ = [
    "PRECISIONS",
    "PROFILES_ENV",
    "SPARSITIES",
    "Profile",
    "ProfileSet",
    "SystemSpec",
    "load_profile",
    "load_profiles",
    "profile_set",
]

PROFILES_ENV = "CAPACITY_PROFILES"

# Number formats from narrowest to widest: a chip without native support for a format runs
# at the next wider one it has (docs/model.md#compute).
PRECISIONS: tuple[str, ...] = ("fp4", "fp6", "fp8", "bf16", "tf32", "fp32", "fp64")

_POWER_BEHAVIOUR = ("cluster_overhead", "idle_fraction", "busy_fraction")
# The valid range of each figure of [power_behaviour], in the order above.
_POWER_BEHAVIOUR_KINDS = ("non-negative", "fraction", "fraction")
_TOP_LEVEL_KEYS = (
    "id", "aliases", "name", "vendor", "year", "notes", "tdp", "system", "power_behaviour",
    "peak", "peak_sparse", "memory", "price", "dies_per_package",
)  # fmt: skip
# Dense peaks (the default) or 2:4-structured-sparse peaks where the vendor publishes them.
SPARSITIES = ("dense", "sparse")


@dataclass(frozen=True)
class SystemSpec:
    """The reference system an accelerator ships in (DGX board, NVL72 rack, TPU pod)."""

    name: str
    accelerators: Figure
    power: Figure
    """Nameplate power of the whole system; derived where the file gives ``power_to_tdp``."""
    power_to_tdp: Figure | None = None


@dataclass(frozen=True)
class Profile:
    """One accelerator: its figures, each with unit, source and confidence."""

    id: str
    name: str
    vendor: str
    year: int
    system: SystemSpec
    cluster_overhead: Figure
    idle_fraction: Figure
    busy_fraction: Figure
    peak: Mapping[str, Figure]
    tdp: Figure | None = None
    aliases: tuple[str, ...] = ()
    notes: str = ""
    memory_kind: str | None = None
    memory_capacity: Figure | None = None
    memory_bandwidth: Figure | None = None
    price: Figure | None = None
    """Capital cost per accelerator [USD]; see the note for what it covers (chip, or share of
    the reference system). None where no public figure exists."""
    peak_sparse: Mapping[str, Figure] = field(default_factory=dict)
    """Structured-sparse peak FLOP/s per precision, where the vendor publishes one."""
    dies_per_package: Figure | None = None
    """Compute dies per package (the vendor's "GPUs" per package in NVIDIA's Rubin-era
    naming); None where not published (counted as 1, flagged)."""
    path: Path | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    replaces: str | None = field(default=None, compare=False)
    """What this profile took the place of, when an earlier one had its id ("the built-in
    profile", "the profile in FILE"); None for an id first given here."""

    @property
    def replacement_note(self) -> str | None:
        """The line every output using a replacing profile shows; None for the others."""
        if self.replaces is None:
            return None
        origin = f"read from {self.path}" if self.path is not None else "given in code"
        return f"profile {self.id} {origin} replaces {self.replaces}"

    def figures(self) -> dict[str, Figure]:
        """Every figure of the profile by its dotted field name."""
        figures: dict[str, Figure] = {}
        if self.tdp is not None:
            figures["tdp"] = self.tdp
        figures["system.accelerators"] = self.system.accelerators
        figures["system.power"] = self.system.power
        if self.system.power_to_tdp is not None:
            figures["system.power_to_tdp"] = self.system.power_to_tdp
        for name in _POWER_BEHAVIOUR:
            figures[name] = getattr(self, name)
        figures.update({f"peak.{p}": f for p, f in self.peak.items()})
        if self.memory_capacity is not None:
            figures["memory.capacity"] = self.memory_capacity
        if self.memory_bandwidth is not None:
            figures["memory.bandwidth"] = self.memory_bandwidth
        if self.price is not None:
            figures["price"] = self.price
        figures.update({f"peak_sparse.{p}": f for p, f in self.peak_sparse.items()})
        if self.dies_per_package is not None:
            figures["dies_per_package"] = self.dies_per_package
        return figures

    @property
    def dies(self) -> float:
        """Dies per package: the published figure, or 1 where none is published."""
        return 1.0 if self.dies_per_package is None else self.dies_per_package.si

    def peak_flops(self, precision: str, sparsity: str = "dense") -> tuple[Figure, bool] | None:
        """The peak the chip runs ``precision`` at and whether it is sparse; None where the
        chip has no such format. A sparse peak falls back to the dense one (False) where
        the vendor publishes none."""
        used = self.precision_used(precision)
        if used is None:
            return None
        if sparsity == "sparse" and used in self.peak_sparse:
            return self.peak_sparse[used], True
        return self.peak[used], False

    def precision_used(self, precision: str) -> str | None:
        """The format the chip runs ``precision`` at: itself, the next wider one, or None."""
        if precision not in PRECISIONS:
            raise InputError(f"unknown precision {precision!r}; known: {', '.join(PRECISIONS)}")
        for candidate in PRECISIONS[PRECISIONS.index(precision) :]:
            if candidate in self.peak:
                return candidate
        return None


def _parse_profile(raw: Mapping[str, Any], where: Path | str, expected_id: str | None) -> Profile:
    fields = TableReader(where)
    fields.check_keys(raw, _TOP_LEVEL_KEYS)
    profile_id = fields.text(raw, "id")
    if expected_id is not None and profile_id != expected_id:
        raise fields.fail("id", f"{profile_id!r} differs from the file name {expected_id!r}")
    name = fields.text(raw, "name")
    vendor = fields.text(raw, "vendor")
    notes = fields.optional_text(raw, "notes") or ""
    year = fields.whole_number(raw, "year", low=1990, high=2100, what="a year such as 2024")
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
        raise fields.fail("aliases", f"must be a list of strings, got {aliases!r}")
    tdp = read_figure(raw["tdp"], fields, "tdp", "power") if "tdp" in raw else None

    system_raw = fields.table(
        raw.get("system"), "system", "a table [system] with name, accelerators and power"
    )
    system = fields.within("system")
    system.check_keys(system_raw, ("name", "accelerators", "power", "power_to_tdp"))
    system_name = system.text(system_raw, "name")
    accelerators = read_figure(
        system.required(system_raw, "accelerators"), system, "accelerators", "dimensionless",
        "count",
    )  # fmt: skip
    has_power, has_ratio = "power" in system_raw, "power_to_tdp" in system_raw
    if has_power == has_ratio:
        raise system.fail("power", "give exactly one of 'power' and 'power_to_tdp'")
    power_to_tdp = None
    if has_power:
        system_power = read_figure(system_raw["power"], system, "power", "power")
    else:
        power_to_tdp = read_figure(
            system_raw["power_to_tdp"], system, "power_to_tdp", "dimensionless"
        )
        if tdp is None:
            raise system.fail("power_to_tdp", "needs 'tdp' to derive the system power from")
        system_power = _derived_system_power(power_to_tdp, accelerators, tdp)

    behaviour_raw = fields.table(
        raw.get("power_behaviour"), "power_behaviour", "a table [power_behaviour]"
    )
    behaviour = fields.within("power_behaviour")
    behaviour.check_keys(behaviour_raw, _POWER_BEHAVIOUR)
    overhead, idle, busy = (
        read_figure(behaviour.required(behaviour_raw, key), behaviour, key, "dimensionless", kind)
        for key, kind in zip(_POWER_BEHAVIOUR, _POWER_BEHAVIOUR_KINDS, strict=True)
    )
    if idle.si > busy.si:
        raise behaviour.fail(
            "idle_fraction", f"idle ({idle.si:g}) must not exceed busy ({busy.si:g})"
        )
    if busy.si == 0:
        raise behaviour.fail("busy_fraction", "must be > 0")

    peak_raw = fields.table(raw.get("peak"), "peak", f"a table [peak] of {', '.join(PRECISIONS)}")
    if not peak_raw:
        raise fields.fail("peak", f"needs at least one dense peak among {', '.join(PRECISIONS)}")
    peaks = fields.within("peak")
    peaks.check_keys(peak_raw, PRECISIONS)
    peak = {
        precision: read_figure(table, peaks, precision, "compute rate")
        for precision, table in peak_raw.items()
    }

    memory_raw = fields.table(raw.get("memory", {}), "memory", "a table [memory]")
    memory = fields.within("memory")
    memory.check_keys(memory_raw, ("kind", "capacity", "bandwidth"))
    memory_kind = memory.optional_text(memory_raw, "kind") or None
    capacity = (
        read_figure(memory_raw["capacity"], memory, "capacity", "memory")
        if "capacity" in memory_raw
        else None
    )
    bandwidth = (
        read_figure(memory_raw["bandwidth"], memory, "bandwidth", "memory bandwidth")
        if "bandwidth" in memory_raw
        else None
    )
    price = read_figure(raw["price"], fields, "price", "money") if "price" in raw else None
    sparse_raw = fields.table(raw.get("peak_sparse", {}), "peak_sparse", "a table [peak_sparse]")
    sparse_fields = fields.within("peak_sparse")
    sparse_fields.check_keys(sparse_raw, PRECISIONS)
    peak_sparse = {
        precision: read_figure(table, sparse_fields, precision, "compute rate")
        for precision, table in sparse_raw.items()
    }
    for precision, figure in peak_sparse.items():
        if precision in peak and figure.si < peak[precision].si:
            raise sparse_fields.fail(
                precision, f"a sparse peak ({figure.display()}) must not be below the dense one "
                f"({peak[precision].display()})",
            )  # fmt: skip
    dies = (
        read_figure(raw["dies_per_package"], fields, "dies_per_package", "dimensionless", "count")
        if "dies_per_package" in raw
        else None
    )
    return Profile(
        id=profile_id, name=name, vendor=vendor, year=year,
        system=SystemSpec(system_name, accelerators, system_power, power_to_tdp),
        cluster_overhead=overhead, idle_fraction=idle, busy_fraction=busy, peak=peak, tdp=tdp,
        aliases=tuple(aliases), notes=notes, memory_kind=memory_kind, memory_capacity=capacity,
        memory_bandwidth=bandwidth, price=price, peak_sparse=peak_sparse, dies_per_package=dies,
        path=where if isinstance(where, Path) else None,
        raw=raw,
    )  # fmt: skip


def _derived_system_power(ratio: Figure, accelerators: Figure, tdp: Figure) -> Figure:
    watts = ratio.si * accelerators.si * tdp.si
    value = ureg.Quantity(watts / 1e3, "kW")
    note = (
        f"Derived as {ratio.display()} (system.power_to_tdp) × {accelerators.display()} × "
        f"{tdp.display()} (tdp); {ratio.display()}: {ratio.summary} {ratio.note}"
    )
    source = f"system.power_to_tdp: {ratio.source}; tdp: {tdp.source}"
    confidence = weakest_confidence(ratio.confidence, accelerators.confidence, tdp.confidence)
    return Figure(value, watts, confidence, source, note)


def load_profile(path: str | Path) -> Profile:
    """Read and validate one profile file; the file name (without .toml) must be its id."""
    path = as_path(path, "path", "a profile file's path")
    return _parse_profile(read_toml(path), path, expected_id=path.stem)


class ProfileSet(Mapping[str, Profile]):
    """Profiles by id, with aliases; an unknown id raises an error listing the known ones."""

    def __init__(self, profiles: Iterable[Profile]) -> None:
        self._profiles: dict[str, Profile] = {}
        for profile in profiles:
            earlier = self._profiles.get(profile.id)
            if earlier is not None and earlier is not profile:  # a later one replaces it
                replaces = earlier.replaces or _described(earlier)
                profile = dataclasses.replace(profile, replaces=replaces)
            self._profiles[profile.id] = profile
        self._aliases: dict[str, str] = {}
        for profile in self._profiles.values():
            for alias in profile.aliases:
                owner = self._aliases.get(alias)
                if alias in self._profiles or (owner is not None and owner != profile.id):
                    other = owner or alias
                    raise ProfileError(
                        f"{profile.path or profile.id}: field 'aliases': {alias!r} is already "
                        f"taken by profile {other!r}"
                    )
                self._aliases[alias] = profile.id

    def __getitem__(self, chip: str) -> Profile:
        return self._profiles[self.resolve(chip)]

    @property
    def replaced(self) -> dict[str, str]:
        """Profile id → what replaced what, for each profile that took an earlier one's id."""
        return {
            profile_id: profile.replacement_note
            for profile_id, profile in self._profiles.items()
            if profile.replacement_note is not None
        }

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._profiles, key=_sort_key(self._profiles)))

    def __len__(self) -> int:
        return len(self._profiles)

    def __contains__(self, chip: object) -> bool:
        return isinstance(chip, str) and chip.strip().lower() in (self._profiles | self._aliases)

    def resolve(self, chip: str) -> str:
        """The profile id for an id or alias (case-insensitive)."""
        key = chip.strip().lower() if isinstance(chip, str) else chip
        if key in self._profiles:
            return str(key)
        if key in self._aliases:
            return self._aliases[key]
        several = [part.strip() for part in str(key).split(",")]
        if len(several) > 1 and all(part in self for part in several):
            raise UnknownChipError(
                f"{chip!r} is {len(several)} chips: give one, a mix "
                f"({','.join(f'{part}=SHARE' for part in several)}), or compare them side by "
                f"side (capacity compare POWER --chips {','.join(several)})"
            )
        known = ", ".join(self)
        aliases = ", ".join(f"{a} → {i}" for a, i in sorted(self._aliases.items()))
        raise UnknownChipError(f"unknown chip {chip!r}; known: {known} (aliases: {aliases})")

    def with_overrides(self, overrides: Mapping[str, Any]) -> ProfileSet:
        """A copy with single fields replaced: ``{"openai-broadcom-xpu.tdp": "1.2 kW"}``.

        A field is given as ``ID.FIELD`` where FIELD is a profile field name: ``tdp``,
        ``system.power``, ``system.power_to_tdp``, ``system.accelerators``,
        ``cluster_overhead``, ``idle_fraction``, ``busy_fraction``, ``peak.<precision>``,
        ``memory.capacity``, ``memory.bandwidth``, ``price``. The new figure is validated as a
        file's would be and is marked ``user-override``. Setting ``system.power`` replaces a
        ``power_to_tdp`` derivation and the other way round.
        """
        raws: dict[str, dict[str, Any]] = {}
        for key, value in overrides.items():
            chip, _, field_name = key.partition(".")
            if not field_name:
                raise InputError(f"override {key!r} must be ID.FIELD=VALUE, e.g. h100.tdp=700W")
            profile_id = self.resolve(chip)
            raw = raws.setdefault(profile_id, copy.deepcopy(dict(self._profiles[profile_id].raw)))
            _set_field(raw, field_name, value, key)
        profiles = dict(self._profiles)
        for profile_id, raw in raws.items():
            original = self._profiles[profile_id]
            where = f"{original.path or profile_id} (with overrides)"
            overridden = _parse_profile(raw, where, expected_id=profile_id)
            profiles[profile_id] = dataclasses.replace(
                overridden, path=original.path, replaces=original.replaces
            )
        return ProfileSet(profiles.values())


_OVERRIDE_PATHS: dict[str, tuple[str, ...]] = {
    "tdp": ("tdp",),
    "system.power": ("system", "power"),
    "system.power_to_tdp": ("system", "power_to_tdp"),
    "system.accelerators": ("system", "accelerators"),
    "memory.capacity": ("memory", "capacity"),
    "memory.bandwidth": ("memory", "bandwidth"),
    "price": ("price",),
    "dies_per_package": ("dies_per_package",),
    **{f"peak_sparse.{p}": ("peak_sparse", p) for p in PRECISIONS},
    **{name: ("power_behaviour", name) for name in _POWER_BEHAVIOUR},
    **{f"power_behaviour.{name}": ("power_behaviour", name) for name in _POWER_BEHAVIOUR},
    **{f"peak.{p}": ("peak", p) for p in PRECISIONS},
}
_EXCLUSIVE = {"power": "power_to_tdp", "power_to_tdp": "power"}


def _set_field(raw: dict[str, Any], field_name: str, value: Any, key: str) -> None:
    path = _OVERRIDE_PATHS.get(field_name)
    if path is None:
        raise InputError(
            f"override {key!r}: unknown field {field_name!r}; known: "
            + ", ".join(sorted(k for k in _OVERRIDE_PATHS if not k.startswith("power_behaviour.")))
        )
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        value = str(value)  # a pint quantity: its string form carries the unit
    table = raw
    for part in path[:-1]:
        table = table.setdefault(part, {})
    table[path[-1]] = {
        "value": value,
        "confidence": "user-override",
        "source": f"set for this run ({key})",
    }
    if path[0] == "system" and path[-1] in _EXCLUSIVE:
        table.pop(_EXCLUSIVE[path[-1]], None)


def _described(profile: Profile) -> str:
    """How a replaced profile is named: "the built-in profile", "the profile in FILE"."""
    if any(profile is builtin for builtin in _builtin_profiles()):
        return "the built-in profile"
    return f"the profile in {profile.path}" if profile.path else "a profile given in code"


def _sort_key(profiles: Mapping[str, Profile]) -> Any:
    vendors = {"NVIDIA": 0, "AMD": 1}

    def key(profile_id: str) -> tuple[int, str, int, str]:
        profile = profiles[profile_id]
        return (vendors.get(profile.vendor, 2), profile.vendor, profile.year, profile_id)

    return key


@cache
def _builtin_profiles() -> tuple[Profile, ...]:
    """The built-in profiles, parsed once and kept on disk until a file changes."""
    directory = resources.files("capacity.hardware_profiles")
    paths = [Path(str(entry)) for entry in _toml_files(directory)]
    return cached_reading(
        "profiles", paths, lambda: tuple(load_profile(path) for path in paths), __file__
    )


def _toml_files(directory: Any) -> list[Any]:
    return sorted(
        (entry for entry in directory.iterdir() if entry.name.endswith(".toml")),
        key=lambda entry: entry.name,
    )


def _user_profiles(path: Path) -> list[Profile]:
    if not path.is_dir():
        problem = "is not a directory" if path.exists() else "does not exist"
        raise ProfileError(f"{path}: profile directory {problem}; give a directory of .toml files")
    return [load_profile(entry) for entry in _toml_files(path)]


def load_profiles(
    directories: Iterable[str | Path] | str | Path | None = None,
    *,
    use_environment: bool = True,
) -> ProfileSet:
    """The built-in profiles, then those of ``$CAPACITY_PROFILES``, then ``directories``.

    A profile whose id is already known replaces the earlier one.
    """
    given = paths_argument(directories, "directories")
    use_environment = flag(use_environment, "use_environment")
    user_directories = user_paths(given, PROFILES_ENV, use_environment, "directories")
    if not user_directories:
        return _builtin_profile_set()
    sources: list[Profile] = list(_builtin_profiles())
    for directory in user_directories:
        sources += _user_profiles(directory)
    return ProfileSet(sources)


def _builtin_profile_set() -> ProfileSet:
    """The built-in profiles alone, as one set while :func:`_builtin_profiles` gives the
    same ones (a set is never changed)."""
    profiles = _builtin_profiles()
    for made_from, made in _last_builtin_set:
        if made_from is profiles:
            return made
    made = ProfileSet(profiles)
    _last_builtin_set[:] = [(profiles, made)]
    return made


# The last set of built-in profiles made, after the tuple it was made from.
_last_builtin_set: list[tuple[tuple[Profile, ...], ProfileSet]] = []


def profile_set(
    profiles: ProfileSet | str | Path | Iterable[str | Path] | None,
    overrides: Mapping[str, Any] | None = None,
) -> ProfileSet:
    """The profiles a public function's ``profiles`` and ``overrides`` arguments stand for.

    ``profiles`` is a :class:`ProfileSet`, or directories of extra profiles to load with the
    built-in ones (one path or several), or None for the built-in ones and
    ``$CAPACITY_PROFILES``; ``overrides`` single fields for this run
    (:meth:`ProfileSet.with_overrides`).
    """
    fields = optional_mapping(overrides, "overrides")
    if not isinstance(profiles, ProfileSet):
        profiles = load_profiles(paths_argument(profiles, "profiles"))
    return profiles.with_overrides(fields) if fields else profiles
