"""Options that take one value may be given once.

click keeps the last of a repeated single-value option and drops the others without a word
(``--chip h100 --chip gb300`` would convert for gb300 alone). :class:`SingleValueCommand`
refuses that for every option of a command that is neither ``multiple`` (``list[...]`` in
typer) nor a counter, with one ``error:`` line and exit code 2; :class:`CapacityTyper` makes
it the class of every command of the app.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import typer
from typer.core import TyperCommand

from capacity.cli.coercion import PlainConversions
from capacity.cli.errors import EXIT_BAD_INPUT
from capacity.cli.format import echo

__all__ = ["COMMAND_LINE", "CapacityTyper", "SingleValueCommand", "repeated_options"]

# The command line being run, as the user wrote it ("capacity", the command's path, then its
# arguments): the HTML report quotes it.
COMMAND_LINE: contextvars.ContextVar[list[str]] = contextvars.ContextVar("COMMAND_LINE")

Function = TypeVar("Function", bound=Callable[..., Any])


class SingleValueCommand(PlainConversions, TyperCommand):
    """A command that refuses a single-value option given more than once (and converts its
    options without pydantic: :mod:`capacity.cli.coercion`)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        path = str(getattr(ctx, "command_path", "") or "").split()[1:]
        COMMAND_LINE.set(["capacity", *path, *args])
        if not ctx.resilient_parsing:  # shell completion parses partial command lines
            problems = repeated_options(self, ctx, args)
            if problems:
                echo(f"error: {problems[0]}", err=True)
                raise typer.Exit(EXIT_BAD_INPUT)
        return super().parse_args(ctx, args)


class CapacityTyper(typer.Typer):
    """A typer app whose commands are :class:`SingleValueCommand` unless told otherwise."""

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Function], Function]:
        kwargs.setdefault("cls", SingleValueCommand)
        return super().command(*args, **kwargs)


def repeated_options(command: Any, ctx: Any, args: Sequence[str]) -> list[str]:
    """One message for each single-value option that ``args`` give more than once.

    The command's own parser reads ``args`` (a copy) and lists every option in the order it
    was met, once per occurrence; an option met twice was given twice, however it was
    spelled (``--chip x``, ``--chip=x``, a short name or a ``--flag/--no-flag`` pair).
    """
    try:
        _, _, order = command.make_parser(ctx).parse_args(args=list(args))
    except Exception:  # a usage error: the command's own parse reports it, as usual
        return []
    problems = []
    for param in command.get_params(ctx):
        single = (
            param.param_type_name == "option"
            and param.expose_value  # not --help, which only acts
            and not param.multiple
            and not getattr(param, "count", False)
        )
        times = sum(1 for seen in order if seen is param)
        if single and times > 1:
            problems.append(_message(command, ctx, param, times, args))
    return problems


def _message(command: Any, ctx: Any, param: Any, times: int, args: Sequence[str]) -> str:
    name = max(param.opts, key=len)
    values = _written_values(param, args)
    given = "twice" if times == 2 else f"{times} times"
    shown = f" ({', '.join(values)})" if len(values) == times else ""
    advice = "give it once"
    others = {name for p in command.get_params(ctx) for name in p.opts}
    if name == "--chip" and "--mix" in others and len(set(values)) == times:
        advice += (
            f", use --mix {','.join(f'{v}=SHARE' for v in values)} for a mix of chips, or "
            f"compare them side by side: capacity compare POWER --chips {','.join(values)}"
        )
    return f"{name} given {given}{shown}; {advice}"


def _written_values(param: Any, args: Sequence[str]) -> list[str]:
    """The values written after each of the option's names, for the message."""
    names = [*param.opts, *param.secondary_opts]
    values: list[str] = []
    tokens = iter(args)
    for token in tokens:
        if token == "--":
            break
        if token in names:
            values.append(token if param.is_flag else next(tokens, ""))
        else:
            values += [token.partition("=")[2] for n in names if token.startswith(f"{n}=")]
    return values
