"""The package as installed: one version source, ``capacity --version``, shell completion,
no symlinks, ``capacity.kernels`` and ``capacity.hardware_profiles`` found through the
package-dir mapping, and mypy's stubs in step with ``kernels/``."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

import capacity
import capacity.kernels
from capacity.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def _pyproject_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return str(tomllib.load(file)["project"]["version"])


def test_version_option_prints_the_installed_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"capacity {capacity.__version__}\n"


def test_version_comes_from_the_distribution_metadata() -> None:
    from importlib import metadata

    assert capacity.__version__ == metadata.version("datacenter-capacity")
    assert capacity.__version__ == _pyproject_version(), "reinstall: pip install -e ."


def test_version_without_an_installed_distribution() -> None:
    code = (
        "from importlib import metadata\n"
        "def missing(name): raise metadata.PackageNotFoundError(name)\n"
        "metadata.version = missing\n"
        "import capacity; print(capacity.__version__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout == "0+unknown\n"


# The console script as Python runs it: click names the completion variable after the program,
# _CAPACITY_COMPLETE for "capacity".
_CONSOLE_SCRIPT = "import sys; sys.argv = ['capacity']; from capacity.cli.app import main; main()"


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("capacity ex", ["examples"]),
        ("capacity portfolio --exa", ["--example"]),
        ("capacity portfolio --example o", ["openai-2025"]),
    ],
)
def test_shell_completion_completes_commands_and_options(words: str, expected: list[str]) -> None:
    env = {**os.environ, "_CAPACITY_COMPLETE": "complete_bash", "COMP_WORDS": words,
           "COMP_CWORD": str(len(words.split()) - 1)}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", _CONSOLE_SCRIPT], env=env, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == expected


def test_completion_script_is_offered() -> None:
    result = runner.invoke(app, ["--show-completion", "bash"])
    assert result.exit_code == 0
    assert "_CAPACITY_COMPLETE=complete_bash" in result.stdout


def test_profiles_are_package_data() -> None:
    names = {entry.name for entry in resources.files("capacity.hardware_profiles").iterdir()}
    assert {"h100-sxm.toml", "README.md"} <= names
    assert len([name for name in names if name.endswith(".toml")]) == 22


@pytest.mark.skipif(
    Path(capacity.__file__).parent != ROOT / "capacity",
    reason="capacity is imported from an install, not from this source tree",
)
def test_source_tree_maps_kernels_and_profiles_into_capacity() -> None:
    """From the repository (editable install, source first on sys.path) the package-dir
    mapping still finds kernels/ and hardware_profiles/, with no capacity/kernels on disk."""
    assert Path(capacity.kernels.__file__) == ROOT / "kernels" / "__init__.py"
    profiles = resources.files("capacity.hardware_profiles")
    assert Path(str(profiles)) == ROOT / "hardware_profiles"
    assert not (ROOT / "capacity" / "kernels").exists()
    assert not (ROOT / "capacity" / "hardware_profiles").exists()


def test_no_symlinks_in_the_tree() -> None:
    links = [
        str(Path(folder, name).relative_to(ROOT))
        for top in ("capacity", "kernels", "hardware_profiles", "examples", "tests", "stubs")
        for folder, folders, files in os.walk(ROOT / top)
        for name in folders + files
        if Path(folder, name).is_symlink()
    ]
    assert links == []


def test_git_tracks_no_symlinks() -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-s"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    links = [
        line.split("\t")[1] for line in listed.stdout.splitlines() if line.startswith("120000")
    ]
    assert links == []


def test_mypy_stubs_mirror_the_kernels() -> None:
    """stubs/capacity/kernels/NAME.pyi re-exports kernels/NAME.py (see stubs/README.md)."""
    stubs = ROOT / "stubs" / "capacity" / "kernels"
    kernels = {path.stem for path in (ROOT / "kernels").glob("*.py")}
    assert {path.stem for path in stubs.glob("*.pyi")} == kernels
    for name in kernels - {"__init__"}:
        text = (stubs / f"{name}.pyi").read_text(encoding="utf-8")
        assert text == f"from kernels.{name} import *\n", name
