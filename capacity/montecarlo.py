"""Monte Carlo: the chain with uncertain inputs, reduced to quantiles without storing samples.

:func:`montecarlo` runs one conversion whose inputs may be distributions
(:mod:`capacity.distributions`); :func:`simulate` runs several :class:`Scenario` objects
(the deals of a portfolio) on the same samples and adds their total. Each chip's power and
FLOP/s carry a multiplier, fixed for datasheet figures and wider the less sure a figure is
(:data:`MULTIPLIER_SPREADS`); prices, facility capex and electricity price are drawn from
their sourced ranges.

How a run goes:

1. every input becomes a row of a distribution table with a Philox key derived from the
   seed and the input's name (:mod:`capacity.kernels.random`), so sample ``i`` of an input
   is the same on every backend and for any chunking;
2. a pilot of the first :data:`PILOT_SAMPLES` samples, computed by the NumPy reference,
   fixes the histogram edges of every output and gives the rank correlations;
3. the backend reduces the samples chunk by chunk (count, min, max, sums, histograms), never
   holding more than one chunk; a quantile that lands outside the pilot's range triggers one
   more pass on the exact range, whose histograms serve the quantiles out there only (the
   others keep the finer bins of the pilot's range);
4. a tornado table swings each uncertain input from its P5 to its P95 with the others at
   their nominal values.

Outputs are the ten :data:`~capacity.kernels.scenario.SCENARIO_QUANTITIES` plus annual
energy, FLOP per year and grid shares (exact rescalings of average power and delivered
FLOP/s). Quantiles are accurate to one histogram bin (``quantile_resolution``).
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

from capacity import chain
from capacity.checks import (
    callback,
    describe,
    instance_of,
    number_like,
    optional_mapping,
    positive_int,
    quantile_levels,
    whole_number,
)
from capacity.convert import check_options, exceeds_grid, grid_share_warning, resolve_mix
from capacity.defaults import DEFAULTS, MAX_BINS, MAX_SAMPLES, MAX_SEED, RANGES
from capacity.distributed import (
    backend_request,
    chunk_ranges,
    cluster_argument,
    connected,
    kernel_backend,
    kernel_turn,
    run_chunks,
)
from capacity.distributions import (
    COUNT,
    Distribution,
    fixed,
    is_distribution_text,
    parse_distribution,
)
from capacity.environment import Site, site
from capacity.errors import InputError
from capacity.figures import Figure
from capacity.fleet import build_fleet, fleet_assumptions, replaced_data_notes
from capacity.grids import Grid, GridSet, known_grids, select_grids
from capacity.inputs import check_finite_outputs
from capacity.kernels.backends import Backend, resolve_backend
from capacity.kernels.blocks import run_blocks
from capacity.kernels.montecarlo_problem import (
    N_SCENARIO_QUANTITIES,
    MonteCarloProblem,
    SamplePartial,
    SampleSpec,
)
from capacity.kernels.montecarlo_reference import evaluate, input_values
from capacity.kernels.random import stream_key
from capacity.kernels.sampling import TABLE_COLUMNS
from capacity.kernels.scenario import SCENARIO_QUANTITIES
from capacity.profiles import Profile, ProfileSet, profile_set
from capacity.summary import OutputSummary
from capacity.units import DIMENSIONS, SECONDS_PER_YEAR, to_si

__all__ = [
    "MULTIPLIER_SPREADS",
    "MonteCarloResult",
    "Scenario",
    "TornadoBar",
    "montecarlo",
    "simulate",
]

# Samples the NumPy reference computes first, for histogram edges and rank correlations.
PILOT_SAMPLES = 1 << 15
# The pilot's range is widened by this fraction of its span on each side.
PILOT_MARGIN = 0.25
# An output whose largest value is more than this many times its smallest gets bins equal in
# ln x: equal bins in x would leave the bulk of a heavy-tailed output in a few bins.
LOG_BINS_RATIO = 20.0
# Relative difference below which a value is "at" the pilot's edge, not beyond it.
ROUNDING_SLACK = 1e-9
# Histogram bins per output: at least two.
BIN_RANGE = (2, MAX_BINS)
# Samples per chunk: the kernels hold a chunk's inputs at once.
MAX_CHUNK_SAMPLES = 1 << 32
UNCERTAINTY_SETTINGS = ("auto", "none")
# Outputs named GRID_SHARE_OUTPUT:GRID are shares of a grid, energy basis.
GRID_SHARE_OUTPUT = "grid_share"
# Half-widths of the default triangular multiplier (1 − w, 1, 1 + w) on a chip's power and
# FLOP/s, by the confidence of the figure. capacity's own assumption (docs/model.md#monte-carlo):
# a datasheet figure is exact for the model's purpose; a vendor announcement for an unreleased
# part has moved by about ±10 % before shipping (the same Blackwell silicon at 1000 W in DGX
# B200 and 1200 W in GB200: the b200 and gb200 profiles); press estimates disagree by about
# ±20 % (Rubin's package power reported at 1.8 to 2.3 kW: the rubin profile); an
# assumption-grade figure gets ±30 %.
MULTIPLIER_SPREADS: dict[str, float] = {
    "datasheet": 0.0,
    "measured": 0.0,
    "user-override": 0.0,
    "vendor-announced": 0.1,
    "press-estimate": 0.2,
    "estimate": 0.2,
    "assumption": 0.3,
}
_NO_LIMIT = math.inf


def chain_input_distribution(value: Any, name: str) -> Distribution:
    """``pue``, ``utilization`` or ``mfu`` (a number, distribution text, an array or a
    :class:`Distribution`) as a distribution within its range
    (:data:`capacity.defaults.RANGES`)."""
    low, high = RANGES[name]
    return parse_distribution(value, name, lower=low, upper=high)


def default_input(name: str) -> Distribution:
    """The default of ``pue``, ``utilization`` or ``mfu`` (:data:`capacity.defaults.DEFAULTS`)
    as a fixed input within its range."""
    low, high = RANGES[name]
    return fixed(getattr(DEFAULTS, name), low, high)


@dataclass(frozen=True)
class Scenario:
    """One conversion with possibly uncertain inputs (one deal of a portfolio).

    ``shares`` maps profile ids (or aliases) to shares summing to 1. Exactly one of
    ``power`` (W; facility or IT power by ``basis``) and ``accelerators`` (a count) is given.
    ``cost_overrides`` are as :func:`capacity.costs.cost_assumptions`' ``overrides``.
    """

    name: str
    shares: Mapping[str, float]
    power: Distribution | None = None
    accelerators: Distribution | None = None
    basis: str = DEFAULTS.basis
    pue: Distribution = field(default_factory=lambda: default_input("pue"))
    utilization: Distribution = field(default_factory=lambda: default_input("utilization"))
    mfu: Distribution = field(default_factory=lambda: default_input("mfu"))
    cost_overrides: Mapping[str, Any] | None = None
    region: str | None = None
    """The site region (a grid id); None for the run's default region."""
    cooling: str = DEFAULTS.cooling


