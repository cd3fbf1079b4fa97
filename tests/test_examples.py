"""The example portfolios ship with the package: ``capacity examples`` lists them and
``capacity portfolio --example NAME`` reads one, from any install and any folder."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from capacity import InputError, example_portfolio, example_portfolios
from capacity.cli.app import app

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
runner = CliRunner()


def _title(path: Path) -> str:
    return str(tomllib.loads(path.read_text(encoding="utf-8"))["portfolio"]["name"])


def test_every_example_file_is_listed_with_its_title() -> None:
    files = sorted(EXAMPLES.glob("*.toml"))
    shipped = example_portfolios()
    assert (
        [e.name for e in shipped]
        == [f.stem for f in files]
        == [
            "anthropic-2025",
            "openai-2025",
        ]
    )
    assert [e.title for e in shipped] == [_title(f) for f in files]
    assert all(e.path.is_file() for e in shipped)


def test_an_unknown_example_lists_the_known_ones() -> None:
    with pytest.raises(InputError, match=r"example must be one of anthropic-2025, openai-2025"):
        example_portfolio("openai-2024")


def test_examples_command_table_and_json() -> None:
    table = runner.invoke(app, ["examples"])
    assert table.exit_code == 0, table.output
    for text in ("openai-2025", "OpenAI compute deals announced in 2025", "anthropic-2025"):
        assert text in table.stdout
    document = json.loads(runner.invoke(app, ["examples", "--format", "json"]).stdout)
    assert document["openai-2025"]["title"] == "OpenAI compute deals announced in 2025"
    assert Path(document["openai-2025"]["path"]).name == "openai-2025.toml"


def test_portfolio_example_is_the_shipped_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_file = runner.invoke(
        app, ["portfolio", str(EXAMPLES / "openai-2025.toml"), "--format", "json"]
    )
    monkeypatch.chdir(tmp_path)  # no examples/ folder here
    by_name = runner.invoke(app, ["portfolio", "--example", "openai-2025", "--format", "json"])
    assert by_name.exit_code == 0, by_name.output
    assert json.loads(by_name.stdout)["total"] == json.loads(by_file.stdout)["total"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "error: give a portfolio FILE or --example NAME ('capacity examples' lists the examples)"),
        (["x.toml", "--example", "openai-2025"],
         "error: give a portfolio FILE or --example, not both; got FILE 'x.toml' and --example 'openai-2025'"),
        (["--example", "openai"],
         "error: --example must be one of anthropic-2025, openai-2025; got 'openai'"),
    ],
)  # fmt: skip
def test_portfolio_needs_exactly_one_known_source(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["portfolio", *args])
    assert result.exit_code == 2
    assert result.stderr == message + "\n"
    assert result.stdout == ""
