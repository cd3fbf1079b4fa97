"""Claim check: does a published "power = accelerators" or "power = share of a grid" add up?

A claim such as "30 GW = 4.5M h100" or "30 GW = 25% of global-datacenters" states that a
power amounts to a number of accelerators or to a share of a reference grid. :func:`check_claim`
reads the claim (:func:`parse_claim`), runs the model on its power (:func:`capacity.convert`)
and on its counts (:func:`capacity.convert_accelerators`), and reports, for each right-hand
side, the model's figure, the ratio claimed ÷ model, a verdict, and the assumptions that would
make the claim true: the PUE or the W per accelerator it implies, or the grid size, average
draw and utilization it implies. Nothing here computes the chain a second time: every model
figure comes from a :class:`~capacity.convert.Conversion`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pint

from capacity import chain
from capacity.checks import describe, number_like, one_of, optional_text
from capacity.convert import (
    BASES,
    REFERENCE_CHIP,
    Conversion,
    convert,
    convert_accelerators,
    exceeds_grid,
    grid_share_warning,
)
from capacity.defaults import DEFAULTS, RANGES
from capacity.errors import InputError, UnitError, UnknownChipError, UnknownGridError
from capacity.grammar import read_number
from capacity.grids import Grid, GridSet, known_grids
from capacity.inputs import bounded_number
from capacity.profiles import ProfileSet, profile_set
from capacity.units import parse_count, quantity_from_text, to_si, ureg

__all__ = [
    "CLAIM_FORMS",
    "READINGS",
    "AcceleratorCheck",
    "AcceleratorClaim",
    "AcceleratorEnd",
    "Claim",
    "ClaimReport",
    "ShareCheck",
    "ShareClaim",
    "ShareEnd",
    "check_claim",
    "parse_claim",
    "verdict",
]

# Slack on the tolerance test so that a ratio of exactly 1 ± tolerance, computed in floating
# point, counts as inside.
_RATIO_SLACK = 1e-12
CONSISTENT, OVERSTATES, UNDERSTATES = "consistent", "overstates", "understates"

CLAIM_FORMS = (
    "'POWER = COUNT CHIP' (30 GW = 4.5M h100), "
    "'FLOP/s [sparse|dense] [PRECISION] = COUNT CHIP [dies]' (16 ZFLOPS sparse fp4 = 800k "
    "gb300), "
    "'POWER = PERCENT% of GRID' (30 GW = 25% of global-datacenters), "
    "ranges (30 GW = 4-5M h100, 30 GW = 20-25% of world) "
    "and chains (30 GW = 4.5M h100 = 25% of global-datacenters)"
)

# The ways a grid share is read; "energy" is the model's own (docs/model.md#grid-share), the
# others are the readings a claim may have used instead.
READINGS: dict[str, str] = {
    "energy": "average facility draw ÷ grid average load",
    "full_draw": "facility power at full draw ÷ grid average load",
    "capacity": "facility power ÷ grid capacity",
}

_SPARSITY_WORD = re.compile(r"\b(sparse|dense)\b", re.IGNORECASE)
_PRECISION_WORD = re.compile(r"\b(fp4|fp6|fp8|bf16|tf32|fp32|fp64)\b", re.IGNORECASE)
# A count may say what it counts: "800k gb300 dies", "400k gb300 packages".
_COUNT_UNIT = re.compile(r"\s+(dies|die|packages|package)\s*$", re.IGNORECASE)
_SHARE_TERM = re.compile(r"^(?P<value>.+?)\s*%\s*of\s+(?P<grid>\S.*)$", re.IGNORECASE)
_ACCELERATOR_TERM = re.compile(r"^(?P<count>.+?)\s+(?P<chip>\S+)$")
# Range separators: a hyphen or dash (not the sign of an exponent, 1e-3) or the word "to".
_RANGE_SEPARATOR = re.compile(r"(?<![eE])\s*[-–—]\s*|\s+to\s+", re.IGNORECASE)
_COUNT_SUFFIX = re.compile(r"[A-Za-z]+\s*$")


# --- the claim -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AcceleratorClaim:
    """ "COUNT CHIP": a number of accelerators, or a range of two."""

    text: str
    chip: str
    """The chip as written (resolved against the profiles when checked)."""
    counts: tuple[float, ...]
    """One count, or the low and high ends of a range. [1]"""
    unit: str = "packages"
    """What the count counts: "packages" (the default) or "dies" ("800k gb300 dies")."""


@dataclass(frozen=True)
class ShareClaim:
    """ "PERCENT% of GRID": a share of a reference grid, or a range of two."""

    text: str
    grid: str
    """The grid as written (looked up when checked)."""
    shares: tuple[float, ...]
    """One share, or the low and high ends of a range, as fractions. [1]"""


@dataclass(frozen=True)
class Claim:
    """A power and what it is claimed to amount to, one or more right-hand sides."""

    text: str
    power: pint.Quantity | None
    """The claim's power [W]; None for a claim about compute."""
    terms: tuple[AcceleratorClaim | ShareClaim, ...]
    compute: pint.Quantity | None = None
    """The claim's peak compute [FLOP/s], for "16 ZFLOPS sparse fp4 = 800k gb300"."""
    precision: str | None = None
    """The number format the compute is in, where the claim says."""
    sparsity: str | None = None
    """"sparse" or "dense", where the claim says."""

    @classmethod
    def from_parts(
        cls,
        power: Any,
        *,
        count: Any = None,
        chip: str | None = None,
        percent: Any = None,
        grid: str | None = None,
    ) -> Claim:
        """A claim from its parts, as the CLI options give them.

        Parameters
        ----------
        power : str or pint.Quantity
            The claim's power ("30 GW"). [W]
        count : str or float, optional
            Claimed number of ``chip`` accelerators ("4.5M", 4.5e6, or a range "4-5M"). [1]
        chip : str, optional
            Profile id or alias of the counted chip; needed with ``count``.
        percent : str or float, optional
            Claimed share of ``grid`` in percent (25, "25%", or a range "20-25"). [%]
        grid : str, optional
            Grid id of the share; needed with ``percent``.
        """
        optional_text(chip, "chip")
        optional_text(grid, "grid")
        power_w = _claim_power(power, "power")
        if count is None and percent is None:
            raise InputError("a claim needs a count with a chip, or a percent with a grid")
        terms: list[AcceleratorClaim | ShareClaim] = []
        if count is not None:
            if chip is None or not chip.strip():
                raise InputError("count needs a chip: the claim is 'COUNT CHIP'")
            text = f"{count} {chip.strip()}"
            counts = _counts(str(count), "count")
            if counts is None:
                raise InputError(
                    f"count: cannot read {count!r} as a number of accelerators such as 4.5M, "
                    "4,500,000, 200k, '4.5 million' or a range 4-5M"
                )
            terms.append(AcceleratorClaim(text, chip.strip(), counts))
        elif chip is not None:
            raise InputError("chip needs a count: the claim is 'COUNT CHIP'")
        if percent is not None:
            if grid is None or not grid.strip():
                raise InputError("percent needs a grid: the claim is 'PERCENT% of GRID'")
            value = str(percent).strip().removesuffix("%")
            shares = _shares(value, "percent")
            terms.append(ShareClaim(f"{value}% of {grid.strip()}", grid.strip(), shares))
        elif grid is not None:
            raise InputError("grid needs a percent: the claim is 'PERCENT% of GRID'")
        power_text = power if isinstance(power, str) else f"{power:~P}"
        text = " = ".join([str(power_text).strip(), *(term.text for term in terms)])
        return cls(text, ureg.Quantity(power_w, "W"), tuple(terms))