@dataclass(frozen=True)
class TornadoBar:
    """One input swung from its P5 to its P95, the others at their nominal values."""

    input: str
    low: float
    high: float
    output_at_low: float
    output_at_high: float

    @property
    def swing(self) -> float:
        return abs(self.output_at_high - self.output_at_low)


@dataclass(frozen=True)
class InputSummary:
    """An uncertain input as the run drew it, with its unit."""

    name: str
    text: str
    """The input as written; an input drawn from a sourced figure's range writes that range
    in the figure's unit ("tri:57.5,80.6,89.2 USD/MWh")."""
    kind: str
    """The kind of distribution: uniform, triangular, normal, lognormal or samples."""
    dimension: str
    """What the input is: a key of :data:`capacity.units.DIMENSIONS` ("power", "energy
    price", "money", "dimensionless"), or "count" for a number of accelerators."""
    unit: str
    """The unit of ``nominal``, ``p5`` and ``p95``: the SI unit of ``dimension`` ("W",
    "USD/J"; "" for plain numbers and counts)."""
    nominal: float
    p5: float
    p95: float


@dataclass(frozen=True)
class MonteCarloResult:
    """Quantiles, histograms and sensitivities of every output of a Monte Carlo run.

    Values are SI (W, FLOP/s, J, USD, USD/year). ``groups`` are the scenario names, then
    ``"total"`` when there are several. Costs are ``None`` for a group where a chip has no
    price (``missing_prices``).
    """

    samples: int
    seed: int
    backend: str
    backend_detail: str
    groups: tuple[str, ...]
    quantiles: tuple[float, ...]
    summaries: Mapping[str, Mapping[str, OutputSummary | None]]
    baseline: Mapping[str, float]
    """The top group's outputs at every input's nominal value."""
    inputs: tuple[InputSummary, ...]
    tornado: Mapping[str, tuple[TornadoBar, ...]]
    """Per output of the top group: the bars, widest swing first."""
    rank_correlation: Mapping[str, Mapping[str, float]]
    """Per output of the top group: Spearman's rank correlation with each uncertain input,
    over the pilot samples."""
    pilot_samples: int
    passes: int
    missing_prices: Mapping[str, tuple[str, ...]]
    assumptions: tuple[str, ...]
    compute_seconds: float
    seconds: float
    cluster: Mapping[str, Any] | None = None
    """Where the chunks ran when a Dask scheduler ran them (:mod:`capacity.distributed`)."""

    @property
    def top(self) -> str:
        """The group the sensitivities describe: the total, or the only scenario."""
        return self.groups[-1]

    def summary(self, group: str, output: str) -> OutputSummary | None:
        """The summary of ``output`` for ``group`` (None where costs are unavailable)."""
        if group not in self.summaries:
            raise InputError(f"unknown group {group!r}; known: {', '.join(self.groups)}")
        outputs = self.summaries[group]
        if output not in outputs:
            raise InputError(f"unknown output {output!r}; known: {', '.join(outputs)}")
        return outputs[output]

    @property
    def warnings(self) -> tuple[str, ...]:
        """Grid shares above 100 % in some samples: the fleet would draw more than the grid."""
        notes = []
        for group, outputs in self.summaries.items():
            of_group = f" of {group}" if len(self.groups) > 1 else ""
            for output, summary in outputs.items():
                prefix, _, grid_id = output.partition(":")
                if prefix == GRID_SHARE_OUTPUT and summary is not None:
                    where = f" in some samples{of_group}"
                    notes.append(grid_share_warning(grid_id, "energy", summary.maximum, where))
        return tuple(note for note in notes if note is not None)

    def to_dict(self, histogram_bins: int = 64) -> dict[str, Any]:
        """A JSON-ready dict; histograms are coarsened to ``histogram_bins`` bins."""
        return {
            "samples": self.samples,
            "seed": self.seed,
            "backend": self.backend,
            "backend_detail": self.backend_detail,
            "passes": self.passes,
            "compute_seconds": self.compute_seconds,
            "cluster": None if self.cluster is None else dict(self.cluster),
            "inputs": [vars(i) for i in self.inputs],
            "groups": {
                group: {
                    output: None
                    if s is None
                    else {
                        **s.to_dict(self.quantiles),
                        "histogram": _coarse_histogram(s, histogram_bins),
                        **(
                            {"exceeds_grid": exceeds_grid(s.maximum)}
                            if output.startswith(f"{GRID_SHARE_OUTPUT}:")
                            else {}
                        ),
                    }
                    for output, s in outputs.items()
                }
                for group, outputs in self.summaries.items()
            },
            "baseline": dict(self.baseline),
            "tornado": {
                output: [{**vars(bar), "swing": bar.swing} for bar in bars]
                for output, bars in self.tornado.items()
            },
            "rank_correlation": {k: dict(v) for k, v in self.rank_correlation.items()},
            "pilot_samples": self.pilot_samples,
            "missing_prices": {k: list(v) for k, v in self.missing_prices.items()},
            "assumptions": list(self.assumptions),
            "warnings": list(self.warnings),
        }

    def tidy_rows(self) -> list[dict[str, Any]]:
        """One row per group (entity), output and statistic (quantiles, min, max, mean, std
        and the value at nominal inputs for the top group), with the unit."""
        rows = []
        for group, outputs in self.summaries.items():
            for output, summary in outputs.items():
                if summary is None:
                    continue
                name = _tidy_output(output)
                unit = summary.unit or "1"
                statistics = {f"p{q * 100:g}".replace(".", "_"): summary.quantile(q)
                              for q in self.quantiles}  # fmt: skip
                statistics |= {"min": summary.minimum, "max": summary.maximum,
                               "mean": summary.mean, "std": summary.std}  # fmt: skip
                for statistic, value in statistics.items():
                    rows.append({"entity": group, "output": name, "statistic": statistic,
                                 "value": value, "unit": unit})  # fmt: skip
        return rows

    def to_dataframe(self, wide: bool = False) -> Any:
        """The quantiles as a pandas DataFrame: tidy (entity, output, statistic, value,
        unit), or with ``wide`` one row per group and output, one column per statistic."""
        from capacity.tables import frame, wide_frame

        rows = self.tidy_rows()
        if wide:
            return wide_frame(rows, ("entity", "output", "unit"), "statistic")
        return frame(rows)

    def plot(self, **options: Any) -> Any:
        """The distribution of an output (histogram or CDF, with P5, P50 and P95) and its
        tornado, as a matplotlib figure (:func:`capacity.plots.plot_montecarlo`)."""
        from capacity.plots import plot_montecarlo

        return plot_montecarlo(self, **options)

    def _repr_html_(self) -> str:
        from capacity.report import notebook_html

        return notebook_html(self)


