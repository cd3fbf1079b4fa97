"""What a power alone defines, without a chip: facility and IT power, and grid shares.

The capacity-basis share of a grid (facility power ÷ the grid's capacity) needs only the
power and the PUE. The energy-basis share (average draw ÷ the grid's average load) needs the
average draw too: without a chip it is the facility power times a load factor that the caller
states. Counts of accelerators and FLOP/s need a chip (:func:`capacity.convert`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pint

from capacity import chain
from capacity.checks import number_like, one_of
from capacity.convert import chain_input, exceeds_grid, grid_share_warning
from capacity.defaults import BASES, DEFAULTS
from capacity.errors import InputError
from capacity.grids import Grid, GridSet, select_grids
from capacity.inputs import bounded_number
from capacity.units import to_si, ureg

__all__ = ["NEEDS_A_CHIP", "PowerGridShare", "PowerShares", "power_shares"]

NEEDS_A_CHIP = (
    "accelerators, FLOP/s and an average draw that follows from utilization need a chip "
    "(--chip or --mix)"
)


@dataclass(frozen=True)
class PowerGridShare:
    """A grid's share taken by a power: capacity basis always where the grid has a capacity,
    energy basis where a load factor was given."""

    capacity: pint.Quantity | None
    """Facility power over the grid's capacity; None where the grid has no capacity figure."""
    energy: pint.Quantity | None
    """Average draw (facility power × load factor) over the grid's average load; None without
    a load factor."""

    def to_dict(self) -> dict[str, Any]:
        shares = {"energy": self.energy, "capacity": self.capacity}
        values = {k: None if v is None else float(v.to("").magnitude) for k, v in shares.items()}
        return values | {"exceeds_grid": any(exceeds_grid(v) for v in values.values() if v)}


@dataclass(frozen=True)
class PowerShares:
    """What a power defines without a chip. Every number is a pint quantity."""

    inputs: dict[str, Any]
    facility_power: pint.Quantity
    it_power: pint.Quantity
    load_factor: float | None
    average_facility_power: pint.Quantity | None
    annual_energy: pint.Quantity | None
    grid_share: dict[str, PowerGridShare]
    warnings: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()

    @property
    def needs_a_chip(self) -> str:
        """What this answer leaves out, and why."""
        return NEEDS_A_CHIP

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of SI numbers whose keys name their unit."""

        def si(quantity: pint.Quantity | None, unit: str) -> float | None:
            return None if quantity is None else float(quantity.to(unit).magnitude)

        return {
            "inputs": dict(self.inputs),
            "facility_power_w": si(self.facility_power, "W"),
            "it_power_w": si(self.it_power, "W"),
            "load_factor": self.load_factor,
            "average_facility_power_w": si(self.average_facility_power, "W"),
            "annual_energy_twh": si(self.annual_energy, "TWh"),
            "grid_share": {grid: share.to_dict() for grid, share in self.grid_share.items()},
            "needs_a_chip": NEEDS_A_CHIP,
            "assumptions": list(self.assumptions),
            "warnings": list(self.warnings),
        }

    def plot(self) -> Any:
        """Each grid's share on both bases, as a matplotlib figure."""
        from capacity.plots import plot_conversion

        return plot_conversion(self)

    def _repr_html_(self) -> str:
        from capacity.report import notebook_html

        return notebook_html(self)

    def to_dataframe(self, wide: bool = False) -> Any:
        """The answer as a pandas DataFrame (tidy, or one row with ``wide``)."""
        from capacity.tables import document_rows, frame, wide_frame

        rows = document_rows(self.to_dict())
        return wide_frame(rows) if wide else frame(rows)


def power_shares(
    power: Any,
    *,
    pue: Any = DEFAULTS.pue,
    basis: str = DEFAULTS.basis,
    load_factor: Any = None,
    grids: Iterable[str | Grid] | None = None,
    grid_set: GridSet | None = None,
) -> PowerShares:
    """Facility and IT power of ``power`` and the grid shares they define, without a chip.

    Parameters
    ----------
    power : str or pint.Quantity
        The power ("10 GW"). [W]
    pue : float
        Facility ÷ IT power, ≥ 1. [1]
    basis : {"facility", "it"}
        What ``power`` is.
    load_factor : float, optional
        Average draw ÷ facility power, in [0, 1], for the energy-basis share. [1]
    grids, grid_set :
        As in :func:`capacity.convert`.

    Examples
    --------
    >>> answer = power_shares("10 GW", grids=["us"], load_factor=0.8)
    >>> round(float(answer.grid_share["us"].capacity.magnitude), 5)  # 10 GW ÷ 1194 GW (EIA)
    0.00838
    """
    power_w = to_si(power, "power", "power")
    if np.ndim(power_w) or not power_w >= 0:
        raise InputError(f"power must be one power, finite and ≥ 0, got {power}")
    one_of(basis, BASES, "basis")
    pue_value = chain_input(pue, "pue")
    if np.ndim(pue_value):
        raise InputError(f"pue must be one number, got {pue!r}")
    factor = None
    if load_factor is not None:
        number_like(load_factor, "load_factor")
        factor = bounded_number(load_factor, "load_factor", 0.0, 1.0)
        if np.ndim(factor):
            raise InputError(f"load_factor must be one number in [0, 1], got {load_factor!r}")
        factor = float(factor)
    facility = float(chain.facility_power(power_w, pue_value, basis))
    it_power = float(chain.it_power(power_w, pue_value, basis))
    average = None if factor is None else facility * factor
    shares: dict[str, PowerGridShare] = {}
    warnings: list[str] = []
    for grid in select_grids(grids, grid_set):
        capacity = None
        if grid.capacity is not None:
            capacity = chain.grid_capacity_share(facility, grid.capacity.si)
        energy = None
        if average is not None:
            energy = chain.grid_energy_share(average, grid.energy.si)
        shares[grid.id] = PowerGridShare(
            capacity=None if capacity is None else ureg.Quantity(capacity, ""),
            energy=None if energy is None else ureg.Quantity(energy, ""),
        )
        for name, share in (("capacity", capacity), ("energy", energy)):
            note = None if share is None else grid_share_warning(grid.id, name, share)
            if note is not None:
                warnings.append(note)
    inputs = {"power_w": power_w, "basis": basis, "pue": pue_value, "load_factor": factor,
              "grids": list(shares)}  # fmt: skip
    return PowerShares(
        inputs=inputs,
        facility_power=ureg.Quantity(facility, "W"),
        it_power=ureg.Quantity(it_power, "W"),
        load_factor=factor,
        average_facility_power=None if average is None else ureg.Quantity(average, "W"),
        annual_energy=None
        if average is None
        else ureg.Quantity(float(chain.annual_energy(average)), "J").to("TWh"),
        grid_share=shares,
        warnings=tuple(warnings),
        assumptions=() if factor is None else (f"load factor {factor:g}: stated by the user",),
    )