def parse_claim(text: str) -> Claim:
    """Read a claim: ``"30 GW = 4.5M h100"``, ``"30 GW = 25% of global-datacenters"``.

    The parts between ``=`` are one power and one or more right-hand sides, each a count and a
    chip ("4.5M h100", "4,500,000 h100", "4.5 million h100", a range "4-5M h100") or a percent
    of a grid ("25% of global-datacenters", a range "20-25% of world"). The power may stand
    on either side; a chain such as "30 GW = 4.5M h100 = 25% of world" checks every
    right-hand side against it.

    Raises
    ------
    InputError
        When a part has none of these forms; the message lists the accepted ones.
    UnitError
        When the power is not a power ("30 GWh").

    Examples
    --------
    >>> claim = parse_claim("30 GW = 4-5M h100s")
    >>> claim.terms[0].chip, claim.terms[0].counts
    ('h100s', (4000000.0, 5000000.0))
    """
    if not isinstance(text, str):
        raise InputError(
            f"the claim (text) must be a str such as '30 GW = 4.5M h100', got {describe(text)}"
        )
    if not text.strip():
        raise InputError(f"the claim is empty; accepted forms: {CLAIM_FORMS}")
    parts = [part.strip() for part in text.split("=")]
    if len(parts) < 2 or not all(parts):
        raise InputError(f"cannot read the claim {text!r}; accepted forms: {CLAIM_FORMS}")
    powers: list[tuple[str, float]] = []
    computes: list[tuple[str, float, str | None, str | None]] = []
    terms: list[AcceleratorClaim | ShareClaim] = []
    for part in parts:
        compute = _parse_compute(part)
        if compute is not None:
            computes.append((part, *compute))
            continue
        term = _parse_term(part)
        if isinstance(term, float):
            powers.append((part, term))
        else:
            terms.append(term)
    if computes:
        if len(computes) != 1 or powers:
            raise InputError(
                f"a compute claim has exactly one FLOP/s figure and no power, such as "
                f"'16 ZFLOPS sparse fp4 = 800k gb300'; got {text!r}"
            )
        shares_named = [t for t in terms if isinstance(t, ShareClaim)]
        if shares_named or not terms:
            raise InputError(
                f"a compute claim compares FLOP/s with counts of accelerators (COUNT CHIP), "
                f"such as '16 ZFLOPS sparse fp4 = 800k gb300'; got {text!r}"
            )
        _, flops, precision, sparsity = computes[0]
        return Claim(" = ".join(parts), None, tuple(terms),
                     ureg.Quantity(flops, "FLOP/s"), precision, sparsity)  # fmt: skip
    if len(powers) != 1:
        found = "none" if not powers else ", ".join(repr(p) for p, _ in powers)
        raise InputError(
            f"a claim has exactly one power such as '30 GW'; found {found} in {text!r}"
        )
    if not terms:
        raise InputError(f"the claim {text!r} says nothing about the power; accepted forms: "
                         f"{CLAIM_FORMS}")  # fmt: skip
    return Claim(" = ".join(parts), ureg.Quantity(powers[0][1], "W"), tuple(terms))


