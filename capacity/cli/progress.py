"""A progress bar on stderr for long runs, shown only when stderr is a terminal."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

__all__ = ["progress_bar"]


@contextlib.contextmanager
def progress_bar(label: str, unit: str) -> Iterator[Callable[[int, int], None]]:
    """A ``progress(done, total)`` callback drawing a bar named ``label``, counting ``unit``.

    A count that falls back below the last one (a second pass over the same items) is shown
    as "pass 2". The bar disappears when the block ends, leaving stdout untouched.
    """
    console = Console(stderr=True)
    with Progress(
        TextColumn(label),
        BarColumn(),
        TextColumn("{task.fields[count]}"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task(label, total=None, count="")
        state = {"pass": 1, "done": 0}

        def progress(done: int, total: int) -> None:
            if done < state["done"]:
                state["pass"] += 1
            state["done"] = done
            again = f" (pass {state['pass']})" if state["pass"] > 1 else ""
            bar.update(task, completed=done, total=total,
                       count=f"{done:,}/{total:,} {unit}{again}")  # fmt: skip

        yield progress
