"""Presentation: quantities for people, tables, JSON and CSV. No model logic here.

Output degrades instead of failing where a stream cannot take every character (an ASCII-only
terminal, ``PYTHONIOENCODING=ascii``): tables and text use ASCII look-alikes ("≥" as ">=",
"×" as "x"), JSON escapes ("\\u2265"); and no format ever holds NaN or infinity.
"""

from __future__ import annotations

import codecs
import math
import re
import sys
import unicodedata
from typing import IO, TYPE_CHECKING, Any, TypeGuard

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from capacity.errors import OutputError
from capacity.tables import plain

if TYPE_CHECKING:
    import pint

__all__ = [
    "LOOKALIKES",
    "MONEY_SCALES",
    "TextConsole",
    "check_finite",
    "counted",
    "echo",
    "human",
    "keep_numbers_whole",
    "money",
    "not_finite",
    "percent",
    "scientific",
    "takes_unicode",
    "to_json",
    "use_lookalikes",
    "wide_console",
]

# ASCII look-alikes of the characters the tables, help and messages use; any other character
# falls back to its compatibility decomposition without accents ("é" as "e", "²" as "2"), or
# "?".
LOOKALIKES = {
    "×": "x", "÷": "/", "–": "-", "—": "-", "−": "-", "‐": "-", "→": "->", "←": "<-",
    "≥": ">=", "≤": "<=", "≈": "~", "≠": "!=", "±": "+/-", "…": "...", "•": "*", "·": "*",
    "‘": "'", "’": "'", "“": '"', "”": '"', "∞": "inf", "°": " deg", "§": "S.", "µ": "u",
    "Σ": "sum", "∫": "int", "ρ": "rho", "η": "eta", "Φ": "Phi", "σ": "sigma", "μ": "mu",
    "β": "beta", "α": "alpha", "€": "EUR", "£": "GBP", "✓": "ok", "✗": "x",
}  # fmt: skip
# The codec error handler that writes ASCII look-alikes (see codecs.register_error).
LOOKALIKE_ERRORS = "capacity-lookalikes"


def _lookalike(character: str) -> str:
    if character in LOOKALIKES:
        return LOOKALIKES[character]
    plain = unicodedata.normalize("NFKD", character)
    plain = "".join(c for c in plain if c.isascii() and not unicodedata.combining(c))
    return plain or "?"