def _parse_compute(part: str) -> tuple[float, str | None, str | None] | None:
    """A compute figure with its precision and sparsity, "16 ZFLOPS sparse fp4", or None
    where ``part`` is not one. "FLOPS" is read as a rate, as claims use it."""
    if not re.search(r"flop", part, re.IGNORECASE):
        return None
    sparsity_word = _SPARSITY_WORD.search(part)
    precision_word = _PRECISION_WORD.search(part)
    rest = _PRECISION_WORD.sub(" ", _SPARSITY_WORD.sub(" ", part))
    rest = re.sub(r"(?i)flops\b", "FLOP/s", " ".join(rest.split()))
    flops = to_si(rest, "compute rate", f"the claim's compute {part!r}")
    if np.ndim(flops) or not math.isfinite(flops) or flops <= 0:
        raise InputError(f"the claim's compute {part!r} must be one finite figure > 0")
    return (
        float(flops),
        None if precision_word is None else precision_word.group(1).lower(),
        None if sparsity_word is None else sparsity_word.group(1).lower(),
    )


def _parse_term(part: str) -> float | AcceleratorClaim | ShareClaim:
    """A power in W, or a right-hand side."""
    share = _SHARE_TERM.match(part)
    if share is not None:
        return ShareClaim(part, share["grid"].strip(), _shares(share["value"], part))
    if _counts(part, part) is not None:  # before pint, which reads "4M" as 4 mol/L
        raise InputError(f"{part!r} in the claim is a count without a chip; write COUNT CHIP, "
                         f"such as '{part} h100'")  # fmt: skip
    if _is_quantity(part):
        return _claim_power(part, f"the claim's power {part!r}")
    counted = _COUNT_UNIT.search(part)
    unit = (
        "dies"
        if counted is not None and counted.group(1).lower().startswith("die")
        else ("packages")
    )
    bare = part[: counted.start()] if counted is not None else part
    accelerators = _ACCELERATOR_TERM.match(bare)
    if accelerators is not None:
        counts = _counts(accelerators["count"], part)
        if counts is not None:
            return AcceleratorClaim(part, accelerators["chip"], counts, unit)
    raise InputError(f"cannot read {part!r} in the claim; accepted forms: {CLAIM_FORMS}")


def _is_quantity(text: str) -> bool:
    """Whether ``text`` is a quantity with a unit (a power, or a wrong dimension)."""
    try:
        quantity = quantity_from_text(text, "claim")
    except UnitError:
        return False
    return not quantity.dimensionless


def _claim_power(power: Any, name: str) -> float:
    power_w = to_si(power, "power", name)
    if np.ndim(power_w) or not math.isfinite(power_w) or power_w <= 0:
        raise InputError(f"{name} must be one finite power > 0, got {power}")
    return float(power_w)


def _range_ends(text: str, what: str) -> list[str]:
    ends = [end.strip() for end in _RANGE_SEPARATOR.split(text.strip())]
    if len(ends) > 2 or not all(ends):
        raise InputError(f"{what}: a range has two ends, such as 4-5M; got {text!r}")
    return ends


def _ordered(values: list[float], text: str, what: str) -> tuple[float, ...]:
    if any(not math.isfinite(v) or v <= 0 for v in values):
        raise InputError(f"{what}: claimed figures must be finite and > 0, got {text!r}")
    if len(values) == 2 and values[0] > values[1]:
        raise InputError(f"{what}: a range gives its low end first, got {text!r}")
    return tuple(values)


def _counts(text: str, what: str) -> tuple[float, ...] | None:
    """One count or a range: "4.5M", "4,500,000", "4.5 million", "4-5M" (= 4M to 5M).

    None where ``text`` is not a count; an :class:`InputError` where it is one that no claim
    can make (zero, negative, a range with its ends swapped).
    """
    ends = [end.strip() for end in _RANGE_SEPARATOR.split(text.strip())]
    if len(ends) > 2 or not all(ends):
        return None
    suffix = _COUNT_SUFFIX.search(ends[-1])
    if len(ends) == 2 and suffix is not None and _COUNT_SUFFIX.search(ends[0]) is None:
        ends[0] += suffix.group()  # "4-5M": the low end shares the high end's multiplier
    values = []
    for end in ends:
        try:
            value = parse_count(end, what)
        except UnitError as error:
            raise InputError(str(error)) from None
        if value is None:
            return None
        values.append(value)
    return _ordered(values, text, what)


def _shares(text: str, what: str) -> tuple[float, ...]:
    """One percent or a range ("25", "20-25", "20%-25"), as fractions."""
    values = []
    for end in _range_ends(text, what):
        try:
            values.append(read_number(end.removesuffix("%"), what, percent=False) / 100)
        except UnitError:
            raise InputError(f"{what}: cannot read {end!r} as a percent such as 25") from None
    return _ordered(values, text, what)


# --- the check -------------------------------------------------------------------------------