def _tidy_output(output: str) -> str:
    """An output's name as a column spells it: "grid_share_energy_basis_us"."""
    prefix, _, grid = output.partition(":")
    return f"grid_share_energy_basis_{grid}" if prefix == GRID_SHARE_OUTPUT and grid else output


def _coarse_histogram(summary: OutputSummary, bins: int) -> dict[str, Any]:
    counts = summary.counts
    factor = max(1, len(counts) // bins)
    usable = len(counts) - len(counts) % factor
    coarse = counts[:usable].reshape(-1, factor).sum(axis=1)
    coarse[-1] += counts[usable:].sum()
    return {
        "edges": summary.edges[::factor][: len(coarse) + 1].tolist(),
        "counts": coarse.tolist(),
    }


def montecarlo(
    power: Any = None,
    *,
    accelerators: Any = None,
    chip: str | None = None,
    mix: str | Mapping[str, Any] | None = None,
    pue: Any = DEFAULTS.pue,
    utilization: Any = DEFAULTS.utilization,
    mfu: Any = DEFAULTS.mfu,
    basis: str = DEFAULTS.basis,
    samples: Any = DEFAULTS.samples,
    seed: int = DEFAULTS.seed,
    backend: str | Backend = DEFAULTS.backend,
    quantiles: Sequence[float] = DEFAULTS.quantiles,
    bins: int = DEFAULTS.montecarlo_bins,
    power_uncertainty: str | Mapping[str, Any] = "auto",
    flops_uncertainty: str | Mapping[str, Any] = "auto",
    provision: str = DEFAULTS.provision,
    precision: str = DEFAULTS.precision,
    method: str = DEFAULTS.method,
    mix_basis: str = DEFAULTS.mix_basis,
    cost_overrides: Mapping[str, Any] | None = None,
    grids: Iterable[str | Grid] | None = None,
    profiles: ProfileSet | str | Path | None = None,
    grid_set: GridSet | None = None,
    overrides: Mapping[str, Any] | None = None,
    chunk_samples: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    sparsity: str = DEFAULTS.sparsity,
    region: str | None = None,
    cooling: str = DEFAULTS.cooling,
    scheduler: Any = None,
) -> MonteCarloResult:
    """Convert a power (or a number of accelerators) whose inputs are uncertain.

    Parameters
    ----------
    power : str, pint.Quantity or distribution, optional
        The power being converted ("30 GW", "uniform:25GW,35GW"). [W]
    accelerators : number, str or distribution, optional
        Instead of ``power``: a number of accelerators ("4.5M", "tri:4M,4.5M,5M"). [1]
    chip, mix : optional
        As in :func:`capacity.convert`.
    pue, utilization, mfu : float, str, array or Distribution
        Fixed values or distributions ("tri:1.1,1.2,1.4", "uniform:0.6,0.9",
        "normal:0.8,0.1", "lognormal:1.2,0.1", "samples:FILE" or an array). [1]
    basis : {"facility", "it"}
        What ``power`` is.
    samples : int or str
        Number of samples ("1e7" is read too).
    seed : int
        Seed of the counter-based generator: the same seed gives the same samples on every
        backend.
    backend : {"auto", "numba", "cuda", "numpy"}
        Where the samples run (the result names it).
    quantiles : sequence of float
        Quantiles to report, in [0, 1]. [1]
    bins : int
        Histogram bins per output; quantiles are exact to one bin.
    power_uncertainty, flops_uncertainty : "auto", "none" or mapping
        Multiplier on each chip's power per accelerator and on its FLOP/s: ``"auto"`` by the
        figures' confidence (:data:`MULTIPLIER_SPREADS`), ``"none"`` for fixed, or chip →
        distribution (chips left out stay ``"auto"``).
    provision, precision, method, mix_basis, grids, profiles, grid_set, overrides, sparsity :
        As in :func:`capacity.convert`.
    region, cooling : optional
        The site region (a grid id; default: the first of ``grids`` with site figures, else
        "us") and its cooling type, as in :func:`capacity.convert`.
    cost_overrides : mapping, optional
        As :func:`capacity.costs.cost_assumptions`' ``overrides`` ("price.h100", ...).
    chunk_samples : int, optional
        Samples per chunk (default: the backend's).
    progress : callable, optional
        Called as ``progress(samples_done, samples_total)`` before the first chunk of each
        pass (0 done) and after each chunk; a second pass over the samples counts from 0.
    scheduler : str or distributed.Client, optional
        Run the chunks on a Dask cluster (the ``[distributed]`` extra): a scheduler's
        address ("tcp://10.0.0.5:8786") or a ``Client``. Each chunk is a task and each
        worker runs its best backend; sample ``i`` is drawn from its index, so the result
        equals the in-process run's with the same chunk size, on any number of workers.

    Returns
    -------
    MonteCarloResult

    Examples
    --------
    >>> result = montecarlo("1 GW", chip="h100", pue="tri:1.1,1.2,1.4", samples=20_000,
    ...                     backend="numpy")
    >>> count = result.summary("1 GW of h100-sxm", "accelerators")
    >>> 500_000 < count.quantile(0.05) < count.quantile(0.95) < 645_000
    True
    """
    label_profiles = profile_set(profiles, overrides)
    for name, value in (("pue", pue), ("utilization", utilization), ("mfu", mfu)):
        if not isinstance(value, Distribution):
            number_like(value, name)
    shares = resolve_mix(chip, mix, label_profiles)
    driver, label = _driver(power, accelerators)
    description = "+".join(shares) if len(shares) > 1 else next(iter(shares))
    scenario = Scenario(
        name=f"{label} of {description}",
        shares={k: float(v) for k, v in shares.items()},
        power=driver if power is not None else None,
        accelerators=driver if power is None else None,
        basis=basis,
        pue=chain_input_distribution(pue, "pue"),
        utilization=chain_input_distribution(utilization, "utilization"),
        mfu=chain_input_distribution(mfu, "mfu"),
        cost_overrides=cost_overrides,
        region=region,
        cooling=cooling,
    )
    return simulate(
        [scenario], samples=samples, seed=seed, backend=backend, quantiles=quantiles,
        bins=bins, power_uncertainty=power_uncertainty, flops_uncertainty=flops_uncertainty,
        provision=provision, precision=precision, method=method, mix_basis=mix_basis,
        grids=grids, profiles=label_profiles, grid_set=grid_set, chunk_samples=chunk_samples,
        progress=progress, sparsity=sparsity, scheduler=scheduler,
    )  # fmt: skip


def _driver(power: Any, accelerators: Any) -> tuple[Distribution, str]:
    if (power is None) == (accelerators is None):
        raise InputError("give either power or accelerators")
    if power is not None:
        distribution = parse_distribution(power, "power", dimension="power", lower=0.0)
        label = distribution.text if not distribution.is_fixed else str(power)
        return distribution, label
    distribution = parse_distribution(accelerators, "accelerators", dimension=COUNT, lower=0.0)
    label = str(accelerators) if distribution.is_fixed else distribution.text
    return distribution, label


def simulate(
    scenarios: Sequence[Scenario],
    *,
    samples: Any = DEFAULTS.samples,
    seed: int = DEFAULTS.seed,
    backend: str | Backend = DEFAULTS.backend,
    quantiles: Sequence[float] = DEFAULTS.quantiles,
    bins: int = DEFAULTS.montecarlo_bins,
    power_uncertainty: str | Mapping[str, Any] = "auto",
    flops_uncertainty: str | Mapping[str, Any] = "auto",
    provision: str = DEFAULTS.provision,
    precision: str = DEFAULTS.precision,
    method: str = DEFAULTS.method,
    mix_basis: str = DEFAULTS.mix_basis,
    grids: Iterable[str | Grid] | None = None,
    profiles: ProfileSet | str | Path | None = None,
    grid_set: GridSet | None = None,
    overrides: Mapping[str, Any] | None = None,
    chunk_samples: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    sparsity: str = DEFAULTS.sparsity,
    scheduler: Any = None,
) -> MonteCarloResult:
    """Run several scenarios on the same samples, each reduced on its own and in total.

    Inputs named by a chip (its power and FLOP/s multipliers, its default price) are shared
    by every scenario that uses the chip, so they move together; each scenario's PUE,
    utilization, MFU and driver are its own, drawn independently. The parameters are those
    of :func:`montecarlo`.
    """
    started = time.perf_counter()
    n_samples = _sample_count(samples)
    whole_number(seed, "seed", minimum=0, maximum=MAX_SEED)
    qs = quantile_levels(quantiles)
    whole_number(bins, "bins", minimum=BIN_RANGE[0], maximum=BIN_RANGE[1])
    if chunk_samples is not None:
        positive_int(chunk_samples, "chunk_samples", MAX_CHUNK_SAMPLES)
    callback(progress, "progress")
    _uncertainty_setting(power_uncertainty, "power_uncertainty")
    _uncertainty_setting(flops_uncertainty, "flops_uncertainty")
    if isinstance(scenarios, Scenario) or not isinstance(scenarios, Sequence):
        raise InputError(
            f"scenarios must be a list of Scenario objects, got {describe(scenarios)}"
        )
    if not scenarios:
        raise InputError("scenarios: give at least one scenario")
    for scenario in scenarios:
        instance_of(scenario, Scenario, "scenarios: each entry", "capacity.Scenario(...)")
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names) or "total" in names:
        raise InputError(f"scenario names must be unique and not 'total': {names}")
    check_options(basis="facility", provision=provision, precision=precision, method=method,
                  mix_basis=mix_basis, sparsity=sparsity)  # fmt: skip
    scheduler = cluster_argument(scheduler)
    profiles = profile_set(profiles, overrides)
    known = known_grids(grid_set)
    selected_grids = select_grids(grids, known)
    # On a cluster each worker resolves the backend for itself; here it is only checked.
    request = backend_request(backend) if scheduler is not None else None

    builder = _ProblemBuilder(seed, profiles, provision, precision, method, mix_basis,
                              sparsity, known, grids)  # fmt: skip
    for scenario in scenarios:
        builder.add(scenario, power_uncertainty, flops_uncertainty)
    problem = builder.problem()
    # What the NumPy reference's time grows with: draws and outputs a sample (kernels.choice).
    work = n_samples * (problem.table.shape[0] + N_SCENARIO_QUANTITIES * problem.groups)
    # On a cluster, the backend auto picks for a large run here sets only the chunk size.
    runner = (
        resolve_backend(backend, "montecarlo", work)
        if request is None
        else resolve_backend("auto")
    )
    groups = tuple(names) + (("total",) if len(scenarios) > 1 else ())

    pilot_n = min(n_samples, PILOT_SAMPLES)
    pilot_inputs = input_values(problem, 0, pilot_n)
    with np.errstate(over="ignore", invalid="ignore"):
        pilot = evaluate(problem, pilot_inputs)
    # Missing prices leave capex NaN by design; every other output must be finite.
    check_finite_outputs(
        {
            name: pilot[:, q]
            for q, name in enumerate(SCENARIO_QUANTITIES)
            if name not in ("capex", "annual_cost", "emissions", "water")
        },
        "montecarlo",
    )
    spec = _pilot_spec(pilot, bins)

    if request is None:
        # Compile (or load the cached) kernels on a few samples before the timed loop.
        runner.reduce_samples(problem, spec, 0, min(n_samples, 256))
    compute_started = time.perf_counter()
    chunk = chunk_samples or runner.chunk_samples(problem)
    with contextlib.ExitStack() as stack:
        client = None if scheduler is None else stack.enter_context(connected(scheduler))
        where: _Where = _Where(runner if request is None else request, client)
        partial = _reduce_all(where, problem, spec, n_samples, chunk, progress)
        passes = [(partial, spec)]
        if _needs_exact_range(partial, spec, qs):
            exact = SampleSpec(
                partial.minimum, partial.maximum, bins, spec.center,
                _logarithmic(partial.minimum, partial.maximum),
            )  # fmt: skip
            passes.append((_reduce_all(where, problem, exact, n_samples, chunk, progress), exact))
    compute_seconds = time.perf_counter() - compute_started
    cluster = where.cluster

    missing = builder.missing_prices
    unsited = builder.missing_environment

    def available(group: str, table: Mapping[str, tuple[str, ...]], what: str = "") -> bool:
        members = names if group == "total" else [group]
        return not any((what in table.get(m, ())) if what else table.get(m) for m in members)

    summaries = {
        group: _group_summaries(
            passes,
            g,
            selected_grids,
            costs=available(group, missing),
            emissions=available(group, unsited, "emissions"),
            water=available(group, unsited, "water"),
        )
        for g, group in enumerate(groups)
    }
    check_finite_outputs(
        {
            f"{name} of {group}": (summary.minimum, summary.maximum, summary.mean)
            for group, outputs in summaries.items()
            for name, summary in outputs.items()
            if summary is not None
        },
        "montecarlo",
    )
    top = len(groups) - 1
    uncertain = [v for v, d in enumerate(problem.distributions) if not d.is_fixed]
    nominal = np.array([[d.nominal()] for d in problem.distributions])
    baseline_values = evaluate(problem, nominal)[top, :, 0]
    return MonteCarloResult(
        samples=n_samples,
        seed=int(seed),
        backend=getattr(runner, "name", "custom") if cluster is None else cluster.backend,
        backend_detail=getattr(runner, "detail", "") if cluster is None else cluster.detail,
        groups=groups,
        quantiles=qs,
        summaries=summaries,
        baseline={
            name: value
            for name, value in zip(SCENARIO_QUANTITIES, baseline_values.tolist(), strict=True)
            if name not in summaries[groups[top]] or summaries[groups[top]][name] is not None
        },
        inputs=tuple(
            InputSummary(
                name=builder.names[v],
                text=problem.distributions[v].text,
                kind=problem.distributions[v].kind,
                dimension=builder.dimensions[v],
                unit=_si_unit(builder.dimensions[v]),
                nominal=problem.distributions[v].nominal(),
                p5=float(problem.distributions[v].ppf(0.05)),
                p95=float(problem.distributions[v].ppf(0.95)),
            )
            for v in uncertain
        ),
        tornado=_tornado(problem, builder.names, uncertain, nominal, top),
        rank_correlation=_rank_correlation(pilot_inputs, pilot[top], builder.names, uncertain),
        pilot_samples=pilot_n,
        passes=len(passes),
        missing_prices={k: v for k, v in missing.items() if v},
        assumptions=(*builder.assumptions(), *replaced_data_notes(selected_grids)),
        compute_seconds=compute_seconds,
        seconds=time.perf_counter() - started,
        cluster=None if cluster is None else cluster.to_dict(),
    )


