"""Deployment schedules: how much of a deal is online on a date, and for how long in a year.

A schedule is a list of :class:`Ramp` pieces, each a share of the deal's total that comes
online either all at once at the start of its ``start`` day (a step) or linearly from the
start of its ``start`` day to the end of its ``end`` day. The online fraction of a deal is
the sum over its pieces, so it is piecewise linear in time, and its integral over a calendar
year (the fraction-days that turn average power into energy) is computed exactly from the
antiderivative of each piece.

Time runs in days: day ``d`` (a :class:`datetime.date`) covers ``[d.toordinal(),
d.toordinal() + 1)``. So a step on 1 January counts for the whole year, and a ramp ending on
31 December is fully online at that year's end.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

__all__ = ["Ramp", "Schedule", "days_in_year", "year_end"]


def days_in_year(year: int) -> int:
    """365 or 366, for any year a :class:`datetime.date` holds (1 to 9999). [day]"""
    return 366 if calendar.isleap(year) else 365


def year_end(year: int) -> date:
    """The last day of ``year``: its end is the year end."""
    return date(year, 12, 31)


def _start_of(day: date) -> float:
    return float(day.toordinal())


def _end_of(day: date) -> float:
    return float(day.toordinal() + 1)


@dataclass(frozen=True)
class Ramp:
    """One piece of a schedule: ``share`` of the deal, online from ``start`` to ``end``.

    Attributes
    ----------
    start : datetime.date
        The first day any of this piece is online (from the start of the day).
    end : datetime.date or None
        The day by whose end all of it is online; ``None`` for a step (all of it online from
        the start of ``start``).
    share : float
        Fraction of the deal's total that this piece brings online. [1]
    """

    start: date
    end: date | None
    share: float

    @property
    def last_day(self) -> date:
        """The day by whose end the piece is complete."""
        return self.start if self.end is None else self.end

    @property
    def complete_from(self) -> float:
        """The moment from which all of the piece is online: the start of its first day (a
        step) or the end of its last (a ramp). [day]"""
        return _start_of(self.start) if self.end is None else _end_of(self.end)

    def online(self, moment: float) -> float:
        """Share online at ``moment`` (days since 0001-01-01 00:00, proleptic). [1]

        A step is online just after the start of its day, so not at the end of the day before.
        """
        a = _start_of(self.start)
        if self.end is None:
            return self.share if moment > a else 0.0
        b = _end_of(self.end)
        return self.share * min(max((moment - a) / (b - a), 0.0), 1.0)

    def online_days(self, moment: float) -> float:
        """∫ online share dt from the beginning of time to ``moment``. [day]

        The antiderivative of :meth:`online`: 0 before the start, ``(t − a)² / (2 (b − a))``
        on the ramp, ``(b − a) / 2 + (t − b)`` after it (``t − a`` for a step), times the share.
        """
        a = _start_of(self.start)
        if moment <= a:
            return 0.0
        if self.end is None:
            return self.share * (moment - a)
        b = _end_of(self.end)
        if moment < b:
            return self.share * (moment - a) ** 2 / (2.0 * (b - a))
        return self.share * ((b - a) / 2.0 + (moment - b))


@dataclass(frozen=True)
class Schedule:
    """A deal's deployment: the sum of its ramps (their shares add up to 1)."""

    ramps: tuple[Ramp, ...]

    @classmethod
    def create(cls, ramps: Iterable[Ramp]) -> Schedule:
        return cls(tuple(sorted(ramps, key=lambda r: (r.start, r.last_day))))

    @property
    def first_day(self) -> date:
        return min(r.start for r in self.ramps)

    @property
    def last_day(self) -> date:
        return max(r.last_day for r in self.ramps)

    @property
    def years(self) -> range:
        """Calendar years from the first start to the last completion."""
        return range(self.first_day.year, self.last_day.year + 1)

    def online_fraction(self, day: date) -> float:
        """Fraction of the deal online at the end of ``day``. [1]

        Examples
        --------
        A ramp through the leap year 2024 is half online at the end of its 183rd day:

        >>> s = Schedule.create([Ramp(date(2024, 1, 1), date(2024, 12, 31), 1.0)])
        >>> s.online_fraction(date(2024, 7, 1)), s.online_fraction(date(2024, 12, 31))
        (0.5, 1.0)
        """
        return sum(r.online(_end_of(day)) for r in self.ramps)

    def online_days(self, first: date, last: date) -> float:
        """∫ online fraction dt from the start of ``first`` to the end of ``last``. [day]

        Multiplied by an average power it gives the energy over those days, exactly.
        """
        a, b = _start_of(first), _end_of(last)
        return sum(r.online_days(b) - r.online_days(a) for r in self.ramps)

    def year_online_days(self, year: int) -> float:
        """Fraction-days online in calendar ``year`` (at most 365 or 366). [day]

        Examples
        --------
        A linear ramp through 2026 is online half of that year on average, all of the next:

        >>> s = Schedule.create([Ramp(date(2026, 1, 1), date(2026, 12, 31), 1.0)])
        >>> s.year_online_days(2026), s.year_online_days(2027)
        (182.5, 365.0)
        """
        return self.online_days(date(year, 1, 1), date(year, 12, 31))

    def by_year(self, first: int, last: int) -> list[tuple[float, float]]:
        """(:meth:`online_fraction` at the end of the year, :meth:`year_online_days`) for each
        year from ``first`` to ``last``, in one pass.

        A piece counts in the years from its start to its completion; before, it adds
        nothing and after, its whole share. So the work grows with the years plus the years
        the pieces span, not with their product as asking year by year does.

        Examples
        --------
        >>> s = Schedule.create([Ramp(date(2026, 1, 1), date(2026, 12, 31), 1.0)])
        >>> s.by_year(2025, 2027)
        [(0.0, 0.0), (1.0, 182.5), (1.0, 365.0)]
        """
        waiting = iter(self.ramps)  # sorted by start
        upcoming = next(waiting, None)
        active: list[Ramp] = []
        complete = 0.0  # the share of the pieces complete before the current year
        years = []
        for year in range(first, last + 1):
            begin, end = _start_of(date(year, 1, 1)), _end_of(date(year, 12, 31))
            while upcoming is not None and _start_of(upcoming.start) < end:
                active.append(upcoming)
                upcoming = next(waiting, None)
            fraction = complete + sum(r.online(end) for r in active)
            days = complete * (end - begin) + sum(
                r.online_days(end) - r.online_days(begin) for r in active
            )
            years.append((fraction, days))
            complete += sum(r.share for r in active if r.complete_from <= end)
            active = [r for r in active if r.complete_from > end]
        return years
