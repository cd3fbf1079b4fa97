"""The ``capacity`` command: the typer app and its error handling."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from capacity.cli.once import CapacityTyper
from capacity.errors import CapacityError

# CapacityTyper: a single-value option given twice is an error (capacity/cli/once.py).
app = CapacityTyper(
    name="capacity",
    help="Turn datacenter power into hardware capacity: accelerators, FLOP/s, energy, grid share.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

Command = TypeVar("Command", bound=Callable[..., Any])

# Exit status for bad input, as for typer's own usage errors.
EXIT_BAD_INPUT = 2


def reports_errors(command: Command) -> Command:
    """Turn a :class:`CapacityError` into one line on stderr and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except CapacityError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None

    return wrapper  # type: ignore[return-value]


def _register() -> None:
    from capacity.cli import (  # noqa: F401  (each module adds its commands)
        check,
        chips,
        convert,
        costs,
        montecarlo,
        portfolio,
        sweep,
    )


_register()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
