"""The example portfolio files shipped with the package: ``examples/`` in the repository,
installed as ``capacity.examples``, so that every install can read them by name.

>>> [example.name for example in example_portfolios()]
['anthropic-2025', 'openai-2025']
>>> example_portfolio("openai-2025").path.name
'openai-2025.toml'
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from capacity.checks import one_of

__all__ = ["EXAMPLES_PACKAGE", "ExamplePortfolio", "example_portfolio", "example_portfolios"]

# The package the example files install into (examples/ in the repository).
EXAMPLES_PACKAGE = "capacity.examples"


@dataclass(frozen=True)
class ExamplePortfolio:
    """One shipped example portfolio.

    Attributes
    ----------
    name : str
        The file's name without ``.toml``, as ``capacity portfolio --example`` takes it.
    title : str
        The file's ``[portfolio] name``: what the portfolio is, in one line.
    path : pathlib.Path
        The installed file, for :func:`capacity.load_portfolio`.
    """

    name: str
    title: str
    path: Path


def example_portfolios() -> tuple[ExamplePortfolio, ...]:
    """Every shipped example portfolio, by name."""
    directory = resources.files(EXAMPLES_PACKAGE)
    paths = sorted(Path(str(e)) for e in directory.iterdir() if e.name.endswith(".toml"))
    return tuple(ExamplePortfolio(path.stem, _title(path), path) for path in paths)


def example_portfolio(example: str) -> ExamplePortfolio:
    """The shipped example portfolio named ``example`` ("openai-2025").

    Raises
    ------
    InputError
        When no example has that name; the message lists the known ones.
    """
    known = {portfolio.name: portfolio for portfolio in example_portfolios()}
    return known[one_of(example, known, "example")]


def _title(path: Path) -> str:
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    return str(document.get("portfolio", {}).get("name", path.stem))
