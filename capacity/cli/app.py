"""The ``capacity`` command: the typer app, the commands it registers, and its entry point.

Each command is a plain function of a module of this package (which never imports this
one). The app knows each command by its name, its module and the line ``capacity --help``
lists it with (:data:`COMMANDS`), and imports the module only when the command runs or
shows its own help, so that no command loads another's code and ``capacity --help`` loads
none. A command is registered with the shared options expanded
(:func:`~capacity.cli.options.expand_option_groups`) and its errors reported as one line
(:func:`~capacity.cli.errors.reports_errors`). Standard output and error write ASCII
look-alikes of the characters their encoding lacks.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from capacity.cli.coercion import PlainConversions
from capacity.cli.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED, ended, reports_errors, say
from capacity.cli.format import echo, use_lookalikes
from capacity.cli.once import CapacityTyper
from capacity.errors import Terminated
from capacity.streaming import unwinding_on_signals


@dataclass(frozen=True)
class CommandEntry:
    """Where a command's function lives, and the first paragraph of its docstring (what
    ``capacity --help`` shows; a test checks that the two agree)."""

    module: str
    function: str
    summary: str
    group: bool = False
    """Whether ``function`` makes a group of commands of its own (``capacity report``) from
    the function of each command, given by name, instead of being the command."""


# The commands, in the order of `capacity --help`.
COMMANDS: dict[str, CommandEntry] = {
    "check": CommandEntry(
        "capacity.cli.check",
        "check_command",
        "Check a claim that a power amounts to a number of accelerators or a share of a grid,\n"
        "and say what would make it true.",
    ),
    "chips": CommandEntry(
        "capacity.cli.chips",
        "chips",
        "List every hardware profile with its key figures and how sure they are.",
    ),
    "show": CommandEntry(
        "capacity.cli.chips",
        "show",
        "Every field of one profile with its unit, confidence and source.",
    ),
    "grids": CommandEntry(
        "capacity.cli.chips",
        "grids",
        "List the grids and regions: annual generation, capacity, carbon and water intensity of\n"
        "generation and industrial electricity price, each with its year, grade and source.",
    ),
    "convert": CommandEntry(
        "capacity.cli.convert",
        "convert_command",
        "Convert a power (or a number of accelerators) into accelerators, FLOP/s, energy, grid\n"
        "share, emissions and water (at the site region: the first --grid with site figures);\n"
        "without a chip, what the power alone defines.",
    ),
    "compare": CommandEntry(
        "capacity.cli.compare",
        "compare_command",
        "Compare chips, mixes or the deals of a portfolio side by side: one column each, one\n"
        "row per output, with the ratio of each column to the first. Use --set ID.FIELD=VALUE to\n"
        "change one chip's figures.",
    ),
    "costs": CommandEntry(
        "capacity.cli.costs",
        "costs_command",
        "All-in capex by component, energy cost, non-energy opex and annual cost of ownership\n"
        "of a power (or a number of accelerators), per GW and per accelerator: every default\n"
        "shown with its value, confidence and source. The site region (--grid) sets the\n"
        "electricity price.",
    ),
    "montecarlo": CommandEntry(
        "capacity.cli.montecarlo",
        "montecarlo_command",
        "Convert a power (or a number of accelerators) whose inputs are uncertain: quantiles,\n"
        "mean and spread of every output over SAMPLES draws, with a tornado of what moves them.",
    ),
    "examples": CommandEntry(
        "capacity.cli.examples",
        "examples",
        "List the example portfolios shipped with capacity (read one with\n"
        "'capacity portfolio --example NAME').",
    ),
    "portfolio": CommandEntry(
        "capacity.cli.portfolio",
        "portfolio_command",
        "Per-deal and total accelerators, FLOP/s, energy, grid share and costs of a portfolio\n"
        "of deals, with a timeline by year (and ranges with --samples).",
    ),
    "sweep": CommandEntry(
        "capacity.cli.sweep",
        "sweep_command",
        "Sweep PUE × utilization × chip mix (× power): min, max, mean and quantiles of every\n"
        "output, the best point under constraints, every point to a file, or a heatmap.",
    ),
    "report": CommandEntry(
        "capacity.cli.report",
        "report_group",
        "Write a command's answer as one self-contained HTML file: inputs, tables, charts,\n"
        "every figure with its source and confidence, and the command that made it.",
        group=True,
    ),
    "summarize": CommandEntry(
        "capacity.cli.summarize",
        "summarize_command",
        "Summarize a sweep's dataset: check that it is complete, then read every part for\n"
        "min, max, mean and quantiles of each output, with the inputs, backend and assumptions\n"
        "its manifest records.",
    ),
}


class _Summary(TyperCommand):
    """What the group lists for a command not loaded yet: its name and help, no options."""


def load_command(name: str) -> Any:
    """The click command ``name`` of :data:`COMMANDS`, its module imported now."""
    from capacity.cli.options import expand_option_groups

    entry = COMMANDS[name]
    function = _function(name)
    if entry.group:
        group = typer.main.get_group(function(_function))
        group.name = name
        return group
    single = CapacityTyper(add_completion=False)  # one command: typer builds it alone
    single.command(name=name)(reports_errors(expand_option_groups(function)))
    command = typer.main.get_command(single)
    command.name = name
    return command


def _function(name: str) -> Any:
    """The function of command ``name`` of :data:`COMMANDS`, its module imported now."""
    entry = COMMANDS[name]
    return getattr(importlib.import_module(entry.module), entry.function)


class LazyCommands(PlainConversions, TyperGroup):
    """The group of :data:`COMMANDS`: each loaded when resolved (to run, to show its own
    help or to complete its options), listed meanwhile by its summary."""

    def __init__(self, **attributes: Any) -> None:
        super().__init__(**attributes)
        given = dict(self.commands)
        markup = self.rich_markup_mode
        # One line each: typer's list keeps a summary's line breaks where rich wraps it.
        self.commands = {
            name: _Summary(name, help=" ".join(entry.summary.split()), rich_markup_mode=markup)
            for name, entry in COMMANDS.items()
        }
        self.commands.update(given)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and isinstance(self.commands.get(args[0]), _Summary):
            self.commands[args[0]] = load_command(args[0])
        return super().resolve_command(ctx, args)


# CapacityTyper: a single-value option given twice is an error (capacity/cli/once.py).
# add_completion: --install-completion and --show-completion (bash, zsh, fish, PowerShell).
app = CapacityTyper(
    name="capacity",
    help="Turn datacenter power into hardware capacity: accelerators, FLOP/s, energy, grid share.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    cls=LazyCommands,
)


def _print_version(value: bool) -> None:
    if value:
        from capacity import __version__  # here: reading the version takes milliseconds

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