def _si_unit(dimension: str) -> str:
    """The SI unit of an input's values: "" for a count of accelerators."""
    return "" if dimension == COUNT else DIMENSIONS[dimension][0]


def _uncertainty_setting(setting: Any, name: str) -> None:
    if isinstance(setting, Mapping):
        return
    if not isinstance(setting, str) or setting not in UNCERTAINTY_SETTINGS:
        raise InputError(
            f"{name} must be 'auto', 'none' or a mapping of chip → distribution; "
            f"got {describe(setting)}"
        )


def _sample_count(samples: Any) -> int:
    if isinstance(samples, bool | np.bool_):
        raise InputError(f"samples must be a number such as 100000 or 1e7, got {samples!r}")
    try:
        value = float(samples)
    except (TypeError, ValueError):
        raise InputError(
            f"samples must be a number such as 100000 or 1e7, got {samples!r}"
        ) from None
    if not value.is_integer() or not 1 <= value <= MAX_SAMPLES:
        raise InputError(f"samples must be a whole number in [1, 2**40], got {samples!r}")
    return int(value)


class _ProblemBuilder:
    """Collects the inputs of every scenario into the kernels' tables."""

    def __init__(
        self, seed: int, profiles: ProfileSet, provision: str, precision: str, method: str,
        mix_basis: str, sparsity: str = DEFAULTS.sparsity, grid_set: GridSet | None = None,
        grids: Iterable[str | Grid] | None = None,
    ) -> None:  # fmt: skip
        self.sparsity = sparsity
        self.grid_set = known_grids(grid_set)
        self.grids = grids
        self.missing_environment: dict[str, tuple[str, ...]] = {}
        self.seed = int(seed)
        self.profiles = profiles
        self.provision = provision
        self.precision = precision
        self.method = method
        self.mix_basis = mix_basis
        self.names: list[str] = []
        self.distributions: list[Distribution] = []
        self.dimensions: list[str] = []
        self.index: dict[str, int] = {}
        self.chips: list[str] = []
        self.rows: list[tuple[list[int], dict[str, float], dict[str, list[int]], tuple[int, ...]]]
        self.rows = []
        self.missing_prices: dict[str, tuple[str, ...]] = {}
        self.notes: list[str] = []

    def _input(
        self, name: str, distribution: Distribution, dimension: str = "dimensionless"
    ) -> int:
        if name not in self.index:
            self.index[name] = len(self.distributions)
            self.names.append(name)
            self.distributions.append(distribution)
            self.dimensions.append(dimension)
        return self.index[name]

    def add(self, scenario: Scenario, power_uncertainty: Any, flops_uncertainty: Any) -> None:
        from capacity.costs import cost_assumptions

        if not isinstance(scenario.shares, Mapping):
            raise InputError(
                f"{scenario.name}: shares must be a mapping of chip → share, "
                f"got {describe(scenario.shares)}"
            )
        if not isinstance(scenario.basis, str) or scenario.basis not in ("facility", "it"):
            raise InputError(
                f"{scenario.name}: basis must be facility or it, got {describe(scenario.basis)}"
            )
        if (scenario.power is None) == (scenario.accelerators is None):
            raise InputError(f"{scenario.name}: give either power or accelerators")
        shares = resolve_mix(None, dict(scenario.shares), self.profiles)
        name = scenario.name
        fixed_overrides, uncertain = _split_cost_overrides(scenario.cost_overrides, self.profiles)
        place = site(scenario.region, grids=self.grids, grid_set=self.grid_set,
                     cooling=scenario.cooling)  # fmt: skip
        costs = cost_assumptions(list(shares), self.profiles, fixed_overrides, place)
        shared_costs = not scenario.cost_overrides
        hardware_rate, facility_rate = costs.annualization()
        driver = scenario.power if scenario.power is not None else scenario.accelerators
        assert driver is not None
        driver_name, driver_dimension = (
            ("power", "power") if scenario.power is not None else ("accelerators", COUNT)
        )
        inputs = [
            self._input(f"{name}: {driver_name}", driver, driver_dimension),
            self._input(f"{name}: pue", scenario.pue),
            self._input(f"{name}: utilization", scenario.utilization),
            self._input(f"{name}: mfu", scenario.mfu),
            self._cost_input(
                name,
                shared_costs,
                "facility_capex_per_watt",
                uncertain.get("facility_capex_per_watt", costs.facility_capex_per_watt),
                "power price",
            ),
            self._cost_input(
                name,
                shared_costs,
                "electricity_price",
                uncertain.get("electricity_price", costs.electricity_price),
                "energy price",
                place.region,
            ),
            self._input(f"{name}: hardware annualization", fixed(hardware_rate)),
            self._input(f"{name}: facility annualization", fixed(facility_rate)),
            self._cost_input(
                name,
                shared_costs,
                "network_storage_per_accelerator",
                uncertain.get(
                    "network_storage_per_accelerator", costs.network_storage_per_accelerator
                ),
                "money",
            ),
            self._cost_input(
                name,
                shared_costs,
                "power_infrastructure_per_watt",
                uncertain.get(
                    "power_infrastructure_per_watt", costs.power_infrastructure_per_watt
                ),
                "power price",
            ),
            self._cost_input(
                name, shared_costs, "non_energy_opex_share", costs.non_energy_opex_share,
                "dimensionless",
            ),
            self._cost_input(
                name, shared_costs, "land_and_soft_share", costs.land_and_soft_share,
                "dimensionless",
            ),
            self._site_input("carbon intensity", place.carbon_intensity, place,
                             "carbon_intensity", "carbon intensity"),
            self._site_input("water intensity of generation", place.water_intensity, place,
                             "water_intensity", "water intensity"),
            self._input(f"site WUE ({place.cooling} cooling)",
                        _figure_distribution(place.wue, "water intensity", "site WUE"),
                        "water intensity"),
        ]  # fmt: skip
        self.missing_environment[name] = tuple(
            label for label, figure in (("emissions", place.carbon_intensity),
                                        ("water", place.water_intensity)) if figure is None
        )  # fmt: skip
        self.notes += place.notes()
        chip_inputs: dict[str, list[int]] = {}
        missing = []
        for chip in shares:
            if chip not in self.chips:
                self.chips.append(chip)
            power_figure, flops_figure = _power_and_flops_figures(
                self.profiles[chip], self.method, self.precision
            )
            price = uncertain.get(f"price.{chip}", costs.accelerator_price.get(chip))
            if price is None:
                missing.append(chip)
                price_input = self._input("no price", fixed(0.0))
            else:
                own = scenario.cost_overrides and any(
                    k.startswith("price.") and self.profiles.resolve(k[6:]) == chip
                    for k in scenario.cost_overrides
                )
                price_input = self._input(
                    f"{name}: price of {chip}" if own else f"price of {chip}",
                    _figure_distribution(price, "money", f"price of {chip}"),
                    "money",
                )
            chip_inputs[chip] = [
                self._input(f"{chip}: power multiplier",
                            _multiplier(power_uncertainty, chip, power_figure, self.profiles)),
                self._input(f"{chip}: FLOP/s multiplier",
                            _multiplier(flops_uncertainty, chip, flops_figure, self.profiles)),
                price_input,
            ]  # fmt: skip
        self.missing_prices[name] = tuple(missing)
        modes = (
            scenario.accelerators is not None,
            scenario.basis == "it",
            self.mix_basis == "count",
        )
        self.rows.append((inputs, {k: float(v) for k, v in shares.items()}, chip_inputs, modes))
        self.notes += costs.flagged()

    def _cost_input(
        self, scenario: str, shared: bool, key: str, figure: Figure | Distribution,
        dimension: str, region: str | None = None,
    ) -> int:  # fmt: skip
        label = key.replace("_", " ") + (f" ({region})" if region else "")
        name = label if shared else f"{scenario}: {label}"
        return self._input(name, _figure_distribution(figure, dimension, label), dimension)

    def _site_input(
        self, label: str, figure: Figure | None, place: Site, field: str, dimension: str
    ) -> int:
        """A site intensity shared by every scenario whose region gives it; NaN without one
        (that output is then unavailable for the scenario)."""
        if figure is None:  # the output is unavailable for this scenario (missing_environment)
            return self._input("no figure", fixed(0.0))
        origin = place.origin.get(field, place.region)
        return self._input(
            f"{label} of {origin}", _figure_distribution(figure, dimension, label), dimension
        )

    def problem(self) -> MonteCarloProblem:
        n_scenarios, n_chips = len(self.rows), len(self.chips)
        fleet = build_fleet(
            self.chips, self.profiles, method=self.method, provision=self.provision,
            precision=self.precision, sparsity=self.sparsity,
        )  # fmt: skip
        self.fleet = fleet
        shares = np.zeros((n_scenarios, n_chips))
        chip_inputs = np.zeros((n_scenarios, n_chips, 3), dtype=np.int64)
        no_chip = self._input("unused chip", fixed(1.0))
        chip_inputs[:] = no_chip
        for s, (_, mix, by_chip, _) in enumerate(self.rows):
            for chip, share in mix.items():
                k = self.chips.index(chip)
                shares[s, k] = share
                chip_inputs[s, k] = by_chip[chip]
        pool_parts: list[np.ndarray] = []
        offset = 0
        table = np.zeros((len(self.distributions), len(TABLE_COLUMNS)))
        for v, distribution in enumerate(self.distributions):
            table[v] = distribution.table_row(offset)
            if distribution.samples is not None:
                pool_parts.append(distribution.samples)
                offset += distribution.samples.size
        pool = np.concatenate(pool_parts) if pool_parts else np.zeros(1)
        return MonteCarloProblem(
            table=table,
            keys=np.array([stream_key(self.seed, n) for n in self.names], dtype=np.uint64),
            pool=pool,
            scenario_inputs=np.array([r[0] for r in self.rows], dtype=np.int64),
            chip_inputs=chip_inputs,
            shares=shares,
            modes=np.array([r[3] for r in self.rows], dtype=np.int64),
            provisioned=fleet.provisioned,
            idle=fleet.idle,
            busy=fleet.busy,
            sizing_fraction=fleet.sizing / fleet.provisioned,
            flops=fleet.flops,
            seconds_per_year=SECONDS_PER_YEAR,
            distributions=tuple(self.distributions),
        )

    def assumptions(self) -> list[str]:
        notes = fleet_assumptions(self.fleet, method=self.method, precision=self.precision)
        for v, name in enumerate(self.names):
            if name.endswith("multiplier") and not self.distributions[v].is_fixed:
                notes.append(f"{name}: {self.distributions[v].text}")
        notes += self.notes
        return list(dict.fromkeys(notes))


