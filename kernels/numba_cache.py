"""numba's disk cache for the CPU kernels, keyed on every kernel source file.

numba keys a cached function on the file that defines it alone, so a change to a function
it compiles in from another file (the point formula in :mod:`.point`, the samplers in
:mod:`.sampling`) would load the stale machine code. :func:`install` puts locators in
front of numba's own that add the stamps (modification time and size) of every ``.py``
file of this folder to that key: any change of any kernel source recompiles on next use.
Functions outside this folder keep numba's own locators.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from capacity import diskcache

__all__ = ["install", "kernel_sources_stamp"]

_FOLDER = Path(__file__).resolve().parent


def kernel_sources_stamp() -> tuple[tuple[str, int, int], ...]:
    """(path, size, modification time in ns) of every kernel source file, sorted by path.

    It keys numba's cache of the kernels and :mod:`.choice`'s mark that they are compiled."""
    return diskcache.file_stamps(sorted(_FOLDER.glob("*.py")))


def _keyed_on_the_folder(base: type) -> type:
    """numba's locator ``base``, for functions of this folder, keyed on all its sources."""

    class KernelFolderLocator(base):  # type: ignore[misc]
        capacity_kernels = True

        @classmethod
        def from_function(cls, py_func: Any, py_file: str) -> Any:
            if Path(py_file).resolve().parent != _FOLDER:
                return None
            return super().from_function(py_func, py_file)

        def get_source_stamp(self) -> Any:
            return (super().get_source_stamp(), kernel_sources_stamp())

    KernelFolderLocator.__name__ = KernelFolderLocator.__qualname__ = f"Kernels{base.__name__}"
    return KernelFolderLocator


def install() -> None:
    """Put the kernel-folder locators first, once a process (before any kernel compiles)."""
    from numba.core import caching

    classes: list[type] = caching.CacheImpl._locator_classes
    if any(getattr(locator, "capacity_kernels", False) for locator in classes):
        return
    own = [
        locator
        for locator in classes
        if locator.__name__ in ("UserProvidedCacheLocator", "InTreeCacheLocator",
                                "UserWideCacheLocator")
    ]  # fmt: skip
    classes[0:0] = [_keyed_on_the_folder(locator) for locator in own]