def verdict(ratio: float, tolerance: float = DEFAULTS.tolerance) -> str:
    """ "consistent" when ``|ratio − 1| ≤ tolerance``, else "overstates" or "understates".

    Parameters
    ----------
    ratio : float
        Claimed ÷ model. [1]
    tolerance : float
        Relative tolerance. [1]

    Examples
    --------
    >>> verdict(1.05), verdict(2.0), verdict(0.5, tolerance=0.6)
    ('consistent', 'overstates', 'consistent')
    """
    return _range_verdict((ratio,), tolerance)


def _range_verdict(ratios: tuple[float, ...], tolerance: float) -> str:
    """A range is consistent when, widened by the tolerance, it holds the model's figure."""
    if ratios[0] > 1 + tolerance + _RATIO_SLACK:
        return OVERSTATES
    if ratios[-1] < 1 - tolerance - _RATIO_SLACK:
        return UNDERSTATES
    return CONSISTENT


def _ratio(claimed: float, model: float) -> float:
    return claimed / model if model > 0 else math.inf


def _inside(values: tuple[float, ...], model: float) -> bool | None:
    return values[0] <= model <= values[1] if len(values) == 2 else None


@dataclass(frozen=True)
class AcceleratorEnd:
    """One claimed count (or one end of a range) against the model.

    Power figures are in the claim's basis: facility power for ``basis="facility"``, IT power
    for ``basis="it"``.
    """

    accelerators: float
    """The claimed count. [1]"""
    ratio: float
    """Claimed count ÷ the model's count for the claim's power. [1]"""
    verdict: str
    claimed_power_per_accelerator: pint.Quantity
    """The claim's power ÷ the claimed count, P / N. [W]"""
    implied_pue: float | None
    """The PUE at which the profile's reserved IT power per accelerator makes the claim true,
    ``P / (N W_k s_k)``; None for ``basis="it"``, where the count does not depend on PUE. [1]"""
    possible: bool
    """False where ``implied_pue`` < 1: no PUE makes the claim true at the profile's W per
    accelerator; each accelerator would have to draw at most P / N of IT power instead."""
    implied_it_power_per_accelerator: pint.Quantity
    """The IT power per accelerator that makes the claim true at the chosen PUE,
    ``P / (N PUE)`` (``P / N`` for ``basis="it"``). [W]"""
    power_for_count: pint.Quantity
    """The power the model gives for the claimed count (:func:`convert_accelerators`). [W]"""

    def to_dict(self) -> dict[str, Any]:
        return {
            "accelerators": self.accelerators,
            "ratio": self.ratio,
            "verdict": self.verdict,
            "claimed_power_per_accelerator_w": _watts(self.claimed_power_per_accelerator),
            "implied_pue": self.implied_pue,
            "possible": self.possible,
            "implied_it_power_per_accelerator_w": _watts(self.implied_it_power_per_accelerator),
            "power_for_count_w": _watts(self.power_for_count),
        }


@dataclass(frozen=True)
class AcceleratorCheck:
    """A "COUNT CHIP" right-hand side against the model's count for the claim's power."""

    text: str
    chip: str
    """Profile id."""
    model_accelerators: float
    """The model's count for the claim's power. [1]"""
    model_power_per_accelerator: pint.Quantity
    """The profile's power per accelerator in the claim's basis: ``W_k s_k PUE`` (facility)
    or ``W_k s_k`` (IT). [W]"""
    it_power_per_accelerator: pint.Quantity
    """IT power reserved per accelerator, ``W_k s_k``. [W]"""
    ends: tuple[AcceleratorEnd, ...]
    verdict: str
    """For a range: consistent when the range, widened by the tolerance, holds the model's
    count."""
    model_inside: bool | None
    """For a range: whether the model's count lies inside it; None for one count."""

    kind = "accelerators"

    @property
    def consistent(self) -> bool:
        return self.verdict == CONSISTENT

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "claim": self.text,
            "chip": self.chip,
            "verdict": self.verdict,
            "model_inside": self.model_inside,
            "model_accelerators": self.model_accelerators,
            "model_power_per_accelerator_w": _watts(self.model_power_per_accelerator),
            "it_power_per_accelerator_w": _watts(self.it_power_per_accelerator),
            "ends": [end.to_dict() for end in self.ends],
        }


@dataclass(frozen=True)
class ShareEnd:
    """One claimed share (or one end of a range) against the model."""

    share: float
    """The claimed share. [1]"""
    ratio: float
    """Claimed share ÷ the model's share (energy basis). [1]"""
    verdict: str
    ratios: Mapping[str, float]
    """Claimed share ÷ the model's share in each reading of :data:`READINGS` available. [1]"""
    matches: tuple[str, ...]
    """The readings the claim is consistent with (within the tolerance)."""
    implied_average_facility_power: pint.Quantity
    """The average facility draw that makes the claim true: share × grid average load. [W]"""
    implied_utilization: float | None
    """The utilization at which the model's average draw makes the claim true; outside [0, 1]
    where no utilization does; None where the draw does not depend on utilization. [1]"""
    implied_grid_annual_energy: pint.Quantity
    """The grid annual energy at which the model's average draw is the claimed share. [J]"""
    implied_grid_capacity: pint.Quantity
    """The grid capacity at which the facility power is the claimed share. [W]"""

    @property
    def utilization_reachable(self) -> bool:
        u = self.implied_utilization
        return u is not None and 0.0 <= u <= 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "share": self.share,
            "ratio": self.ratio,
            "verdict": self.verdict,
            "ratios": dict(self.ratios),
            "matches": list(self.matches),
            "implied_average_facility_power_w": _watts(self.implied_average_facility_power),
            "implied_utilization": self.implied_utilization,
            "utilization_reachable": self.utilization_reachable,
            "implied_grid_annual_energy_twh": float(
                self.implied_grid_annual_energy.to("TWh").magnitude
            ),
            "implied_grid_capacity_w": _watts(self.implied_grid_capacity),
        }