def _power_and_flops_figures(
    profile: Profile, method: str, precision: str
) -> tuple[list[Figure], list[Figure]]:
    """The figures a chip's power per accelerator and its FLOP/s rest on."""
    figures = profile.figures()
    if method == "epoch":
        power = [figures["tdp"]]
    elif profile.system.power_to_tdp is not None:
        power = [figures["system.power_to_tdp"], figures["tdp"]]
    else:
        power = [figures["system.power"]]
    used = profile.precision_used(precision)
    return power, [figures[f"peak.{used}"]] if used else []


def _multiplier(
    setting: Any, chip: str, figures: list[Figure], profiles: ProfileSet
) -> Distribution:
    if isinstance(setting, Mapping):
        for key, value in setting.items():
            if profiles.resolve(key) == chip:
                return parse_distribution(value, f"multiplier of {chip}", lower=0.0)
        setting = "auto"
    if setting == "none":
        return fixed(1.0, 0.0)
    if setting != "auto":
        raise InputError(f"uncertainty must be 'auto', 'none' or a mapping; got {setting!r}")
    spread = max((MULTIPLIER_SPREADS[f.confidence] for f in figures), default=0.0)
    if spread == 0.0:
        return fixed(1.0, 0.0)
    return parse_distribution(f"tri:{1 - spread:g},1,{1 + spread:g}", chip, lower=0.0)


