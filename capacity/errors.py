"""Exception types: every bad input raises a subclass of :class:`CapacityError`.

The CLI turns a ``CapacityError`` into one line on stderr and exit code 2.
"""

from __future__ import annotations

__all__ = [
    "CapacityError",
    "InputError",
    "ProfileError",
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
