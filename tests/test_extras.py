"""Parquet output and xarray are optional extras: without them, the feature that needs one
says which ``pip install`` brings it (a MissingExtraError in the API, one error line and exit
code 2 in the CLI); nothing else needs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from capacity import MissingExtraError, sweep
from capacity.cli.app import app

runner = CliRunner()
PARQUET_HINT = "pip install 'datacenter-capacity[parquet]'"


def _without(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    """Make ``modules`` impossible to import, as when they are not installed."""
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)


def test_parquet_output_without_pyarrow_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _without(monkeypatch, "pyarrow", "pyarrow.parquet")
    out = tmp_path / "points.parquet"
    with pytest.raises(MissingExtraError, match=r"writing Parquet needs pyarrow, which is not"):
        sweep("1 GW", chips="h100", pue="1.1,1.2", backend="numpy", reduce=False, out=out)
    assert not out.exists()


def test_cli_parquet_output_without_pyarrow_is_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _without(monkeypatch, "pyarrow", "pyarrow.parquet")
    out = tmp_path / "points.parquet"
    result = runner.invoke(
        app, ["sweep", "1GW", "--chips", "h100", "--backend", "numpy", "--out", str(out)]
    )
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --out: writing Parquet needs pyarrow, which is not installed: {PARQUET_HINT}\n"
    )
    assert not out.exists()


def test_to_xarray_without_xarray_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    result = sweep("1 GW", chips="h100", pue="1.1,1.2", backend="numpy", reduce=False)
    _without(monkeypatch, "xarray")
    with pytest.raises(MissingExtraError) as error:
        result.to_xarray()
    assert str(error.value) == (
        "SweepResult.to_xarray() needs xarray, which is not installed: "
        "pip install 'datacenter-capacity[xarray]'"
    )


# Runs in a fresh interpreter, so that a module-level import of an extra anywhere in capacity
# fails here rather than finding the module that this process has already imported.
_CORE_WITHOUT_EXTRAS = """
import sys
for module in ("pyarrow", "pyarrow.parquet", "xarray"):
    sys.modules[module] = None
from typer.testing import CliRunner
from capacity.cli.app import app
for args in (
    ["convert", "1GW", "--chip", "h100"],
    ["sweep", "1GW", "--chips", "h100,mi355x", "--mix-step", "0.5", "--backend", "numpy"],
    ["portfolio", "--example", "anthropic-2025"],
):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, (args, result.output)
print("ok")
"""


def test_core_commands_need_neither_extra() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _CORE_WITHOUT_EXTRAS], capture_output=True, text=True, check=False
    )
    assert result.stdout == "ok\n", result.stderr
