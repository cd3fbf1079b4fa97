"""numba's disk cache of the kernels is keyed on every kernel source file."""

from __future__ import annotations

from pathlib import Path

from numba.core import caching

from capacity.kernels import cpu, numba_cache, point


def test_a_kernel_is_keyed_on_every_kernel_source() -> None:
    locator = caching.FunctionCache(cpu.reduce_block.py_func)._impl.locator
    assert getattr(locator, "capacity_kernels", False)
    stamp = locator.get_source_stamp()
    names = [Path(path).name for path, _, _ in stamp[1]]
    # the point formula lives in another file than the kernels that compile it in
    assert Path(point.__file__).name in names
    assert Path(cpu.__file__).name in names
    assert stamp[1] == numba_cache.kernel_sources_stamp()


def test_a_changed_source_changes_the_key(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "a.py").write_text("x = 1\n")
    monkeypatch.setattr(numba_cache, "_FOLDER", tmp_path)
    before = numba_cache.kernel_sources_stamp()
    (tmp_path / "a.py").write_text("x = 22\n")
    assert numba_cache.kernel_sources_stamp() != before


def test_functions_elsewhere_keep_numbas_locators() -> None:
    def elsewhere(x: float) -> float:
        return x

    locator = caching.FunctionCache(elsewhere)._impl.locator
    assert not getattr(locator, "capacity_kernels", False)
