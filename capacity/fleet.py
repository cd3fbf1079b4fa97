"""The chips of a conversion or sweep as per-chip arrays, and the flagged figures they use."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from capacity import chain
from capacity.errors import InputError
from capacity.grids import Grid
from capacity.profiles import Profile, ProfileSet

__all__ = ["Fleet", "build_fleet", "fleet_assumptions", "replaced_data_notes"]


@dataclass(frozen=True)
class Fleet:
    """Per-chip figures in SI units, one element per chip in ``profiles`` order."""

    profiles: tuple[Profile, ...]
    provisioned: np.ndarray
    """Provisioned IT power per accelerator, W_k. [W]"""
    idle: np.ndarray
    busy: np.ndarray
    sizing: np.ndarray
    """IT power reserved per accelerator, W_k × s_k. [W]"""
    flops: np.ndarray
    """Peak FLOP/s at the precision used, dense or sparse as asked (0 where the chip has
    none). [FLOP/s]"""
    precision_used: tuple[str | None, ...]
    per_system: np.ndarray
    sparse_used: tuple[bool, ...] = ()
    """Whether each chip's peak is its sparse one."""
    sparsity: str = "dense"
    dies: np.ndarray = field(default_factory=lambda: np.ones(0))
    """Dies per package of each chip (1 where unpublished)."""

    @property
    def chips(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.profiles)


def build_fleet(
    chips: Iterable[str],
    profiles: ProfileSet,
    *,
    method: str,
    provision: str,
    precision: str,
    sparsity: str = "dense",
) -> Fleet:
    """The per-chip arrays of the chain for already-resolved profile ids."""
    chosen = tuple(profiles[chip] for chip in chips)
    if method == "epoch":
        missing = [p.id for p in chosen if p.tdp is None]
        if missing:
            raise InputError(
                f"method='epoch' needs a TDP, which {', '.join(missing)} does not publish; "
                f"use method='system' or set one (--set {missing[0]}.tdp=...)"
            )
        provisioned = chain.epoch_provisioned_power(np.array([p.tdp.si for p in chosen]))  # type: ignore[union-attr]
    else:
        provisioned = chain.provisioned_power(
            np.array([p.system.power.si for p in chosen]),
            np.array([p.system.accelerators.si for p in chosen]),
            np.array([p.cluster_overhead.si for p in chosen]),
        )
    busy = np.array([p.busy_fraction.si for p in chosen])
    used = tuple(p.precision_used(precision) for p in chosen)
    peaks = [p.peak_flops(precision, sparsity) for p in chosen]
    flops = np.array([0.0 if peak is None else peak[0].si for peak in peaks])
    sparse_used = tuple(peak is not None and peak[1] for peak in peaks)
    return Fleet(
        profiles=chosen,
        provisioned=provisioned,
        idle=np.array([p.idle_fraction.si for p in chosen]),
        busy=busy,
        sizing=chain.sizing_power(provisioned, busy, provision),
        flops=flops,
        precision_used=used,
        per_system=np.array([p.system.accelerators.si for p in chosen]),
        sparse_used=sparse_used,
        sparsity=sparsity,
        dies=np.array([p.dies for p in chosen]),
    )


def fleet_assumptions(fleet: Fleet, *, method: str, precision: str) -> list[str]:
    """Every assumption-grade, estimated or overridden figure the fleet uses, and every
    profile that replaces a built-in one, one line each."""
    notes = []
    if method == "epoch":
        notes.append(
            f"method 'epoch': IT power per accelerator = {chain.EPOCH_SYSTEM_OVERHEAD:g} × TDP "
            "(Epoch AI), "
            "no cluster overhead, nameplate provisioning"
        )
    for profile, used in zip(fleet.profiles, fleet.precision_used, strict=True):
        if profile.replacement_note is not None:
            notes.append(profile.replacement_note)
        fields = ["system.accelerators", "idle_fraction", "busy_fraction"]
        if method == "epoch":
            fields.append("tdp")
        elif profile.system.power_to_tdp is not None:  # system power derived from the TDP
            fields += ["system.power_to_tdp", "tdp", "cluster_overhead"]
        else:
            fields += ["system.power", "cluster_overhead"]
        sparse = bool(fleet.sparse_used) and fleet.sparse_used[fleet.profiles.index(profile)]
        if used is not None:
            fields.append(f"peak_sparse.{used}" if sparse else f"peak.{used}")
            if fleet.sparsity == "sparse" and not sparse:
                notes.append(
                    f"{profile.id} publishes no sparse {used} peak: counted at its dense peak"
                )
        figures = profile.figures()
        for name in fields:
            figure = figures[name]
            if figure.flagged:
                why = f": {figure.summary}" if figure.summary else f" ({figure.source})"
                notes.append(
                    f"{profile.id} {name} = {figure.display()} [{figure.confidence}]{why}"
                )
        if used is None:
            notes.append(
                f"{profile.id} has no {precision} or wider format: it contributes no FLOP/s"
            )
        elif used != precision:
            notes.append(f"{profile.id} has no native {precision}: counted at {used}")
    return notes


def replaced_data_notes(
    grids: Iterable[Grid], reference: Profile | None = None, chips: Iterable[str] = ()
) -> list[str]:
    """A line for each grid, and for the H100-equivalent reference profile when it is not
    among ``chips``, that replaces a built-in one of the same id."""
    notes = [grid.replacement_note for grid in grids if grid.replacement_note is not None]
    if reference is not None and reference.replacement_note and reference.id not in chips:
        notes.append(f"H100 equivalents: {reference.replacement_note}")
    return notes
