"""capacity: turn datacenter power into hardware capacity.

Facility power → IT power → accelerators → peak and delivered FLOP/s → average power, annual
energy → share of a grid, for sourced hardware profiles (the model: docs/model.md).

>>> import capacity
>>> result = capacity.convert("30 GW", chip="h100")
>>> f"{result.accelerators.magnitude:,.0f}"
'17,664,724'
"""

import importlib
import importlib.machinery
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from capacity.claims import Claim, ClaimReport, check_claim, parse_claim
    from capacity.compare import Comparison, compare, compare_deals
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
    from capacity.power import PowerShares, power_shares
    from capacity.profiles import PRECISIONS, Profile, ProfileSet, load_profile, load_profiles
    from capacity.summary import OutputSummary
    from capacity.sweep import BestPoint, SweepResult, SweepTooLargeError, sweep
    from capacity.units import Quantity, ureg

# Each public name and the module that defines it, imported on first use (PEP 562), so that
# `import capacity` and the command line load only what they use.
_EXPORTS: dict[str, str] = {
    "Claim": "capacity.claims",
    "ClaimReport": "capacity.claims",
    "check_claim": "capacity.claims",
    "parse_claim": "capacity.claims",
    "Comparison": "capacity.compare",
    "compare": "capacity.compare",
    "compare_deals": "capacity.compare",
    "Conversion": "capacity.convert",
    "GridShare": "capacity.convert",
    "convert": "capacity.convert",
    "convert_accelerators": "capacity.convert",
    "parse_mix": "capacity.convert",
    "CostAssumptions": "capacity.costs",
    "Costs": "capacity.costs",
    "capital_recovery_factor": "capacity.costs",
    "conversion_costs": "capacity.costs",
    "cost_assumptions": "capacity.costs",
    "DEFAULTS": "capacity.defaults",
    "ConversionDefaults": "capacity.defaults",
    "Distribution": "capacity.distributions",
    "parse_distribution": "capacity.distributions",
    "CapacityError": "capacity.errors",
    "InputError": "capacity.errors",
    "MissingExtraError": "capacity.errors",
    "ProfileError": "capacity.errors",
    "UnitError": "capacity.errors",
    "UnknownChipError": "capacity.errors",
    "UnknownGridError": "capacity.errors",
    "ExamplePortfolio": "capacity.example_portfolios",
    "example_portfolio": "capacity.example_portfolios",
    "example_portfolios": "capacity.example_portfolios",
    "Grid": "capacity.grids",
    "GridSet": "capacity.grids",
    "load_grids": "capacity.grids",
    "MonteCarloResult": "capacity.montecarlo",
    "Scenario": "capacity.montecarlo",
    "montecarlo": "capacity.montecarlo",
    "simulate": "capacity.montecarlo",
    "Portfolio": "capacity.portfolio",
    "PortfolioError": "capacity.portfolio",
    "PortfolioReport": "capacity.portfolio",
    "evaluate_portfolio": "capacity.portfolio",
    "load_portfolio": "capacity.portfolio",
    "loads_portfolio": "capacity.portfolio",
    "simulate_portfolio": "capacity.portfolio",
    "PowerShares": "capacity.power",
    "power_shares": "capacity.power",
    "PRECISIONS": "capacity.profiles",
    "Profile": "capacity.profiles",
    "ProfileSet": "capacity.profiles",
    "load_profile": "capacity.profiles",
    "load_profiles": "capacity.profiles",
    "OutputSummary": "capacity.summary",
    "BestPoint": "capacity.sweep",
    "SweepResult": "capacity.sweep",
    "SweepTooLargeError": "capacity.sweep",
    "sweep": "capacity.sweep",
    "Quantity": "capacity.units",
    "ureg": "capacity.units",
}

__all__ = [
    "DEFAULTS",
    "PRECISIONS",
    "BestPoint",
    "CapacityError",
    "Claim",
    "ClaimReport",
    "Comparison",
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
    "PowerShares",
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
    "compare",
    "compare_deals",
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
    "power_shares",
    "simulate",
    "simulate_portfolio",
    "sweep",
    "ureg",
]


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use (and ``__version__``)."""
    if name == "__version__":
        value: Any = _version()
    else:
        module = _EXPORTS.get(name)
        if module is None:
            raise AttributeError(f"module 'capacity' has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def _version() -> str:
    """The installed distribution's version (written in pyproject.toml only)."""
    from importlib import metadata

    from capacity.extras import DISTRIBUTION

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # imported from a copy of the source, never installed
        return "0+unknown"


class _Package(types.ModuleType):
    """The package, whose public functions keep their names when their modules load.

    Importing ``capacity.sweep`` sets the package's attribute ``sweep`` to the module; the
    function of that name is what ``capacity.sweep`` has always been, so it takes its place.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if (
            isinstance(value, types.ModuleType)
            and _EXPORTS.get(name) == value.__name__
            and hasattr(value, name)
        ):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


class _PintWithoutDask:
    """An import hook: pint, whenever Dask is installed (the ``distributed`` extra), imports
    ``dask.base`` to know Dask arrays, which capacity never hands it: a third of a second at
    every start. While ``pint.compat`` loads, "dask" is marked absent (its ``find_spec``
    then finds nothing); a Dask imported before pint is left as it is."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != "pint.compat":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _LoadingWithoutDask(spec.loader)  # type: ignore[assignment]
        return spec


class _LoadingWithoutDask:
    """A module's loader, run with "dask" marked absent unless it is already imported."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        if "dask" in sys.modules:
            self.loader.exec_module(module)
            return
        sys.modules["dask"] = None  # type: ignore[assignment]
        try:
            self.loader.exec_module(module)
        finally:
            del sys.modules["dask"]


if "pint" not in sys.modules:
    sys.meta_path.insert(0, _PintWithoutDask())