_UNCERTAIN_COSTS = {
    "facility_capex_per_watt": "power price",
    "electricity_price": "energy price",
    "network_storage_per_accelerator": "money",
    "power_infrastructure_per_watt": "power price",
}


def _split_cost_overrides(
    overrides: Mapping[str, Any] | None, profiles: ProfileSet
) -> tuple[dict[str, Any], dict[str, Distribution]]:
    """Fixed overrides (for :func:`capacity.costs.cost_assumptions`) and distributions, the
    latter keyed ``price.<profile id>``, ``facility_capex_per_watt`` or
    ``electricity_price``."""
    fixed_overrides: dict[str, Any] = {}
    uncertain: dict[str, Distribution] = {}
    for key, value in optional_mapping(overrides, "cost_overrides").items():
        if not (isinstance(value, Distribution) or is_distribution_text(value)):
            fixed_overrides[key] = value
        elif key.startswith("price.") and len(key) > 6:
            chip = profiles.resolve(key[6:])
            uncertain[f"price.{chip}"] = parse_distribution(
                value, key, dimension="money", lower=0.0
            )
        elif key in _UNCERTAIN_COSTS:
            uncertain[key] = parse_distribution(
                value, key, dimension=_UNCERTAIN_COSTS[key], lower=0.0
            )
        else:
            raise InputError(
                f"cost override {key!r}: only prices, {', '.join(_UNCERTAIN_COSTS)} may be "
                f"distributions; got {value!r}"
            )
    return fixed_overrides, uncertain


