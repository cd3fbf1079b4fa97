"""Grid shares in tables: a share above 100 % carries a mark, and the table a footnote."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from capacity.cli.format import percent
from capacity.convert import exceeds_grid

__all__ = ["FOOTNOTE", "MARK", "ShareCells"]

# ASCII, so that a terminal without Unicode shows it too.
MARK = "*"
FOOTNOTE = (
    f"{MARK} above 100 %: the fleet would draw more than the whole grid (energy basis: its "
    "average draw above the grid's average load; capacity basis: its facility power above the "
    "grid's capacity)"
)


class ShareCells:
    """The cells of one table's grid shares; remembers whether any was above 100 %."""

    def __init__(self) -> None:
        self.marked = False

    def __call__(self, fraction: Any) -> str:
        """The share as a percentage, marked when above 100 %; "–" where unknown."""
        text = percent(fraction)
        if fraction is not None and exceeds_grid(fraction):
            self.marked = True
            return f"{text} {MARK}"
        return text

    def footnote(self, console: Console) -> None:
        """Explain the mark under the table, if a cell carried it."""
        if self.marked:
            console.print(FOOTNOTE, markup=False, highlight=False, soft_wrap=True)
