"""``capacity report COMMAND ... --out report.html``: any of convert, sweep, montecarlo,
portfolio and compare, written as one self-contained HTML file (:mod:`capacity.report`).

Each report command takes the options of its command, less those that choose an output
(``--format``, ``--wide``, ``--plot`` and the command's own ``--out``), and ``--out FILE.html``.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from capacity.cli.errors import reports_errors
from capacity.cli.once import COMMAND_LINE, CapacityTyper
from capacity.cli.options import OptionGroup, expand_option_groups
from capacity.cli.output import OutputOptions, ReportOutput
from capacity.errors import InputError

__all__ = ["REPORTED", "ReportOptions", "as_report", "invoked_command", "report_group"]

# The commands a report can be made of.
REPORTED = ("convert", "sweep", "montecarlo", "portfolio", "compare")

ReportFileOption = Annotated[
    Path | None,
    typer.Option("--out", help="The HTML file to write (required), e.g. report.html."),
]


@dataclasses.dataclass(frozen=True)
class ReportOptions(OptionGroup):
    """Where the report goes."""

    out: ReportFileOption = None


def as_report(command: Callable[..., Any]) -> Callable[..., Any]:
    """``command`` with its output options replaced by ``--out FILE.html``: it writes the
    report of its result there."""
    signature = inspect.signature(command, eval_str=True)
    kept = [
        parameter
        for name, parameter in signature.parameters.items()
        if name != "out" and parameter.annotation is not OutputOptions
    ]
    has_out = "out" in signature.parameters
    report = inspect.Parameter(
        "report", inspect.Parameter.KEYWORD_ONLY, default=ReportOptions(),
        annotation=ReportOptions,
    )  # fmt: skip

    @functools.wraps(command)
    def run(**options: Any) -> Any:
        target = options.pop("report").out
        if target is None:
            raise InputError("--out FILE.html is required: the report is written to a file")
        if has_out:
            options["out"] = None
        options["output"] = ReportOutput(report=target, command=invoked_command())
        return command(**options)

    run.__signature__ = signature.replace(parameters=[*kept, report])  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in [*kept, report]}
    return run


def invoked_command() -> str:
    """The command line that is running, as the user wrote it (shell-quoted)."""
    return shlex.join(COMMAND_LINE.get(["capacity", "report"]))


def report_group(command_function: Callable[[str], Callable[..., Any]]) -> typer.Typer:
    """Write a command's answer as one self-contained HTML file: inputs, tables, charts,
    every figure with its source and confidence, and the command that made it.

    The group of :data:`REPORTED`: ``command_function`` gives each command's function by its
    name, and the group registers it with its output options replaced (:func:`as_report`).
    """
    group = CapacityTyper(
        name="report",
        help=(inspect.getdoc(report_group) or "").split("\n\n")[0],
        no_args_is_help=True,
        add_completion=False,
    )
    for name in REPORTED:
        function = command_function(name)
        # One line in the group's list: typer keeps a docstring's line breaks there.
        summary = " ".join((inspect.getdoc(function) or "").split("\n\n")[0].split())
        group.command(name=name, short_help=summary)(
            reports_errors(expand_option_groups(as_report(function)))
        )
    return group