@dataclass(frozen=True)
class ShareCheck:
    """A "PERCENT% of GRID" right-hand side against the model's grid share."""

    text: str
    grid: Grid
    chip: str
    """Profile id whose idle and busy draw give the average facility power."""
    model_shares: Mapping[str, float]
    """The model's share in each reading of :data:`READINGS` the grid allows; "energy" is the
    model's grid share, "capacity" needs a grid capacity figure. [1]"""
    share_at_idle: float
    """The model's energy-basis share at utilization 0. [1]"""
    share_at_busy: float
    """The model's energy-basis share at utilization 1. [1]"""
    average_facility_power: pint.Quantity
    """The model's average facility draw at the chosen utilization. [W]"""
    facility_power: pint.Quantity
    """The claim's power as facility power (full draw). [W]"""
    ends: tuple[ShareEnd, ...]
    verdict: str
    model_inside: bool | None
    matches: tuple[str, ...]
    """The readings the claim (its range, widened by the tolerance) is consistent with."""

    kind = "grid_share"

    @property
    def model_share(self) -> float:
        """The model's grid share, energy basis. [1]"""
        return self.model_shares["energy"]

    @property
    def exceeds_grid(self) -> bool:
        """Whether the claim or the model puts the fleet above the whole grid (a share > 1)."""
        return exceeds_grid([*self.model_shares.values(), *(end.share for end in self.ends)])

    @property
    def warnings(self) -> list[str]:
        """A note for each share, claimed or the model's, above 100 % of the grid."""
        notes = [
            grid_share_warning(self.grid.id, reading, share)
            for reading, share in self.model_shares.items()
        ]
        claimed = max(end.share for end in self.ends)
        if exceeds_grid(claimed):
            notes.append(
                f"the claim '{self.text}' is above 100 % of {self.grid.id}: it says the fleet "
                "draws more than the whole grid"
            )
        return [note for note in notes if note is not None]

    @property
    def consistent(self) -> bool:
        return self.verdict == CONSISTENT

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "claim": self.text,
            "grid": self.grid.id,
            "chip": self.chip,
            "verdict": self.verdict,
            "model_inside": self.model_inside,
            "matches": list(self.matches),
            "model_share": self.model_share,
            "model_shares": dict(self.model_shares),
            "exceeds_grid": self.exceeds_grid,
            "share_at_idle": self.share_at_idle,
            "share_at_busy": self.share_at_busy,
            "average_facility_power_w": _watts(self.average_facility_power),
            "facility_power_w": _watts(self.facility_power),
            "grid_annual_energy_twh": float(self.grid.energy.value.to("TWh").magnitude),
            "grid_capacity_w": None if self.grid.capacity is None else self.grid.capacity.si,
            "ends": [end.to_dict() for end in self.ends],
        }


@dataclass(frozen=True)
class ComputeCheck:
    """ "FLOP/s = N chips": the claimed compute against the model's peak of N chips."""

    term: AcceleratorClaim
    chip: str
    """Profile id."""
    precision: str
    sparsity: str
    packages: tuple[float, ...]
    """The packages counted (the count ÷ dies per package when the claim counts dies). [1]"""
    model_flops: tuple[float, ...]
    """The model's peak compute of those packages. [FLOP/s]"""
    ratios: tuple[float, ...]
    """Claimed compute ÷ model compute, at each end of the count. [1]"""
    verdict: str
    implied_flops_per_unit: tuple[float, ...]
    """Claimed compute ÷ the count, per package or die as counted. [FLOP/s]"""

    @property
    def consistent(self) -> bool:
        return self.verdict == CONSISTENT

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "compute",
            "term": self.term.text,
            "chip": self.chip,
            "counted": self.term.unit,
            "precision": self.precision,
            "sparsity": self.sparsity,
            "packages": list(self.packages),
            "model_flop_per_s": list(self.model_flops),
            "ratios": list(self.ratios),
            "verdict": self.verdict,
            "implied_flop_per_s_per_unit": list(self.implied_flops_per_unit),
        }


