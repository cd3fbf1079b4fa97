"""Keep pint from importing Dask in the command-line process.

Only the ``capacity`` command installs this (:mod:`capacity.cli`): the process is ours, and
no Dask array ever reaches pint in it. A library user's process is left alone, so pint keeps
its Dask support there (pint-xarray over Dask-backed data, for one).
"""

from __future__ import annotations

import importlib.machinery
import sys
import types
from typing import Any

__all__ = ["hide_dask_from_pint"]


class _PintWithoutDask:
    """An import hook: pint, whenever Dask is installed (the ``distributed`` extra), imports
    ``dask.base`` to know Dask arrays, which the command line never hands it: a third of a
    second at every start. While ``pint.compat`` loads, "dask" is marked absent (its
    ``find_spec`` then finds nothing); a Dask imported before pint is left as it is."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != "pint.compat":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _LoadingWithoutDask(spec.loader)  # type: ignore[assignment]
        return spec


class _LoadingWithoutDask:
    """A module's loader, run with "dask" marked absent unless it is already imported."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        if "dask" in sys.modules:
            self.loader.exec_module(module)
            return
        sys.modules["dask"] = None  # type: ignore[assignment]
        try:
            self.loader.exec_module(module)
        finally:
            del sys.modules["dask"]


def hide_dask_from_pint() -> None:
    """Install the hook, unless pint is loaded already (then it is too late, and harmless)."""
    if "pint" not in sys.modules and not any(
        isinstance(finder, _PintWithoutDask) for finder in sys.meta_path
    ):
        sys.meta_path.insert(0, _PintWithoutDask())
