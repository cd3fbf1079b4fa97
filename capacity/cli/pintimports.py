"""Keep pint from importing Dask and SciPy in the command-line process.

pint's ``compat`` module imports SciPy (for ``Quantity.to_preferred``) and looks for Dask (to
know Dask arrays) whenever they are installed, as they are on most analysts' machines and
with the ``distributed`` extra: about a tenth of a second for SciPy and a third for Dask at
every start, for features the command line never uses.

Only the ``capacity`` command installs this (:mod:`capacity.cli`): the process is ours. A
library user's process is left alone, so pint keeps its Dask and SciPy support there
(pint-xarray over Dask-backed data, for one).
"""

from __future__ import annotations

import importlib.machinery
import sys
import types
from typing import Any

__all__ = ["HIDDEN_FROM_PINT", "hide_optional_imports_from_pint"]

HIDDEN_FROM_PINT = ("dask", "scipy")


class _PintWithoutOptionalImports:
    """An import hook: while ``pint.compat`` loads, the packages in :data:`HIDDEN_FROM_PINT`
    are marked absent (an import of one fails, its ``find_spec`` finds nothing). A package
    imported before pint is left as it is."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != "pint.compat":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _LoadingWithout(spec.loader, HIDDEN_FROM_PINT)  # type: ignore[assignment]
        return spec


class _LoadingWithout:
    """A module's loader, run with some packages marked absent unless already imported."""

    def __init__(self, loader: Any, hidden: tuple[str, ...]) -> None:
        self.loader = loader
        self.hidden = hidden

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        marked = [name for name in self.hidden if name not in sys.modules]
        for name in marked:
            sys.modules[name] = None  # type: ignore[assignment]
        try:
            self.loader.exec_module(module)
        finally:
            for name in marked:
                if sys.modules.get(name, 0) is None:
                    del sys.modules[name]


def hide_optional_imports_from_pint() -> None:
    """Install the hook, unless pint is loaded already (then it is too late, and harmless)."""
    if "pint" not in sys.modules and not any(
        isinstance(finder, _PintWithoutOptionalImports) for finder in sys.meta_path
    ):
        sys.meta_path.insert(0, _PintWithoutOptionalImports())
