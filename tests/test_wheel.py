"""The distributions: the sdist holds the repository, and the wheel built from it installs in
a fresh venv and runs from any folder, with its profiles, examples, version and type marker.

``python -m build`` builds the sdist, then the wheel from the unpacked sdist, so the wheel
tested here is also the proof that the sdist builds. CI (.ci/run) installs both into fresh
venvs, with their dependencies from the index, and builds them from a clone without symlinks.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import tarfile
import tomllib
import venv
import zipfile
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


class Distributions(NamedTuple):
    sdist: Path
    wheel: Path


def _version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return str(tomllib.load(file)["project"]["version"])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Distributions:
    """The sdist and the wheel of a copy of this tree (without build isolation: offline)."""
    work = tmp_path_factory.mktemp("dist")
    source = work / "source"
    shutil.copytree(
        ROOT, source,
        ignore=shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__",
                                      ".*cache", ".hypothesis", ".venv", ".whl"),
    )  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(work / "dist"),
         str(source)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (sdist,) = (work / "dist").glob("datacenter_capacity-*.tar.gz")
    (wheel,) = (work / "dist").glob("datacenter_capacity-*.whl")
    return Distributions(sdist, wheel)


@pytest.fixture(scope="module")
def installed(built: Distributions, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed; dependencies come from this environment."""
    environment = tmp_path_factory.mktemp("wheel") / "venv"
    venv.create(environment, with_pip=False)
    python = environment / "bin" / "python"
    _share_dependencies(python)
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
         "--no-deps", "--no-index", str(built.wheel)],
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


# --- the sdist ------------------------------------------------------------------------------


def _sdist_names(sdist: Path) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(sdist) as archive:
        return {m.name.partition("/")[2]: m for m in archive.getmembers() if "/" in m.name}


def test_sdist_holds_every_tracked_file(built: Distributions) -> None:
    """Tests (conftest.py, backends.py, data/, hostile/), examples, benchmarks, docs, the
    licence: everything in git but the dot-files (.ci/, .gitignore) and site/, the built
    documentation."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    tracked = {
        name for name in listed.stdout.split("\0") if name and not name.startswith((".", "site/"))
    }
    tracked = {name for name in tracked if (ROOT / name).exists()}  # deleted, not yet committed
    missing = sorted(tracked - set(_sdist_names(built.sdist)))
    assert missing == [], f"add them to MANIFEST.in: {missing}"


def test_sdist_holds_the_test_suite_and_no_links(built: Distributions) -> None:
    names = _sdist_names(built.sdist)
    for name in ("LICENSE", "tests/conftest.py", "tests/backends.py", "tests/hostile/corpus.py",
                 "tests/data/portfolios/two-deals.toml", "examples/openai-2025.toml",
                 "benchmarks/run.py", "docs/trust-model.md", "kernels/backends.py",
                 "hardware_profiles/h100-sxm.toml", "stubs/capacity/kernels/backends.pyi"):  # fmt: skip
        assert name in names, name
    assert [
        name for name, member in names.items() if not (member.isfile() or member.isdir())
    ] == []


# --- the wheel ------------------------------------------------------------------------------


def test_wheel_holds_the_package_only(built: Distributions) -> None:
    with zipfile.ZipFile(built.wheel) as archive:
        names = set(archive.namelist())
    dist_info = f"datacenter_capacity-{_version()}.dist-info"
    assert {name.split("/")[0] for name in names} == {"capacity", dist_info}
    for name in ("capacity/py.typed", f"{dist_info}/licenses/LICENSE",
                 "capacity/kernels/backends.py", "capacity/hardware_profiles/h100-sxm.toml",
                 "capacity/examples/openai-2025.toml", "capacity/examples/README.md"):  # fmt: skip
        assert name in names, name


def test_wheel_imports_from_the_venv_not_the_source_tree(installed: Path) -> None:
    out = subprocess.run(
        [str(installed / "bin" / "python"), "-c",
         "import capacity, capacity.kernels; print(capacity.__file__, capacity.kernels.__file__)"],
        capture_output=True, text=True, cwd=installed, check=True,
    ).stdout  # fmt: skip
    assert all(Path(path).is_relative_to(installed) for path in out.split())


def test_wheel_version(installed: Path) -> None:
    result = _run(installed, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"capacity {_version()}\n"


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


def test_wheel_lists_and_reads_its_examples(installed: Path) -> None:
    listed = _run(installed, "examples", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    examples = json.loads(listed.stdout)
    assert set(examples) == {"anthropic-2025", "openai-2025"}
    assert all(Path(e["path"]).is_relative_to(installed) for e in examples.values())
    result = _run(installed, "portfolio", "--example", "openai-2025", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert (
        json.loads(result.stdout)["portfolio"]["name"] == "OpenAI compute deals announced in 2025"
    )
