"""The public conversion: a power (or a number of accelerators) to capacity, with units.

:func:`convert` goes from power to accelerators, :func:`convert_accelerators` from
accelerators to power; both return a :class:`Conversion`. They check every input at the
boundary, look the chips up in the hardware profiles, and compute through the plain
functions of :mod:`capacity.chain`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pint

from capacity import chain
from capacity.checks import describe, number_like, one_of, optional_text
from capacity.defaults import BASES, DEFAULTS, METHODS, MIX_BASES, PROVISIONS, RANGES
from capacity.environment import Environment, Site, environment, site
from capacity.errors import InputError, UnitError
from capacity.fleet import build_fleet, fleet_assumptions, replaced_data_notes
from capacity.grids import Grid, GridSet, known_grids, select_grids
from capacity.inputs import bounded_number, check_finite_outputs
from capacity.profiles import PRECISIONS, SPARSITIES, ProfileSet, profile_set
from capacity.tables import plain
from capacity.units import magnitude_in, parse_count, quantity, to_si, units_of

__all__ = [
    "BASES",
    "METHODS",
    "MIX_BASES",
    "PROVISIONS",
    "REFERENCE_CHIP",
    "Conversion",
    "GridShare",
    "convert",
    "convert_accelerators",
    "exceeds_grid",
    "grid_share_warning",
    "parse_mix",
]

# Epoch AI's unit of compute: H100-equivalents at the same precision.
REFERENCE_CHIP = "h100-sxm"
# Shares typed by hand ("0.33,0.33,0.34") sum to 1 only to a few digits.
MIX_SUM_TOLERANCE = 1e-6
# A grid share above this is more than the whole grid: flagged wherever it is given.
WHOLE_GRID = 1.0
# What a share above the whole grid means, by the basis of the share.
_BEYOND_THE_GRID = {
    "energy": "the fleet's average draw would exceed the grid's average load",
    "capacity": "the fleet's facility power would exceed the grid's whole capacity",
    "full_draw": "the fleet's facility power at full draw would exceed the grid's average load",
}


def exceeds_grid(share: Any) -> bool:
    """Whether a grid share (a fraction, an array of them or a quantity) is above 1
    anywhere: the fleet would draw more than the whole grid."""
    if isinstance(share, pint.Quantity):
        share = magnitude_in(share, "")
    return bool(np.any(np.asarray(share, dtype=np.float64) > WHOLE_GRID))


def grid_share_warning(grid_id: str, basis: str, share: Any, where: str = "") -> str | None:
    """The note for a grid share above 100 % (None for one at or below it).

    Parameters
    ----------
    grid_id : str
        The grid.
    basis : {"energy", "capacity", "full_draw"}
        The share's basis.
    share : float, array or quantity
        The share(s); the note quotes the largest. [1]
    where : str
        Where the share is that large, for a sweep or a Monte Carlo run ("at some points").
    """
    if not exceeds_grid(share):
        return None
    magnitude = magnitude_in(share, "") if isinstance(share, pint.Quantity) else share
    largest = float(np.max(np.asarray(magnitude, dtype=np.float64)))
    up_to = "up to " if np.size(magnitude) > 1 or where else ""
    basis_label = basis.replace("_", "-")
    return (
        f"grid share of {grid_id} ({basis_label} basis) is {up_to}{_percent(largest)}{where}, "
        f"above 100 %: {_BEYOND_THE_GRID[basis]}"
    )


def _percent(fraction: float) -> str:
    percent = fraction * 100
    return f"{percent:,.0f} %" if percent >= 1000 else f"{percent:.3g} %"


@dataclass(frozen=True)
class GridShare:
    """Share of one reference grid taken by the converted capacity."""

    energy: pint.Quantity
    """Average facility draw over the grid's average load (annual energy ÷ 1 year)."""
    capacity: pint.Quantity | None
    """Facility power over the grid's capacity; None where the grid has no capacity figure."""

    @property
    def exceeds_grid(self) -> bool:
        """Whether either share is above 1: the fleet would draw more than the whole grid."""
        return exceeds_grid(self.energy) or (
            self.capacity is not None and exceeds_grid(self.capacity)
        )

    def warnings(self, grid_id: str, where: str = "") -> list[str]:
        """A note for each basis whose share is above 100 %."""
        shares = {"energy": self.energy, "capacity": self.capacity}
        notes = [
            grid_share_warning(grid_id, basis, share, where)
            for basis, share in shares.items()
            if share is not None
        ]
        return [note for note in notes if note is not None]

    def to_dict(self) -> dict[str, Any]:
        """Both shares as fractions, and whether either is above the whole grid."""
        return {
            "energy": _si(self.energy, ""),
            "capacity": None if self.capacity is None else _si(self.capacity, ""),
            "exceeds_grid": self.exceeds_grid,
        }


