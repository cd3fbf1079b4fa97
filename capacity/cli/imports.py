"""Third-party imports that the command's process leaves out or puts off.

Two libraries import, as they load, packages the command line never uses:

- pint's ``compat`` imports SciPy (for ``Quantity.to_preferred``) and looks for Dask (to know
  Dask arrays) whenever they are installed, as they are on most analysts' machines and with
  the ``distributed`` extra: about 0.1 s for SciPy and 0.3 s for Dask at every start. While it
  loads they are marked absent.
- typer's ``rich_utils``, which draws every ``--help``, imports rich's Markdown renderer (and
  with it a Markdown parser) and rich's Traceback (and with it Pygments): about 50 ms, for a
  help in rich markup and tracebacks that the command reports as one line. While it loads,
  each is a stand-in class that imports the real one when first used.

Only the ``capacity`` command installs this (:mod:`capacity.cli`): the process is ours. A
library user's process is left alone, so pint keeps its Dask and SciPy support there
(pint-xarray over Dask-backed data, for one). A module loaded before the hook is left as is.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import types
from typing import Any

__all__ = ["DEFERRED_FOR_TYPER", "HIDDEN_FROM_PINT", "install_import_hooks"]

HIDDEN_FROM_PINT = ("dask", "scipy")
# Module → the class typer's rich_utils takes from it.
DEFERRED_FOR_TYPER = {"rich.markdown": "Markdown", "rich.traceback": "Traceback"}


class _Deferred(type):
    """The metaclass of a stand-in: calls, attributes and ``isinstance`` go to the real class,
    imported on first use."""

    _module: str

    def real(cls) -> Any:
        return getattr(_import_real(cls._module), cls.__name__)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls.real()(*args, **kwargs)

    def __getattr__(cls, name: str) -> Any:
        return getattr(cls.real(), name)

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, cls.real())


def _stand_in_module(name: str, class_name: str) -> types.ModuleType:
    """A module with a stand-in for ``class_name``; any other name is the real module's."""
    module = types.ModuleType(name, f"A stand-in for {name} while typer.rich_utils loads.")
    setattr(module, class_name, _Deferred(class_name, (), {"_module": name}))

    def real_attribute(attribute: str) -> Any:
        if attribute.startswith("__"):  # the import system's own probes (__path__, ...)
            raise AttributeError(attribute)
        return getattr(_import_real(name), attribute)

    module.__getattr__ = real_attribute  # type: ignore[method-assign]
    module.__stand_in__ = True  # type: ignore[attr-defined]
    return module


def _import_real(name: str) -> types.ModuleType:
    """The module ``name`` itself, imported now if a stand-in holds its place."""
    if getattr(sys.modules.get(name), "__stand_in__", False):
        del sys.modules[name]
    return importlib.import_module(name)


class _Loading:
    """A module's loader, run with other modules marked absent or stood in for (unless they
    are imported already), and those marks taken away afterwards."""

    def __init__(self, loader: Any, replaced: dict[str, types.ModuleType | None]) -> None:
        self.loader = loader
        self.replaced = replaced

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        marked = {name: stand_in for name, stand_in in self.replaced.items()
                  if name not in sys.modules}  # fmt: skip
        sys.modules.update(marked)  # type: ignore[arg-type]
        try:
            self.loader.exec_module(module)
        finally:
            for name, stand_in in marked.items():
                if sys.modules.get(name, 0) is stand_in:
                    del sys.modules[name]


class _ImportHooks:
    """A finder that wraps the loaders of ``pint.compat`` and ``typer.rich_utils``."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name == "pint.compat":
            replaced: dict[str, types.ModuleType | None] = dict.fromkeys(HIDDEN_FROM_PINT)
        elif name == "typer.rich_utils":
            replaced = {module: _stand_in_module(module, class_name)
                        for module, class_name in DEFERRED_FOR_TYPER.items()}  # fmt: skip
        else:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _Loading(spec.loader, replaced)  # type: ignore[assignment]
        return spec


def install_import_hooks() -> None:
    """Install the hooks once, in front of the other finders."""
    if not any(isinstance(finder, _ImportHooks) for finder in sys.meta_path):
        sys.meta_path.insert(0, _ImportHooks())
