"""Charts of results, drawn with matplotlib on its Agg canvas (no display, no pyplot state).

Each function takes a result and returns a :class:`matplotlib.figure.Figure`:

- :func:`plot_conversion`: the chain from facility power to delivered FLOP/s, step by step;
- :func:`plot_sweep`: a heatmap of an output over PUE × utilization for one mix, the feasible
  region outlined and the best point marked, beside the mixes (a line for two chips, a
  ternary plot for three, small multiples for more);
- :func:`plot_montecarlo`: a histogram (or CDF) with P5, P50 and P95, and the tornado;
- :func:`plot_portfolio`: GW, accelerators and energy by deal per year, with the Monte Carlo
  band;
- :func:`plot_comparison`: bars of each output across the compared chips, mixes or deals.

Axes carry units at a readable magnitude (GW, ZFLOP/s), and every figure a footnote naming
the assumption-grade figures it used. matplotlib is imported only here, when a chart is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from capacity.errors import InputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from capacity.compare import Comparison
    from capacity.convert import Conversion
    from capacity.montecarlo import MonteCarloResult
    from capacity.portfolio import PortfolioReport
    from capacity.power import PowerShares
    from capacity.sweep import SweepResult

__all__ = [
    "FIGURE_FORMATS",
    "plot_comparison",
    "plot_conversion",
    "plot_montecarlo",
    "plot_portfolio",
    "plot_sweep",
    "save_figure",
    "scale",
]

FIGURE_FORMATS = (".png", ".svg", ".pdf")
_PREFIXES = ((1e24, "Y"), (1e21, "Z"), (1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"),
             (1e6, "M"), (1e3, "k"))  # fmt: skip
_COUNT_WORDS = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"), (1e3, "thousand"))
# Footnote lines at most; the rest are counted.
FOOTNOTE_LINES = 6
# Colours of deals and chips, in order (matplotlib's tab10, readable in print).
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")  # fmt: skip
# The outputs a sweep's chart can show: variable of the materialized sweep, SI unit, label.
SWEEP_OUTPUTS = {
    "delivered-flops": ("delivered_flops", "FLOP/s", "delivered compute"),
    "peak-flops": ("peak_flops", "FLOP/s", "peak compute"),
    "accelerators": ("accelerators", "", "accelerators"),
    "average-power": ("average_facility_power", "W", "average facility power"),
    "annual-energy": ("annual_energy", "TWh", "annual energy"),
}
# Bins of a Monte Carlo histogram as drawn (the run's finer bins are merged).
HISTOGRAM_BINS = 60


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def scale(values: Any, unit: str) -> tuple[float, str]:
    """A divisor and the unit to show ``values`` in at a readable magnitude:
    (1e9, "GW") for gigawatts, (1e21, "ZFLOP/s"), (1e6, "million") for counts.

    >>> scale([2e9, 5e9], "W")
    (1000000000.0, 'GW')
    """
    finite = np.abs(np.asarray(values, dtype=np.float64))
    finite = finite[np.isfinite(finite)]
    largest = float(finite.max()) if finite.size else 0.0
    if unit in ("", "1"):
        for factor, word in _COUNT_WORDS:
            if largest >= factor:
                return factor, word
        return 1.0, ""
    if unit == "TWh":
        return 1.0, "TWh"
    if "³" in unit:  # "Mm³" would read as cubic megametres: words instead
        for factor, word in _COUNT_WORDS:
            if largest >= factor:
                return factor, f"{word} {unit}"
        return 1.0, unit
    if unit.startswith("USD"):  # "7.9 billion USD/year/GW", never "GUSD"
        for factor, word in _COUNT_WORDS:
            if largest >= factor:
                return factor, f"{word} {unit}"
        return 1.0, unit
    for factor, prefix in _PREFIXES:
        if largest >= factor:
            return factor, f"{prefix}{unit}"
    return 1.0, unit


def _axis_label(label: str, unit: str) -> str:
    return f"{label} [{unit}]" if unit else label


def _short_number(value: float, unit: str = "") -> str:
    factor, shown = scale([value], unit)
    text = f"{value / factor:.3g}"
    return f"{text} {shown}".strip()


def footnote(figure: Figure, assumptions: Sequence[str], extra: str = "") -> list[str]:
    """Name the assumption-grade figures (and estimates and overrides) the chart used at the
    bottom of ``figure``; returns the names."""
    names = []
    for line in assumptions:
        head = line.split(":", 1)[0]
        names.append(head.split(" = ")[0] + (f" [{head.split('[')[-1]}" if "[" in head else ""))
    names = list(dict.fromkeys(names))
    shown = names[:FOOTNOTE_LINES]
    more = len(names) - len(shown)
    text = "Assumption-grade figures used: " + ("; ".join(shown) if shown else "none")
    if more:
        text += f"; and {more} more (see the assumptions list)"
    if extra:
        text = f"{extra}\n{text}"
    text = _wrap(text, int(figure.get_figwidth() * _FOOTNOTE_CHARACTERS_PER_INCH))
    figure.text(0.005, 0.002, text, fontsize=7, ha="left", va="bottom", color="#555555",
                gid="footnote")  # fmt: skip
    engine: Any = figure.get_layout_engine()
    lines = text.count("\n") + 1
    bottom = 0.01 + lines * 0.13 / figure.get_figheight()  # the footnote's height, in inches
    engine.set(rect=(0, bottom, 1, 1 - bottom))  # left, bottom, width, height
    return names


# Characters of the 7-point footnote per inch of figure width.
_FOOTNOTE_CHARACTERS_PER_INCH = 15


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.fill(part, width) for part in text.split("\n"))


def save_figure(figure: Figure, path: str | Path, label: str = "--plot") -> Path:
    """Write ``figure`` to ``path`` (.png, .svg or .pdf by its suffix), atomically."""
    from capacity.streaming import atomic_destination, check_output_path

    destination = check_output_path(path, label)
    suffix = destination.suffix.lower()
    if suffix not in FIGURE_FORMATS:
        raise InputError(
            f"{label}: {str(path)!r} must end in {', '.join(FIGURE_FORMATS)}: the format "
            "follows the suffix"
        )
    with atomic_destination(destination, label) as temporary:
        figure.savefig(temporary, format=suffix[1:], dpi=150, metadata=_metadata(suffix))
    return destination


def _metadata(suffix: str) -> dict[str, Any]:
    """No creation date in SVG and PDF files, so that the same chart gives the same bytes."""
    if suffix == ".svg":
        return {"Date": None}
    if suffix == ".pdf":
        return {"CreationDate": None}
    return {}


# --- convert ----------------------------------------------------------------------------------


def plot_conversion(conversion: Conversion | PowerShares) -> Figure:
    """The chain of one conversion, step by step: facility power → IT power → accelerators →
    peak FLOP/s → delivered FLOP/s, each step's factor on its arrow, and the average draw,
    energy and grid shares beside it. A conversion of arrays is drawn at its first point."""
    from capacity.power import PowerShares

    if isinstance(conversion, PowerShares):
        return _plot_power_shares(conversion)
    inputs = conversion.inputs

    def first(quantity: Any, unit: str) -> float:
        return float(np.ravel(quantity.to(unit).magnitude)[0])

    def number(value: Any) -> float:
        return float(np.ravel(value)[0])

    facility, it_power = first(conversion.facility_power, "W"), first(conversion.it_power, "W")
    count = first(conversion.accelerators, "")
    peak, delivered = first(conversion.peak_flops, "FLOP/s"), first(conversion.delivered_flops,
                                                                  "FLOP/s")  # fmt: skip
    watts = {chip: first(w, "W") for chip, w in conversion.power_per_accelerator.items()}
    per_chip = ", ".join(f"{chip} {_short_number(w, 'W')}" for chip, w in watts.items())
    steps = [
        ("facility power", facility, "W", ""),
        ("IT power", it_power, "W", f"÷ PUE {number(inputs['pue']):g}"),
        ("accelerators", count, "", f"÷ IT power per accelerator ({per_chip})"),
        ("peak compute", peak, "FLOP/s", f"× peak {inputs['precision']} FLOP/s per accelerator"),
        ("delivered compute", delivered, "FLOP/s",
         f"× utilization {number(inputs['utilization']):g} × MFU {number(inputs['mfu']):g}"),
    ]  # fmt: skip
    figure = _figure(9.5, 6.2)
    axes = figure.add_subplot()
    axes.set_xlim(0, 1)
    axes.set_ylim(-0.5, len(steps) - 0.5)
    axes.invert_yaxis()
    axes.axis("off")
    chips = ", ".join(conversion.chips)
    axes.set_title(f"From facility power to delivered FLOP/s: {chips}", loc="left")
    for row, (label, value, unit, operation) in enumerate(steps):
        axes.text(0.03, row, label, va="center", fontsize=11, gid=f"step-{row}-label")
        box = {"boxstyle": "round,pad=0.4", "fc": "#eef3fa", "ec": "#1f4e79"}
        axes.text(0.42, row, _short_number(value, unit), va="center", ha="left", fontsize=14,
                  fontweight="bold", gid=f"step-{row}-value", bbox=box)  # fmt: skip
        if operation:
            axes.annotate("", xy=(0.46, row - 0.28), xytext=(0.46, row - 0.72),
                          arrowprops={"arrowstyle": "->", "color": "#1f4e79"})  # fmt: skip
            axes.text(0.49, row - 0.5, operation, va="center", fontsize=8.5, color="#333333",
                      gid=f"step-{row}-operation")  # fmt: skip
    average = first(conversion.average_facility_power, "W")
    energy = first(conversion.annual_energy, "TWh")
    side = [f"average facility draw {_short_number(average, 'W')}",
            f"annual energy {energy:.3g} TWh"]  # fmt: skip
    for grid, share in list(conversion.grid_share.items())[:4]:
        side.append(f"share of {grid} (energy basis) {number(share.energy.magnitude) * 100:.3g} %")
    axes.text(0.99, len(steps) - 0.6, "\n".join(side), ha="right", va="bottom", fontsize=8.5,
              color="#333333", gid="side-outputs")  # fmt: skip
    footnote(figure, conversion.assumptions)
    figure.capacity_values = {label: value for label, value, _, _ in steps}  # type: ignore[attr-defined]
    return figure


def _plot_power_shares(answer: PowerShares) -> Figure:
    figure = _figure(9.0, 4.8)
    axes = figure.add_subplot()
    grids = list(answer.grid_share)
    positions = np.arange(len(grids))
    capacity = [_percent(answer.grid_share[g].capacity) for g in grids]
    energy = [_percent(answer.grid_share[g].energy) for g in grids]
    axes.barh(positions - 0.2, capacity, height=0.4, label="capacity basis (facility power ÷ "
              "grid capacity)", color=PALETTE[0])  # fmt: skip
    if answer.load_factor is not None:
        axes.barh(positions + 0.2, energy, height=0.4, color=PALETTE[1],
                  label=f"energy basis at load factor {answer.load_factor:g}")  # fmt: skip
    axes.set_yticks(positions, grids)
    axes.invert_yaxis()
    axes.set_xlabel("share of the grid [%]")
    facility = float(answer.facility_power.to("W").magnitude)
    axes.set_title(f"{_short_number(facility, 'W')} of facility power: share of each grid "
                   "(no chip: no counts or FLOP/s)", loc="left")  # fmt: skip
    axes.legend(loc="lower right", fontsize=8)
    footnote(figure, answer.assumptions)
    return figure


def _percent(share: Any) -> float:
    return math.nan if share is None else float(share.to("").magnitude) * 100


# --- sweep ------------------------------------------------------------------------------------


def plot_sweep(
    result: SweepResult, output: str | None = None, mix: int | None = None,
    power: int | None = None, grid: str | None = None,
) -> Figure:  # fmt: skip
    """A heatmap of ``output`` over PUE × utilization for one mix of a materialized sweep.

    The feasible region (points meeting every constraint) is outlined and the best point
    marked. Beside the heatmap, ``output`` across the mixes at the PUE and utilization shown
    by the best point: a line over one chip's share for two chips, a ternary plot for three,
    small multiples (one panel per chip's share) for more.

    Parameters
    ----------
    result : SweepResult
        A sweep that kept its points (not ``reduce``, not ``out``).
    output : str, optional
        "delivered-flops" (default), "peak-flops", "accelerators", "average-power",
        "annual-energy" or "grid-share:GRID"; default the objective's output where it is one.
    mix, power : int, optional
        Index of the mix and of the power shown; default the best point's, else the first.
    grid : str, optional
        The grid of ``output="grid-share"`` when it names none.
    """
    if result.data is None:
        raise InputError(
            "this sweep kept no points (it was reduced or streamed to a file); run it without "
            "reduce and out to chart it"
        )
    output = output or _objective_output(result) or "delivered-flops"
    variable, unit, label = _sweep_output(result, output, grid)
    values = _point_values(result, variable)  # power × pue × utilization × mix
    n_power, n_pue, n_util, n_mix = result.shape
    best = result.best
    ip, iq, iu, im = (
        (int(i) for i in np.unravel_index(best.index, result.shape)) if best is not None
        else (0, 0, 0, 0)
    )  # fmt: skip
    im = im if mix is None else _index(mix, n_mix, "mix")
    ip = ip if power is None else _index(power, n_power, "power")
    feasible = _feasible(result)
    panels = len(result.chips) >= 2 and n_mix > 1
    extra = 0 if not panels else (min(len(result.chips), 6) if len(result.chips) > 3 else 1)
    # one PUE and one utilization: a heatmap of one cell says nothing beside the mixes
    heatmap = not (panels and n_pue == 1 and n_util == 1)
    first = 1 if heatmap else 0  # the grid column of the first mixes panel
    width = (6.4 if heatmap else 4.0) + 3.6 * min(extra, 3)
    figure = _figure(width, 5.4 if extra <= 3 else 7.2)
    grid_spec = figure.add_gridspec(2 if extra > 3 else 1, first + min(extra, 3))
    factor, shown = scale(values, unit)
    if heatmap:
        _heatmap(figure, grid_spec[:, 0], result, values[ip, :, :, im] / factor,
                 feasible[ip, :, :, im], label, shown, im, ip, mix)  # fmt: skip
    if panels:
        across = values[ip, iq, iu, :] / factor
        caption = (f"{label} across mixes at PUE {result.pue[iq]:.3g}, utilization "
                   f"{result.utilization[iu]:.3g}")  # fmt: skip
        if len(result.chips) == 2:
            axes = figure.add_subplot(grid_spec[0, first])
            order = np.argsort(result.mixes[:, 0])
            axes.plot(result.mixes[order, 0], across[order], marker="o", gid="mix-line")
            axes.set_xlabel(f"share of {result.chips[0]} [1]")
            axes.set_ylabel(_axis_label(label, shown))
            axes.set_title(_wrap(caption, 50), fontsize=9, loc="left")
        elif len(result.chips) == 3:
            _ternary(figure.add_subplot(grid_spec[0, first]), result, across, im, label, shown,
                     caption)  # fmt: skip
        else:
            for k, chip in enumerate(result.chips[:6]):
                axes = figure.add_subplot(grid_spec[k // 3, first + k % 3])
                axes.scatter(result.mixes[:, k], across, s=6, alpha=0.5, gid=f"multiple-{chip}")
                axes.set_xlabel(f"share of {chip} [1]", fontsize=8)
                axes.set_ylabel(_axis_label(label, shown), fontsize=8)
                axes.tick_params(labelsize=7)
            figure.suptitle(_wrap(caption, 120), fontsize=9)
    footnote(figure, result.assumptions)
    return figure


def _heatmap(
    figure: Figure, where: Any, result: SweepResult, plane: np.ndarray, feasible: np.ndarray,
    label: str, unit: str, im: int, ip: int, mix: int | None,
) -> None:  # fmt: skip
    """``plane`` (PUE × utilization, in ``unit``) of mix ``im`` at power ``ip``: the cells,
    the edge of the ``feasible`` region and the best point."""
    n_power, n_pue, n_util, n_mix = result.shape
    best = result.best
    heat = figure.add_subplot(where)
    image = heat.pcolormesh(_edges(result.utilization), _edges(result.pue), plane,
                            shading="flat", cmap="viridis", gid="heatmap")  # fmt: skip
    colorbar = figure.colorbar(image, ax=heat)
    colorbar.set_label(_axis_label(label, unit))
    heat.set_xlabel("utilization [1]")
    heat.set_ylabel("PUE [1]")
    title = f"{label}, {result.mix_labels[im]}"
    if n_power > 1:
        title += f", {_short_number(float(result.power[ip]), 'W')}"
    heat.set_title(_wrap(title, 60), fontsize=10, loc="left")
    if not feasible.all() and feasible.any() and min(n_pue, n_util) > 1:
        heat.contour(result.utilization, result.pue, feasible.astype(float), levels=[0.5],
                     colors="white", linewidths=2.0)  # fmt: skip
        heat.plot([], [], color="white", lw=2, label="feasible region edge")
    if (
        best is not None
        and best.index // (n_pue * n_util * n_mix) == ip
        and (mix is None or mix == np.unravel_index(best.index, result.shape)[3])
    ):
        heat.plot([best.utilization], [best.pue], marker="*", markersize=16, color="#d62728",
                  markeredgecolor="white", linestyle="none", gid="best-point",
                  label=f"best: {best.objective}")  # fmt: skip
    if heat.get_legend_handles_labels()[0]:
        heat.legend(loc="upper right", fontsize=8, facecolor="#dddddd")


# Half the width of the cell of an axis with one value.
_LONE_HALF_WIDTH = 0.025


def _edges(centres: np.ndarray) -> np.ndarray:
    """The cell edges of a heatmap axis: midway between values, as far beyond the ends; a
    lone value gets a cell of its own (matplotlib draws none for one centre)."""
    values = np.asarray(centres, dtype=np.float64)
    if values.size == 1:
        return np.array([values[0] - _LONE_HALF_WIDTH, values[0] + _LONE_HALF_WIDTH])
    middle = (values[1:] + values[:-1]) / 2
    return np.concatenate([[2 * values[0] - middle[0]], middle, [2 * values[-1] - middle[-1]]])


def _objective_output(result: SweepResult) -> str | None:
    if result.objective is None:
        return None
    name = result.objective.split("-", 1)[1]
    return name if name in SWEEP_OUTPUTS or name.startswith("grid-share:") else None


def _sweep_output(result: SweepResult, output: str, grid: str | None) -> tuple[str, str, str]:
    if output.startswith("grid-share"):
        grid = output.partition(":")[2] or grid
        known = [g.id for g in result.grids]
        if grid not in known:
            raise InputError(f"output {output!r}: name a grid of the sweep: {', '.join(known)}")
        return f"grid_share:{grid}", "%", f"share of {grid} (energy basis)"
    if output not in SWEEP_OUTPUTS:
        names = [*SWEEP_OUTPUTS, "grid-share:GRID"]
        raise InputError(f"output must be one of {', '.join(names)}; got {output!r}")
    return SWEEP_OUTPUTS[output]


def _point_values(result: SweepResult, variable: str) -> np.ndarray:
    from capacity import chain
    from capacity.units import JOULES_PER_TWH

    assert result.data is not None
    data = result.data
    if variable == "annual_energy":
        flat = chain.annual_energy(data["average_facility_power"]) / JOULES_PER_TWH
    elif variable.startswith("grid_share:"):
        grid = next(g for g in result.grids if g.id == variable.partition(":")[2])
        average = data["average_facility_power"]
        flat = chain.grid_energy_share(average, grid.energy.si) * 100
    else:
        flat = data[variable]
    return np.asarray(flat).reshape(result.shape)


def _feasible(result: SweepResult) -> np.ndarray:
    """Whether each point meets every constraint (power × PUE × utilization × mix)."""
    from capacity import chain
    from capacity.kernels.point import QUANTITIES

    assert result.data is not None
    shape = result.shape
    mask = np.ones(shape, dtype=bool)
    if result.feasible_mix is not None:
        mask &= result.feasible_mix.reshape(1, 1, 1, -1)
    power = result.power.reshape(-1, 1, 1, 1)
    pue = result.pue.reshape(1, -1, 1, 1)
    for quantity, lower, upper in result.point_bounds:
        name = QUANTITIES[quantity]
        if name == "facility_power":
            values = chain.facility_power(power, pue, result.inputs["basis"]) * np.ones(shape)
        elif name == "it_power":
            values = chain.it_power(power, pue, result.inputs["basis"]) * np.ones(shape)
        else:
            values = np.asarray(result.data[name]).reshape(shape)
        mask &= (values >= lower) & (values <= upper)
    return mask


def _index(value: int, size: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= value < size:
        raise InputError(f"{name} must be an index in [0, {size - 1}], got {value!r}")
    return int(value)


_SQRT3_2 = math.sqrt(3) / 2


def _ternary(
    axes: Axes, result: SweepResult, values: np.ndarray, chosen: int, label: str, unit: str,
    caption: str,
) -> None:  # fmt: skip
    """Three chips' mixes on a triangle (a corner per chip), coloured by ``values``."""
    shares = result.mixes
    x = shares[:, 1] + 0.5 * shares[:, 2]
    y = _SQRT3_2 * shares[:, 2]
    points = axes.scatter(x, y, c=values, cmap="viridis", s=40, gid="ternary")
    axes.plot([0, 1, 0.5, 0], [0, 0, _SQRT3_2, 0], color="#333333", lw=1)
    corners = (
        (-0.02, -0.03, "right", "top"),
        (1.02, -0.03, "left", "top"),
        (0.5, _SQRT3_2 + 0.05, "center", "bottom"),
    )  # clear of the points' markers
    for chip, (cx, cy, ha, va) in zip(result.chips, corners, strict=True):
        axes.text(cx, cy, f"{chip} = 1", ha=ha, va=va, fontsize=8)
    if result.best is not None:
        axes.plot([x[chosen]], [y[chosen]], marker="*", markersize=14, color="#d62728",
                  markeredgecolor="white", linestyle="none", gid="ternary-best")  # fmt: skip
    axes.set_aspect("equal")
    axes.axis("off")
    axes.set_title(_wrap(caption, 50), fontsize=9, loc="left")
    bar = axes.figure.colorbar(points, ax=axes, shrink=0.7)
    bar.set_label(_axis_label(label, unit))


# --- Monte Carlo ------------------------------------------------------------------------------


def plot_montecarlo(
    result: MonteCarloResult, output: str = "delivered_flops", kind: str = "histogram",
    group: str | None = None,
) -> Figure:  # fmt: skip
    """The distribution of ``output`` (a histogram or, with ``kind="cdf"``, the cumulative
    distribution) with P5, P50 and P95 marked, beside its tornado: each uncertain input swung
    from its P5 to its P95."""
    if kind not in ("histogram", "cdf"):
        raise InputError(f"kind must be histogram or cdf, got {kind!r}")
    group = group or result.top
    summary = result.summary(group, output)
    if summary is None:
        raise InputError(f"{output} of {group} is unavailable (a chip has no price)")
    unit = summary.unit
    label = _output_label(output)
    if output.startswith("grid_share:"):
        label, unit = f"share of {output.partition(':')[2]} (energy basis)", "1"
    bars = [bar for bar in result.tornado.get(output, ()) if bar.swing > 0][:8]
    figure = _figure(12.5 if bars else 7.5, 5.0)
    spec = figure.add_gridspec(1, 2 if bars else 1)
    axes = figure.add_subplot(spec[0, 0])
    edges, counts = _coarse(summary.edges, summary.counts.astype(float), HISTOGRAM_BINS)
    factor, shown = scale(edges, unit)
    if unit == "1":
        factor, shown = 0.01, "%"
    widths = np.diff(edges) / factor
    if kind == "histogram":
        density = counts / max(counts.sum(), 1.0) / widths
        axes.bar(edges[:-1] / factor, density, width=widths, align="edge", color="#9ecae1",
                 edgecolor="#6baed6", gid="histogram")  # fmt: skip
        axes.set_ylabel(f"probability density [1/{shown}]" if shown else "probability density")
    else:
        cumulative = np.concatenate([[0.0], np.cumsum(counts)]) / max(counts.sum(), 1.0)
        axes.plot(edges / factor, cumulative, color="#1f4e79", gid="cdf")
        axes.set_ylabel("cumulative probability [1]")
        axes.set_ylim(0, 1)
    marks = {"P5": summary.quantile(0.05), "P50": summary.quantile(0.5),
             "P95": summary.quantile(0.95)}  # fmt: skip
    for name, value in marks.items():
        axes.axvline(value / factor, color="#d62728" if name == "P50" else "#555555",
                     linestyle="-" if name == "P50" else "--", gid=f"marker-{name}")  # fmt: skip
        axes.text(value / factor, 1.0, f" {name} {value / factor:.3g}",
                  transform=axes.get_xaxis_transform(), rotation=90, va="top", ha="right",
                  fontsize=8)  # fmt: skip
    axes.set_xlabel(_axis_label(label, shown))
    axes.set_title(_wrap(f"{label}: {group}, {result.samples:,} samples", 60), loc="left",
                   fontsize=10)  # fmt: skip
    if bars:
        tornado = figure.add_subplot(spec[0, 1])
        names = [bar.input.removeprefix(f"{result.top}: ") for bar in bars]
        lows = np.array([min(b.output_at_low, b.output_at_high) for b in bars]) / factor
        highs = np.array([max(b.output_at_low, b.output_at_high) for b in bars]) / factor
        positions = np.arange(len(bars))
        tornado.barh(positions, highs - lows, left=lows, color="#fdae6b", edgecolor="#e6550d",
                     gid="tornado")  # fmt: skip
        nominal = result.baseline.get(output)
        if nominal is not None:
            tornado.axvline(nominal / factor, color="#333333", lw=1, gid="tornado-nominal")
        tornado.set_yticks(positions, [_wrap(n, 30) for n in names], fontsize=8)
        tornado.invert_yaxis()
        tornado.set_xlabel(_axis_label(label, shown))
        tornado.set_title("Tornado: each input from its P5 to its P95, others nominal",
                          loc="left", fontsize=10)  # fmt: skip
    footnote(figure, result.assumptions)
    return figure


def _coarse(edges: np.ndarray, counts: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """A histogram merged into about ``bins`` bins, so that sampling noise does not show."""
    factor = max(1, len(counts) // bins)
    usable = len(counts) - len(counts) % factor
    merged = counts[:usable].reshape(-1, factor).sum(axis=1)
    merged[-1] += counts[usable:].sum()
    return np.append(edges[:usable:factor], edges[-1]), merged


# --- portfolio --------------------------------------------------------------------------------


def plot_portfolio(report: PortfolioReport, simulated: MonteCarloResult | None = None) -> Figure:
    """Facility power online (GW) and energy drawn (TWh) by deal per year as stacked bars,
    and accelerators online, with the Monte Carlo P5–P95 band of the total."""
    timeline = report.timeline
    if not timeline:
        raise InputError("the portfolio has no scheduled deal: there is no timeline to chart")
    years = np.array([year.year for year in timeline])
    deals = list(timeline[0].facility_power_by_deal)
    figure = _figure(10.0, 8.2)
    power_axes, count_axes, energy_axes = figure.subplots(3, 1, sharex=True)
    bottom_power = np.zeros(len(years))
    bottom_energy = np.zeros(len(years))
    for k, deal in enumerate(deals):
        colour = PALETTE[k % len(PALETTE)]
        gw = np.array([y.facility_power_by_deal[deal].to("GW").magnitude for y in timeline])
        twh = np.array([y.energy_by_deal[deal].to("TWh").magnitude for y in timeline])
        power_axes.bar(years, gw, bottom=bottom_power, color=colour, label=deal,
                       gid=f"power-{deal}")  # fmt: skip
        energy_axes.bar(years, twh, bottom=bottom_energy, color=colour, gid=f"energy-{deal}")
        bottom_power += gw
        bottom_energy += twh
    counts = np.array([y.accelerators.to("").magnitude for y in timeline])
    factor, shown = scale(counts, "")
    count_axes.plot(years, counts / factor, marker="o", color="#333333", gid="accelerators")
    if simulated is not None:
        _band(power_axes, report, simulated, years, "facility_power", "W", 1e9)
        _band(count_axes, report, simulated, years, "accelerators", "", factor)
        _band(energy_axes, report, simulated, years, "annual_energy", "J", 3.6e15)
    power_axes.set_ylabel("facility power online [GW]")
    count_axes.set_ylabel(_axis_label("accelerators online", shown))
    energy_axes.set_ylabel("energy drawn in the year [TWh]")
    energy_axes.set_xlabel("calendar year (online at year end)")
    energy_axes.set_xticks(years, [str(y) for y in years])
    power_axes.set_title(_wrap(f"{report.portfolio.name}: timeline by deal", 90), loc="left")
    legend_rows = math.ceil((len(deals) + (simulated is not None)) / min(len(deals), 4))
    power_axes.set_ylim(0, power_axes.get_ylim()[1] * (1.15 + 0.12 * legend_rows))  # its room
    power_axes.legend(loc="upper left", fontsize=8, ncols=min(len(deals), 4))
    note = ""
    if simulated is not None:
        note = (f"Band: Monte Carlo P5–P95 of the total at full deployment ({simulated.samples:,}"
                " samples), scaled by the share online each year.")  # fmt: skip
    footnote(figure, report.assumptions, note)
    return figure


def _band(
    axes: Axes, report: PortfolioReport, simulated: MonteCarloResult, years: np.ndarray,
    output: str, unit: str, factor: float,
) -> None:  # fmt: skip
    summary = simulated.summary(simulated.top, output)
    if summary is None:
        return
    totals = report.totals
    full = {"facility_power": totals.facility_power.to("W").magnitude,
            "accelerators": totals.accelerators.to("").magnitude,
            "annual_energy": totals.annual_energy.to("J").magnitude}[output]  # fmt: skip
    if not full > 0:
        return
    low, high = summary.quantile(0.05) / full, summary.quantile(0.95) / full
    timeline = report.timeline
    nominal = {
        "facility_power": [y.facility_power.to("W").magnitude for y in timeline],
        "accelerators": [y.accelerators.to("").magnitude for y in timeline],
        "annual_energy": [y.energy.to("J").magnitude for y in timeline],
    }[output]
    values = np.asarray(nominal, dtype=float) / factor
    axes.fill_between(years, values * low, values * high, color="#888888", alpha=0.25,
                      step="mid", label="Monte Carlo P5–P95", gid=f"band-{output}")  # fmt: skip


# --- compare ----------------------------------------------------------------------------------

# The outputs a comparison charts by default, in order, when the columns have them.
COMPARED_OUTPUTS = ("delivered_flop_per_s", "accelerators", "average_facility_power_w",
                    "annual_energy_twh", "capex_usd", "annual_cost_usd_per_year")  # fmt: skip


def plot_comparison(comparison: Comparison, outputs: Sequence[str] | None = None) -> Figure:
    """One panel of bars per output, one bar per column of the comparison, each labelled with
    its value and its ratio to the first column."""
    chosen = (
        list(outputs)
        if outputs is not None
        else [o for o in COMPARED_OUTPUTS if o in comparison.outputs]
    )
    rows = [comparison.row(output) for output in chosen]
    if not rows:
        raise InputError("no outputs to chart")
    columns = comparison.columns
    n = len(rows)
    across = min(n, 3)
    down = math.ceil(n / across)
    figure = _figure(4.2 * across, 3.4 * down + 0.8)
    positions = np.arange(len(columns))
    for k, row in enumerate(rows):
        axes = figure.add_subplot(down, across, k + 1)
        values = np.array([math.nan if v is None else v for v in row.values])
        factor, shown = scale(values, row.unit)
        if row.unit == "1" and row.output.startswith("grid_share"):
            factor, shown = 0.01, "%"
        colours = [PALETTE[i % len(PALETTE)] for i in range(len(columns))]
        bars = axes.bar(positions, np.nan_to_num(values / factor), color=colours,
                        gid=f"bars-{row.output}")  # fmt: skip
        for bar, value, ratio in zip(bars, values, row.ratios, strict=True):
            text = "n/a" if not math.isfinite(value) else f"{value / factor:.3g}"
            if ratio is not None and bar is not bars[0]:
                text += f"\n×{ratio:.2f}"
            axes.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                          ha="center", va="bottom", fontsize=7.5, xytext=(0, 2),
                          textcoords="offset points")  # fmt: skip
        axes.set_xticks(positions, [_wrap(c, 14) for c in columns], fontsize=8)
        axes.set_ylabel(_axis_label(_output_label(row.output), shown), fontsize=8.5)
        axes.margins(y=0.25)
    figure.suptitle(_wrap(comparison.title, 110), fontsize=11)
    footnote(figure, comparison.assumptions)
    return figure


def _output_label(output: str) -> str:
    """An output's name in words, without its unit: "delivered compute"."""
    from capacity.tables import label_of

    return label_of(output)
