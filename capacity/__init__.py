"""capacity: turn datacenter power into hardware capacity.

Facility power → IT power → accelerators → peak and delivered FLOP/s → average power, annual
energy → share of a grid, for sourced hardware profiles (the model: docs/model.md).

>>> import capacity
>>> result = capacity.convert("30 GW", chip="h100")
>>> f"{result.accelerators.magnitude:,.0f}"
'17,664,724'
"""

import sys as _sys
from importlib import metadata as _metadata

if "pint" not in _sys.modules and "dask" not in _sys.modules:
    # pint imports dask whenever it is installed (the [distributed] extra), only to know dask
    # arrays, which capacity never hands it: a third of a second at every start. With "dask"
    # marked absent while pint loads, importlib's find_spec reports it missing.
    _sys.modules["dask"] = None  # type: ignore[assignment]
    try:
        import pint  # noqa: F401
    finally:
        del _sys.modules["dask"]

from capacity.claims import Claim, ClaimReport, check_claim, parse_claim
from capacity.convert import (
    Conversion,
    GridShare,
    convert,
    convert_accelerators,
    parse_mix,
)
from capacity.costs import (
    CostAssumptions,
    Costs,
    capital_recovery_factor,
    conversion_costs,
    cost_assumptions,
)
from capacity.defaults import DEFAULTS, ConversionDefaults
from capacity.distributions import Distribution, parse_distribution
from capacity.errors import (
    CapacityError,
    InputError,
    MissingExtraError,
    ProfileError,
    UnitError,
    UnknownChipError,
    UnknownGridError,
)
from capacity.example_portfolios import ExamplePortfolio, example_portfolio, example_portfolios
from capacity.extras import DISTRIBUTION
from capacity.grids import Grid, GridSet, load_grids
from capacity.montecarlo import MonteCarloResult, Scenario, montecarlo, simulate
from capacity.portfolio import (
    Portfolio,
    PortfolioError,
    PortfolioReport,
    evaluate_portfolio,
    load_portfolio,
    loads_portfolio,
    simulate_portfolio,
)
from capacity.profiles import PRECISIONS, Profile, ProfileSet, load_profile, load_profiles
from capacity.summary import OutputSummary
from capacity.sweep import BestPoint, SweepResult, SweepTooLargeError, sweep
from capacity.units import Quantity, ureg

try:  # the version is written in pyproject.toml only
    __version__ = _metadata.version(DISTRIBUTION)
except _metadata.PackageNotFoundError:  # imported from a copy of the source, never installed
    __version__ = "0+unknown"

__all__ = [
    "DEFAULTS",
    "PRECISIONS",
    "BestPoint",
    "CapacityError",
    "Claim",
    "ClaimReport",
    "Conversion",
    "ConversionDefaults",
    "CostAssumptions",
    "Costs",
    "Distribution",
    "ExamplePortfolio",
    "Grid",
    "GridSet",
    "GridShare",
    "InputError",
    "MissingExtraError",
    "MonteCarloResult",
    "OutputSummary",
    "Portfolio",
    "PortfolioError",
    "PortfolioReport",
    "Profile",
    "ProfileError",
    "ProfileSet",
    "Quantity",
    "Scenario",
    "SweepResult",
    "SweepTooLargeError",
    "UnitError",
    "UnknownChipError",
    "UnknownGridError",
    "__version__",
    "capital_recovery_factor",
    "check_claim",
    "conversion_costs",
    "convert",
    "convert_accelerators",
    "cost_assumptions",
    "evaluate_portfolio",
    "example_portfolio",
    "example_portfolios",
    "load_grids",
    "load_portfolio",
    "load_profile",
    "load_profiles",
    "loads_portfolio",
    "montecarlo",
    "parse_claim",
    "parse_distribution",
    "parse_mix",
    "simulate",
    "simulate_portfolio",
    "sweep",
    "ureg",
]
