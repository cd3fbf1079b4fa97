"""The distribution's name and its optional extras: what to ``pip install`` for a feature.

The core commands need numpy, numba, pint, typer and rich only. Writing Parquet needs
pyarrow (extra ``parquet``) and :meth:`~capacity.sweep.SweepResult.to_xarray` needs xarray
(extra ``xarray``); where one is missing, :func:`import_extra` says which line installs it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from capacity.errors import MissingExtraError

__all__ = ["DISTRIBUTION", "import_extra", "pip_install"]

# The name on the package index; the import package and the command are "capacity".
DISTRIBUTION = "datacenter-capacity"


def pip_install(extra: str) -> str:
    """The command that installs ``extra``: ``pip install 'datacenter-capacity[parquet]'``."""
    return f"pip install '{DISTRIBUTION}[{extra}]'"


def import_extra(module: str, extra: str, feature: str) -> ModuleType:
    """Import ``module``, which the optional ``extra`` provides, for ``feature``.

    Raises
    ------
    MissingExtraError
        When ``module`` is not installed (or fails to import), naming ``feature`` and the
        ``pip install`` line that brings it.

    Examples
    --------
    >>> import_extra("json", "none", "reading JSON").__name__
    'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        package = module.partition(".")[0]
        name = getattr(error, "name", None) or ""
        missing = isinstance(error, ModuleNotFoundError) and f"{module}.".startswith(f"{name}.")
        reason = "is not installed" if missing else f"cannot be imported ({error})"
        raise MissingExtraError(
            f"{feature} needs {package}, which {reason}: {pip_install(extra)}"
        ) from error
