"""The cache on disk only saves time: a missing, stale, corrupt, foreign or unwritable entry is
a miss, and what comes out of it equals what the files give."""

from __future__ import annotations

import os
import pickle
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from capacity import diskcache
from capacity.profiles import Profile, _builtin_profiles, load_profile
from capacity.units import (
    _build_registry,
    _registry_key,
    quantity_from_reference,
    quantity_reference,
    ureg,
)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv(diskcache.CACHE_DIR_ENV, str(cache))
    monkeypatch.delenv(diskcache.NO_CACHE_ENV, raising=False)
    return cache


def test_a_value_stored_comes_back_for_its_key_only(folder: Path) -> None:
    assert diskcache.load("entry", ("a", 1)) is None
    diskcache.store("entry", ("a", 1), {"x": [1, 2]})
    assert diskcache.load("entry", ("a", 1)) == {"x": [1, 2]}
    assert diskcache.load("entry", ("a", 2)) is None
    assert diskcache.load("other", ("a", 1)) is None


def test_the_key_follows_each_file_size_and_time(tmp_path: Path) -> None:
    path = tmp_path / "data.toml"
    path.write_text("a = 1\n")
    before = diskcache.file_stamps([path])
    path.write_text("a = 22\n")
    assert diskcache.file_stamps([path]) != before
    os.utime(path, ns=(1, 1))
    touched = diskcache.file_stamps([path])
    os.utime(path, ns=(2, 2))
    assert diskcache.file_stamps([path]) != touched
    assert diskcache.file_stamps([tmp_path / "missing"]) == ((str(tmp_path / "missing"), -1, -1),)


@pytest.mark.parametrize(
    "content",
    [b"", b"not a pickle", pickle.dumps("half")[:-3], b"\x80\x05K\x01."],
    ids=["empty", "text", "truncated", "key only"],
)
def test_a_corrupt_entry_is_a_miss(folder: Path, content: bytes) -> None:
    diskcache.store("entry", "key", 1)
    (folder / "entry.pickle").write_bytes(content)
    assert diskcache.load("entry", "key") is None
    diskcache.store("entry", "key", 2)  # and is replaced
    assert diskcache.load("entry", "key") == 2


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_an_entry_others_may_write_is_not_read(folder: Path) -> None:
    diskcache.store("entry", "key", 1)
    entry = folder / "entry.pickle"
    entry.chmod(0o666)
    assert diskcache.load("entry", "key") is None
    entry.chmod(0o600)
    folder.chmod(0o777)
    assert diskcache.load("entry", "key") is None
    folder.chmod(0o700)
    assert diskcache.load("entry", "key") == 1


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() == 0, reason="root writes anywhere")
def test_a_read_only_folder_is_no_error(folder: Path) -> None:
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        diskcache.store("entry", "key", 1)
        assert diskcache.load("entry", "key") is None
    finally:
        folder.chmod(0o700)


def test_a_folder_that_cannot_be_made_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv(diskcache.CACHE_DIR_ENV, str(blocker / "cache"))
    diskcache.store("entry", "key", 1)
    assert diskcache.load("entry", "key") is None


