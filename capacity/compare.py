"""Side by side: one power (or count) through several chips or mixes, or the deals of a
portfolio, output by output, with each column's ratio to the first.

:func:`compare` runs :func:`capacity.convert` (or :func:`capacity.convert_accelerators`) once
per chip or mix and prices each with :mod:`capacity.costs`; :func:`compare_deals` lines up the
deals of an evaluated portfolio the same way. Both return a :class:`Comparison`, whose rows
come from each column's JSON document (:mod:`capacity.tables`), so that every output a
conversion reports is compared.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pint

from capacity.checks import describe, instance_of, optional_mapping, text_list
from capacity.convert import Conversion, convert, convert_accelerators, resolve_mix
from capacity.costs import Costs, conversion_costs, cost_assumptions
from capacity.defaults import DEFAULTS
from capacity.errors import InputError, UnitError
from capacity.grids import Grid, GridSet
from capacity.profiles import ProfileSet, profile_set
from capacity.tables import document_rows, frame, unit_of, wide_frame
from capacity.units import parse_count

if TYPE_CHECKING:
    from capacity.portfolio import PortfolioReport

__all__ = ["Comparison", "ComparisonRow", "compare", "compare_deals"]

# The entity of a column's own totals in its document (per-chip rows are left out).
_TOTAL = "total"


@dataclass(frozen=True)
class ComparisonRow:
    """One output across the columns."""

    output: str
    """The output's name, which names its unit ("it_power_w")."""
    unit: str
    values: tuple[float | None, ...]
    """One value per column, in ``unit``; None where a column lacks it (a missing price)."""

    @property
    def ratios(self) -> tuple[float | None, ...]:
        """Each value ÷ the first column's; None where either is missing or the first is 0."""
        first = self.values[0]
        return tuple(
            None if v is None or first is None or first == 0 else v / first for v in self.values
        )


@dataclass(frozen=True)
class Comparison:
    """Several conversions side by side: one column per chip, mix or deal."""

    title: str
    columns: tuple[str, ...]
    """Column labels: profile ids, mix labels or deal names."""
    conversions: tuple[Conversion, ...]
    costs: tuple[Costs, ...]
    rows: tuple[ComparisonRow, ...]
    inputs: Mapping[str, Any]
    assumptions: tuple[str, ...]
    warnings: tuple[str, ...] = ()

    def row(self, output: str) -> ComparisonRow:
        """The row of ``output`` ("delivered_flop_per_s")."""
        for row in self.rows:
            if row.output == output:
                return row
        raise InputError(f"unknown output {output!r}; known: {', '.join(self.outputs)}")

    @property
    def outputs(self) -> tuple[str, ...]:
        return tuple(row.output for row in self.rows)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: per output, its unit, each column's value and its ratio to the
        first column."""
        return {
            "title": self.title,
            "inputs": dict(self.inputs),
            "columns": list(self.columns),
            "outputs": {
                row.output: {
                    "unit": row.unit,
                    "values": dict(zip(self.columns, row.values, strict=True)),
                    "ratio_to_first": dict(zip(self.columns, row.ratios, strict=True)),
                }
                for row in self.rows
            },
            "assumptions": list(self.assumptions),
            "warnings": list(self.warnings),
        }

    def tidy_rows(self) -> list[dict[str, Any]]:
        """One row per column (entity) and output: value, unit and ratio to the first."""
        return [
            {"entity": column, "output": row.output, "value": value, "unit": row.unit,
             "ratio_to_first": ratio}
            for row in self.rows
            for column, value, ratio in zip(self.columns, row.values, row.ratios, strict=True)
        ]  # fmt: skip

    def to_dataframe(self, wide: bool = False) -> Any:
        """A pandas DataFrame: tidy (entity, output, value, unit, ratio_to_first), or with
        ``wide`` one row per column of the comparison and one column per output."""
        rows = self.tidy_rows()
        if wide:
            return wide_frame(rows, title=self.title)
        return frame(rows, title=self.title)

    def plot(self, **options: Any) -> Any:
        """Bars of each output across the columns (:func:`capacity.plots.plot_comparison`)."""
        from capacity.plots import plot_comparison

        return plot_comparison(self, **options)

    def _repr_html_(self) -> str:
        from capacity.report import notebook_html

        return notebook_html(self)


def _column_rows(conversion: Conversion, costs: Costs | None) -> list[dict[str, Any]]:
    """A column's totals as tidy rows: the conversion's, then its costs'."""
    document = conversion.to_dict()
    extra: dict[str, Any] = {
        "systems": math.fsum(float(q.magnitude) for q in conversion.systems_by_chip.values()),
    }
    if len(conversion.chips) == 1:
        (watts,) = conversion.power_per_accelerator.values()
        extra["it_power_per_accelerator_w"] = float(watts.to("W").magnitude)
    rows = document_rows(document | extra)
    if costs is not None:
        rows += document_rows(costs.to_dict(), skip=("hardware_capex_by_chip_usd",))
    return [row for row in rows if row["entity"] == _TOTAL]