@dataclass(frozen=True)
class ClaimReport:
    """Every right-hand side of a claim checked against the model, with the inputs used."""

    claim: Claim
    inputs: Mapping[str, Any]
    """basis, pue, utilization, provision, method, tolerance."""
    checks: tuple[AcceleratorCheck | ShareCheck | ComputeCheck, ...]
    assumptions: tuple[str, ...]

    @property
    def consistent(self) -> bool:
        """Whether every right-hand side is consistent with the model."""
        return all(check.consistent for check in self.checks)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Grid shares above 100 %, claimed or the model's: more than the whole grid."""
        notes = [n for c in self.checks if isinstance(c, ShareCheck) for n in c.warnings]
        return tuple(dict.fromkeys(notes))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of SI numbers whose keys name their unit (``--format json``)."""
        return {
            "claim": self.claim.text,
            "power_w": None if self.claim.power is None else _watts(self.claim.power),
            "compute_flop_per_s": None
            if self.claim.compute is None
            else float(self.claim.compute.to("FLOP/s").magnitude),
            "inputs": dict(self.inputs),
            "consistent": self.consistent,
            "checks": [check.to_dict() for check in self.checks],
            "assumptions": list(self.assumptions),
            "warnings": list(self.warnings),
        }


def _watts(quantity: pint.Quantity) -> float:
    return float(quantity.to("W").magnitude)


def _scalar(value: Any, name: str, low: float, high: float) -> float:
    if np.ndim(value):
        raise InputError(
            f"{name}: a claim is checked at one value, got an array; "
            "use 'capacity sweep' for ranges of inputs"
        )
    return float(bounded_number(number_like(value, name), name, low, high))


def _resolve_chip(chip: str, profiles: ProfileSet) -> str:
    """Profile id for an id or alias, also written as a plural ("H100s")."""
    try:
        return profiles.resolve(chip)
    except UnknownChipError:
        singular = chip.strip()
        if singular.lower().endswith("s") and singular[:-1] in profiles:
            return profiles.resolve(singular[:-1])
        raise


def _find_grid(name: str, grids: GridSet) -> Grid:
    """Grid by id, also written with spaces for hyphens ("global datacenters")."""
    try:
        return grids[name]
    except UnknownGridError:
        hyphenated = "-".join(name.split())
        if hyphenated != name and hyphenated.lower() in grids:
            return grids[hyphenated]
        raise


def check_claim(
    claim: str | Claim,
    *,
    chip: str | None = None,
    pue: Any = DEFAULTS.pue,
    utilization: Any = DEFAULTS.utilization,
    basis: str = DEFAULTS.basis,
    provision: str = DEFAULTS.provision,
    method: str = DEFAULTS.method,
    tolerance: Any = DEFAULTS.tolerance,
    profiles: ProfileSet | str | Path | None = None,
    grid_set: GridSet | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> ClaimReport:
    """Check a claim such as "30 GW = 4.5M h100" or "30 GW = 25% of world" against the model.

    Parameters
    ----------
    claim : str or Claim
        The claim's text (see :func:`parse_claim` for the forms), or a :class:`Claim`.
    chip : str, optional
        The chip whose average draw gives the grid shares. Default: the first chip the claim
        counts, else the reference chip (h100-sxm), as the assumptions then say.
    pue : float
        Power usage effectiveness, facility ÷ IT, ≥ 1. [1]
    utilization : float
        Fraction of time the fleet is busy, in [0, 1]; sets the average draw. [1]
    basis : {"facility", "it"}
        Whether the claim's power is what the site draws from the grid or critical IT load.
    provision : {"nameplate", "busy"}
        Size for each accelerator's full provisioned power, or for its busy draw.
    method : {"system", "epoch"}
        W per accelerator from the reference system's power, or Epoch AI's 1.82 × TDP.
    tolerance : float
        Relative tolerance of the verdict "consistent", ``|claimed ÷ model − 1|``. [1]
    profiles, grid_set, overrides
        As in :func:`capacity.convert`.

    Returns
    -------
    ClaimReport
        One :class:`AcceleratorCheck` or :class:`ShareCheck` per right-hand side.

    Notes
    -----
    For "P = N chips" (facility basis): the model's count ``N_model = P / (PUE W_k s_k)``
    (:func:`capacity.convert`); the ratio ``N / N_model``; the implied facility power per
    accelerator ``P / N`` against ``W_k s_k PUE``; the PUE that makes the claim true,
    ``P / (N W_k s_k)`` (impossible below 1); and the IT power per accelerator that makes it
    true at the chosen PUE, ``P / (N PUE)``.

    For "P = x % of G": the model's share ``P_avg / (E_G / 1 year)`` (energy basis), the
    ratio ``x / share``, and what makes the claim true: the average draw ``x E_G / 1 year``,
    the utilization at which the model's draw reaches it (the draw is linear in utilization),
    the grid annual energy ``P_avg × 1 year / x``, and the grid capacity ``P_fac / x``. The
    claim is also compared with two other readings a claim may have used: the full draw
    ``P_fac / (E_G / 1 year)`` and, where the grid has a capacity figure, ``P_fac / C_G``.

    Examples
    --------
    >>> report = check_claim("30 GW = 4.5M h100")  # 30 GW ÷ (1,415.25 W × PUE 1.2) = 17.7M
    >>> check = report.checks[0]
    >>> check.verdict, round(check.ends[0].ratio, 4), round(check.ends[0].implied_pue, 3)
    ('understates', 0.2547, 4.711)
    """
    parsed = claim if isinstance(claim, Claim) else parse_claim(claim)
    if parsed.compute is not None:
        return _check_compute_claim(
            parsed, pue=pue, tolerance=tolerance, provision=provision, method=method,
            profiles=profile_set(profiles, overrides), grid_set=grid_set,
        )  # fmt: skip
    if parsed.power is None:
        raise InputError("the claim has neither a power nor a compute figure")
    pue_value = _scalar(pue, "pue", *RANGES["pue"])
    u = _scalar(utilization, "utilization", *RANGES["utilization"])
    tolerance_value = _scalar(tolerance, "tolerance", 0.0, 1.0)
    one_of(basis, BASES, "basis")
    optional_text(chip, "chip")
    chip_profiles = profile_set(profiles, overrides)
    grids = known_grids(grid_set)

    grids_of = {t: _find_grid(t.grid, grids) for t in parsed.terms if isinstance(t, ShareClaim)}
    chips_of = {
        t: _resolve_chip(t.chip, chip_profiles)
        for t in parsed.terms
        if isinstance(t, AcceleratorClaim)
    }
    selected = list({grid.id: grid for grid in grids_of.values()}.values())
    if chip is not None:
        fleet_chip, why = _resolve_chip(chip, chip_profiles), "as given"
    elif chips_of:
        fleet_chip, why = next(iter(chips_of.values())), "the chip the claim counts"
    else:
        fleet_chip, why = REFERENCE_CHIP, "no chip given: the reference chip"
    common: dict[str, Any] = {
        "pue": pue_value, "provision": provision, "method": method, "profiles": chip_profiles,
        "grid_set": grids,
    }  # fmt: skip
    models: dict[str, Conversion] = {}

    def model(chip_id: str) -> Conversion:
        """The conversion of the claim's power at utilization u, 0 and 1 (in that order)."""
        if chip_id not in models:
            models[chip_id] = convert(
                parsed.power, chip=chip_id, basis=basis, utilization=np.array([u, 0.0, 1.0]),
                grids=selected, **common,
            )  # fmt: skip
        return models[chip_id]

    checks: list[AcceleratorCheck | ShareCheck] = []
    for term in parsed.terms:
        if isinstance(term, AcceleratorClaim):
            chip_id = chips_of[term]
            checks.append(
                _check_accelerators(
                    term, chip_id, model(chip_id), basis, u, common, tolerance_value
                )
            )
        else:
            checks.append(
                _check_share(term, grids_of[term], fleet_chip, model(fleet_chip), tolerance_value)
            )
    notes: list[str] = []
    if selected:
        notes.append(
            f"grid shares use the average draw of {fleet_chip} ({why}) at utilization {u:g}"
        )
    if basis == "it":
        notes.append(
            "the claim's power is IT power (basis 'it'): counts do not depend on PUE; "
            "the IT power per accelerator is what would make a count claim true"
        )
    for grid in selected:
        for name, figure in (("annual_energy", grid.annual_energy), ("capacity", grid.capacity)):
            if figure is not None and figure.flagged:
                reason = f": {figure.summary}" if figure.summary else f" ({figure.source})"
                notes.append(
                    f"grid {grid.id} {name} = {figure.display()} [{figure.confidence}]{reason}"
                )
    for conversion in models.values():
        notes += conversion.assumptions
    inputs = {
        "basis": basis, "pue": pue_value, "utilization": u, "provision": provision,
        "method": method, "tolerance": tolerance_value,
    }  # fmt: skip
    return ClaimReport(parsed, inputs, tuple(checks), tuple(dict.fromkeys(notes)))


