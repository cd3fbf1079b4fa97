"""Sweeps: the chain over every combination of power × PUE × utilization × chip mix.

:func:`sweep` evaluates the model's chain at every point of the grid, in chunks, on the
backend asked for (``auto``, ``numpy``, ``numba`` or ``cuda``; see
:mod:`capacity.kernels.backends`). Every sweep reduces its points to min, max, mean and
quantiles of each output, and to the best point of an objective under constraints, without
storing them; a materialized sweep also keeps every output at every point in memory
(:meth:`SweepResult.to_xarray`), and ``out=`` streams every point to a Parquet file instead.

A reduced sweep is reduced in factorized form (:mod:`capacity.kernels.factorized`: exact,
without visiting the points) unless that form would not fit in memory; ``reduction``
chooses, and the result says which ran and why.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pint

from capacity import chain
from capacity.axes import parse_axis, parse_power_axis, simplex_mixes
from capacity.checks import (
    callback,
    describe,
    flag,
    number_like,
    one_of,
    optional_text,
    path_argument,
    positive_int,
    quantile_levels,
    real_number,
    text_list,
)
from capacity.convert import (
    MIX_SUM_TOLERANCE,
    REFERENCE_CHIP,
    Conversion,
    chain_input,
    check_options,
    convert,
    exceeds_grid,
    grid_share_warning,
    resolve_mix,
)
from capacity.dataset import PartInfo, check_dataset_destination, dataset_writer, write_part
from capacity.defaults import DEFAULTS, MAX_BINS, RANGES
from capacity.distributed import (
    backend_request,
    chunk_ranges,
    cluster_argument,
    connected,
    kernel_backend,
    kernel_turn,
    run_chunks,
)
from capacity.environment import Site, site
from capacity.errors import InputError
from capacity.extras import import_extra
from capacity.fleet import build_fleet, fleet_assumptions, replaced_data_notes
from capacity.grids import Grid, GridSet, known_grids, select_grids
from capacity.inputs import check_finite_outputs
from capacity.kernels.backends import Backend, NumpyBackend, output_buffers, resolve_backend
from capacity.kernels.factorized import (
    FactorizedReduction,
    choose_implementation,
    reduce_factorized,
    warm_up,
)
from capacity.kernels.factors import NotFactorizable, check_size
from capacity.kernels.partial import Partial
from capacity.kernels.point import QUANTITIES
from capacity.kernels.problem import OUTPUTS, ReduceSpec, SweepProblem
from capacity.objectives import (
    MEASURE_NAMES,
    Constraint,
    MixConstraint,
    Objective,
    measure,
    parse_constraint,
    parse_objective,
)
from capacity.profiles import ProfileSet, profile_set
from capacity.streaming import (
    CSV_SUFFIXES,
    STREAMED_SUFFIXES,
    CsvSink,
    ParquetSink,
    atomic_destination,
    check_destination,
)
from capacity.summary import OutputSummary, summarize
from capacity.units import JOULES_PER_TWH, SECONDS_PER_YEAR, parse_quantity, ureg

__all__ = [
    "REDUCTIONS",
    "SUMMARY_OUTPUTS",
    "BestPoint",
    "SweepPlan",
    "SweepResult",
    "SweepTooLargeError",
    "plan_sweep",
    "sweep",
]

# Outputs summarized by every sweep, in display order; grid shares are added per grid.
SUMMARY_OUTPUTS = tuple(name for name in MEASURE_NAMES if ":" not in name)
# Points per chunk: more than any sweep that fits in memory (a chunk is held at once).
MAX_CHUNK_POINTS = 1 << 40
# Summaries of grid shares, by the prefix of their name, and the basis of each.
GRID_SHARE_OUTPUTS = {"grid-share": "energy", "grid-capacity-share": "capacity"}
# Share of the memory the OS reports available that an in-memory sweep may take.
MEMORY_FRACTION = 0.5
_MATERIALIZED_SCALARS = len(OUTPUTS) - 1  # outputs with one value per point
# How a sweep's points are reduced: ``factorized`` from the factorized form (exact
# quantiles, no point visited), ``enumerated`` by the backend's kernels over every point
# (histogram quantiles); ``auto`` factorizes reduced sweeps where the form fits in memory.
REDUCTIONS = ("auto", "factorized", "enumerated")


class SweepTooLargeError(InputError):
    """A materialized sweep would not fit in memory."""


@dataclass(frozen=True)
class BestPoint:
    """The point that best meets the objective under the constraints, and its inputs."""

    objective: str
    value: float
    """The objective's output at this point, in ``unit`` (SI)."""
    unit: str
    index: int
    """Flat index of the point in the sweep (C order over power, PUE, utilization, mix)."""
    power: pint.Quantity
    pue: float
    utilization: float
    mix: dict[str, float]
    conversion: Conversion
    """The same point through :func:`capacity.convert`: every output, with units."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "objective": self.objective,
            "value": self.value,
            "unit": self.unit,
            "index": self.index,
            "power_w": float(self.power.to("W").magnitude),
            "pue": self.pue,
            "utilization": self.utilization,
            "mix": self.mix,
            "outputs": self.conversion.to_dict(),
        }


@dataclass(frozen=True)
class SweepResult:
    """What a sweep found. ``backend`` says which backend ran it."""

    backend: str
    backend_detail: str
    chips: tuple[str, ...]
    power: np.ndarray
    """Power axis. [W] (facility or IT power, as ``inputs["basis"]`` says)"""
    pue: np.ndarray
    utilization: np.ndarray
    mixes: np.ndarray
    """Shares, mixes × chips."""
    inputs: Mapping[str, Any]
    summary: Mapping[str, OutputSummary]
    feasible_points: int
    """Points that satisfy every constraint (all points when there are none)."""
    best: BestPoint | None
    """None without an objective, or when no point satisfies the constraints."""
    unmet: tuple[str, ...]
    """Constraints that no point of the sweep meets on its own, each with the range found."""
    objective: str | None
    constraints: tuple[str, ...]
    grids: tuple[Grid, ...]
    assumptions: tuple[str, ...]
    seconds: float
    """Wall time of the whole call, set-up included."""
    compute_seconds: float
    """Wall time of the chunk loop: the kernels (and writing, with ``out``)."""
    quantile_levels: tuple[float, ...] = DEFAULTS.quantiles
    data: Mapping[str, np.ndarray] | None = field(default=None, repr=False)
    """Every output at every point (flat, point-major), for materialized sweeps."""
    out: Path | None = None
    """The file (Parquet or CSV) or the dataset folder written, for sweeps with ``out``."""
    reduction: str = "enumerated"
    """How the points were reduced: ``factorized`` (exact quantiles) or ``enumerated``."""
    reduction_detail: str = ""
    """Why that reduction ran, and how, in words."""
    cluster: Mapping[str, Any] | None = None
    """Where the chunks ran when a Dask scheduler ran them: its address, the number of
    workers and threads, and each backend the workers ran (:mod:`capacity.distributed`)."""
    point_bounds: tuple[tuple[int, float, float], ...] = ()
    """Each point constraint as (quantity index, lower, upper) on the kernel's quantity
    (:data:`capacity.kernels.point.QUANTITIES`), for charts of the feasible region."""
    feasible_mix: np.ndarray | None = field(default=None, repr=False)
    """Which mixes meet the mix constraints (all, without any)."""

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """Points along (power, PUE, utilization, mix)."""
        return (self.power.size, self.pue.size, self.utilization.size, self.mixes.shape[0])

    @property
    def points(self) -> int:
        return math.prod(self.shape)

    @property
    def mix_labels(self) -> list[str]:
        """Each mix as ``chip=share,...`` over its non-zero shares."""
        return _mix_labels(self.chips, self.mixes)

    def to_xarray(self) -> Any:
        """The materialized sweep as an ``xarray.Dataset``.

        Dimensions ``power`` (only when the power axis has several values), ``pue``,
        ``utilization``, ``mix`` (labelled ``chip=share,...``; the ``share`` coordinate holds
        the numbers) and ``chip`` for per-chip counts; ``grid`` for grid shares. Units are in
        each variable's ``units`` attribute. Annual energy and grid shares are derived here
        from the average power, at 8 bytes per point each. Needs the ``xarray`` extra
        (``pip install 'datacenter-capacity[xarray]'``).
        """
        if self.data is None:
            raise InputError(
                "this sweep kept no points (it was reduced or streamed to a file); "
                "run it without reduce and out to get every point in memory"
            )
        xr = import_extra("xarray", "xarray", "SweepResult.to_xarray()")

        dims: list[str] = ["power", "pue", "utilization", "mix"]
        shape: tuple[int, ...] = self.shape
        squeeze = self.power.size == 1
        if squeeze:
            dims, shape = dims[1:], shape[1:]

        def point_array(values: np.ndarray, unit: str, extra: tuple[str, ...] = ()) -> Any:
            reshaped = values.reshape(shape + values.shape[1:])
            return xr.Variable((*dims, *extra), reshaped, attrs={"units": unit})

        average = self.data["average_facility_power"]
        basis_of_mix = f"share of {self.inputs['mix_basis']}"
        variables = {
            "accelerators": point_array(self.data["accelerators"], "1"),
            "accelerators_by_chip": point_array(self.data["accelerators_by_chip"], "1", ("chip",)),
            "peak_flops": point_array(self.data["peak_flops"], "FLOP/s"),
            "delivered_flops": point_array(self.data["delivered_flops"], "FLOP/s"),
            "average_facility_power": point_array(average, "W"),
            "annual_energy": point_array(chain.annual_energy(average) / JOULES_PER_TWH, "TWh"),
        }
        basis = self.inputs["basis"]
        power_dims = ("pue",) if squeeze else ("power", "pue")
        power = self.power[:, np.newaxis]
        for name in ("facility_power", "it_power"):
            function = chain.facility_power if name == "facility_power" else chain.it_power
            values = function(power, self.pue[np.newaxis, :], basis)
            variables[name] = xr.Variable(
                power_dims, values[0] if squeeze else values, attrs={"units": "W"}
            )
        if self.grids:
            energies = np.array([g.energy.si for g in self.grids])
            shares = chain.grid_energy_share(average[np.newaxis, :], energies[:, np.newaxis])
            variables["grid_share"] = xr.Variable(
                ("grid", *dims), shares.reshape((len(self.grids), *shape)),
                attrs={"units": "1", "basis": "energy: average facility power ÷ average load"},
            )  # fmt: skip
        # Numbers carry their unit (pint-xarray's quantify reads it); labels have none.
        coords: dict[str, Any] = {
            "pue": ("pue", self.pue, {"units": "1"}),
            "utilization": ("utilization", self.utilization, {"units": "1"}),
            "mix": self.mix_labels,
            "chip": list(self.chips),
            "share": (("mix", "chip"), self.mixes, {"units": "1", "basis": basis_of_mix}),
            "grid": [g.id for g in self.grids],
        }
        power_attrs = {"units": "W", "basis": self.inputs["basis"]}
        coords["power"] = (
            ((), self.power[0], power_attrs) if squeeze else ("power", self.power, power_attrs)
        )
        attrs = {
            "backend": self.backend,
            "basis": basis,
            **{k: str(v) for k, v in self.inputs.items() if k not in ("chips", "basis")},
        }
        return xr.Dataset(variables, coords=coords, attrs=attrs)

    def to_dataframe(self) -> Any:
        """Every point as a pandas DataFrame: one row per point, the same columns as the
        Parquet file of ``out=`` (names that say their unit and basis:
        ``delivered_flop_per_s``, ``grid_share_energy_basis_us``); units also in
        ``DataFrame.attrs["units"]``. Needs a materialized sweep; see
        :meth:`summary_dataframe` for a reduced one."""
        if self.data is None:
            raise InputError(
                "this sweep kept no points (it was reduced or streamed to a file); run it "
                "without reduce and out to get every point, or use summary_dataframe()"
            )
        import pandas as pd

        columns = point_columns(self, 0, self.points, self.data)
        table = pd.DataFrame(columns)
        table.attrs["units"] = {name: column_unit(name) for name in columns}
        return table

    def summary_rows(self) -> list[dict[str, Any]]:
        """Tidy rows of the summary: one per output and statistic (min, quantiles, max,
        mean), with the unit, then the best point's outputs (entity "best point")."""
        from capacity.tables import document_rows

        rows = []
        for name, summary in self.summary.items():
            for statistic, value in summary.to_dict(self.quantile_levels).items():
                if statistic in ("unit", "quantile_method") or statistic.endswith("resolution"):
                    continue
                rows.append({"entity": "all points", "output": _tidy_name(name),
                             "statistic": statistic, "value": value,
                             "unit": summary.unit or "1"})  # fmt: skip
        if self.best is not None:
            best = self.best.conversion.to_dict()
            best_rows = document_rows(
                best
                | {
                    "power_w": float(self.best.power.to("W").m),
                    "pue": self.best.pue,
                    "utilization": self.best.utilization,
                }
            )
            rows += [row | {"entity": "best point" if row["entity"] == "total"
                            else f"best point: {row['entity']}", "statistic": "value"}
                     for row in best_rows]  # fmt: skip
        return rows

    def summary_dataframe(self, wide: bool = False) -> Any:
        """The summary as a pandas DataFrame: tidy (entity, output, statistic, value, unit),
        or with ``wide`` one row per output and one column per statistic."""
        from capacity.tables import frame, wide_frame

        rows = self.summary_rows()
        if wide:
            return wide_frame(rows, ("entity", "output", "unit"), "statistic")
        return frame(rows)

    def plot(self, **options: Any) -> Any:
        """A heatmap over PUE × utilization for one mix, with the feasible region and the
        best point, and the mixes (ternary or small multiples) as a matplotlib figure
        (:func:`capacity.plots.plot_sweep`)."""
        from capacity.plots import plot_sweep

        return plot_sweep(self, **options)

    def _repr_html_(self) -> str:
        from capacity.report import notebook_html

        return notebook_html(self)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Grid shares above 100 % at some point: the fleet would draw more than the grid."""
        notes = []
        for name, summary in self.summary.items():
            prefix, _, grid_id = name.partition(":")
            if prefix in GRID_SHARE_OUTPUTS:
                basis = GRID_SHARE_OUTPUTS[prefix]
                notes.append(grid_share_warning(grid_id, basis, summary.maximum, self._where))
        return tuple(note for note in notes if note is not None)

    @property
    def _where(self) -> str:
        return " at some points of the sweep" if self.points > 1 else ""

    def _summary_dict(self, name: str, summary: OutputSummary) -> dict[str, Any]:
        document = summary.to_dict(self.quantile_levels)
        if name.partition(":")[0] in GRID_SHARE_OUTPUTS:
            document["exceeds_grid"] = exceeds_grid(summary.maximum)
        return document

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready document: inputs, backend, summary per output, best point."""
        return {
            "backend": self.backend,
            "backend_detail": self.backend_detail,
            "reduction": self.reduction,
            "reduction_detail": self.reduction_detail,
            "points": self.points,
            "seconds": self.seconds,
            "compute_seconds": self.compute_seconds,
            "inputs": dict(self.inputs),
            "axes": {
                "power_w": _axis_summary(self.power),
                "pue": _axis_summary(self.pue),
                "utilization": _axis_summary(self.utilization),
                "mixes": self.mixes.shape[0],
            },
            "summary": {name: self._summary_dict(name, s) for name, s in self.summary.items()},
            "objective": self.objective,
            "constraints": list(self.constraints),
            "feasible_points": self.feasible_points,
            "unmet_constraints": list(self.unmet),
            "best": None if self.best is None else self.best.to_dict(),
            "out": None if self.out is None else str(self.out),
            "cluster": None if self.cluster is None else dict(self.cluster),
            "assumptions": list(self.assumptions),
            "warnings": list(self.warnings),
        }