def _figure_distribution(figure: Figure | Distribution, dimension: str, name: str) -> Distribution:
    """A sourced figure as an input: triangular over its range where it has one."""
    if isinstance(figure, Distribution):
        return figure
    value = figure.si
    if figure.low is None and figure.high is None:
        return fixed(value, 0.0)
    low = value if figure.low is None else to_si(figure.low, dimension, name)
    high = value if figure.high is None else to_si(figure.high, dimension, name)
    if low == high:
        return fixed(value, 0.0)
    unit = figure.value.units
    written = ",".join(
        f"{(figure.value if bound is None else bound).to(unit).magnitude:g}"
        for bound in (figure.low, figure.value, figure.high)
    )
    text = f"tri:{written}" + ("" if figure.value.dimensionless else f" {unit:~P}")
    return Distribution("triangular", (low, value, high), 0.0, _NO_LIMIT, text=text)


def _pilot_spec(pilot: np.ndarray, bins: int) -> SampleSpec:
    low = pilot.min(axis=-1)
    high = pilot.max(axis=-1)
    logarithmic = _logarithmic(low, high)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_low, log_high = np.log(np.where(logarithmic, low, 1.0)), np.log(high)
    log_margin = PILOT_MARGIN * (log_high - log_low)
    margin = PILOT_MARGIN * (high - low)
    return SampleSpec(
        lower=np.where(logarithmic, np.exp(log_low - log_margin), np.maximum(low - margin, 0.0)),
        upper=np.where(logarithmic, np.exp(log_high + log_margin), high + margin),
        bins=bins,
        center=pilot.mean(axis=-1),
        logarithmic=logarithmic,
    )


