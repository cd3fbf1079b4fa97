"""The conversion options: their choices, their valid ranges and their defaults, in one place.

:data:`DEFAULTS` is the one :class:`ConversionDefaults` that every public function, the
portfolio reader's ``[defaults]`` and every CLI option (and its help text) take their default
values from. It checks its own values when built, so a default out of range cannot ship:

>>> ConversionDefaults(pue=0.9)
Traceback (most recent call last):
...
capacity.errors.InputError: pue must be ≥ 1, got 0.9
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from capacity.checks import one_of, optional_text, quantile_levels, real_number, whole_number
from capacity.errors import InputError
from capacity.profiles import PRECISIONS, SPARSITIES

__all__ = [
    "BACKENDS",
    "BASES",
    "COOLING_TYPES",
    "COUNT_UNITS",
    "DEFAULTS",
    "MAX_BINS",
    "MAX_SAMPLES",
    "MAX_SEED",
    "METHODS",
    "MIX_BASES",
    "PROVISIONS",
    "RANGES",
    "ConversionDefaults",
]

# What the power converted is: the site's draw from the grid, or critical IT load.
BASES = ("facility", "it")
# Size each accelerator for its full provisioned power, or for its busy draw.
PROVISIONS = ("nameplate", "busy")
# W per accelerator from the reference system's power, or Epoch AI's 1.82 × TDP.
METHODS = ("system", "epoch")
# What the shares of a mix divide: IT power, or the number of accelerators.
MIX_BASES = ("power", "count")
# Where sweeps and Monte Carlo runs compute (capacity.kernels.backends).
BACKENDS = ("auto", "numpy", "numba", "cuda")
# Site cooling types, each with a sourced WUE (capacity/data/cooling.toml).
COOLING_TYPES = ("average", "evaporative", "closed-loop")
# What a count of accelerators counts: packages (the default) or compute dies.
COUNT_UNITS = ("packages", "dies")
# The valid range of each dimensionless input of the chain, (low, high), both included.
RANGES: Mapping[str, tuple[float, float]] = {
    "pue": (1.0, math.inf),
    "utilization": (0.0, 1.0),
    "mfu": (0.0, 1.0),
}
# Histogram bins per output of a sweep or a Monte Carlo run: the kernels count each bin in an
# int32 per block.
MAX_BINS = 1 << 16
# Samples of a Monte Carlo run.
MAX_SAMPLES = 1 << 40
# Seeds are 64-bit, as NumPy's SeedSequence entropy words are.
MAX_SEED = (1 << 64) - 1


@dataclass(frozen=True)
class ConversionDefaults:
    """The value each option of the model takes when a call or a file leaves it out.

    Attributes
    ----------
    basis : {"facility", "it"}
        What a power is: the site's draw from the grid, or critical IT load.
    pue : float
        Power usage effectiveness, facility ÷ IT, ≥ 1. [1]
    utilization : float
        Fraction of time the fleet is busy, in [0, 1]. [1]
    mfu : float
        Fraction of peak FLOP/s achieved while busy, in [0, 1]. [1]
    provision : {"nameplate", "busy"}
        Size for each accelerator's full provisioned power, or for its busy draw.
    precision : str
        Number format of FLOP/s, one of :data:`capacity.profiles.PRECISIONS`.
    method : {"system", "epoch"}
        W per accelerator from the reference system's power, or Epoch AI's 1.82 × TDP.
    mix_basis : {"power", "count"}
        What the shares of a mix divide.
    quantiles : tuple of float
        Quantiles that sweeps and Monte Carlo runs report, each in [0, 1]. [1]
    sweep_bins : int
        Histogram bins per output of a sweep.
    montecarlo_bins : int
        Histogram bins per output of a Monte Carlo run (its quantiles are exact to one bin).
    samples : int
        Samples of a Monte Carlo run.
    seed : int
        Seed of a Monte Carlo run's generator.
    backend : str
        Where sweeps and Monte Carlo runs compute, one of
        :data:`BACKENDS`.
    tolerance : float
        A claim is consistent when claimed ÷ model lies within 1 ± this, in [0, 1]. [1]
    headline_grid : str
        The reference grid whose share the tables show when none is asked for.
    sparsity : {"dense", "sparse"}
        Dense peaks, or structured-sparse peaks where the vendor publishes them.
    default_region : str
        The site region (a grid id) whose price and intensities apply when none is named.
    cooling : {"average", "evaporative", "closed-loop"}
        The site's cooling type, for its water usage effectiveness.
    count_unit : {"packages", "dies"}
        What a count of accelerators counts.
    """

    basis: str = "facility"
    pue: float = 1.2
    utilization: float = 0.8
    mfu: float = 1.0
    provision: str = "nameplate"
    precision: str = "bf16"
    method: str = "system"
    mix_basis: str = "power"
    quantiles: tuple[float, ...] = (0.05, 0.5, 0.95)
    sweep_bins: int = 1024
    montecarlo_bins: int = 2048
    samples: int = 100_000
    seed: int = 0
    backend: str = "auto"
    tolerance: float = 0.1
    headline_grid: str = "global-datacenters"
    sparsity: str = "dense"
    default_region: str = "us"
    cooling: str = "average"
    count_unit: str = "packages"

    def __post_init__(self) -> None:
        one_of(self.basis, BASES, "basis")
        for name, (low, high) in RANGES.items():
            real_number(getattr(self, name), name, low=low, high=high)
        one_of(self.provision, PROVISIONS, "provision")
        one_of(self.precision, PRECISIONS, "precision")
        one_of(self.method, METHODS, "method")
        one_of(self.mix_basis, MIX_BASES, "mix_basis")
        if self.method == "epoch" and self.provision != "nameplate":
            raise InputError("method='epoch' sizes for nameplate power; use provision='nameplate'")
        object.__setattr__(self, "quantiles", quantile_levels(self.quantiles))
        whole_number(self.sweep_bins, "sweep_bins", minimum=1, maximum=MAX_BINS)
        whole_number(self.montecarlo_bins, "montecarlo_bins", minimum=2, maximum=MAX_BINS)
        whole_number(self.samples, "samples", minimum=1, maximum=MAX_SAMPLES)
        whole_number(self.seed, "seed", minimum=0, maximum=MAX_SEED)
        one_of(self.backend, BACKENDS, "backend")
        real_number(self.tolerance, "tolerance", low=0.0, high=1.0)
        if optional_text(self.headline_grid, "headline_grid") is None:
            raise InputError("headline_grid must be a grid id such as 'global-datacenters'")
        one_of(self.sparsity, SPARSITIES, "sparsity")
        if optional_text(self.default_region, "default_region") is None:
            raise InputError("default_region must be a grid id such as 'us'")
        one_of(self.cooling, COOLING_TYPES, "cooling")
        one_of(self.count_unit, COUNT_UNITS, "count_unit")


DEFAULTS = ConversionDefaults()