def _write_lookalikes(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    unencodable = error.object[error.start : error.end]
    return "".join(_lookalike(c) for c in unencodable), error.end


codecs.register_error(LOOKALIKE_ERRORS, _write_lookalikes)


def takes_unicode(stream: IO[str] | None = None) -> bool:
    """Whether ``stream`` (standard output by default) encodes every character (UTF-8, -16,
    -32); an ASCII or Latin-1 stream does not."""
    stream = sys.stdout if stream is None else stream
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        return codecs.lookup(encoding).name.startswith("utf")
    except LookupError:
        return False


def use_lookalikes(stream: IO[str]) -> None:
    """Make ``stream`` write ASCII look-alikes of the characters its encoding lacks, instead
    of raising UnicodeEncodeError (the command-line interface does this to stdout and
    stderr). A stream that takes every character, or that cannot be reconfigured, is left
    as it is."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None and not takes_unicode(stream):
        reconfigure(errors=LOOKALIKE_ERRORS)


def encodable(text: str, encoding: str) -> str:
    """``text`` with ASCII look-alikes of the characters ``encoding`` lacks."""
    try:
        return text.encode(encoding, LOOKALIKE_ERRORS).decode(encoding)
    except LookupError:
        return text


def echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    """Write ``text`` to standard output (or error) through the stream's own encoding.

    Unlike click's echo, which writes UTF-8 to a stream that declares ASCII, this lets
    :func:`use_lookalikes` degrade the text on an ASCII-only terminal.
    """
    stream = sys.stderr if err else sys.stdout
    stream.write(f"{text}\n" if nl else text)
    stream.flush()


class TextConsole(Console):
    """A rich Console that lays out ASCII look-alikes ("≥" as ">=") of the characters its
    stream cannot encode, so that tables keep their columns on an ASCII-only terminal, and
    that never cuts a number in a table (:func:`keep_numbers_whole`).

    Emoji codes stay as written (``emoji=False``): a source or note that holds ":100:" is
    printed as it is, and rich's table of emoji codes is never loaded.
    """

    def __init__(self, *arguments: Any, emoji: bool = False, **options: Any) -> None:
        super().__init__(*arguments, emoji=emoji, **options)

    def render_str(self, text: str, **options: Any) -> Text:
        if not takes_unicode(self.file):
            text = encodable(text, self.encoding)
        return super().render_str(text, **options)

    def print(self, *objects: Any, **options: Any) -> None:
        tables = [item for item in objects if isinstance(item, Table)]
        for table in tables:
            keep_numbers_whole(table)
            if isinstance(table.title, str):  # a narrow table's title on one line, if it fits
                title = min(cell_len(table.title), self.width)
                table.min_width = max(table.min_width or 0, title)
        width = self.width
        try:
            # rich lays a table out wider than the console when its columns' least widths
            # (a whole number each) do not fit, and then crops the lines: widen the console to
            # the table as rendered (a terminal then wraps the lines; nothing is cut).
            for _ in range(_WIDENINGS):
                needed = max((self._rendered_width(table) for table in tables), default=0)
                if needed <= self.width:
                    break
                self.width = needed
            super().print(*objects, **options)
        finally:
            self.width = width

    def _rendered_width(self, table: Table) -> int:
        """The width of ``table`` rendered at this console's width: its columns' widths and
        borders, as rich lays them out before it renders (titles and captions wrap within
        them). Rendering the table to measure it would take as long as printing it."""
        if not table.columns:
            return 0
        options = self.options
        max_width = options.max_width if table.width is None else table.width
        extra = table._extra_width
        widths = table._calculate_column_widths(self, options.update_width(max_width - extra))
        return sum(widths) + extra

    def _widest_rendered_line(self, table: Table) -> int:
        """The width of the widest line of ``table`` as rendered: what
        :meth:`_rendered_width` stands for (the tests check one against the other)."""
        lines = Segment.split_lines(self.render(table, self.options))
        return max((Segment.get_line_length(line) for line in lines), default=0)


# Layouts tried, each at the width the last one needed, before printing at the widest.
_WIDENINGS = 4


# A cell that starts like a number ("878.9 EFLOP/s", "2,222,222", "0.186 % *", "–") is kept
# on one line up to this length; a longer one ("13.44 thousand USD/year/accelerator") wraps
# between its words.
_NUMBER_CELL = re.compile(r"^[-+–<>~≈≥≤(]?\s?[0-9]")
_LONGEST_NUMBER_CELL = 32


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` with its thousands separated and ``noun`` in the number it takes:
    "1 mix", "1,771 mixes"."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def keep_numbers_whole(table: Table) -> Table:
    """Let ``table``'s label column (the first) wrap, and give every other column at least
    the width of its widest number, so that rich wraps labels instead of cutting a number
    ("878.9 EFLOP…")."""
    for index, column in enumerate(table.columns):
        if index == 0:
            column.no_wrap = False
            column.overflow = "fold"
            continue
        column.overflow = "fold"  # a word too long for its column breaks, never "…"
        numbers = [
            cell_len(text) if cell_len(text) <= _LONGEST_NUMBER_CELL
            else max(cell_len(word) for word in text.split())  # wraps between its words
            for text in (_plain(cell) for cell in column._cells) if _NUMBER_CELL.match(text)
        ]  # fmt: skip
        if numbers:
            column.min_width = max(column.min_width or 0, *numbers)
    return table


def _plain(cell: Any) -> str:
    if isinstance(cell, Text):
        return cell.plain
    return str(cell) if isinstance(cell, str) else ""


_PREFIXES = ["", "k", "M", "G", "T", "P", "E", "Z", "Y"]


def _is_quantity(value: Any) -> TypeGuard[pint.Quantity]:
    """Whether ``value`` is a pint quantity, without importing pint where nothing has."""
    pint = sys.modules.get("pint")
    return pint is not None and isinstance(value, pint.Quantity)


def human(quantity: pint.Quantity | float, unit: str = "") -> str:
    """A scalar with an SI prefix and four significant digits: "25 GW", "19.4 ZFLOP/s"."""
    value = quantity.to(unit).magnitude if _is_quantity(quantity) else quantity
    value = float(value)
    if not math.isfinite(value):
        return not_finite(value)
    if unit in ("", "1"):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    index = 0
    while index < len(_PREFIXES) - 1 and abs(value) >= 1000:
        value /= 1000
        index += 1
    return f"{value:.4g} {_PREFIXES[index]}{unit}"


def scientific(quantity: pint.Quantity, unit: str) -> str:
    """A large amount in scientific notation: "4.898e+29 FLOP"."""
    return f"{float(quantity.to(unit).magnitude):.4g} {unit}"


def percent(fraction: pint.Quantity | float | None) -> str:
    """A fraction as a percentage with three significant digits, or "–" where unknown."""
    if fraction is None:
        return "–"
    value = float(fraction.to("").magnitude if _is_quantity(fraction) else fraction)
    return f"{value * 100:.3g} %"


def not_finite(value: float) -> str:
    """A table cell for a number that is not finite, saying so: "inf (overflow)"."""
    if math.isnan(value):
        return "NaN (undefined)"
    return f"{value} (overflow)"


def check_finite(document: Any, where: str = "") -> None:
    """Raise :class:`OutputError` naming the first number of ``document`` (nested dicts and
    lists) that is NaN or infinite, which JSON and CSV cannot hold."""
    if isinstance(document, dict):
        for key, value in document.items():
            check_finite(value, f"{where}.{key}" if where else str(key))
    elif isinstance(document, list | tuple):
        for index, value in enumerate(document):
            check_finite(value, f"{where}[{index}]")
    elif isinstance(document, float) and not math.isfinite(document):
        raise OutputError(
            f"internal: {where or 'the result'} is {document}, not a finite number; an input "
            "is probably too large for the model"
        )


def to_json(document: Any, ascii_only: bool | None = None) -> str:
    """Exactly one JSON object, indented, with finite numbers only.

    ``ascii_only`` escapes every non-ASCII character ("\\u2265"); by default where standard
    output cannot take them.
    """
    document = plain(document)
    check_finite(document)
    if ascii_only is None:
        ascii_only = not takes_unicode()
    import json  # here: a command that prints a table never loads it

    return json.dumps(document, indent=2, ensure_ascii=ascii_only, allow_nan=False)


# Width of output that is not a terminal: wide enough that no line wraps, so that piped
# output is the same whatever the terminal.
PLAIN_WIDTH = 1000


def wide_console(min_width: int) -> Console:
    """A console for tables: at least ``min_width`` wide on a terminal, and
    :data:`PLAIN_WIDTH` (no wrapping at all) when standard output is a file or a pipe."""
    console = TextConsole(width=min_width)
    if not console.is_terminal:
        console.width = PLAIN_WIDTH
    else:
        console.width = max(Console().width, min_width)
    return console


MONEY_SCALES = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"), (1e3, "thousand"))


def money(
    quantity: pint.Quantity | None, unit: str = "USD", per: str = "", missing: str = ""
) -> str:
    """An amount of dollars in words: "27.94 billion USD/yr"; None is "unavailable"."""
    if quantity is None:
        return f"unavailable (no price for {missing})" if missing else "unavailable"
    value = float(quantity.to(unit).magnitude)
    suffix = f" USD{per}"
    if not math.isfinite(value):
        return not_finite(value)
    for scale, word in MONEY_SCALES:
        if abs(value) >= scale:
            return f"{value / scale:.4g} {word}{suffix}"
    return f"{value:.4g}{suffix}"