def _logarithmic(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Where bins should be equal in ln x: positive values spanning a wide range."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return (low > 0) & (high > LOG_BINS_RATIO * low)


@dataclass
class _Where:
    """Where the chunks run: ``backend`` in this process, or a cluster's ``client`` whose
    workers each resolve ``backend`` (a name) for themselves; ``cluster`` says where they
    ran once a pass has run there."""

    backend: Any
    client: Any = None
    cluster: Any = None


def _sample_task(
    job: tuple[MonteCarloProblem, SampleSpec, Any], start: int, stop: int, index: int
) -> tuple[SamplePartial, tuple[str, str]]:
    """One chunk of samples, on a worker: its partial and the backend that ran it."""
    problem, spec, request = job
    runner = kernel_backend(request)
    with kernel_turn():
        partial = runner.reduce_samples(problem, spec, start, stop)
    return partial, (runner.name, runner.detail)


def _reduce_all(
    where: _Where, problem: MonteCarloProblem, spec: SampleSpec, samples: int, chunk: int,
    progress: Callable[[int, int], None] | None,
) -> SamplePartial:  # fmt: skip
    """Every sample reduced, chunk by chunk, merged in the chunks' order wherever they ran."""
    partial = SamplePartial.empty(problem.groups, spec.bins)
    ranges = chunk_ranges(samples, chunk)

    def consume(index: int, chunk_partial: SamplePartial) -> None:
        nonlocal partial
        partial = partial.merge(chunk_partial)
        if progress is not None:
            progress(ranges[index][1], samples)

    if progress is not None:
        progress(0, samples)
    if where.client is None:
        for index, (start, stop) in enumerate(ranges):
            consume(index, where.backend.reduce_samples(problem, spec, start, stop))
    else:
        job = (problem, spec, where.backend)
        where.cluster = run_chunks(where.client, _sample_task, job, ranges, consume)
    return partial


def _needs_exact_range(
    partial: SamplePartial, spec: SampleSpec, quantiles: Sequence[float]
) -> bool:
    """Whether a quantile falls in an end bin that holds values outside the pilot's range
    (beyond rounding: the pilot and the backend may differ in the last digit)."""
    slack = ROUNDING_SLACK * np.maximum(np.abs(spec.lower), np.abs(spec.upper))
    below = partial.minimum < spec.lower - slack
    above = partial.maximum > spec.upper + slack
    if not np.any(below | above):
        return False
    cumulative = np.cumsum(partial.histogram, axis=-1)
    for q in quantiles:
        target = q * partial.samples
        first = cumulative[..., 0] >= target
        last = cumulative[..., -2] < target
        if np.any((first & below) | (last & above)):
            return True
    return False


def _group_summaries(
    passes: Sequence[tuple[SamplePartial, SampleSpec]], g: int, grids: Sequence[Grid], *,
    costs: bool, emissions: bool = True, water: bool = True,
) -> dict[str, OutputSummary | None]:  # fmt: skip
    """Group ``g``'s summaries: the first pass's histograms, and the second pass's (over the
    exact range) as their ``tail`` where there was one."""

    def summary(
        quantity: str, unit: str, factor: float = 1.0, name: str | None = None, which: int = 0
    ) -> OutputSummary:
        partial, spec = passes[which]
        q = SCENARIO_QUANTITIES.index(quantity)
        n = partial.samples
        shift = partial.total[g, q] / n
        mean = spec.center[g, q] + shift
        variance = max(partial.total_squares[g, q] / n - shift * shift, 0.0)
        tail = which + 1 < len(passes)
        return OutputSummary(
            name=name or quantity,
            unit=unit,
            points=n,
            minimum=float(partial.minimum[g, q] * factor),
            maximum=float(partial.maximum[g, q] * factor),
            mean=float(mean * factor),
            edges=spec.edges(g, q) * factor,
            counts=partial.histogram[g, q].copy(),
            std=float(math.sqrt(variance) * factor),
            tail=summary(quantity, unit, factor, name, which + 1) if tail else None,
        )

    out: dict[str, OutputSummary | None] = {
        "accelerators": summary("accelerators", ""),
        "peak_flops": summary("peak_flops", "FLOP/s"),
        "delivered_flops": summary("delivered_flops", "FLOP/s"),
        "average_facility_power": summary("average_facility_power", "W"),
        "facility_power": summary("facility_power", "W"),
        "it_power": summary("it_power", "W"),
        "annual_energy": summary("average_facility_power", "J", SECONDS_PER_YEAR, "annual_energy"),
        "flop_per_year": summary("delivered_flops", "FLOP", SECONDS_PER_YEAR, "flop_per_year"),
        "capex": summary("capex", "USD") if costs else None,
        "annual_cost": summary("annual_cost", "USD/year") if costs else None,
        "emissions": summary("emissions", "kgCO2e/year") if emissions else None,
        "water": summary("water", "m**3/year") if water else None,
    }
    for grid in grids:
        factor = float(chain.grid_energy_share(1.0, grid.energy.si))
        name = f"{GRID_SHARE_OUTPUT}:{grid.id}"
        out[name] = summary("average_facility_power", "", factor, name)
    return out


def _tornado(
    problem: MonteCarloProblem, names: list[str], uncertain: list[int], nominal: np.ndarray,
    top: int,
) -> dict[str, tuple[TornadoBar, ...]]:  # fmt: skip
    if not uncertain:
        return {q: () for q in SCENARIO_QUANTITIES}
    values = np.repeat(nominal, 2 * len(uncertain), axis=1)
    lows, highs = [], []
    for j, v in enumerate(uncertain):
        low, high = (float(x) for x in problem.distributions[v].ppf(np.array([0.05, 0.95])))
        values[v, 2 * j], values[v, 2 * j + 1] = low, high
        lows.append(low)
        highs.append(high)
    swung = evaluate(problem, values)[top]
    tornado = {}
    for q, quantity in enumerate(SCENARIO_QUANTITIES):
        bars = [
            TornadoBar(
                names[v], lows[j], highs[j], float(swung[q, 2 * j]), float(swung[q, 2 * j + 1])
            )
            for j, v in enumerate(uncertain)
        ]
        tornado[quantity] = tuple(sorted(bars, key=lambda bar: -bar.swing))
    return tornado


def _rank_correlation(
    inputs: np.ndarray, outputs: np.ndarray, names: list[str], uncertain: list[int]
) -> dict[str, dict[str, float]]:
    """Spearman's ρ of each uncertain input with each output, over the pilot samples: the
    correlation of their ranks (tied values share their average rank), all pairs at once."""
    result: dict[str, dict[str, float]] = {quantity: {} for quantity in SCENARIO_QUANTITIES}
    samples = outputs.shape[1]
    if samples <= 2:
        return result
    with np.errstate(invalid="ignore"):
        varied = [q for q in range(outputs.shape[0]) if np.ptp(outputs[q]) > 0]
    drawn = [v for v in uncertain if np.ptp(inputs[v]) > 0]
    if not varied or not drawn:
        return result
    ranks = _average_ranks(np.concatenate([inputs[drawn], outputs[varied]]))
    ranks -= (samples - 1) / 2.0  # the mean of any ranks of 0 … n − 1
    ranks /= np.sqrt(np.einsum("ij,ij->i", ranks, ranks))[:, np.newaxis]
    correlations = ranks[: len(drawn)] @ ranks[len(drawn) :].T
    for column, q in enumerate(varied):
        result[SCENARIO_QUANTITIES[q]] = {
            names[v]: float(correlations[row, column]) for row, v in enumerate(drawn)
        }
    return result


def _average_ranks(rows: np.ndarray) -> np.ndarray:
    """The rank (0 … n − 1) of each value within its row; tied values share their average.
    Rows are ranked on every core (NumPy sorts without the GIL)."""
    ranks = np.empty(rows.shape)
    size = rows.shape[1]

    def rank(r: int) -> None:
        order = np.argsort(rows[r])
        ordered = rows[r][order]
        boundary = np.ones(size + 1, dtype=bool)  # where a run of equal values starts
        np.not_equal(ordered[1:], ordered[:-1], out=boundary[1:size])
        edges = np.flatnonzero(boundary)
        if edges.size == size + 1:  # no ties: the ranks are the positions
            ranks[r, order] = np.arange(size)
            return
        average = (edges[:-1] + edges[1:] - 1) / 2.0
        ranks[r, order] = average[np.cumsum(boundary[:size]) - 1]

    run_blocks(rank, rows.shape[0], count=min(rows.shape[0], os.cpu_count() or 1))
    return ranks
