"""Every public callable refuses a hostile argument with a CapacityError that names it.

Each row of :data:`PARAMETERS` is one parameter of one callable of ``capacity.__all__`` and
the kind of value it takes; each kind has its hostile values (:data:`HOSTILE`): None where
None means nothing, bools where a number or text is meant (``bool`` is an ``int``), text
where a list is meant, mappings, objects, NaN, and counts that are negative, zero or huge.
Every pair must raise a :class:`capacity.CapacityError` whose message names the argument,
never a TypeError, an AttributeError or a plain ValueError, and never a silent reading.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import capacity
from capacity import (
    CapacityError,
    Claim,
    Grid,
    Scenario,
    capital_recovery_factor,
    check_claim,
    compare,
    compare_deals,
    conversion_costs,
    convert,
    convert_accelerators,
    cost_assumptions,
    evaluate_portfolio,
    example_portfolio,
    example_portfolios,
    load_grids,
    load_portfolio,
    load_profile,
    load_profiles,
    loads_portfolio,
    montecarlo,
    parse_claim,
    parse_distribution,
    parse_mix,
    power_shares,
    simulate,
    simulate_portfolio,
    sweep,
)
from capacity.distributions import fixed
from capacity.sweep import plan_sweep

ROOT = Path(__file__).resolve().parents[1]
PORTFOLIO_FILE = ROOT / "tests" / "data" / "portfolios" / "two-deals.toml"


class Opaque:
    """An object that is none of the things any argument takes."""

    def __repr__(self) -> str:
        return "<opaque>"


# Hostile values by the kind of argument they are thrown at. Each is refused for that kind.
HOSTILE: dict[str, dict[str, Any]] = {
    "number": {
        "None": None,
        "True": True,
        "False": False,
        "text": "abc",
        "dict": {},
        "empty list": [],
        "object": Opaque(),
        "NaN": math.nan,
        "inf": math.inf,
        "list of bools": [True, False],
    },
    "choice": {
        "None": None,
        "True": True,
        "number": 5,
        "unknown": "abc",
        "array": np.ones((2, 3)),
        "list": ["facility"],
    },
    "text or None": {"True": True, "number": 5, "dict": {}, "empty": "", "object": Opaque()},
    "mapping or None": {"True": True, "False": False, "text": "abc", "number": 0, "list": []},
    "profiles": {"True": True, "number": 5, "dict": {}, "empty path": "", "object": Opaque()},
    "profile set or None": {"True": True, "text": "abc", "dict": {}},
    "grid set": {"True": True, "text": "abc", "dict": {}, "number": 5},
    "grids": {
        "True": True,
        "number": 5,
        "list of numbers": [5],
        "empty": "",
        "array": np.ones(2),
        "dict": {},
    },
    "flag": {"None": None, "text": "no", "one": 1, "array": np.ones(2)},
    "callback": {"True": True, "text": "abc", "number": 5},
    "quantiles": {
        "None": None,
        "text": "abc",
        "empty": [],
        "above 1": [1.5],
        "NaN": [math.nan],
        "dict": {},
        "bools": [True],
        "number": 0.5,
    },
    "path": {"None": None, "empty": "", "number": 5, "True": True, "dict": {}},
    "path or None": {"True": True, "number": 5, "dict": {}, "empty": ""},
    "paths or None": {"True": True, "number": 5, "dict": {}, "empty": "", "list of numbers": [5]},
    "backend": {"None": None, "True": True, "number": 5, "unknown": "gpu", "object": Opaque()},
    "bins": {
        "None": None,
        "True": True,
        "text": "abc",
        "float": 16.0,
        "negative": -1,
        "zero": 0,
        "huge": 10**30,
        "NaN": math.nan,
    },
    "count or None": {
        "True": True,
        "False": False,
        "text": "abc",
        "float": 1.5,
        "negative": -1,
        "zero": 0,
        "huge": 10**30,
        "NaN": math.nan,
        "dict": {},
    },
    "seed": {
        "None": None,
        "True": True,
        "text": "abc",
        "float": 1.5,
        "negative": -1,
        "huge": 10**30,
        "NaN": math.nan,
    },
    "samples": {
        "None": None,
        "True": True,
        "text": "abc",
        "float": 1.5,
        "negative": -1,
        "zero": 0,
        "huge": 10**30,
        "NaN": math.nan,
    },
    "uncertainty": {"None": None, "True": True, "unknown": "sometimes", "number": 5},
    "text list": {"None": None, "True": True, "number": 5, "list of numbers": [5], "dict": {}},
    "text": {"None": None, "True": True, "number": 5, "dict": {}, "object": Opaque()},
    "objective": {"True": True, "number": 5, "list": ["max-accelerators"], "empty": ""},
    "constraints": {"True": True, "number": 5, "list of numbers": [5], "dict": {}},
    "mixes": {"True": True, "number": 5, "list of numbers": [5], "empty": []},
    "mix_step": {"True": True, "text": "0.5", "NaN": math.nan, "negative": -0.5, "two": 2.0},
    "memory limit": {"True": True, "negative": -1, "NaN": math.nan, "dict": {}, "text": "abc"},
    "power": {
        "None": None,
        "True": True,
        "plain number": 5,
        "text": "abc",
        "dict": {},
        "empty list": [],
        "object": Opaque(),
        "energy": "5 TWh",
        "negative": "-1 GW",
        "NaN": "nan GW",
    },
    "count": {
        "None": None,
        "True": True,
        "text": "abc",
        "dict": {},
        "empty list": [],
        "list of text": ["a"],
        "object": Opaque(),
        "negative": -1,
        "NaN": math.nan,
    },
    "mix": {
        "True": True,
        "number": 5,
        "empty list": [],
        "bool share": {"h100": True},
        "text share": {"h100": "abc"},
        "no share": "h100",
        "empty": "",
        "above 1": "h100=2",
    },
    "percent": {
        "None": None,
        "True": True,
        "text": "abc",
        "dict": {},
        "negative": -5,
        "NaN": "nan",
        "range upside down": "30-20",
    },
    "power or count": {
        "None": None,
        "True": True,
        "text": "abc",
        "dict": {},
        "empty list": [],
        "object": Opaque(),
        "energy": "5 TWh",
        "negative": "-1 GW",
        "NaN": "nan GW",
        "inf": math.inf,
    },
    "fraction or None": {
        "True": True,
        "text": "abc",
        "dict": {},
        "NaN": math.nan,
        "negative": -1,
        "above 1": 2,
        "list": [0.5, 0.6],
    },
    "power or None": {"True": True, "plain number": 5, "energy": "5 TWh", "dict": {}},
    "energy": {"None": None, "True": True, "plain number": 5, "power": "5 GW", "dict": {}},
    "quantity or None": {"True": True, "plain number": 5, "mass": "5 kg", "dict": {}},
    "year or None": {"True": True, "text": "2024", "float": 2024.0, "zero": 0, "huge": 10**30},
    "scheduler": {"True": True, "number": 5, "dict": {}, "empty": "", "object": Opaque()},
}

PORTFOLIO = load_portfolio(PORTFOLIO_FILE)
CONVERSION = convert("1 GW", chip="h100")
ASSUMPTIONS = cost_assumptions(["h100"])
SCENARIO = Scenario("one", {"h100": 1.0}, power=fixed(1e9))
FAST = {"backend": "numpy", "samples": 1000}

# callable name → (callable, the keyword arguments of a valid call)
CALLABLES: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {
    "convert": (convert, {"power": "1 GW", "chip": "h100"}),
    "convert_accelerators": (convert_accelerators, {"count": 1000, "chip": "h100"}),
    "sweep": (sweep, {"power": "1 GW", "chips": "h100", "backend": "numpy", "reduce": True}),
    "plan_sweep": (plan_sweep, {"power": "1 GW", "chips": "h100", "backend": "numpy"}),
    "montecarlo": (montecarlo, {"power": "1 GW", "chip": "h100", **FAST}),
    "montecarlo of a count": (montecarlo, {"accelerators": "4.5M", "chip": "h100", **FAST}),
    "simulate": (simulate, {"scenarios": [SCENARIO], **FAST}),
    "simulate_portfolio": (simulate_portfolio, {"portfolio": PORTFOLIO, **FAST}),
    "evaluate_portfolio": (evaluate_portfolio, {"portfolio": PORTFOLIO}),
    "load_portfolio": (load_portfolio, {"path": PORTFOLIO_FILE}),
    "loads_portfolio": (loads_portfolio, {"text": PORTFOLIO_FILE.read_text(encoding="utf-8")}),
    "check_claim": (check_claim, {"claim": "30 GW = 4.5M h100"}),
    "parse_claim": (parse_claim, {"text": "30 GW = 4.5M h100"}),
    "Claim.from_parts": (Claim.from_parts, {"power": "30 GW", "count": "4.5M", "chip": "h100"}),
    "Claim.from_parts of a share": (
        Claim.from_parts,
        {"power": "30 GW", "percent": 25, "grid": "us"},
    ),
    "conversion_costs": (conversion_costs, {"conversion": CONVERSION, "assumptions": ASSUMPTIONS}),
    "cost_assumptions": (cost_assumptions, {"chips": ["h100"]}),
    "capital_recovery_factor": (capital_recovery_factor, {"rate": 0.08, "years": 5}),
    "load_profiles": (load_profiles, {}),
    "load_profile": (load_profile, {"path": ROOT / "hardware_profiles" / "h100-sxm.toml"}),
    "load_grids": (load_grids, {}),
    "Grid.create": (Grid.create, {"id": "x", "annual_energy": "490 TWh", "capacity": "145 GW"}),
    "parse_distribution": (parse_distribution, {"value": "tri:1,2,3", "name": "x"}),
    "parse_mix": (parse_mix, {"mix": "h100=1"}),
    "compare": (compare, {"power_or_count": "1 GW", "chips": "h100"}),
    "compare_deals": (compare_deals, {"report": evaluate_portfolio(PORTFOLIO)}),
    "power_shares": (power_shares, {"power": "1 GW", "load_factor": 0.8}),
    "example_portfolios": (example_portfolios, {}),
    "example_portfolio": (example_portfolio, {"example": "openai-2025"}),
}

CONVERSION_OPTIONS = {
    "pue": "number",
    "utilization": "number",
    "mfu": "number",
    "provision": "choice",
    "precision": "choice",
    "method": "choice",
    "mix_basis": "choice",
    "grids": "grids",
    "profiles": "profiles",
    "grid_set": "grid set",
    "overrides": "mapping or None",
}
MONTE_CARLO_OPTIONS = {
    "samples": "samples",
    "seed": "seed",
    "backend": "backend",
    "quantiles": "quantiles",
    "bins": "bins",
    "power_uncertainty": "uncertainty",
    "flops_uncertainty": "uncertainty",
    "provision": "choice",
    "precision": "choice",
    "method": "choice",
    "mix_basis": "choice",
    "grids": "grids",
    "profiles": "profiles",
    "grid_set": "grid set",
    "overrides": "mapping or None",
    "chunk_samples": "count or None",
    "progress": "callback",
    "scheduler": "scheduler",
    "sparsity": "choice",
}
SWEEP_OPTIONS = {
    "power": "power",
    "chips": "text list",
    "pue": "number",
    "utilization": "number",
    "mixes": "mixes",
    "mix_step": "mix_step",
    "mfu": "number",
    "precision": "choice",
    "basis": "choice",
    "provision": "choice",
    "method": "choice",
    "mix_basis": "choice",
    "backend": "backend",
    "objective": "objective",
    "constraints": "constraints",
    "bins": "bins",
    "grids": "grids",
    "profiles": "profiles",
    "grid_set": "grid set",
    "overrides": "mapping or None",
    "sparsity": "choice",
    "region": "text or None",
    "cooling": "choice",
}

# The site and sparsity options of convert and convert_accelerators.
SITE_OPTIONS = {
    "sparsity": "choice",
    "region": "text or None",
    "cooling": "choice",
    "wue": "quantity or None",
}

# case → parameter → kind of value (a key of HOSTILE). Every parameter of every callable is
# here, except parse_distribution's (see PARSE_DISTRIBUTION_OPTIONS below).
PARAMETERS: dict[str, dict[str, str]] = {
    "convert": {
        "power": "power",
        "chip": "text or None",
        "mix": "mix",
        "basis": "choice",
        **CONVERSION_OPTIONS,
        **SITE_OPTIONS,
    },
    "convert_accelerators": {
        "count": "count",
        "chip": "text or None",
        "mix": "mix",
        **CONVERSION_OPTIONS,
        **SITE_OPTIONS,
    },
    "sweep": {
        **SWEEP_OPTIONS,
        "reduce": "flag",
        "reduction": "choice",
        "out": "paths or None",
        "chunk_points": "count or None",
        "quantiles": "quantiles",
        "progress": "callback",
        "memory_limit": "memory limit",
        "scheduler": "scheduler",
    },
    "plan_sweep": SWEEP_OPTIONS,
    "montecarlo": {
        "power": "power",
        "chip": "text or None",
        "mix": "mix",
        "pue": "number",
        "utilization": "number",
        "mfu": "number",
        "basis": "choice",
        "cost_overrides": "mapping or None",
        **MONTE_CARLO_OPTIONS,
        "region": "text or None",
        "cooling": "choice",
    },
    "simulate": {"scenarios": "text list", **MONTE_CARLO_OPTIONS},
    "simulate_portfolio": {
        "portfolio": "text",
        "samples": "samples",
        "seed": "seed",
        "backend": "backend",
        "quantiles": "quantiles",
        "profiles": "profiles",
        "overrides": "mapping or None",
        "grid_set": "grid set",
        "progress": "callback",
        "scheduler": "scheduler",
    },
    "evaluate_portfolio": {
        "portfolio": "text",
        "profiles": "profiles",
        "overrides": "mapping or None",
        "grid_set": "grid set",
    },
    "load_portfolio": {
        "path": "path",
        "profiles": "profile set or None",
        "samples_folder": "path or None",
        "allow_samples_outside": "flag",
    },
    "loads_portfolio": {
        "text": "text",
        "name": "text",
        "profiles": "profile set or None",
        "samples_folder": "path or None",
        "allow_samples_outside": "flag",
    },
    "check_claim": {
        "claim": "text",
        "chip": "text or None",
        "pue": "number",
        "utilization": "number",
        "tolerance": "number",
        "basis": "choice",
        "provision": "choice",
        "method": "choice",
        "profiles": "profiles",
        "grid_set": "grid set",
        "overrides": "mapping or None",
    },
    "parse_claim": {"text": "text"},
    "Claim.from_parts": {"power": "power", "count": "count", "chip": "text or None"},
    "Claim.from_parts of a share": {"percent": "percent", "grid": "text or None"},
    "montecarlo of a count": {"accelerators": "count"},
    "conversion_costs": {"conversion": "text", "assumptions": "text"},
    "cost_assumptions": {
        "chips": "text list",
        "profiles": "profile set or None",
        "overrides": "mapping or None",
        "site": "profile set or None",
    },
    "capital_recovery_factor": {"rate": "number", "years": "number"},
    "load_profiles": {"directories": "paths or None", "use_environment": "flag"},
    "load_profile": {"path": "path"},
    "load_grids": {"files": "paths or None", "use_environment": "flag"},
    "Grid.create": {
        "id": "text",
        "annual_energy": "energy",
        "capacity": "power or None",
        "name": "text or None",
        "year": "year or None",
        "source": "text",
        "kind": "choice",
        "carbon_intensity": "quantity or None",
        "water_intensity": "quantity or None",
        "electricity_price": "quantity or None",
        "parent": "text or None",
    },
    "parse_mix": {"mix": "flag"},
    "compare": {
        "power_or_count": "power or count",
        "chips": "text list",
        "mixes": "mixes",
        "basis": "choice",
        "cost_overrides": "mapping or None",
        **CONVERSION_OPTIONS,
    },
    "compare_deals": {"report": "text"},
    "power_shares": {
        "power": "power",
        "pue": "number",
        "basis": "choice",
        "load_factor": "fraction or None",
        "grids": "grids",
        "grid_set": "grid set",
    },
    "example_portfolios": {},
    "example_portfolio": {"example": "text"},
}


def _cases() -> list[Any]:
    cases = []
    for function_name, parameters in PARAMETERS.items():
        for parameter, kind in parameters.items():
            for label, value in HOSTILE[kind].items():
                case_id = f"{function_name}({parameter}={label})"
                cases.append(pytest.param(function_name, parameter, value, id=case_id))
    return cases


CASES = _cases()


def _refused(function: Callable[..., Any], arguments: dict[str, Any]) -> CapacityError:
    try:
        function(**arguments)
    except CapacityError as error:
        return error
    except Exception as error:  # the failure this test looks for: the wrong exception type
        pytest.fail(f"raised {type(error).__name__}: {error}")
    pytest.fail("accepted")


@pytest.mark.parametrize(("function_name", "parameter", "value"), CASES)
def test_hostile_argument_is_refused_by_name(
    function_name: str, parameter: str, value: Any
) -> None:
    function, valid = CALLABLES[function_name]
    error = _refused(function, {**valid, parameter: value})
    assert parameter in str(error)


def test_the_table_covers_every_public_callable_and_parameter() -> None:
    callables = {name for name in capacity.__all__ if callable(getattr(capacity, name))}
    classes = {name for name in callables if isinstance(getattr(capacity, name), type)}
    assert callables - classes <= {name.split(" ")[0] for name in CALLABLES} | {"ureg"}
    for name, (function, _) in CALLABLES.items():
        if function is parse_distribution:
            continue  # see test_parse_distribution_arguments
        tabled = {p for case, (f, _) in CALLABLES.items() if f == function
                  for p in PARAMETERS[case]}  # fmt: skip
        assert set(inspect.signature(function).parameters) == tabled, name
    assert len(CASES) > 1000


SWEEP = {"power": "1 GW", "chips": "h100", "backend": "numpy"}


# The examples of issue 9 and others found on the way, each with what it did before.
@pytest.mark.parametrize(
    ("function", "arguments", "name"),
    [
        (sweep, {**SWEEP, "bins": True}, "bins"),  # TypeError
        (sweep, {**SWEEP, "backend": None}, "backend"),  # AttributeError
        (sweep, {**SWEEP, "objective": 5}, "objective"),  # TypeError
        (load_portfolio, {"path": None}, "path"),  # TypeError
        (sweep, {**SWEEP, "chunk_points": True}, "chunk_points"),  # chunks of 1 point
        (montecarlo, {"power": "1 GW", "chip": "h100", "backend": "numpy",
                      "chunk_samples": -1}, "chunk_samples"),  # no samples at all: NaN
        (sweep, {**SWEEP, "reduce": "no"}, "reduce"),  # read as True
        (convert, {"power": "1 GW", "chip": "h100", "pue": True}, "pue"),  # read as 1
        (convert, {"power": "1 GW", "mix": {"h100": True}}, "mix share of h100"),  # as 1
        (convert, {"power": "1 GW", "chip": "h100", "overrides": False}, "overrides"),
        (convert, {"power": "1 GW", "chip": "h100", "pue": []}, "pue"),  # empty result
        (load_profiles, {"directories": ""}, "directories"),  # read the working directory
    ],
)  # fmt: skip
def test_issue_examples(
    function: Callable[..., Any], arguments: dict[str, Any], name: str
) -> None:
    assert name in str(_refused(function, arguments))


def test_arrays_that_do_not_broadcast_are_named_with_their_shapes() -> None:
    error = _refused(
        convert, {"power": "1 GW", "chip": "h100", "pue": np.array([1.1, 1.2]),
                  "utilization": np.array([0.5, 0.6, 0.7])},
    )  # fmt: skip
    assert "pue (2,)" in str(error) and "utilization (3,)" in str(error)
    broadcast = convert("1 GW", chip="h100", pue=np.array([[1.1], [1.2]]),
                        utilization=np.array([0.5, 0.6, 0.7]))  # fmt: skip
    assert broadcast.accelerators.magnitude.shape == (2, 3)


@pytest.mark.parametrize("value", [None, {}, True, Opaque()])
def test_parse_distribution_refuses_a_value_that_is_no_number(value: Any) -> None:
    assert "pue" in str(_refused(parse_distribution, {"value": value, "name": "pue"}))


PARSE_DISTRIBUTION_OPTIONS = [
    ({"value": "tri:1,2,3", "name": "x", "dimension": "weight"}, "dimension"),  # KeyError
    ({"value": "tri:1,2,3", "name": "x", "lower": None}, "lower"),  # TypeError
    ({"value": "tri:1,2,3", "name": "x", "upper": "abc"}, "upper"),  # TypeError
    ({"value": "tri:1,2,3", "name": "x", "lower": math.nan}, "lower"),
]


@pytest.mark.parametrize(("arguments", "name"), PARSE_DISTRIBUTION_OPTIONS)
def test_parse_distribution_arguments(arguments: dict[str, Any], name: str) -> None:
    assert name in str(_refused(parse_distribution, arguments))


def test_the_checks_take_every_type_that_means_a_valid_value() -> None:
    """NumPy numbers and bools, fractions, tuples and paths are what they say."""
    from fractions import Fraction

    sweep_result = sweep(
        "1 GW", chips=("h100",), pue=np.float64(1.2), backend="numpy", reduce=np.bool_(True),
        bins=np.int64(16), chunk_points=np.int32(1), quantiles=(np.float32(0.5),),
    )  # fmt: skip
    assert sweep_result.points == 1 and sweep_result.inputs["reduce"] is True
    assert convert("1 GW", chip="h100", pue=np.float32(1.5)).inputs["pue"] == 1.5
    assert capital_recovery_factor(np.float32(0), np.int64(5)) == 0.2
    assert capital_recovery_factor(Fraction(0), Fraction(5, 1)) == 0.2
    assert load_profiles(ROOT / "hardware_profiles", use_environment=np.bool_(False))
    run = montecarlo("1 GW", chip="h100", backend="numpy", samples=np.int64(1000),
                     seed=np.uint64(2**64 - 1))  # fmt: skip
    assert run.seed == 2**64 - 1