def _first(quantity: pint.Quantity, unit: str) -> float:
    """The first element (utilization u) of a conversion run at utilization u, 0 and 1."""
    return float(np.asarray(quantity.to(unit).magnitude).flat[0])


def _check_accelerators(
    term: AcceleratorClaim, chip_id: str, conversion: Conversion, basis: str, utilization: float,
    common: Mapping[str, Any], tolerance: float,
) -> AcceleratorCheck:  # fmt: skip
    power_w = float(conversion.inputs["power_w"])  # the claim's power, in its basis
    pue = float(common["pue"])
    model_count = _first(conversion.accelerators, "")
    reserved = _first(conversion.it_power, "W") / model_count  # W_k s_k
    per_accelerator = reserved * pue if basis == "facility" else reserved
    ends = []
    for count in term.counts:
        reverse = convert_accelerators(count, chip=chip_id, utilization=utilization, grids=[],
                                       **common)  # fmt: skip
        ratio = _ratio(count, model_count)
        it_for_count = _first(reverse.it_power, "W")
        if basis == "facility":
            implied_pue: float | None = power_w / it_for_count
            implied_it = power_w / (count * pue)
            for_count = _first(reverse.facility_power, "W")
        else:
            implied_pue, implied_it, for_count = None, power_w / count, it_for_count
        ends.append(
            AcceleratorEnd(
                accelerators=count,
                ratio=ratio,
                verdict=verdict(ratio, tolerance),
                claimed_power_per_accelerator=ureg.Quantity(power_w / count, "W"),
                implied_pue=implied_pue,
                possible=implied_pue is None or implied_pue >= 1.0,
                implied_it_power_per_accelerator=ureg.Quantity(implied_it, "W"),
                power_for_count=ureg.Quantity(for_count, "W"),
            )
        )
    return AcceleratorCheck(
        text=term.text,
        chip=chip_id,
        model_accelerators=model_count,
        model_power_per_accelerator=ureg.Quantity(per_accelerator, "W"),
        it_power_per_accelerator=ureg.Quantity(reserved, "W"),
        ends=tuple(ends),
        verdict=_range_verdict(tuple(end.ratio for end in ends), tolerance),
        model_inside=_inside(term.counts, model_count),
    )


