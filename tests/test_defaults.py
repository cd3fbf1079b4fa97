"""One home for defaults: `capacity.defaults.DEFAULTS` checks itself, and the API, the
portfolio reader and the CLI's help texts take their defaults from it."""

from __future__ import annotations

import dataclasses
import inspect
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from capacity import (
    check_claim,
    convert,
    convert_accelerators,
    loads_portfolio,
    montecarlo,
    simulate,
    simulate_portfolio,
    sweep,
)
from capacity.cli.app import app
from capacity.cli.options import ChipOptions, DataOptions, expand_option_groups
from capacity.defaults import DEFAULTS, ConversionDefaults
from capacity.errors import InputError
from capacity.sweep import plan_sweep

runner = CliRunner()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"pue": 0.9}, "pue must be ≥ 1, got 0.9"),
        ({"utilization": 1.5}, "utilization must be in [0, 1], got 1.5"),
        ({"mfu": -0.1}, "mfu must be in [0, 1], got -0.1"),
        ({"basis": "site"}, "basis must be one of facility, it; got 'site'"),
        ({"precision": "fp3"}, "precision must be one of fp4"),
        ({"method": "epoch", "provision": "busy"}, "method='epoch' sizes for nameplate power"),
        ({"mix_basis": "share"}, "mix_basis must be one of power, count"),
        ({"quantiles": (0.5, 1.5)}, "quantiles must lie in [0, 1], got 1.5"),
        ({"montecarlo_bins": 1}, "montecarlo_bins must be a whole number in [2, 65536]"),
        ({"seed": -1}, "seed must be a whole number in [0, 2**64 − 1], got -1"),
        ({"backend": "gpu"}, "backend must be one of auto"),
        ({"tolerance": 2.0}, "tolerance must be in [0, 1], got 2"),
        ({"headline_grid": " "}, "headline_grid must be non-empty text"),
    ],
)
def test_defaults_check_themselves(change: dict[str, object], message: str) -> None:
    with pytest.raises(InputError) as caught:
        ConversionDefaults(**change)  # type: ignore[arg-type]
    assert message in str(caught.value)


def test_defaults_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULTS.pue = 1.5  # type: ignore[misc]


# The default of each API parameter named like a field of DEFAULTS, per function.
_BINS = {"sweep": "sweep_bins", "plan_sweep": "sweep_bins", "montecarlo": "montecarlo_bins",
         "simulate": "montecarlo_bins"}  # fmt: skip


@pytest.mark.parametrize(
    "function",
    [
        convert,
        convert_accelerators,
        sweep,
        plan_sweep,
        montecarlo,
        simulate,
        check_claim,
        simulate_portfolio,
    ],
    ids=lambda function: function.__name__,
)
def test_api_defaults_are_those_of_defaults(function: object) -> None:
    parameters = inspect.signature(function).parameters  # type: ignore[arg-type]
    names = {field.name: field.name for field in dataclasses.fields(DEFAULTS)}
    names["bins"] = _BINS.get(function.__name__, "")  # type: ignore[attr-defined]
    checked = 0
    for parameter in parameters.values():
        field = names.get(parameter.name)
        if field and parameter.default is not inspect.Parameter.empty:
            assert parameter.default == getattr(DEFAULTS, field), parameter.name
            checked += 1
    assert checked >= 3


def test_a_deal_without_inputs_gets_the_defaults() -> None:
    portfolio = loads_portfolio(
        '[portfolio]\nname = "p"\n[[deal]]\nname = "a"\ncounterparty = "b"\n'
        'power = "1 GW"\nchip = "h100"\n'
    )
    deal = portfolio.deals[0]
    assert deal.basis == DEFAULTS.basis
    assert (deal.pue.nominal(), deal.utilization.nominal(), deal.mfu.nominal()) == (
        DEFAULTS.pue, DEFAULTS.utilization, DEFAULTS.mfu,
    )  # fmt: skip


@pytest.mark.parametrize("command", ["convert", "costs", "check", "montecarlo", "sweep"])
def test_help_texts_give_the_defaults(command: str) -> None:
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert f"Default: {DEFAULTS.pue}." in result.stdout
    assert f"Default: {DEFAULTS.utilization}." in result.stdout


def test_convert_shows_the_defaults_the_api_used() -> None:
    result = runner.invoke(app, ["convert", "1GW", "--chip", "h100", "--pue", "1.3"])
    assert result.exit_code == 0, result.output
    assert "1.3 " in result.stdout and "1.3 (default)" not in result.stdout
    assert f"{DEFAULTS.utilization} (default)" in result.stdout
    assert f"{DEFAULTS.precision} (default)" in result.stdout


@pytest.mark.parametrize(
    "module",
    ["check", "chips", "convert", "costs", "montecarlo", "portfolio", "summarize", "sweep"],
)
def test_no_command_module_imports_the_app(module: str) -> None:
    """The app registers the commands; a command module never imports the app."""
    code = f"import sys, capacity.cli.{module}; print('capacity.cli.app' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_an_option_group_is_one_parameter_to_the_command_and_its_options_to_typer() -> None:
    def command(power: str, *, chips: ChipOptions, data: DataOptions) -> tuple[object, ...]:
        return power, chips, data

    expanded = expand_option_groups(command)
    names = list(inspect.signature(expanded).parameters)
    assert names == ["power", "chip", "mix", "grid_file", "set_", "profiles"]
    power, chips, data = expanded(
        power="1GW", chip="h100", mix=None, grid_file=None, set_=["h100.tdp=700W"], profiles=None
    )
    assert (power, chips, data.set_) == ("1GW", ChipOptions(chip="h100"), ["h100.tdp=700W"])
    assert chips.given() == {"chip": "h100"}

    def clash(chip: str, *, chips: ChipOptions) -> None: ...

    with pytest.raises(TypeError, match="options \\['chip'\\] are given twice"):
        expand_option_groups(clash)
