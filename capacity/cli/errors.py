"""How a command ends when something goes wrong: one line on stderr and an exit code.

- A :class:`CapacityError` (bad input, a file that cannot be written), any other error of
  the operating system (a file that cannot be read) and running out of memory are one
  ``error:`` line on stderr and exit code 2, never a traceback.
- Ctrl-C, SIGTERM and SIGHUP unwind through the clean-up of partial outputs, then say so in
  one line and exit with 128 + the signal's number (130 for Ctrl-C).
- A reader that closes the pipe early (``capacity chips | head -1``) ends the command
  quietly with exit code 1, as click and rich do where they meet the closed pipe first.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer

from capacity.cli.format import echo
from capacity.errors import CapacityError, Terminated
from capacity.streaming import remove_stale_temporaries

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_BROKEN_PIPE",
    "EXIT_INTERRUPTED",
    "ended",
    "os_error_text",
    "remove_stale_output",
    "reports_errors",
    "say",
]

Command = TypeVar("Command", bound=Callable[..., Any])

# Exit status for bad input, as for typer's own usage errors.
EXIT_BAD_INPUT = 2
# Exit status of a command whose reader closed standard output, as click and rich give.
EXIT_BROKEN_PIPE = 1
# Exit status after Ctrl-C: 128 + SIGINT's number.
EXIT_INTERRUPTED = 130


def reports_errors(command: Command) -> Command:
    """Turn errors, interruptions and a closed pipe into one line on stderr and an exit code.

    Standard output is flushed before the command returns, so that a closed pipe shows here
    rather than as a traceback while Python exits.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            result = command(*args, **kwargs)
            sys.stdout.flush()
            return result
        except BaseException as error:  # ended() re-raises what it does not handle
            ended(error, typer.Exit)

    return wrapper  # type: ignore[return-value]


def ended(error: BaseException, exit: Callable[[int], BaseException]) -> NoReturn:
    """Report how a command ended (one line on stderr) and raise ``exit(status)``; re-raise
    ``error`` itself where it is neither an error to report nor a stop."""
    error = _stop_behind(error)
    if isinstance(error, OSError) and error.errno == errno.EPIPE:
        _silence_stdout()
        raise exit(EXIT_BROKEN_PIPE) from None
    if isinstance(error, CapacityError):
        say(f"error: {error}")
        raise exit(EXIT_BAD_INPUT) from None
    if isinstance(error, OSError):
        say(f"error: {os_error_text(error)}")
        raise exit(EXIT_BAD_INPUT) from None
    if isinstance(error, MemoryError):  # NumPy's _ArrayMemoryError is one too
        say(
            "error: out of memory; ask for less (fewer points or samples, or --reduce), or "
            "write a sweep's points with --out FILE.parquet or FILE.csv, in chunks"
        )
        raise exit(EXIT_BAD_INPUT) from None
    if isinstance(error, Terminated):
        say(f"stopped by {error}")
        raise exit(error.exit_status) from None
    if isinstance(error, KeyboardInterrupt):
        say("interrupted")
        raise exit(EXIT_INTERRUPTED) from None
    raise error


def _stop_behind(error: BaseException) -> BaseException:
    """The stop (Ctrl-C, a signal) that caused ``error``, if any, else ``error``.

    A signal's exception raised while compiled code had called back into Python (numba
    does) comes out wrapped in a SystemError whose cause is the stop.
    """
    seen = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, Terminated | KeyboardInterrupt):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return error


def os_error_text(error: OSError) -> str:
    """An operating-system error as one line naming the file: "'x.toml': Permission denied"."""
    reason = os.strerror(error.errno) if error.errno is not None else str(error)
    names = [repr(str(name)) for name in (error.filename, error.filename2) if name is not None]
    return f"{' → '.join(names)}: {reason}" if names else reason or type(error).__name__


def remove_stale_output(destination: str | Path) -> None:
    """Remove temporary files of stopped runs beside ``destination``, saying so on stderr."""
    stale = remove_stale_temporaries(Path(destination).expanduser())
    if stale:
        say(stale.message())


def say(line: str) -> None:
    """One line on stderr, quietly dropped where stderr is a closed pipe too."""
    with contextlib.suppress(OSError):  # stderr may be a closed pipe as well
        echo(line, err=True)


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that Python's flush at exit finds no closed
    pipe (which it would report as "Exception ignored ... BrokenPipeError")."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
