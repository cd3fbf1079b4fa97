"""Presentation: quantities for people, tables, JSON and CSV. No model logic here."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

import pint
from rich.console import Console

__all__ = [
    "MONEY_SCALES",
    "flatten",
    "human",
    "money",
    "percent",
    "scientific",
    "to_csv",
    "to_json",
    "wide_console",
]

_PREFIXES = ["", "k", "M", "G", "T", "P", "E", "Z", "Y"]


def human(quantity: pint.Quantity | float, unit: str = "") -> str:
    """A scalar with an SI prefix and four significant digits: "25 GW", "19.4 ZFLOP/s"."""
    value = quantity.to(unit).magnitude if isinstance(quantity, pint.Quantity) else quantity
    value = float(value)
    if not math.isfinite(value):
        return "n/a"
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
    value = float(fraction.to("").magnitude if isinstance(fraction, pint.Quantity) else fraction)
    return f"{value * 100:.3g} %"


def to_json(document: Any) -> str:
    """Exactly one JSON object, indented."""
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)


def flatten(document: Any, prefix: str = "") -> list[tuple[str, str, Any]]:
    """(quantity, key, value) rows of a nested dict: lists of strings become one row each."""
    rows: list[tuple[str, str, Any]] = []
    for name, value in document.items():
        if isinstance(value, dict):
            for key, inner in value.items():
                if isinstance(inner, dict):
                    for sub, leaf in inner.items():
                        rows.append((f"{name}_{key}", sub, _cell(leaf)))
                else:
                    rows.append((name, key, _cell(inner)))
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            rows.extend((name, "", item) for item in value)
        else:
            rows.append((name, "", _cell(value)))
    return rows


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return value


def to_csv(document: dict[str, Any]) -> str:
    """Long-format CSV (quantity, key, value) of a result's JSON document."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["quantity", "key", "value"])
    writer.writerows(flatten(document))
    return buffer.getvalue()


def wide_console(min_width: int) -> Console:
    """A console at least ``min_width`` wide, so that tables piped to a file do not wrap."""
    return Console(width=max(Console().width, min_width))


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
        return "n/a"
    for scale, word in MONEY_SCALES:
        if abs(value) >= scale:
            return f"{value / scale:.4g} {word}{suffix}"
    return f"{value:.4g}{suffix}"
