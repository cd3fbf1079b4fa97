"""A single-value option given twice is an error, for every option of every command."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from capacity.cli.app import COMMANDS as NAMES
from capacity.cli.app import app, load_command

runner = CliRunner()
COMMANDS = {name: load_command(name) for name in NAMES}


def _commands(commands: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Every command by its full name ("report convert"), groups' commands included."""
    found = []
    for name, command in sorted(commands.items()):
        subcommands = getattr(command, "commands", None)
        if subcommands:
            found += _commands(subcommands, f"{prefix}{name} ")
        else:
            found.append((f"{prefix}{name}", command))
    return found


def _single_value_options() -> list[Any]:
    cases = []
    for name, command in _commands(COMMANDS):
        for param in command.params:
            if param.param_type_name == "option" and param.expose_value and not param.multiple:
                cases.append(pytest.param(name, param, id=f"{name} {param.opts[0]}"))
    return cases


SINGLE = _single_value_options()


def test_every_command_is_covered() -> None:
    covered = {case.values[0].split()[0] for case in SINGLE}
    assert covered == set(COMMANDS), "a command without single-value options?"
    assert len(SINGLE) > 50


@pytest.mark.parametrize(("command", "param"), SINGLE)
def test_a_single_value_option_given_twice_is_refused(command: str, param: Any) -> None:
    option = param.opts[0]
    twice = [option, option] if param.is_flag else [option, "first", option, "second"]
    result = runner.invoke(app, [*command.split(), *twice])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    shown = f" ({option}, {option})" if param.is_flag else " (first, second)"
    assert lines[0].startswith(f"error: {max(param.opts, key=len)} given twice{shown}; give it")


def test_the_message_names_each_value_however_the_option_is_written() -> None:
    result = runner.invoke(app, ["convert", "1GW", "--chip=h100", "--chip", "gb300"])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --chip given twice (h100, gb300); give it once, use --mix "
        "h100=SHARE,gb300=SHARE for a mix of chips, or compare them side by side: "
        "capacity compare POWER --chips h100,gb300\n"
    )
    thrice = runner.invoke(app, ["convert", "1GW", "--chip", "h100", "--pue", "1.1",
                                 "--pue", "1.2", "--pue=1.3"])  # fmt: skip
    assert thrice.exit_code == 2
    assert thrice.stderr == "error: --pue given 3 times (1.1, 1.2, 1.3); give it once\n"


def test_repeatable_options_and_values_after_a_double_dash_are_not_repeats() -> None:
    result = runner.invoke(
        app, ["convert", "--chip", "h100", "--grid", "us", "--grid", "world", "--format",
              "json", "--", "1GW"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert '"us"' in result.stdout and '"world"' in result.stdout


def test_help_may_be_asked_twice() -> None:
    result = runner.invoke(app, ["convert", "--help", "--help"])
    assert result.exit_code == 0
    assert "POWER_OR_COUNT" in result.stdout