def _axis_summary(values: np.ndarray) -> dict[str, Any]:
    return {"min": float(values.min()), "max": float(values.max()), "count": int(values.size)}


def _mix_label(chips: Sequence[str], shares: np.ndarray) -> str:
    return ",".join(f"{c}={s:.6g}" for c, s in zip(chips, shares, strict=True) if s > 0)


def _mix_labels(chips: Sequence[str], mixes: np.ndarray) -> list[str]:
    """:func:`_mix_label` of each row of ``mixes``, each distinct share of a chip written
    once (a sweep's mixes repeat a few shares over thousands of rows)."""
    columns = []
    for chip, shares in zip(chips, mixes.T, strict=True):
        values, codes = np.unique(shares, return_inverse=True)
        written = [f"{chip}={value:.6g}" if value > 0 else "" for value in values]
        columns.append([written[code] for code in codes.tolist()])
    return [",".join(filter(None, parts)) for parts in zip(*columns, strict=True)]


def _chip_list(chips: str | Sequence[str] | None, profiles: ProfileSet) -> list[str] | None:
    names = text_list(chips, "chips")
    if names is None:
        return None
    if not names:
        raise InputError(f"chips: give one or more profile ids, e.g. h100,mi355x; got {chips!r}")
    resolved = [profiles.resolve(name) for name in names]
    if len(set(resolved)) != len(resolved):
        raise InputError(f"chips: {chips!r} names a chip twice")
    return resolved