def test_the_cache_can_be_turned_off(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(diskcache.NO_CACHE_ENV, "1")
    assert diskcache.cache_dir() is None
    diskcache.store("entry", "key", 1)
    assert not folder.exists()
    assert diskcache.load("entry", "key") is None


def test_quantities_come_back_in_the_package_registry(folder: Path) -> None:
    value = {"power": ureg.Quantity(10.2, "kW"), "rate": ureg.Quantity(989.5, "TFLOP/s")}
    diskcache.store("entry", "key", value, quantity_reference)
    assert diskcache.load("entry", "key") is None  # without its loader
    back = diskcache.load("entry", "key", quantity_from_reference)
    assert back == value
    assert isinstance(back["power"], ureg.Quantity)
    assert f"{back['rate'].units:~P}" == "TFLOP/s"


def test_the_registry_from_the_cache_equals_the_one_parsed(folder: Path) -> None:
    parsed = _build_registry()  # a miss: parses and stores
    assert diskcache.load("units", _registry_key()) is not None
    cached = _build_registry()
    for text in ("1 bit", "80 GB", "989.5 TFLOP/s", "30 USD/MWh", "1 year", "1.2 kW"):
        assert cached.Quantity(text) == parsed.Quantity(text)
        assert cached.Quantity(text).dimensionality == parsed.Quantity(text).dimensionality
    assert str(cached.Quantity("1 bit").dimensionality) == "[information]"
    assert cached.Quantity(1, "year").to("s").magnitude == 365.25 * 86400


def test_the_profiles_from_the_cache_equal_the_files(folder: Path) -> None:
    _builtin_profiles.cache_clear()
    try:
        first = _builtin_profiles()
        assert diskcache.load("profiles", None) is None  # stored under its own key only
        _builtin_profiles.cache_clear()
        cached = _builtin_profiles()
        assert cached is not first
        assert cached == first
        assert all(isinstance(profile, Profile) for profile in cached)
        for profile in cached:
            assert profile.path is not None
            assert load_profile(profile.path) == profile
            assert profile.raw == load_profile(profile.path).raw
    finally:
        _builtin_profiles.cache_clear()


def test_a_changed_profile_file_is_read_again(tmp_path: Path) -> None:
    """A copy of the package whose h100 profile changes: the next run reads the change."""
    import capacity

    source = Path(capacity.__file__).resolve().parent
    package = tmp_path / "site" / "capacity"
    _copy_tree(source, package)
    environment = {**os.environ, "PYTHONPATH": str(package.parent),
                   diskcache.CACHE_DIR_ENV: str(tmp_path / "cache")}  # fmt: skip
    environment.pop(diskcache.NO_CACHE_ENV, None)
    code = "import capacity.profiles as p; print(p.load_profiles()['h100'].tdp.display())"

    def tdp() -> str:
        return subprocess.run([sys.executable, "-c", code], env=environment, check=True,
                              capture_output=True, text=True, cwd=tmp_path).stdout.strip()  # fmt: skip

    assert tdp() == "700 W"
    assert (tmp_path / "cache" / "profiles.pickle").exists()
    assert tdp() == "700 W"  # from the cache
    h100 = package / "hardware_profiles" / "h100-sxm.toml"
    h100.write_text(h100.read_text().replace('"700 W"', '"710 W"', 1))
    assert tdp() == "710 W"


def _copy_tree(source: Path, destination: Path) -> None:
    """The package's files laid out as installed, its subpackages kept elsewhere in the
    repository (pyproject.toml's package-dir) copied inside it."""
    import importlib.util
    import shutil

    ignore = shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc")
    shutil.copytree(source, destination, ignore=ignore)
    for name in ("kernels", "hardware_profiles", "examples"):
        spec = importlib.util.find_spec(f"capacity.{name}")
        assert spec is not None and spec.submodule_search_locations, name
        folder = Path(next(iter(spec.submodule_search_locations)))
        if not (destination / name).exists():
            shutil.copytree(folder, destination / name, ignore=ignore)


_FORMAT_EVERY_CACHED_QUANTITY = """
import dataclasses
import capacity.environment, capacity.grids, capacity.profiles
from capacity.units import ureg

def quantities(value, seen):
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, ureg.Quantity):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from quantities(getattr(value, field.name), seen)
    elif isinstance(value, dict):
        for item in value.values():
            yield from quantities(item, seen)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from quantities(item, seen)

found = set()
loaded = [
    list(capacity.profiles.load_profiles().values()),
    list(capacity.grids.load_grids().values()),
    capacity.environment._builtin_cooling(),
]
for quantity in quantities(loaded, set()):
    found.update(f"{quantity.units:{spec}}" for spec in ("~P", "~D", "P", "~C"))
print(len(found))
"""


def test_quantities_from_a_warm_cache_format_in_a_new_process(tmp_path: Path) -> None:
    """The registry defines a prefixed unit ("kilowatt") when it first reads the name; a
    process that takes the profiles, grids and cooling figures from the cache reads none, yet
    every unit in them must format (``capacity show h100 --format csv`` once failed with KeyError)."""
    environment = {**os.environ, diskcache.CACHE_DIR_ENV: str(tmp_path / "cache")}
    environment.pop(diskcache.NO_CACHE_ENV, None)

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, env=environment, capture_output=True, text=True,
                              check=False, cwd=tmp_path)  # fmt: skip

    cold = run(sys.executable, "-c", _FORMAT_EVERY_CACHED_QUANTITY)
    assert cold.returncode == 0, cold.stderr
    assert (tmp_path / "cache" / "profiles.pickle").exists()
    warm = run(sys.executable, "-c", _FORMAT_EVERY_CACHED_QUANTITY)
    assert warm.returncode == 0, warm.stderr
    assert int(warm.stdout) == int(cold.stdout) > 10
    shown = run(sys.executable, "-m", "capacity", "show", "h100", "--format", "csv")
    assert shown.returncode == 0, shown.stderr
    assert "h100-sxm,tdp,700.0,W," in shown.stdout
