"""The ``capacity`` command: the typer app, the commands it registers, and its entry point.

Each command is a plain function of a module of this package (which never imports this
one); the app registers it with the shared options expanded
(:func:`~capacity.cli.options.expand_option_groups`) and its errors reported as one line
(:func:`~capacity.cli.errors.reports_errors`). Standard output and error write ASCII
look-alikes of the characters their encoding lacks.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from capacity import __version__
from capacity.cli import (
    check,
    chips,
    convert,
    costs,
    examples,
    montecarlo,
    portfolio,
    summarize,
    sweep,
)
from capacity.cli.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED, ended, reports_errors, say
from capacity.cli.format import echo, use_lookalikes
from capacity.cli.once import CapacityTyper
from capacity.cli.options import expand_option_groups
from capacity.errors import Terminated
from capacity.streaming import unwinding_on_signals

# CapacityTyper: a single-value option given twice is an error (capacity/cli/once.py).
# add_completion: --install-completion and --show-completion (bash, zsh, fish, PowerShell).
app = CapacityTyper(
    name="capacity",
    help="Turn datacenter power into hardware capacity: accelerators, FLOP/s, energy, grid share.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)


def _print_version(value: bool) -> None:
    if value:
        echo(f"capacity {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """The options of ``capacity`` itself, before the command."""


# The commands, in the order of `capacity --help`.
COMMANDS: dict[str, Callable[..., Any]] = {
    "check": check.check_command,
    "chips": chips.chips,
    "show": chips.show,
    "grids": chips.grids,
    "convert": convert.convert_command,
    "costs": costs.costs_command,
    "montecarlo": montecarlo.montecarlo_command,
    "examples": examples.examples,
    "portfolio": portfolio.portfolio_command,
    "sweep": sweep.sweep_command,
    "summarize": summarize.summarize_command,
}
for _name, _command in COMMANDS.items():
    app.command(name=_name)(reports_errors(expand_option_groups(_command)))


def main() -> None:
    """Console-script entry point: the app with look-alike output and signal clean-up."""
    use_lookalikes(sys.stdout)
    use_lookalikes(sys.stderr)
    with unwinding_on_signals():
        try:
            status = app(standalone_mode=False)
        except typer.TyperException as error:  # a usage error: bad option or argument
            text = usage_error_text(error)
            if text:  # empty where no arguments showed the help instead
                say(f"error: {text}")
            raise SystemExit(getattr(error, "exit_code", EXIT_BAD_INPUT)) from None
        except typer.Abort:
            say("interrupted")
            raise SystemExit(EXIT_INTERRUPTED) from None
        except (OSError, Terminated, KeyboardInterrupt) as error:  # outside any command
            ended(error, SystemExit)
    raise SystemExit(status if isinstance(status, int) else 0)


def usage_error_text(error: typer.TyperException) -> str:
    """A usage error as one line, with where to find the command's help."""
    format_message = getattr(error, "format_message", None)
    message = format_message() if callable(format_message) else str(error)
    message = " ".join(message.split())
    if not message:
        return ""
    context = getattr(error, "ctx", None)
    command = getattr(context, "command_path", None) or "capacity"
    return f"{message} (see '{command} --help')"