@dataclass(frozen=True)
class Conversion:
    """What a power or a fleet of accelerators amounts to. Every number is a pint quantity.

    Per-chip mappings are keyed by profile id. Counts are real numbers; round them down only
    for presentation (:func:`capacity.units.format_count`).
    """

    inputs: Mapping[str, Any]
    chips: tuple[str, ...]
    mix: Mapping[str, Any]
    accelerators: pint.Quantity
    accelerators_by_chip: Mapping[str, pint.Quantity]
    systems_by_chip: Mapping[str, pint.Quantity]
    power_per_accelerator: Mapping[str, pint.Quantity]
    """Provisioned IT power per accelerator, W_k."""
    it_power: pint.Quantity
    facility_power: pint.Quantity
    average_facility_power: pint.Quantity
    average_facility_power_by_chip: Mapping[str, pint.Quantity]
    annual_energy: pint.Quantity
    peak_flops: pint.Quantity
    peak_flops_by_chip: Mapping[str, pint.Quantity]
    delivered_flops: pint.Quantity
    flop_per_year: pint.Quantity
    h100_equivalents: pint.Quantity
    precision_by_chip: Mapping[str, str | None]
    grid_share: Mapping[str, GridShare]
    assumptions: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    """Grid shares above 100 %: the fleet would draw more than the whole grid."""
    dies_by_chip: Mapping[str, pint.Quantity] = field(default_factory=dict)
    """Compute dies of each chip's fleet: packages × dies per package."""
    site: Site | None = None
    """The site region: its price, carbon and water intensities and the site's WUE."""
    environment: Environment | None = None
    """Annual emissions and water at the site."""

    @property
    def dies(self) -> pint.Quantity:
        """Compute dies of the whole fleet."""
        return quantity(sum(q.magnitude for q in self.dies_by_chip.values()), "")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of SI numbers whose keys name their unit (``--format json``)."""
        return {
            "inputs": plain(dict(self.inputs)),
            "accelerators": _si(self.accelerators, ""),
            "accelerators_by_chip": {k: _si(v, "") for k, v in self.accelerators_by_chip.items()},
            "systems_by_chip": {k: _si(v, "") for k, v in self.systems_by_chip.items()},
            "it_power_w": _si(self.it_power, "W"),
            "facility_power_w": _si(self.facility_power, "W"),
            "average_facility_power_w": _si(self.average_facility_power, "W"),
            "annual_energy_twh": _si(self.annual_energy, "TWh"),
            "peak_flop_per_s": _si(self.peak_flops, "FLOP/s"),
            "delivered_flop_per_s": _si(self.delivered_flops, "FLOP/s"),
            "flop_per_year": _si(self.flop_per_year, "FLOP"),
            "h100_equivalents": _si(self.h100_equivalents, ""),
            "dies": _si(self.dies, "") if self.dies_by_chip else None,
            "dies_by_chip": {k: _si(v, "") for k, v in self.dies_by_chip.items()},
            "grid_share": {grid_id: share.to_dict() for grid_id, share in self.grid_share.items()},
            "site": None if self.site is None else self.site.to_dict(),
            "environment": None if self.environment is None else self.environment.to_dict(),
            "assumptions": list(self.assumptions),
            "warnings": list(self.warnings),
        }

    def to_dataframe(self, wide: bool = False) -> Any:
        """The outputs as a pandas DataFrame.

        Tidy by default: one row per entity (the total, each chip) and output, with ``value``
        and ``unit`` columns (and ``point`` for a conversion of arrays). ``wide``: one row
        per entity (and point), one column per output, whose name says its unit
        (``it_power_w``) and, for a grid share, its basis (``grid_share_energy_basis_us``);
        the units are also in ``DataFrame.attrs["units"]``.
        """
        from capacity.tables import document_rows, frame, wide_frame

        rows = document_rows(self.to_dict())
        if wide:
            keys = ("entity", "point") if any("point" in row for row in rows) else ("entity",)
            return wide_frame(rows, keys)
        return frame(rows)

    def plot(self, **options: Any) -> Any:
        """The chain from facility power to delivered FLOP/s, step by step, as a matplotlib
        figure (:func:`capacity.plots.plot_conversion`)."""
        from capacity.plots import plot_conversion

        return plot_conversion(self, **options)

    def _repr_html_(self) -> str:
        from capacity.report import notebook_html

        return notebook_html(self)


def _si(value: pint.Quantity, unit: str) -> Any:
    return plain(magnitude_in(value, unit))


def parse_mix(mix: str | Mapping[str, Any]) -> dict[str, Any]:
    """A mix from ``"gb300=0.5,mi355x=0.3,openai-broadcom-xpu=0.2"`` or a mapping."""
    if isinstance(mix, Mapping):
        return dict(mix)
    if not isinstance(mix, str):
        raise InputError(f"mix must be 'ID=SHARE,...' or a mapping of chip → share, got {mix!r}")
    parsed: dict[str, Any] = {}
    for item in (part.strip() for part in mix.split(",")):
        chip, equals, share = item.partition("=")
        if not equals or not chip.strip() or not share.strip():
            raise InputError(f"mix entry {item!r} must be ID=SHARE, e.g. gb300=0.5")
        if chip.strip() in parsed:
            raise InputError(f"mix names {chip.strip()!r} twice")
        parsed[chip.strip()] = share.strip()
    return parsed


def resolve_mix(chip: str | None, mix: Any, profiles: ProfileSet) -> dict[str, Any]:
    """Profile id → validated share(s) for one chip or a mix; the shares must sum to 1."""
    optional_text(chip, "chip")
    if chip is not None and mix is not None:
        raise InputError("give either chip or mix, not both")
    if chip is None and mix is None:
        raise InputError(f"give a chip or a mix; known chips: {', '.join(profiles)}")
    raw = {chip: 1.0} if chip is not None else parse_mix(mix)
    if not raw:
        raise InputError("the mix is empty")
    shares: dict[str, Any] = {}
    for name, share in raw.items():
        profile_id = profiles.resolve(name)
        if profile_id in shares:
            raise InputError(f"mix names {profile_id!r} twice (as {name!r} and another alias)")
        label = f"mix share of {name}"
        shares[profile_id] = bounded_number(number_like(share, label), label, 0.0, 1.0)
    total = sum(np.asarray(s) for s in shares.values())
    if np.any(np.abs(np.asarray(total) - 1.0) > MIX_SUM_TOLERANCE):
        got = np.asarray(total).flat[int(np.argmax(np.abs(np.asarray(total) - 1.0)))]
        listing = ", ".join(f"{k}={v}" for k, v in raw.items())
        raise InputError(f"mix shares must sum to 1, got {got:g} ({listing})")
    return shares


def _share_warnings(grid_fractions: Mapping[str, Mapping[str, Any]]) -> tuple[str, ...]:
    """:meth:`GridShare.warnings` of each grid, from its shares as plain fractions (no unit
    conversion for each check)."""
    notes = (
        grid_share_warning(grid_id, basis, share)
        for grid_id, fractions in grid_fractions.items()
        for basis, share in fractions.items()
        if share is not None
    )
    return tuple(note for note in notes if note is not None)


def _full(values: Any, shape: tuple[int, ...]) -> Any:
    """``values`` broadcast to ``shape`` as a new array (as is where it already has that
    shape: a fresh result of the chain)."""
    if isinstance(values, np.ndarray) and values.shape == shape:
        return values
    return values * np.ones(shape)


def _quantity_map(chips: tuple[str, ...], values: np.ndarray, unit: str) -> dict[str, Any]:
    return {chip: quantity(values[..., i], unit) for i, chip in enumerate(chips)}


def check_options(
    *,
    basis: str,
    provision: str,
    precision: str,
    method: str,
    mix_basis: str,
    sparsity: str = DEFAULTS.sparsity,
) -> None:
    """Each named option is one of its choices, and method and provision go together."""
    one_of(sparsity, SPARSITIES, "sparsity")
    one_of(basis, BASES, "basis")
    one_of(provision, PROVISIONS, "provision")
    one_of(method, METHODS, "method")
    one_of(mix_basis, MIX_BASES, "mix_basis")
    one_of(precision, PRECISIONS, "precision")
    if method == "epoch" and provision != "nameplate":
        raise InputError("method='epoch' sizes for nameplate power; use provision='nameplate'")


def _common_inputs(
    *, pue: Any, utilization: Any, mfu: Any, basis: str, provision: str, precision: str,
    method: str, mix_basis: str, sparsity: str,
) -> tuple[Any, Any, Any]:  # fmt: skip
    check_options(basis=basis, provision=provision, precision=precision, method=method,
                  mix_basis=mix_basis, sparsity=sparsity)  # fmt: skip
    return (
        chain_input(pue, "pue"),
        chain_input(utilization, "utilization"),
        chain_input(mfu, "mfu"),
    )


def chain_input(value: Any, name: str) -> Any:
    """``pue``, ``utilization`` or ``mfu`` as a float or float64 array within its range
    (:data:`capacity.defaults.RANGES`)."""
    return bounded_number(number_like(value, name), name, *RANGES[name])


def broadcast_shape(arrays: Mapping[str, Any]) -> tuple[int, ...]:
    """The shape that the named inputs broadcast to, or an error naming them and theirs."""
    shapes = {name: np.shape(value) for name, value in arrays.items()}
    try:
        return np.broadcast_shapes(*shapes.values())
    except ValueError:
        listing = ", ".join(f"{name} {shape}" for name, shape in shapes.items() if shape)
        raise InputError(
            f"the array inputs have shapes that do not broadcast together ({listing}); give "
            "arrays of one shape, or shapes that NumPy broadcasts, such as (3, 1) and (4,)"
        ) from None


def _run(
    *, power_w: Any, total: Any, chip: str | None, mix: Any, pue: Any, utilization: Any,
    mfu: Any, basis: str, provision: str, precision: str, method: str, mix_basis: str,
    grids: Iterable[str | Grid] | None, profiles: ProfileSet | str | Path | None,
    grid_set: GridSet | None, overrides: Mapping[str, Any] | None, sparsity: str,
    region: str | Grid | None, cooling: str, wue: Any,
) -> Conversion:  # fmt: skip
    pue, utilization, mfu = _common_inputs(
        pue=pue, utilization=utilization, mfu=mfu, basis=basis, provision=provision,
        precision=precision, method=method, mix_basis=mix_basis, sparsity=sparsity,
    )  # fmt: skip
    known = known_grids(grid_set)
    place = site(region, grids=grids, grid_set=known, cooling=cooling, wue=wue)
    profiles = profile_set(profiles, overrides)
    shares = resolve_mix(chip, mix, profiles)
    driver = power_w if power_w is not None else total
    shape = broadcast_shape({
        "power" if power_w is not None else "count": driver, "pue": pue,
        "utilization": utilization, "mfu": mfu,
        **{f"mix share of {chip}": share for chip, share in shares.items()},
    })  # fmt: skip
    fleet = build_fleet(shares, profiles, method=method, provision=provision, precision=precision,
                        sparsity=sparsity)  # fmt: skip
    mix_shares = np.stack([np.broadcast_to(s, shape) for s in shares.values()], axis=-1)
    mix_shares = mix_shares.astype(np.float64, copy=False)
    chips = fleet.chips
    selected = select_grids(grids, known)

    # Overflow is refused by check_finite_outputs below, with the reason.
    with np.errstate(over="ignore", invalid="ignore"):
        if power_w is not None:
            it_power = _full(chain.it_power(power_w, pue, basis), shape)
            facility = _full(chain.facility_power(power_w, pue, basis), shape)
            counts = chain.accelerator_counts(it_power, mix_shares, fleet.sizing, mix_basis)
        else:
            counts = chain.accelerator_counts_for_total(total, mix_shares, fleet.sizing, mix_basis)
            it_power = _full(chain.it_power_for_counts(counts, fleet.sizing), shape)
            facility = it_power * pue
        u = np.asarray(utilization)[..., np.newaxis]
        average = chain.average_power(fleet.provisioned, fleet.idle, fleet.busy, u)
        average_by_chip = chain.average_facility_power(counts, average, pue)
        average_total = np.sum(average_by_chip, axis=-1)
        peak_by_chip = chain.peak_flops(counts, fleet.flops)
        peak = np.sum(peak_by_chip, axis=-1)
        delivered = chain.delivered_flops(peak, utilization, mfu)
        reference = profiles[REFERENCE_CHIP]
        reference_peak = reference.peak_flops(precision, sparsity)
        h100e = peak / reference_peak[0].si if reference_peak else peak * np.nan

        # Each grid's shares as fractions, energy basis then capacity basis (None: no figure).
        grid_fractions = {
            grid.id: {
                "energy": chain.grid_energy_share(average_total, grid.energy.si),
                "capacity": None
                if grid.capacity is None
                else chain.grid_capacity_share(facility, grid.capacity.si),
            }
            for grid in selected
        }
        shares_out = {
            grid_id: GridShare(
                energy=quantity(fractions["energy"], ""),
                capacity=None
                if fractions["capacity"] is None
                else quantity(fractions["capacity"], ""),
            )
            for grid_id, fractions in grid_fractions.items()
        }
        flop_per_year = chain.yearly_amount(delivered)
        annual_energy_j = chain.annual_energy(average_total)
        check_finite_outputs(
            {
                "accelerators": counts, "IT power": it_power, "facility power": facility,
                "average facility power": average_by_chip, "peak FLOP/s": peak_by_chip,
                "FLOP per year": flop_per_year,
                "annual energy": annual_energy_j,
            },
            "convert",
        )  # fmt: skip
    inputs: dict[str, Any] = {}
    if power_w is not None:
        inputs["power_w"] = power_w
        inputs["basis"] = basis
    else:
        inputs["accelerators"] = total
    inputs |= {
        "chips": list(chips),
        "mix": {c: s for c, s in zip(chips, shares.values(), strict=True)},
        "mix_basis": mix_basis,
        "pue": pue,
        "utilization": utilization,
        "mfu": mfu,
        "provision": provision,
        "precision": precision,
        "method": method,
        "sparsity": sparsity,
        "region": place.region,
        "cooling": cooling,
        "grids": [g.id for g in selected],
    }
    return Conversion(
        inputs=inputs,
        chips=chips,
        mix=dict(inputs["mix"]),
        accelerators=quantity(np.sum(counts, axis=-1), ""),
        accelerators_by_chip=_quantity_map(chips, counts, ""),
        systems_by_chip=_quantity_map(chips, counts / fleet.per_system, ""),
        power_per_accelerator=_quantity_map(chips, fleet.provisioned, "W"),
        it_power=quantity(it_power, "W"),
        facility_power=quantity(facility, "W"),
        average_facility_power=quantity(average_total, "W"),
        average_facility_power_by_chip=_quantity_map(chips, average_by_chip, "W"),
        annual_energy=quantity(annual_energy_j, "J").to(units_of("TWh")),
        peak_flops=quantity(peak, "FLOP/s"),
        peak_flops_by_chip=_quantity_map(chips, peak_by_chip, "FLOP/s"),
        delivered_flops=quantity(delivered, "FLOP/s"),
        flop_per_year=quantity(flop_per_year, "FLOP"),
        h100_equivalents=quantity(h100e, ""),
        precision_by_chip=dict(zip(chips, fleet.precision_used, strict=True)),
        grid_share=shares_out,
        assumptions=(
            *fleet_assumptions(fleet, method=method, precision=precision),
            *replaced_data_notes(selected, reference, chips),
            *place.notes(),
        ),
        warnings=_share_warnings(grid_fractions),
        dies_by_chip=_quantity_map(chips, counts * fleet.dies, ""),
        site=place,
        environment=environment(annual_energy_j, pue, place),
    )


def convert(
    power: Any,
    *,
    chip: str | None = None,
    mix: str | Mapping[str, Any] | None = None,
    pue: Any = DEFAULTS.pue,
    utilization: Any = DEFAULTS.utilization,
    mfu: Any = DEFAULTS.mfu,
    basis: str = DEFAULTS.basis,
    provision: str = DEFAULTS.provision,
    precision: str = DEFAULTS.precision,
    method: str = DEFAULTS.method,
    mix_basis: str = DEFAULTS.mix_basis,
    grids: Iterable[str | Grid] | None = None,
    profiles: ProfileSet | str | Path | None = None,
    grid_set: GridSet | None = None,
    overrides: Mapping[str, Any] | None = None,
    sparsity: str = DEFAULTS.sparsity,
    region: str | Grid | None = None,
    cooling: str = DEFAULTS.cooling,
    wue: Any = None,
) -> Conversion:
    """Convert a power figure into accelerators, FLOP/s, energy, grid share, emissions and
    water.

    Parameters
    ----------
    power : str or pint.Quantity
        The power being converted ("30 GW", ``Quantity(np.array([1, 10]), "GW")``). [W]
    chip : str, optional
        One accelerator's profile id or alias ("h100", "gb300"). Give ``chip`` or ``mix``.
    mix : str or mapping, optional
        Chip → share, summing to 1 ("gb300=0.5,mi355x=0.5" or ``{"gb300": 0.5, ...}``).
        Shares are of IT power, or of accelerators with ``mix_basis="count"``. [1]
    pue : float or array
        Power usage effectiveness, facility ÷ IT, ≥ 1. [1]
    utilization : float or array
        Fraction of time the fleet is busy, in [0, 1]. [1]
    mfu : float or array
        Fraction of peak FLOP/s achieved while busy, in [0, 1]. [1]
    basis : {"facility", "it"}
        Whether ``power`` is what the site draws from the grid or critical IT load.
    provision : {"nameplate", "busy"}
        Size for each accelerator's full provisioned power, or for its busy draw.
    precision : {"bf16", "fp4", "fp6", "fp8", "tf32", "fp32", "fp64"}
        Number format of FLOP/s; chips without it run at the next wider format (flagged).
    method : {"system", "epoch"}
        ``system``: W per accelerator from the reference system's power; ``epoch``:
        Epoch AI's 1.82 × TDP.
    mix_basis : {"power", "count"}
        What the mix shares divide.
    grids : iterable of str or Grid, optional
        Reference grids for grid share; all known grids by default.
    profiles : ProfileSet or path, optional
        Hardware profiles (default: built-in plus ``$CAPACITY_PROFILES``), or a directory of
        extra profiles.
    grid_set : GridSet, optional
        Known grids to look ``grids`` up in (default: built-in plus ``$CAPACITY_GRIDS``).
    overrides : mapping, optional
        Single profile fields for this run: ``{"openai-broadcom-xpu.tdp": "1.2 kW"}``.
    sparsity : {"dense", "sparse"}
        Dense peaks (default), or structured-sparse peaks where the vendor publishes them
        (chips without one are counted dense, flagged).
    region : str or Grid, optional
        The site region whose carbon and water intensities (and, for costs, electricity
        price) apply: a grid id such as "texas". Default: the first of ``grids`` that has
        them, else "us".
    cooling : {"average", "evaporative", "closed-loop"}
        The site's cooling type, for its sourced WUE (docs/model.md#carbon-and-water).
    wue : str or quantity, optional
        The site's water usage effectiveness for this run ("0.2 L/kWh").

    Returns
    -------
    Conversion

    Notes
    -----
    ``P_IT = P / PUE``; ``N_k = m_k P_IT / (W_k s_k)``; ``F_peak = Σ N_k f_k``;
    ``F_deliv = F_peak u η``; ``P_avg = PUE Σ N_k W_k (idle_k + (busy_k − idle_k) u)``
    (see docs/model.md).

    Examples
    --------
    >>> result = convert("1 GW", chip="h100", pue=1.2)
    >>> round(float(result.accelerators.magnitude))  # 1 GW ÷ 1.2 ÷ (1,275 W × 1.11)
    588824
    """
    power_w = to_si(power, "power", "power")
    if np.any(np.asarray(power_w) < 0) or not np.all(np.isfinite(power_w)):
        raise InputError(f"power must be finite and ≥ 0, got {power}")
    return _run(
        power_w=power_w, total=None, chip=chip, mix=mix, pue=pue, utilization=utilization,
        mfu=mfu, basis=basis, provision=provision, precision=precision, method=method,
        mix_basis=mix_basis, grids=grids, profiles=profiles, grid_set=grid_set,
        overrides=overrides, sparsity=sparsity, region=region, cooling=cooling, wue=wue,
    )  # fmt: skip


def convert_accelerators(
    count: Any,
    *,
    chip: str | None = None,
    mix: str | Mapping[str, Any] | None = None,
    pue: Any = DEFAULTS.pue,
    utilization: Any = DEFAULTS.utilization,
    mfu: Any = DEFAULTS.mfu,
    provision: str = DEFAULTS.provision,
    precision: str = DEFAULTS.precision,
    method: str = DEFAULTS.method,
    mix_basis: str = DEFAULTS.mix_basis,
    grids: Iterable[str | Grid] | None = None,
    profiles: ProfileSet | str | Path | None = None,
    grid_set: GridSet | None = None,
    overrides: Mapping[str, Any] | None = None,
    sparsity: str = DEFAULTS.sparsity,
    region: str | Grid | None = None,
    cooling: str = DEFAULTS.cooling,
    wue: Any = None,
) -> Conversion:
    """The reverse of :func:`convert`: a number of accelerators to the power they need.

    ``count`` is the total number of accelerators (a number, an array, or a string such as
    "200k" or "4.5M"); ``mix`` splits it by share of IT power (the default, as in
    :func:`convert`) or by share of accelerators (``mix_basis="count"``). The IT power is
    ``Σ N_k W_k s_k`` and the facility power ``PUE`` times that; every other output is as in
    :func:`convert`, whose parameters these are.

    Examples
    --------
    >>> result = convert_accelerators("8", chip="h100", pue=1.0)
    >>> round(float(result.it_power.to("kW").magnitude), 9)  # 10.2 kW × 1.11 overhead
    11.322
    """
    total = _count_input(count)
    return _run(
        power_w=None, total=total, chip=chip, mix=mix, pue=pue, utilization=utilization,
        mfu=mfu, basis="facility", provision=provision, precision=precision, method=method,
        mix_basis=mix_basis, grids=grids, profiles=profiles, grid_set=grid_set,
        overrides=overrides, sparsity=sparsity, region=region, cooling=cooling, wue=wue,
    )  # fmt: skip


def _count_input(count: Any) -> Any:
    if isinstance(count, np.ndarray | list | tuple):
        number_like(count, "count")
        try:
            array = np.asarray(count, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError(
                f"count: an array of counts must hold numbers, got {describe(count)}"
            ) from None
        if np.any(~np.isfinite(array) | (array < 0)):
            raise InputError("count: numbers of accelerators must be finite and ≥ 0")
        return array
    if isinstance(count, pint.Quantity):
        return _count_input(to_si(count, "dimensionless", "count"))
    parsed = parse_count(count, "count")
    if parsed is None:
        raise UnitError(
            f"count: expected a number of accelerators such as 200000, '200k' or '4.5M', "
            f"got {count!r}"
        )
    return parsed
