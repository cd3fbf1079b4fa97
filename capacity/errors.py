"""Exception types: every bad input raises a subclass of :class:`CapacityError`.

The CLI turns a ``CapacityError`` into one line on stderr and exit code 2.
"""

from __future__ import annotations

import signal

__all__ = [
    "CapacityError",
    "ClusterError",
    "DatasetError",
    "InputError",
    "MissingExtraError",
    "OutputError",
    "ProfileError",
    "Terminated",
    "UnitError",
    "UnknownChipError",
    "UnknownGridError",
]


class CapacityError(ValueError):
    """Base of every error about the user's input, profiles or grids."""


class UnitError(CapacityError):
    """A value with a missing, unreadable or wrong-dimension unit."""


class InputError(CapacityError):
    """A value outside its valid range, or options that do not go together."""


class UnknownChipError(CapacityError, KeyError):
    """An accelerator id that no profile has."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class UnknownGridError(CapacityError, KeyError):
    """A grid id that no grid reference has."""

    def __str__(self) -> str:
        return str(self.args[0])


class ProfileError(CapacityError):
    """A malformed hardware-profile or grid file; the message names the file and the field."""


class OutputError(CapacityError):
    """An output that cannot be written: a file the system refuses (the message names it and
    the reason, such as a full disk) or a number that the format cannot hold (NaN, inf)."""


class ClusterError(CapacityError):
    """A Dask cluster that cannot be reached or used: no scheduler at the address, the
    ``distributed`` extra not installed, workers lost over and over."""


class DatasetError(CapacityError):
    """A sweep's Parquet dataset that is not complete: no manifest (the run that wrote it
    failed or was stopped), or a part that the manifest lists missing or changed."""


class MissingExtraError(CapacityError, ImportError):
    """A feature whose optional dependency is not installed; the message gives the
    ``pip install 'datacenter-capacity[EXTRA]'`` line that installs it."""


class Terminated(BaseException):
    """SIGTERM or SIGHUP, raised in the main thread by
    :func:`capacity.streaming.unwinding_on_signals` so that clean-up code runs, as Ctrl-C's
    KeyboardInterrupt does. Not a :class:`CapacityError`: nothing was wrong with the input."""

    def __init__(self, signal_number: int) -> None:
        super().__init__(signal_number)
        self.signal_number = signal_number

    @property
    def exit_status(self) -> int:
        """128 + the signal's number, as a shell reports a process that a signal ended."""
        return 128 + self.signal_number

    def __str__(self) -> str:
        return signal.Signals(self.signal_number).name
