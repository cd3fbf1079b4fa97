"""Progress of long runs on stderr, never on stdout.

Before a run that will take more than about a minute at the rate measured over its first
chunks, one line says how long ("sweep: about 3 min for 1.2e11 points at 650 M points/s;
Ctrl-C to stop"). Then a terminal shows a bar, and anything else (a log file, a pipe) a plain
line every ``LINE_INTERVAL_SECONDS`` ("sweep: 45% (4.5e9 of 1e10 points), about 50 s left"),
without control characters. A short run writes nothing.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from capacity.cli.format import TextConsole
from capacity.units import SECONDS_PER_DAY, SECONDS_PER_HOUR

__all__ = ["LINE_INTERVAL_SECONDS", "LONG_RUN_SECONDS", "progress_bar"]

# A run expected to take longer than this gets an estimate first. [s]
LONG_RUN_SECONDS = 60.0
# The least time measured after the first chunk before extrapolating: the first chunk pays
# for one-off costs (imports, threads, opening the output), so it is left out where a later
# chunk has ended. [s]
MEASURE_SECONDS = 1.0
# The longest wait for that measurement: a run whose first chunk takes longer is
# extrapolated from it alone (an overestimate). [s]
ESTIMATE_BY_SECONDS = 10.0
# Time between plain progress lines where stderr is not a terminal. [s]
LINE_INTERVAL_SECONDS = 10.0

_SCALES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


@dataclass
class _Pass:
    """One pass over the items: when its reports began, and where its first chunk ended."""

    number: int
    started: float
    started_done: int
    last_done: int
    last_line: float
    first_chunk: tuple[float, int] | None = None
    estimated: bool = False

    def rate(self, now: float, done: int) -> tuple[float, bool]:
        """Items per second, and whether measured over at least ``MEASURE_SECONDS`` after the
        first chunk (else from the start, first chunk included)."""
        if (
            self.first_chunk is not None
            and done > self.first_chunk[1]
            and now > self.first_chunk[0]
        ):
            since, since_done = self.first_chunk
            return (done - since_done) / (now - since), now - since >= MEASURE_SECONDS
        return (done - self.started_done) / (now - self.started), False


@contextlib.contextmanager
def progress_bar(
    label: str,
    unit: str,
    *,
    console: Console | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Callable[[int, int], None]]:
    """A ``progress(done, total)`` callback reporting on stderr, named ``label``, counting
    ``unit``.

    A count that falls back below the last one (a second pass over the same items) starts
    "pass 2", measured afresh. The bar disappears when the block ends, leaving stdout
    untouched. ``console`` (stderr by default) and ``clock`` are for tests.
    """
    console = console or TextConsole(stderr=True)
    terminal = console.is_terminal
    with Progress(
        TextColumn(label),
        BarColumn(),
        TextColumn("{task.fields[count]}"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
        disable=not terminal,
    ) as bar:
        task = bar.add_task(label, total=None, count="")
        current: _Pass | None = None

        def say(line: str) -> None:
            console.print(line, markup=False, highlight=False, soft_wrap=True)

        def progress(done: int, total: int) -> None:
            nonlocal current
            now = clock()
            if current is None or done < current.last_done:
                number = 1 if current is None else current.number + 1
                current = _Pass(number, now, done, done, now)
            current.last_done = done
            name = label if current.number == 1 else f"{label} (pass {current.number})"
            again = f" (pass {current.number})" if current.number > 1 else ""
            bar.update(task, completed=done, total=total,
                       count=f"{done:,}/{total:,} {unit}{again}")  # fmt: skip
            if done <= current.started_done:
                return
            if current.first_chunk is None:
                current.first_chunk = (now, done)
            if now <= current.started:
                return
            rate, measured = current.rate(now, done)
            elapsed, left = now - current.started, (total - done) / rate
            ready = measured or elapsed >= ESTIMATE_BY_SECONDS or done >= total
            if not current.estimated and ready:
                current.estimated = True
                if elapsed + left > LONG_RUN_SECONDS:
                    say(f"{name}: about {_duration(elapsed + left)} for {_count(total)} {unit} "
                        f"at {_rate(rate, unit)}; Ctrl-C to stop")  # fmt: skip
            if not terminal and done < total and now - current.last_line >= LINE_INTERVAL_SECONDS:
                current.last_line = now
                say(f"{name}: {100 * done / total:.0f}% ({_count(done)} of {_count(total)} "
                    f"{unit}), about {_duration(left)} left")  # fmt: skip

        yield progress


def _count(count: float) -> str:
    """A count for a progress line: "20,000", "4.5e9"."""
    if count < 1e6:
        return f"{count:,.0f}"
    mantissa, exponent = f"{count:.3g}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _rate(rate: float, unit: str) -> str:
    """Items per second with an SI prefix: "650 M points/s"."""
    for scale, prefix in _SCALES:
        if rate >= scale:
            return f"{rate / scale:.3g} {prefix} {unit}/s"
    return f"{rate:.3g} {unit}/s"


def _duration(seconds: float) -> str:
    """A duration rounded as people say it: "50 s", "3 min", "2.5 h", "4.2 days"."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * SECONDS_PER_HOUR:
        return f"{seconds / SECONDS_PER_HOUR:.2g} h"
    days = seconds / SECONDS_PER_DAY
    return f"{days:.2g} days" if days < 10 else f"{days:,.0f} days"