def _mix_table(
    chips: list[str] | None, mixes: Any, mix_step: float | None,
    profiles: ProfileSet,
) -> tuple[list[str], np.ndarray]:  # fmt: skip
    if mixes is not None and mix_step is not None:
        raise InputError("give mixes or mix_step, not both")
    if mix_step is not None:
        real_number(mix_step, "mix_step", low=0.0, high=1.0)
        if not chips:
            raise InputError("mix_step needs chips: the chips whose shares it steps through")
        return chips, simplex_mixes(len(chips), mix_step)
    if mixes is not None and _is_share_table(mixes):
        return _share_table(chips, mixes)
    if mixes is not None:
        if isinstance(mixes, str | Mapping):
            mixes = [mixes]
        if not isinstance(mixes, Sequence) or any(
            not isinstance(mix, str | Mapping) for mix in mixes
        ):
            raise InputError(
                "mixes must be a mix ('h100=0.5,mi355x=0.5' or a mapping) or a list of them, "
                f"got {describe(mixes)}"
            )
        if len(mixes) == 0:
            raise InputError("mixes is empty")
        resolved = [resolve_mix(None, mix, profiles) for mix in mixes]
        named = list(dict.fromkeys(chip for mix in resolved for chip in mix))
        if chips is None:
            chips = named
        else:
            outside = [c for c in named if c not in chips]
            if outside:
                raise InputError(
                    f"mixes name {', '.join(outside)}, which chips ({', '.join(chips)}) lacks"
                )
        rows = np.zeros((len(resolved), len(chips)))
        for row, mix in zip(rows, resolved, strict=True):
            for chip, share in mix.items():
                if np.ndim(share):
                    raise InputError("each mix share must be one number")
                row[chips.index(chip)] = share
        return chips, rows
    if chips is None:
        raise InputError(f"give chips (and mixes or mix_step); known chips: {', '.join(profiles)}")
    if len(chips) > 1:
        raise InputError(
            f"{len(chips)} chips need mixes (e.g. mixes=['h100=0.5,mi355x=0.5']) or a "
            "mix_step that enumerates them"
        )
    return chips, np.ones((1, 1))


def _is_share_table(mixes: Any) -> bool:
    """Whether ``mixes`` is given as numbers, an array or rows of shares, not as named mixes."""
    if isinstance(mixes, np.ndarray):
        return True
    return (
        isinstance(mixes, Sequence)
        and not isinstance(mixes, str)
        and len(mixes) > 0
        and isinstance(mixes[0], Sequence | np.ndarray)
        and not isinstance(mixes[0], str)
    )