def _comparison_rows(columns: Sequence[list[dict[str, Any]]]) -> tuple[ComparisonRow, ...]:
    outputs: dict[str, str] = {}
    for rows in columns:
        for row in rows:
            outputs.setdefault(row["output"], row["unit"])
    values = [{row["output"]: row["value"] for row in rows} for rows in columns]
    result = []
    for output, unit in outputs.items():
        cells = tuple(_finite(by_output.get(output)) for by_output in values)
        if any(cell is not None for cell in cells):
            result.append(ComparisonRow(output, unit or unit_of(output), cells))
    return tuple(result)


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _assumptions(conversions: Iterable[Conversion], costs: Iterable[Costs]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for conversion in conversions:
        for line in conversion.assumptions:
            seen.setdefault(line)
    for cost in costs:
        for line in cost.assumptions:
            seen.setdefault(line)
    return tuple(seen)


def compare(
    power_or_count: Any,
    *,
    chips: str | Sequence[str] | None = None,
    mixes: Sequence[str | Mapping[str, Any]] | str | None = None,
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
    cost_overrides: Mapping[str, Any] | None = None,
) -> Comparison:
    """One power (or number of accelerators) through several chips or mixes, side by side.

    Parameters
    ----------
    power_or_count : str, pint.Quantity or number
        A power ("1 GW") or a count of accelerators (200000, "200k", "4.5M"). [W] or [1]
    chips : str or sequence of str, optional
        One column per chip: "h100,gb300,tpu-v7" or a list (profile ids or aliases).
    mixes : str, mapping or sequence of them, optional
        One column per mix, after the chips' ("gb300=0.5,mi355x=0.5").
    pue, utilization, mfu, basis, provision, precision, method, mix_basis, grids, profiles,
    grid_set :
        As in :func:`capacity.convert`, the same for every column.
    overrides : mapping, optional
        Profile fields for this run, by chip: ``{"gb300.tdp": "1.5 kW"}`` changes the gb300
        column only.
    cost_overrides : mapping, optional
        As :func:`capacity.costs.cost_assumptions`' ``overrides`` ("price.h100", ...).

    Returns
    -------
    Comparison

    Examples
    --------
    >>> result = compare("1 GW", chips="h100,gb300")
    >>> result.columns
    ('h100-sxm', 'gb300')
    >>> row = result.row("delivered_flop_per_s")
    >>> round(row.ratios[1], 2)  # gb300 delivers this many times the FLOP/s of h100 in 1 GW
    1.77
    """
    profiles = profile_set(profiles, overrides)
    cost_overrides = optional_mapping(cost_overrides, "cost_overrides") or None
    chip_list = text_list(chips, "chips") or []
    mix_list = _mix_list(mixes)
    if not chip_list and not mix_list:
        raise InputError(
            f"compare needs chips or mixes, e.g. chips='h100,gb300'; known chips: "
            f"{', '.join(profiles)}"
        )
    specs: list[tuple[str, dict[str, Any]]] = []
    for name in chip_list:
        chip = profiles.resolve(name)
        specs.append((chip, {"chip": chip}))
    for mix in mix_list:
        try:
            shares = resolve_mix(None, mix, profiles)
        except InputError as error:
            raise type(error)(f"mixes: {error}") from None
        label = ",".join(f"{chip}={float(share):g}" for chip, share in shares.items())
        specs.append((label, {"mix": shares}))
    labels = [label for label, _ in specs]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise InputError(f"compare: {repeated[0]!r} is named twice; name each chip or mix once")
    options: dict[str, Any] = {
        "pue": pue, "utilization": utilization, "mfu": mfu, "provision": provision,
        "precision": precision, "method": method, "mix_basis": mix_basis, "grids": grids,
        "profiles": profiles, "grid_set": grid_set,
    }  # fmt: skip
    count = _count(power_or_count)
    conversions = []
    for _, spec in specs:
        if count is not None:
            conversions.append(convert_accelerators(count, **spec, **options))
        else:
            try:
                conversions.append(convert(power_or_count, basis=basis, **spec, **options))
            except UnitError as error:
                raise UnitError(f"power_or_count: {error}") from None
            except InputError as error:
                if not str(error).startswith("power "):
                    raise
                raise InputError(f"power_or_count: {error}") from None
    costs = [
        conversion_costs(c, cost_assumptions(c.chips, profiles, cost_overrides))
        for c in conversions
    ]
    for conversion in conversions:
        for name in ("pue", "utilization", "mfu"):
            if isinstance(conversion.inputs[name], float):
                continue
            raise InputError(f"compare: {name} must be one number, the same for every column")
    if count is not None:
        what = f"{count:,.0f} accelerators"
    else:
        power = conversions[0].facility_power if basis == "facility" else conversions[0].it_power
        what = f"{_shown_power(power)} of {basis} power"
    return Comparison(
        title=f"{what}: {' vs '.join(labels)}",
        columns=tuple(labels),
        conversions=tuple(conversions),
        costs=tuple(costs),
        rows=_comparison_rows(
            [_column_rows(c, k) for c, k in zip(conversions, costs, strict=True)]
        ),
        inputs={
            key: value
            for key, value in conversions[0].inputs.items()
            if key not in ("chips", "mix")
        }
        | {"columns": labels},
        assumptions=_assumptions(conversions, costs),
        warnings=tuple(
            f"{label}: {note}"
            for label, c in zip(labels, conversions, strict=True)
            for note in c.warnings
        ),
    )


def _mix_list(mixes: Any) -> list[Any]:
    """``mixes`` as a list of mixes (text or mappings); None is none."""
    if mixes is None:
        return []
    if isinstance(mixes, str | Mapping):
        return [mixes]
    if (
        not isinstance(mixes, Sequence)
        or not mixes
        or any(not isinstance(mix, str | Mapping) for mix in mixes)
    ):
        raise InputError(
            "mixes must be a mix ('h100=0.5,gb300=0.5' or a mapping) or a non-empty list of "
            f"them, got {describe(mixes)}"
        )
    return list(mixes)


def _count(power_or_count: Any) -> float | None:
    if isinstance(power_or_count, pint.Quantity):
        return None
    if isinstance(power_or_count, int | float) and not isinstance(power_or_count, bool):
        count = parse_count(power_or_count, "power_or_count")
        if count is None or not math.isfinite(count):
            raise InputError(f"power_or_count: a count must be finite, got {power_or_count!r}")
        return count
    if isinstance(power_or_count, str):
        return parse_count(power_or_count, "power_or_count")
    raise InputError(
        "power_or_count must be a power ('1 GW', a capacity.ureg quantity) or a count "
        f"(200000, '200k'); got {type(power_or_count).__name__} {power_or_count!r}"
    )


def _shown_power(power: pint.Quantity) -> str:
    from capacity.units import ureg

    watts = float(power.to("W").magnitude)
    for unit in ("TW", "GW", "MW", "kW"):
        if watts >= float(ureg.Quantity(1, unit).to("W").magnitude):
            return f"{power.to(unit).magnitude:.4g} {unit}"
    return f"{watts:.4g} W"


def compare_deals(report: PortfolioReport) -> Comparison:
    """The deals of an evaluated portfolio side by side, one column per deal, at full
    deployment with nominal inputs.

    Examples
    --------
    >>> from capacity.portfolio import evaluate_portfolio, loads_portfolio
    >>> report = evaluate_portfolio(loads_portfolio('''
    ... [portfolio]
    ... name = "two"
    ... [[deal]]
    ... name = "A"
    ... counterparty = "a"
    ... power = "1 GW"
    ... chip = "h100"
    ... [[deal]]
    ... name = "B"
    ... counterparty = "b"
    ... power = "2 GW"
    ... chip = "h100"
    ... '''))
    >>> compare_deals(report).row("facility_power_w").ratios
    (1.0, 2.0)
    """
    from capacity.portfolio import PortfolioReport

    instance_of(report, PortfolioReport, "report", "from capacity.evaluate_portfolio")
    deals = report.deals
    conversions = [deal.conversion for deal in deals]
    costs = [deal.costs for deal in deals]
    columns = [_column_rows(c, k) for c, k in zip(conversions, costs, strict=True)]
    return Comparison(
        title=f"{report.portfolio.name}: deals side by side at full deployment",
        columns=tuple(deal.deal.name for deal in deals),
        conversions=tuple(conversions),
        costs=tuple(costs),
        rows=_comparison_rows(columns),
        inputs={"portfolio": report.portfolio.name, "source": str(report.portfolio.source)},
        assumptions=tuple(report.assumptions),
        warnings=tuple(report.flags),
    )
