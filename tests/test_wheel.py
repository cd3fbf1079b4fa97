"""The built wheel carries the profile data: build it, install it in a fresh venv, run it."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed; dependencies come from this environment."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(
        ROOT, source, symlinks=True,
        ignore=shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__",
                                      ".*cache", ".hypothesis", ".venv"),
    )  # fmt: skip
    wheels = work / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(wheels), str(source)],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = wheels.glob("capacity-*.whl")
    environment = work / "venv"
    venv.create(environment, with_pip=False)
    python = environment / "bin" / "python"
    _share_dependencies(python)
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
         "--no-deps", "--no-index", str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    return environment


def _dependency_directories() -> list[str]:
    """This interpreter's site-packages (a virtualenv's own, or the base interpreter's, plus
    the user's), where the wheel's dependencies are installed."""
    directories = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        directories.append(site.getusersitepackages())
    return [d for d in dict.fromkeys(directories) if Path(d).is_dir()]


def _share_dependencies(python: Path) -> None:
    """Let the venv import this environment's packages, after its own.

    ``system_site_packages`` would share the *base* interpreter's site-packages, which, when
    the tests run inside a virtualenv, lacks the dependencies installed there. A ``.pth`` file
    of plain directories puts them on ``sys.path`` without running the ``.pth`` files inside
    them, so an editable install of capacity in this environment stays out of the venv.
    """
    own = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    lines = "".join(f"{directory}\n" for directory in _dependency_directories())
    (Path(own) / "outer-environment.pth").write_text(lines, encoding="utf-8")


def _run(environment: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAPACITY_")}
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [str(environment / "bin" / "capacity"), *args],
        capture_output=True, text=True, cwd=environment, env=env, check=False,
    )  # fmt: skip


def test_wheel_imports_from_the_venv_not_the_source_tree(installed: Path) -> None:
    out = subprocess.run(
        [str(installed / "bin" / "python"), "-c", "import capacity; print(capacity.__file__)"],
        capture_output=True, text=True, cwd=installed, check=True,
    ).stdout  # fmt: skip
    assert Path(out.strip()).is_relative_to(installed)


def test_wheel_has_every_profile(installed: Path) -> None:
    result = _run(installed, "chips", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == 22


def test_wheel_converts(installed: Path) -> None:
    result = _run(
        installed, "convert", "10GW", "--chip", "openai-broadcom-xpu", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["accelerators"] > 0
    assert set(document["grid_share"]) >= {"world", "global-datacenters"}