def _share_table(chips: list[str] | None, mixes: Any) -> tuple[list[str], np.ndarray]:
    """The (M, K) array of shares ``mixes``, column k the share of ``chips[k]``, checked:
    every share a number in [0, 1] and every row summing to 1."""
    if chips is None:
        raise InputError(
            "mixes as an array of shares needs chips: the chips its columns belong to, "
            "e.g. chips='h100,mi355x' with mixes=[[0.5, 0.5], [1, 0]]"
        )
    try:
        shares = np.array(mixes, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise InputError(
            f"mixes as an array must hold numbers in equal rows (mixes × chips), got "
            f"{describe(mixes)}: {error}"
        ) from None
    if shares.ndim != 2 or shares.shape[0] == 0 or shares.shape[1] != len(chips):
        raise InputError(
            f"mixes as an array must be mixes × chips, here (M, {len(chips)}) with M ≥ 1 for "
            f"chips {', '.join(chips)}; got shape {shares.shape}"
        )
    outside = ~np.isfinite(shares) | (shares < 0.0) | (shares > 1.0)
    if outside.any():
        row, column = (int(i) for i in np.argwhere(outside)[0])
        raise InputError(
            f"mixes[{row}][{column}] (the share of {chips[column]}) must be a number in "
            f"[0, 1], got {float(shares[row, column])}"
        )
    off = np.abs(shares.sum(axis=1) - 1.0)
    if (off > MIX_SUM_TOLERANCE).any():
        row = int(np.argmax(off))
        raise InputError(
            f"mixes[{row}] must sum to 1, got {shares[row].sum():g} "
            f"({_mix_label(chips, shares[row]) or 'all zero'})"
        )
    return chips, shares


def _memory_limit(limit: Any) -> float:
    """The most bytes a materialized sweep may hold: ``limit`` (bytes, or a quantity such as
    "8 GiB"), or a share of the memory available now."""
    if limit is None:
        try:
            available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            available = 8 * 2**30
        return MEMORY_FRACTION * float(available)
    if isinstance(limit, str | pint.Quantity):
        limit = float(parse_quantity(limit, "memory", "memory_limit").to("B").magnitude)
    return real_number(limit, "memory_limit (bytes)", low=0.0)


def _check_fits(points: int, chips: int, limit: float) -> None:
    needed = points * (chips + _MATERIALIZED_SCALARS) * 8.0
    if needed > limit:
        raise SweepTooLargeError(
            f"a materialized sweep of {points:,} points × {chips} chips needs "
            f"{needed / 2**30:.3g} GiB ({chips + _MATERIALIZED_SCALARS} float64 outputs per "
            f"point) and the limit here is {limit / 2**30:.3g} GiB "
            f"({MEMORY_FRACTION:.0%} of available memory unless memory_limit is set). "
            "Reduce it instead (reduce=True, CLI --reduce: min, max, mean, quantiles and the "
            "best point without storing points), stream every point to disk in chunks "
            "(out='sweep.parquet', CLI --out), or use a coarser grid"
        )


def _reduce_spec(
    problem: SweepProblem, bins: int, objective: Objective | None,
    point_constraints: Sequence[Constraint], mix_constraints: Sequence[MixConstraint],
    fleet_profiles: Sequence[Any],
) -> ReduceSpec:  # fmt: skip
    lower, upper = problem.quantity_ranges()
    feasible = np.ones(problem.mixes.shape[0], dtype=bool)
    for constraint in mix_constraints:
        feasible &= constraint.feasible(problem, fleet_profiles)
    bounds = [c.quantity_bounds for c in point_constraints]
    return ReduceSpec(
        lower=lower,
        upper=upper,
        bins=bins,
        constraint_quantity=np.array(
            [c.measure.quantity for c in point_constraints], dtype=np.int64
        ),
        constraint_lower=np.array([b[0] for b in bounds], dtype=np.float64),
        constraint_upper=np.array([b[1] for b in bounds], dtype=np.float64),
        feasible_mix=feasible.astype(np.uint8),
        objective_quantity=-1 if objective is None else objective.measure.quantity,
        objective_sign=1.0 if objective is None else objective.sign,
    )


# Units of the columns of a sweep's points (Parquet, CSV, DataFrame), by name or prefix.
_COLUMN_UNITS = {
    "power_w": "W", "pue": "1", "utilization": "1", "mix": "index", "accelerators": "1",
    "peak_flop_per_s": "FLOP/s", "delivered_flop_per_s": "FLOP/s",
    "average_facility_power_w": "W", "facility_power_w": "W", "it_power_w": "W",
    "annual_energy_twh": "TWh",
}  # fmt: skip
_COLUMN_PREFIXES = {"share_": "1", "accelerators_": "1", "grid_share_": "1"}


def column_unit(name: str) -> str:
    """The unit of a column of a sweep's points ("W" for "power_w", "1" for a share)."""
    if name in _COLUMN_UNITS:
        return _COLUMN_UNITS[name]
    return next((unit for p, unit in _COLUMN_PREFIXES.items() if name.startswith(p)), "")


def _tidy_name(name: str) -> str:
    """A summary's name as a column would spell it: "grid_share_energy_basis_us"."""
    prefix, _, grid = name.partition(":")
    if prefix == "grid-share":
        return f"grid_share_energy_basis_{grid}"
    if prefix == "grid-capacity-share":
        return f"grid_share_capacity_basis_{grid}"
    return name.replace("-", "_")


def point_columns(
    result: SweepResult | SweepPlan, start: int, stop: int, outputs: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """The columns of points ``start`` to ``stop`` of a sweep: its inputs, each chip's share
    and count, and every output, named with their unit and basis."""
    return _ColumnPlan.of(result).columns(start, stop, outputs)


@dataclass(frozen=True, eq=False)
class _ColumnPlan:
    """What a table of points needs besides the kernels' outputs, in plain numbers, so that
    it travels to a cluster's workers (quantities in capacity's own units would not unpickle
    there)."""

    power: np.ndarray
    pue: np.ndarray
    utilization: np.ndarray
    mixes: np.ndarray
    chips: tuple[str, ...]
    basis: str
    grids: tuple[tuple[str, float, float | None], ...]
    """Each grid's id, annual energy [J] and capacity [W] (None where unknown)."""

    @classmethod
    def of(cls, sweep: SweepResult | SweepPlan) -> _ColumnPlan:
        grids = tuple(
            (g.id, float(g.energy.si), None if g.capacity is None else float(g.capacity.si))
            for g in sweep.grids
        )
        return cls(sweep.power, sweep.pue, sweep.utilization, sweep.mixes, tuple(sweep.chips),
                   sweep.inputs["basis"], grids)  # fmt: skip

    def columns(
        self, start: int, stop: int, outputs: Mapping[str, np.ndarray]
    ) -> dict[str, np.ndarray]:
        """The columns of points ``start`` to ``stop`` (see :func:`point_columns`)."""
        shape = (self.power.size, self.pue.size, self.utilization.size, self.mixes.shape[0])
        basis, n = self.basis, stop - start
        ip, iq, iu, im = np.unravel_index(np.arange(start, stop, dtype=np.int64), shape)
        power, pue = self.power[ip], self.pue[iq]
        columns: dict[str, np.ndarray] = {
            "power_w": power,
            "pue": pue,
            "utilization": self.utilization[iu],
            "mix": im,
        }
        for k, chip in enumerate(self.chips):
            columns[f"share_{chip}"] = self.mixes[im, k]
        counts = outputs["accelerators_by_chip"][:n]
        for k, chip in enumerate(self.chips):
            columns[f"accelerators_{chip}"] = counts[:, k]
        average = outputs["average_facility_power"][:n]
        columns |= {
            "accelerators": outputs["accelerators"][:n],
            "peak_flop_per_s": outputs["peak_flops"][:n],
            "delivered_flop_per_s": outputs["delivered_flops"][:n],
            "average_facility_power_w": average,
            "facility_power_w": chain.facility_power(power, pue, basis),
            "it_power_w": chain.it_power(power, pue, basis),
            "annual_energy_twh": chain.annual_energy(average) / JOULES_PER_TWH,
        }
        for grid_id, energy, _ in self.grids:
            columns[f"grid_share_energy_basis_{grid_id}"] = chain.grid_energy_share(
                average, energy
            )
        for grid_id, _, capacity in self.grids:
            if capacity is not None:
                share = chain.grid_capacity_share(columns["facility_power_w"], capacity)
                columns[f"grid_share_capacity_basis_{grid_id}"] = share
        return columns


@dataclass(frozen=True, eq=False)
class SweepPlan:
    """A checked sweep, ready to run: the kernels' inputs and what the result reports."""

    problem: SweepProblem
    spec: ReduceSpec
    backend: Backend
    chips: tuple[str, ...]
    profiles: ProfileSet
    known_grids: GridSet
    grids: tuple[Grid, ...]
    reference_flops: float
    objective: Objective | None
    constraints: tuple[Constraint | MixConstraint, ...]
    assumptions: tuple[str, ...]
    inputs: dict[str, Any]
    site: Site | None = None
    """The site region whose carbon and water intensities the emissions and water use."""

    @property
    def power(self) -> np.ndarray:
        return self.problem.power

    @property
    def pue(self) -> np.ndarray:
        return self.problem.pue

    @property
    def utilization(self) -> np.ndarray:
        return self.problem.utilization

    @property
    def mixes(self) -> np.ndarray:
        return self.problem.mixes


def plan_sweep(
    power: Any,
    *,
    chips: str | Sequence[str] | None = None,
    pue: Any = DEFAULTS.pue,
    utilization: Any = DEFAULTS.utilization,
    mixes: Sequence[str | Mapping[str, Any]] | str | np.ndarray | None = None,
    mix_step: float | None = None,
    mfu: Any = DEFAULTS.mfu,
    precision: str = DEFAULTS.precision,
    basis: str = DEFAULTS.basis,
    provision: str = DEFAULTS.provision,
    method: str = DEFAULTS.method,
    mix_basis: str = DEFAULTS.mix_basis,
    backend: str | Backend = DEFAULTS.backend,
    objective: str | None = None,
    constraints: Iterable[str] | str | None = None,
    bins: int = DEFAULTS.sweep_bins,
    grids: Iterable[str | Grid] | None = None,
    profiles: ProfileSet | str | Path | None = None,
    grid_set: GridSet | None = None,
    overrides: Mapping[str, Any] | None = None,
    sparsity: str = DEFAULTS.sparsity,
    region: str | None = None,
    cooling: str = DEFAULTS.cooling,
) -> SweepPlan:
    """Check a sweep's inputs and build what its kernels need; :func:`sweep`'s parameters.

    The benchmark suite times the kernels on a plan without the rest of :func:`sweep`.
    """
    check_options(basis=basis, provision=provision, precision=precision, method=method,
                  mix_basis=mix_basis, sparsity=sparsity)  # fmt: skip
    mfu_value = chain_input(mfu, "mfu")
    if np.ndim(mfu_value):
        raise InputError("mfu must be one number in a sweep")
    positive_int(bins, "bins", MAX_BINS)
    optional_text(objective, "objective")
    constraint_texts = text_list([constraints] if isinstance(constraints, str) else constraints,
                                 "constraints") or []  # fmt: skip

    power_axis = parse_power_axis(power)
    pue_axis = parse_axis(number_like(pue, "pue"), "pue", *RANGES["pue"])
    utilization_axis = parse_axis(
        number_like(utilization, "utilization"), "utilization", *RANGES["utilization"]
    )
    profiles = profile_set(profiles, overrides)
    chip_ids, mix_rows = _mix_table(_chip_list(chips, profiles), mixes, mix_step, profiles)
    fleet = build_fleet(chip_ids, profiles, method=method, provision=provision,
                        precision=precision, sparsity=sparsity)  # fmt: skip
    problem = SweepProblem(
        power=power_axis, pue=pue_axis, utilization=utilization_axis, mixes=mix_rows,
        mfu=mfu_value, it_basis=basis == "it", count_basis=mix_basis == "count",
        provisioned=fleet.provisioned, idle=fleet.idle, busy=fleet.busy,
        sizing=fleet.sizing, flops=fleet.flops,
    )  # fmt: skip
    with np.errstate(over="ignore", invalid="ignore"):
        _, upper = problem.quantity_ranges()
        check_finite_outputs(
            {
                **dict(zip(QUANTITIES, upper, strict=True)),
                "annual energy": upper[QUANTITIES.index("average_facility_power")]
                * SECONDS_PER_YEAR,
                "FLOP per year": upper[QUANTITIES.index("delivered_flops")] * SECONDS_PER_YEAR,
            },
            "sweep",
        )
    grid_references = known_grids(grid_set)
    selected = tuple(select_grids(grids, grid_references))
    reference = profiles[REFERENCE_CHIP]
    reference_peak = reference.peak_flops(precision, sparsity)
    reference_flops = reference_peak[0].si if reference_peak else 0.0

    place = site(region, grids=grids, grid_set=grid_references, cooling=cooling)
    goal = (
        None
        if objective is None
        else parse_objective(objective, grid_references, reference_flops, place, pue_axis)
    )
    parsed = [
        parse_constraint(text, grid_references, reference_flops, fleet.profiles, place, pue_axis)
        for text in constraint_texts
    ]
    point_constraints = [c for c in parsed if isinstance(c, Constraint)]
    mix_constraints = [c for c in parsed if isinstance(c, MixConstraint)]
    runner = resolve_backend(backend, "sweep", problem.points)
    return SweepPlan(
        problem=problem,
        spec=_reduce_spec(problem, bins, goal, point_constraints, mix_constraints, fleet.profiles),
        backend=runner,
        chips=tuple(chip_ids),
        profiles=profiles,
        known_grids=grid_references,
        grids=selected,
        reference_flops=reference_flops,
        objective=goal,
        constraints=tuple(parsed),
        assumptions=(
            *fleet_assumptions(fleet, method=method, precision=precision),
            *replaced_data_notes(selected, reference, chip_ids),
            *place.notes(),
        ),
        site=place,
        inputs={
            "chips": list(chip_ids),
            "basis": basis,
            "mfu": mfu_value,
            "precision": precision,
            "provision": provision,
            "method": method,
            "mix_basis": mix_basis,
            "sparsity": sparsity,
            "region": place.region,
            "cooling": cooling,
            "mix_step": mix_step,
            "backend_requested": backend if isinstance(backend, str) else runner.name,
        },
    )


def sweep(
    power: Any,
    *,
    chips: str | Sequence[str] | None = None,
    pue: Any = DEFAULTS.pue,
    utilization: Any = DEFAULTS.utilization,
    mixes: Sequence[str | Mapping[str, Any]] | str | np.ndarray | None = None,
    mix_step: float | None = None,
    mfu: Any = DEFAULTS.mfu,
    precision: str = DEFAULTS.precision,
    basis: str = DEFAULTS.basis,
    provision: str = DEFAULTS.provision,
    method: str = DEFAULTS.method,
    mix_basis: str = DEFAULTS.mix_basis,
    backend: str | Backend = DEFAULTS.backend,
    reduce: bool = False,
    reduction: str = "auto",
    objective: str | None = None,
    constraints: Iterable[str] | str | None = None,
    out: str | Path | None = None,
    chunk_points: int | None = None,
    bins: int = DEFAULTS.sweep_bins,
    quantiles: Sequence[float] = DEFAULTS.quantiles,
    grids: Iterable[str | Grid] | None = None,
    profiles: ProfileSet | str | Path | None = None,
    grid_set: GridSet | None = None,
    overrides: Mapping[str, Any] | None = None,
    memory_limit: Any = None,
    progress: Callable[[int, int], None] | None = None,
    sparsity: str = DEFAULTS.sparsity,
    region: str | None = None,
    cooling: str = DEFAULTS.cooling,
    scheduler: Any = None,
) -> SweepResult:
    """Evaluate the chain at every point of power × PUE × utilization × mix.

    Parameters
    ----------
    power : str, quantity or sequence
        One power or an axis of them: "30GW", "10GW,20GW", "10GW:30GW:5GW" (stop
        included), ``Quantity(np.array([10, 30]), "GW")``. [W]
    chips : str or sequence of str
        Profile ids or aliases ("h100,mi355x" or a list): the chips that ``mix_step``
        enumerates, or that ``mixes`` may name.
    pue, utilization : number, sequence, array or str
        Axes: "1.05:1.6:0.01" (start:stop:step, stop included), "1.1,1.2", arrays. [1]
    mixes : sequence of str or mapping, or array, optional
        Explicit mixes, each as in :func:`capacity.convert` ("h100=0.5,mi355x=0.5"), or an
        (M, K) array of shares (or M rows of K numbers), column k the share of the k-th of
        ``chips``, each row summing to 1: the fast form for many mixes.
    mix_step : float, optional
        Every mix of ``chips`` whose shares are multiples of ``mix_step`` (which must divide
        1): C(1/step + K − 1, K − 1) mixes, 1771 for K = 4 at 0.05.
    mfu, precision, basis, provision, method, mix_basis, grids, profiles, grid_set, overrides
        As in :func:`capacity.convert`; ``mfu`` is one number.
    sparsity : {"dense", "sparse"}
        As in :func:`capacity.convert`.
    backend : {"auto", "numpy", "numba", "cuda"}
        ``auto``: CUDA when a usable device is present, else numba on every CPU core.
        ``cuda`` without a usable device is an error. The result records which ran.
    region, cooling : optional
        The site region (default: the first of ``grids`` with site figures, else "us") and its
        cooling, for the ``emissions`` and ``water`` outputs, as in :func:`capacity.convert`.
    reduce : bool
        Keep no points, only the summary and the best point (any size of sweep).
    reduction : {"auto", "factorized", "enumerated"}
        How the points are reduced. ``factorized``: from the sweep's factorized form, without
        visiting the points, with exact quantiles; ``enumerated``: by the backend's kernels
        at every point, with quantiles from histograms. ``auto`` factorizes reduced sweeps
        unless the form would not fit in memory (then it enumerates, and says why), and
        enumerates the others, which compute every point anyway. The result's
        ``reduction`` and ``reduction_detail`` say which ran and why.
    objective : str, optional
        ``max-OUTPUT`` or ``min-OUTPUT``, e.g. "max-delivered-flops" (see
        :mod:`capacity.objectives` for the outputs).
    constraints : str or iterable of str, optional
        ``OUTPUT<=VALUE`` or ``OUTPUT>=VALUE``: "grid-share:global-datacenters<=0.3",
        "average-power<=20GW", "vendor-share<=0.6" (no vendor above 60 % of IT power),
        "chip-share:h100>=0.1".
    out : str or Path, optional
        Write every point to disk, one row per point, column names saying their unit and
        basis: a name ending in ``.parquet`` or ``.csv`` is one file, streamed and renamed
        into place when complete; a name without suffix is a folder holding a partitioned
        Parquet dataset, one file per chunk and a manifest written last
        (:mod:`capacity.dataset`; ``capacity summarize`` reads it back).
    chunk_points : int, optional
        Points per chunk (default: the backend's). Each chunk is computed and merged
        independently, in order; progress is reported per chunk. The same chunk size gives
        the same result to the last bit in one process and on any cluster.
    bins : int
        Histogram bins per output for enumerated quantiles (accurate to one bin,
        ``resolution``).
    quantiles : sequence of float
        Quantile levels reported in :meth:`SweepResult.to_dict` (P5, P50, P95 by default).
    memory_limit : int, float or str, optional
        Most bytes a materialized sweep may hold ("8 GiB"); default half the available
        memory. Larger sweeps are refused with their size and the alternatives.
    progress : callable, optional
        Called as ``progress(points_done, points_total)`` once before the first chunk (0
        done, the kernels compiled) and after each chunk: the calls time the chunks.
    scheduler : str or distributed.Client, optional
        Run the chunks on a Dask cluster (the ``[distributed]`` extra): a scheduler's
        address ("tcp://10.0.0.5:8786") or a ``Client``. Each chunk is a task; each worker
        runs its best backend for ``backend``; the result is the same as in one process
        (:mod:`capacity.distributed`). With ``out``, the workers write a dataset folder
        that they and this process share.

    Returns
    -------
    SweepResult

    Examples
    --------
    >>> result = sweep("30 GW", chips="h100", pue="1.1:1.5:0.1", utilization="0.5,1",
    ...                backend="numpy", reduce=True)
    >>> result.points, result.backend
    (10, 'numpy')
    >>> f"{result.summary['accelerators'].maximum:,.0f}"  # 30 GW / 1.1 / 1,415.25 W
    '19,270,608'
    """
    started = time.perf_counter()
    if chunk_points is not None:
        positive_int(chunk_points, "chunk_points", MAX_CHUNK_POINTS)
    levels = quantile_levels(quantiles)
    reduce = flag(reduce, "reduce")
    reduction = one_of(reduction, REDUCTIONS, "reduction")
    if out is not None:
        path_argument(out, "out")
    if memory_limit is not None:
        _memory_limit(memory_limit)
    callback(progress, "progress")
    scheduler = cluster_argument(scheduler)
    if reduce and out is not None:
        raise InputError("reduce keeps no points and out writes every point: choose one")
    as_dataset = out is not None and _is_dataset(out)
    if scheduler is not None and out is not None and not as_dataset:
        raise InputError(
            f"out: with a scheduler every worker writes its own chunks, so out is a dataset "
            f"folder (a name without .parquet, e.g. 'sweep'), not the file {str(out)!r}"
        )
    # On a cluster each worker resolves the backend for itself; here it is only checked.
    request = backend_request(backend) if scheduler is not None else None
    plan = plan_sweep(
        power, chips=chips, pue=pue, utilization=utilization, mixes=mixes, mix_step=mix_step,
        mfu=mfu, precision=precision, basis=basis, provision=provision, method=method,
        mix_basis=mix_basis, backend=NumpyBackend() if request is not None else backend,
        objective=objective, constraints=constraints, bins=bins, grids=grids,
        profiles=profiles, grid_set=grid_set, overrides=overrides, sparsity=sparsity,
        region=region, cooling=cooling,
    )  # fmt: skip
    problem, spec, runner = plan.problem, plan.spec, plan.backend
    points = problem.points
    if request is not None:
        plan.inputs["backend_requested"] = request if isinstance(request, str) else request.name
        chunk = chunk_points or resolve_backend("auto").default_chunk_points
    else:
        chunk = chunk_points or runner.default_chunk_points
    materialize = not reduce and out is None
    destination = None
    if materialize:
        _check_fits(points, problem.chips, _memory_limit(memory_limit))
    elif out is not None:
        columns = 4 + 2 * problem.chips + 8 + 2 * len(plan.grids)
        check = check_dataset_destination if as_dataset else check_destination
        destination = check(out, points * columns * 8.0)
    inputs = {**plan.inputs, "reduce": bool(reduce), "reduction_requested": reduction}
    chosen, detail = _choose_reduction(reduction, bool(reduce), plan)
    if request is not None and reduction == "auto" and chosen == "factorized":
        chosen, detail = (
            "enumerated",
            (
                "enumerated at every point, in chunks on the cluster (a scheduler was given); "
                "reduction='factorized' reduces here without visiting a point"
            ),
        )
    # A factorized reduced sweep visits no point, so it has no chunk for a cluster to run.
    factorized_here = chosen == "factorized" and bool(reduce)
    if factorized_here and request is not None:
        detail += "; in this process, since it visits no point (no chunk went to the cluster)"
    auto = (request if request is not None else backend) == "auto"

    with contextlib.ExitStack() as stack:
        writer = None
        if as_dataset and destination is not None:
            writer = stack.enter_context(dataset_writer(destination))
        parts: list[PartInfo] = []
        cluster = None
        if (request is None and writer is None) or factorized_here:
            run = _run_here(
                plan, runner, chunk, materialize, destination, inputs, progress,
                _Reduction(chosen, detail, auto, levels),
            )  # fmt: skip
            total, data, compute_seconds, summaries, detail = run
            backend_name, backend_detail = runner.name, runner.detail
        else:
            job = _ChunkJob(
                problem=problem, spec=spec, backend=runner if request is None else request,
                mode="write" if writer is not None else "keep" if materialize else "reduce",
                columns=_ColumnPlan.of(plan),
                staging=None if writer is None else str(writer.staging),
                enumerate=chosen != "factorized",
            )  # fmt: skip
            total, data, parts, cluster, compute_seconds = _run_tasks(
                job, chunk, materialize, scheduler, progress
            )
            backend_name = runner.name if cluster is None else cluster.backend
            backend_detail = runner.detail if cluster is None else cluster.detail
            factorized = None
            if chosen == "factorized":  # the points are kept or written; the statistics exact
                implementation, how = _factorized_implementation(problem, backend_name, auto)
                factorized = reduce_factorized(problem, spec, implementation)
                total = factorized.partial
                detail += f"{how}; rows: {factorized.grouping}"
            summaries = _summaries(plan, total, factorized)
            for summary in summaries.values():
                summary.quantiles(levels)
        # Before a dataset is committed: an overflow leaves no dataset behind.
        check_finite_outputs(
            {name: (s.minimum, s.maximum, s.mean) for name, s in summaries.items()}, "sweep"
        )
        best = None
        if plan.objective is not None and total.best_index >= 0:
            best = _best_point(plan, plan.objective, total)
        result = SweepResult(
            backend=backend_name,
            backend_detail=backend_detail,
            chips=plan.chips,
            power=problem.power,
            pue=problem.pue,
            utilization=problem.utilization,
            mixes=problem.mixes,
            inputs=inputs,
            summary=summaries,
            feasible_points=total.feasible,
            unmet=tuple(_unmet(plan, total)),
            best=best,
            objective=None if plan.objective is None else plan.objective.text,
            constraints=tuple(c.text for c in plan.constraints),
            grids=plan.grids,
            assumptions=plan.assumptions,
            seconds=time.perf_counter() - started,
            compute_seconds=compute_seconds,
            quantile_levels=levels,
            data=data,
            out=destination,
            reduction=chosen,
            reduction_detail=detail,
            cluster=None if cluster is None else cluster.to_dict(),
            point_bounds=tuple(
                (c.measure.quantity, *c.quantity_bounds)
                for c in plan.constraints
                if isinstance(c, Constraint)
            ),
            feasible_mix=spec.feasible_mix.astype(bool),
        )
        if writer is not None:
            writer.commit(parts, _manifest(result, chunk))
    return result


def _is_dataset(out: str | Path) -> bool:
    """Whether ``out`` names a dataset folder rather than one Parquet or CSV file."""
    path = Path(out).expanduser()
    if path.suffix.lower() in STREAMED_SUFFIXES:
        return False
    if path.suffix:
        raise InputError(
            f"out: {str(out)!r} must end in .parquet or .csv (one file) or have no suffix (a "
            "folder holding a Parquet dataset, one file per chunk): pandas.read_parquet, "
            "polars, DuckDB and R's arrow read both"
        )
    return True


@dataclass(frozen=True)
class _Reduction:
    """How a sweep in this process reduces: ``chosen`` (``factorized`` or ``enumerated``),
    why in words, whether the backend was ``auto``, and the quantile levels to find."""

    chosen: str
    detail: str
    auto: bool
    levels: tuple[float, ...]


def _factorized_implementation(
    problem: SweepProblem, backend_name: str, auto: bool
) -> tuple[str, str]:
    """``numpy`` or ``numba`` for the factorized reduction (it runs on the CPU; see
    :func:`choose_implementation`), compiled or loaded now, and how and why in words."""
    implementation, why = choose_implementation(problem, backend_name, auto)
    warm_up(implementation)
    return implementation, f", in {implementation} on the CPU ({why})"


def _run_here(
    plan: SweepPlan, runner: Backend, chunk: int, materialize: bool, destination: Path | None,
    inputs: Mapping[str, Any], progress: Callable[[int, int], None] | None,
    reduction: _Reduction,
) -> tuple[Partial, dict[str, np.ndarray] | None, float, dict[str, Any], str]:  # fmt: skip
    """The chunks in this process: merged partial, the points kept (materialized sweeps),
    the seconds the work took, the summaries and the reduction's detail. With
    ``destination``, every point streams to it. A factorized reduced sweep visits no point."""
    problem, spec = plan.problem, plan.spec
    enumerated, detail, auto = reduction.chosen == "enumerated", reduction.detail, reduction.auto
    reduce = not materialize and destination is None
    points = problem.points
    data = output_buffers(points, problem.chips) if materialize else None
    total = Partial.empty(spec.bins)
    factorized = None
    implementation = ""
    # An empty chunk compiles (or loads) the kernels, so compute_seconds times only the work.
    if enumerated:
        runner.reduce(problem, spec, 0, 0)
    else:
        implementation, how = _factorized_implementation(problem, runner.name, auto)
        detail += how
    if destination is not None or materialize:
        runner.materialize(problem, 0, 0, output_buffers(0, problem.chips))
    loop_started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        sink = buffers = None
        if destination is not None:
            metadata = {
                "inputs": inputs, "backend": runner.name, "assumptions": list(plan.assumptions),
                "grids": [g.id for g in plan.grids],
                "units": {name: column_unit(name) for name in point_columns(
                    plan, 0, 0, output_buffers(0, problem.chips))},
            }  # fmt: skip
            # Closed before the rename on success, and before the removal on any exception.
            kind = CsvSink if destination.suffix.lower() in CSV_SUFFIXES else ParquetSink
            sink = kind(stack.enter_context(atomic_destination(destination)), metadata)
            stack.callback(sink.close)
            buffers = output_buffers(min(chunk, points), problem.chips)
        if progress is not None:
            progress(0, points)
        if not enumerated:
            factorized = reduce_factorized(problem, spec, implementation)
            total = factorized.partial
            detail += f"; rows: {factorized.grouping}"
        columns = _ColumnPlan.of(plan)
        # A factorized reduced sweep visits no point; the others compute every point.
        visited = chunk_ranges(points, chunk) if enumerated or not reduce else []
        for start, stop in visited:
            if data is not None:
                views = {name: data[name][start:stop] for name in OUTPUTS}
                runner.materialize(problem, start, stop, views)
            elif sink is not None and buffers is not None:
                runner.materialize(problem, start, stop, buffers)
                sink.write(columns.columns(start, stop, buffers))
            if enumerated:
                total = total.merge(runner.reduce(problem, spec, start, stop))
            if progress is not None:
                progress(stop, points)
        if not enumerated and reduce and progress is not None:
            progress(points, points)
        # Before a streamed file is committed: an overflow leaves no file behind.
        summaries = _summaries(plan, total, factorized)
        for summary in summaries.values():
            summary.quantiles(reduction.levels)  # exact ones found (and kept) now: the work
        check_finite_outputs(
            {name: (s.minimum, s.maximum, s.mean) for name, s in summaries.items()}, "sweep"
        )
    return total, data, time.perf_counter() - loop_started, summaries, detail


@dataclass(frozen=True, eq=False)
class _ChunkJob:
    """Everything a chunk's task needs, wherever it runs: ``mode`` "reduce" returns the
    chunk's partial, "keep" also its points, "write" also writes them as a dataset part
    into ``staging``. ``enumerate`` False leaves the partial empty (the statistics are
    factorized, from no point)."""

    problem: SweepProblem
    spec: ReduceSpec
    backend: str | Backend
    mode: str
    columns: _ColumnPlan
    staging: str | None = None
    enumerate: bool = True


def _chunk_task(
    job: _ChunkJob, start: int, stop: int, index: int
) -> tuple[tuple[Partial, Any], tuple[str, str]]:
    """One chunk, on a worker or here: its partial and what ``job.mode`` adds (the points,
    or the part written), and the backend that ran it."""
    runner = kernel_backend(job.backend)
    problem = job.problem
    extra: Any = None
    with kernel_turn():
        if job.enumerate:
            partial = runner.reduce(problem, job.spec, start, stop)
        else:
            partial = Partial.empty(job.spec.bins)
        if job.mode != "reduce":
            buffers = output_buffers(stop - start, problem.chips)
            runner.materialize(problem, start, stop, buffers)
            extra = buffers
            if job.mode == "write" and job.staging is not None:
                columns = job.columns.columns(start, stop, buffers)
                extra = write_part(job.staging, index, start, columns)
    return (partial, extra), (runner.name, runner.detail)


def _run_tasks(
    job: _ChunkJob, chunk: int, materialize: bool, scheduler: Any,
    progress: Callable[[int, int], None] | None,
) -> tuple[Partial, dict[str, np.ndarray] | None, list[PartInfo], Any, float]:  # fmt: skip
    """The chunks as tasks: on the cluster of ``scheduler``, or one by one here (a dataset
    written in this process). Results merge in chunk order either way."""
    problem = job.problem
    points = problem.points
    ranges = chunk_ranges(points, chunk)
    data = output_buffers(points, problem.chips) if materialize else None
    parts: list[PartInfo] = []
    total = Partial.empty(job.spec.bins)

    def consume(index: int, result: tuple[Partial, Any]) -> None:
        nonlocal total
        partial, extra = result
        start, stop = ranges[index]
        if data is not None:
            for name in OUTPUTS:
                data[name][start:stop] = extra[name]
        elif isinstance(extra, PartInfo):
            parts.append(extra)
        total = total.merge(partial)
        if progress is not None:
            progress(stop, points)

    cluster = None
    loop_started = time.perf_counter()
    if progress is not None:
        progress(0, points)
    if scheduler is None:
        for index, (start, stop) in enumerate(ranges):
            consume(index, _chunk_task(job, start, stop, index)[0])
    else:
        with connected(scheduler) as client:
            cluster = run_chunks(client, _chunk_task, job, ranges, consume)
    return total, data, parts, cluster, time.perf_counter() - loop_started


def _manifest(result: SweepResult, chunk: int) -> dict[str, Any]:
    """A dataset's manifest: what the sweep was, where it ran and what it found."""
    from capacity import __version__

    names = point_columns(result, 0, 0, output_buffers(0, len(result.chips)))
    units = {name: column_unit(name) for name in names}
    return {
        "capacity": __version__,
        "points": result.points,
        "chunk_points": chunk,
        "shape": list(result.shape),
        "chips": list(result.chips),
        "columns": list(units),
        "units": units,
        "sweep": result.to_dict(),
    }


def _choose_reduction(requested: str, reduce: bool, plan: SweepPlan) -> tuple[str, str]:
    """The reduction that runs (``factorized`` or ``enumerated``), and why, in words."""
    if requested == "enumerated":
        return "enumerated", "enumerated at every point, as asked (reduction='enumerated')"
    if requested == "auto" and not reduce:
        return "enumerated", (
            "enumerated at every point, which this sweep computes anyway (kept or written); "
            "reduction='factorized' gives exact quantiles"
        )
    try:
        check_size(plan.problem)
    except NotFactorizable as reason:
        if requested == "factorized":
            raise InputError(
                f"reduction='factorized' cannot run: {reason}; use reduction='auto' or "
                "'enumerated', or fewer values on the axes"
            ) from None
        return "enumerated", f"enumerated at every point: {reason}"
    return "factorized", "factorized (rows × pairs, exact; no point visited)"


def _unmet(plan: SweepPlan, total: Partial) -> list[str]:
    """Each constraint that no point meets by itself, with the range the sweep covers."""
    reasons = []
    for constraint in plan.constraints:
        if isinstance(constraint, MixConstraint):
            chips = [plan.profiles[chip] for chip in plan.chips]
            if not np.any(constraint.feasible(plan.problem, chips)):
                reasons.append(f"{constraint.text}: no mix of the sweep meets it")
            continue
        quantity, factor = constraint.measure.quantity, constraint.measure.factor
        low, high = total.minimum[quantity] * factor, total.maximum[quantity] * factor
        if high < constraint.lower or low > constraint.upper:
            reasons.append(
                f"{constraint.text}: {constraint.measure.name} ranges over {low:.4g} to "
                f"{high:.4g} {constraint.measure.unit}".rstrip()
            )
    return reasons


def _summaries(
    plan: SweepPlan, total: Partial, factorized: FactorizedReduction | None = None
) -> dict[str, OutputSummary]:
    names = [n for n in SUMMARY_OUTPUTS if n != "h100-equivalents" or plan.reference_flops]
    names += [f"grid-share:{g.id}" for g in plan.grids]
    names += [f"grid-capacity-share:{g.id}" for g in plan.grids if g.capacity is not None]
    summaries = {}
    for name in names:
        try:
            output = measure(name, plan.known_grids, plan.reference_flops, plan.site,
                             plan.problem.pue)  # fmt: skip
        except InputError:
            if name in ("emissions", "water"):  # no intensity, or water over several PUEs
                continue
            raise
        distribution = None if factorized is None else factorized.distributions[output.quantity]
        summaries[name] = summarize(name, output.unit, output.quantity, output.factor, total,
                                    plan.spec, distribution)  # fmt: skip
    return summaries


def _best_point(plan: SweepPlan, goal: Objective, total: Partial) -> BestPoint:
    problem = plan.problem
    ip, iq, iu, im = problem.unravel(total.best_index)
    mix = {c: float(s) for c, s in zip(plan.chips, problem.mixes[im], strict=True)}
    power = ureg.Quantity(float(problem.power[ip]), "W")
    options = {k: plan.inputs[k] for k in ("basis", "provision", "precision", "method",
                                            "mix_basis", "mfu", "sparsity")}  # fmt: skip
    if plan.site is not None:  # the sweep's site, whose emissions and water it measured
        options |= {"region": plan.site.region, "cooling": plan.site.cooling}
    conversion = convert(
        power, mix={c: s for c, s in mix.items() if s > 0}, pue=float(problem.pue[iq]),
        utilization=float(problem.utilization[iu]), grids=list(plan.grids),
        profiles=plan.profiles, grid_set=plan.known_grids, **options,
    )  # fmt: skip
    return BestPoint(
        objective=goal.text,
        value=goal.sign * total.best_value * goal.measure.factor,
        unit=goal.measure.unit,
        index=total.best_index,
        power=power,
        pue=float(problem.pue[iq]),
        utilization=float(problem.utilization[iu]),
        mix=mix,
        conversion=conversion,
    )