def _check_share(
    term: ShareClaim, grid: Grid, chip_id: str, conversion: Conversion, tolerance: float
) -> ShareCheck:
    share = conversion.grid_share[grid.id]
    at_u, at_idle, at_busy = (float(s) for s in np.asarray(share.energy.to("").magnitude))
    facility_w = _first(conversion.facility_power, "W")
    average_w = _first(conversion.average_facility_power, "W")
    annual_energy_j = _first(conversion.annual_energy, "J")
    model_shares = {
        "energy": at_u,
        "full_draw": float(chain.grid_energy_share(facility_w, grid.energy.si)),
    }
    if share.capacity is not None:
        model_shares["capacity"] = _first(share.capacity, "")
    ends = []
    for claimed in term.shares:
        ratios = {name: _ratio(claimed, value) for name, value in model_shares.items()}
        slope = at_busy - at_idle
        ends.append(
            ShareEnd(
                share=claimed,
                ratio=ratios["energy"],
                verdict=verdict(ratios["energy"], tolerance),
                ratios=ratios,
                matches=tuple(n for n, r in ratios.items() if verdict(r, tolerance) == CONSISTENT),
                implied_average_facility_power=ureg.Quantity(average_w * ratios["energy"], "W"),
                implied_utilization=None if slope == 0 else (claimed - at_idle) / slope,
                implied_grid_annual_energy=ureg.Quantity(annual_energy_j / claimed, "J"),
                implied_grid_capacity=ureg.Quantity(facility_w / claimed, "W"),
            )
        )
    matches = tuple(
        name
        for name in model_shares
        if _range_verdict(tuple(end.ratios[name] for end in ends), tolerance) == CONSISTENT
    )
    return ShareCheck(
        text=term.text,
        grid=grid,
        chip=chip_id,
        model_shares=model_shares,
        share_at_idle=at_idle,
        share_at_busy=at_busy,
        average_facility_power=ureg.Quantity(average_w, "W"),
        facility_power=ureg.Quantity(facility_w, "W"),
        ends=tuple(ends),
        verdict=_range_verdict(tuple(end.ratio for end in ends), tolerance),
        model_inside=_inside(term.shares, at_u),
        matches=matches,
    )


def _check_compute_claim(
    claim: Claim, *, pue: Any, tolerance: Any, provision: str, method: str,
    profiles: ProfileSet, grid_set: GridSet | None,
) -> ClaimReport:  # fmt: skip
    """Each count of the claim converted to peak FLOP/s at the claim's precision and sparsity
    (bf16 and dense where it says none), and compared with the claimed compute."""
    assert claim.compute is not None
    pue_value = _scalar(pue, "pue", *RANGES["pue"])
    tolerance_value = _scalar(tolerance, "tolerance", 0.0, 1.0)
    precision = claim.precision or DEFAULTS.precision
    sparsity = claim.sparsity or DEFAULTS.sparsity
    claimed = float(claim.compute.to("FLOP/s").magnitude)
    checks: list[ComputeCheck] = []
    notes: list[str] = []
    if claim.precision is None:
        notes.append(f"the claim names no precision: checked at {precision}")
    if claim.sparsity is None:
        notes.append(f"the claim says neither sparse nor dense: checked {sparsity}")
    for term in claim.terms:
        assert isinstance(term, AcceleratorClaim)
        chip_id = _resolve_chip(term.chip, profiles)
        profile = profiles[chip_id]
        dies = profile.dies if term.unit == "dies" else 1.0
        if term.unit == "dies" and profile.dies_per_package is None:
            notes.append(f"{chip_id} publishes no dies per package: a die counted as a package")
        packages = tuple(count / dies for count in term.counts)
        conversion = convert_accelerators(
            np.array(packages), chip=chip_id, pue=pue_value, provision=provision,
            method=method, precision=precision, sparsity=sparsity, profiles=profiles,
            grid_set=grid_set,
        )  # fmt: skip
        model = tuple(
            float(x) for x in np.atleast_1d(conversion.peak_flops.to("FLOP/s").magnitude)
        )
        ratios = tuple(_ratio(claimed, m) for m in model)
        verdict_text = (
            verdict(ratios[0], tolerance_value) if len(ratios) == 1
            else _range_verdict(ratios, tolerance_value)
        )  # fmt: skip
        checks.append(
            ComputeCheck(
                term=term, chip=chip_id, precision=precision, sparsity=sparsity,
                packages=packages, model_flops=model, ratios=ratios, verdict=verdict_text,
                implied_flops_per_unit=tuple(claimed / count for count in term.counts),
            )
        )  # fmt: skip
        site_notes = conversion.site.notes() if conversion.site is not None else []
        notes += [
            line for line in conversion.assumptions if line not in notes and line not in site_notes
        ]
    inputs = {"precision": precision, "sparsity": sparsity, "pue": pue_value,
              "provision": provision, "method": method, "tolerance": tolerance_value}  # fmt: skip
    return ClaimReport(claim, inputs, tuple(checks), tuple(notes))
