"""What ``backend="auto"`` runs on the CPU: NumPy where it finishes first, else numba.

numba's kernels cost a fixed time before their first point: importing numba and loading
the kernels from numba's disk cache (about half a second on the 2-core development VM), or
compiling them where they are not cached yet (a few seconds: the first run after install).
NumPy costs nothing up front but runs several times slower. ``auto`` therefore runs NumPy
for work below a size that depends on the state of the kernels:

- ``loaded``: already compiled or loaded in this process: numba wins from a small size;
- ``cached``: compiled by an earlier run, according to a mark this module keeps in
  :mod:`capacity.diskcache` (for the kernels' source files and numba's version as they
  are now);
- ``cold``: never compiled here.

The sizes are in units of work (points of a sweep; samples × (inputs +
N_SCENARIO_QUANTITIES × groups) of a Monte Carlo run, what the NumPy reference's time grows
with), measured with ``benchmarks/first_run.py``. The choice, with its reason, is in every
result's ``backend_detail``.
"""

from __future__ import annotations

import importlib.util
import os
import sys

from capacity import diskcache
from capacity.kernels.numba_cache import kernel_sources_stamp

__all__ = ["AUTO_NUMPY_WORK", "KERNELS", "auto_prefers_numpy", "kernels_state", "note_compiled"]

# Each kind of work: the block kernels that tell whether its kernels are loaded. Any change to
# a kernel source recompiles them all (numba's cache is keyed on every one: numba_cache).
KERNELS: dict[str, tuple[str, ...]] = {
    "sweep": ("reduce_block", "materialize_block"),
    "montecarlo": ("reduce_block", "reduce_block_common"),
    "factorized": ("_feasible_and_best_block", "_count_block"),
}
_MODULES = {
    "sweep": "capacity.kernels.cpu",
    "montecarlo": "capacity.kernels.montecarlo_cpu",
    "factorized": "capacity.kernels.factorized_cpu",
}

# Work below which NumPy finishes before numba's kernels, by their state. On the development
# VM a reduced sweep runs through NumPy at about 5 M points/s and numba's cached kernels take
# about 0.5 s to import and load; a Monte Carlo run does about 1.5e8 units of work a second.
# A factorized reduction's work is its smaller side (rows or pairs): NumPy's selections grow
# with it (at 30,030 pairs: 0.16 s for 100 rows, 0.76 s for 1,000 and 3.7 s for 10,000,
# against 0.06–0.17 s for the loaded kernels, which take about 5 s of CPU to compile).
AUTO_NUMPY_WORK: dict[str, dict[str, float]] = {
    "sweep": {"loaded": 2e4, "cached": 1e6, "cold": 1e7},
    "montecarlo": {"loaded": 2e5, "cached": 2.5e7, "cold": 1.5e8},
    "factorized": {"loaded": 30, "cached": 1e3, "cold": 1e4},
}


def kernels_state(kind: str) -> str:
    """``loaded``, ``cached`` or ``cold``: the state of the numba kernels of ``kind``
    (``sweep``, ``montecarlo`` or ``factorized``)."""
    module = sys.modules.get(_MODULES[kind])
    if module is not None:
        for name in KERNELS[kind]:
            if getattr(getattr(module, name, None), "signatures", None):
                return "loaded"
    # Looked up once a process for each setting of the caches: each look stats every kernel
    # source (kernels that compile here meanwhile are "loaded", found above).
    where = (kind, *(os.environ.get(name, "") for name in _CACHE_SETTINGS))
    state = _looked_up.get(where)
    if state is None:
        state = "cached" if diskcache.load(f"numba-{kind}", _key(kind)) else "cold"
        _looked_up[where] = state
    return state


_noted: set[str] = set()
# The environment variables that name the caches (capacity's, numba's, the user's).
_CACHE_SETTINGS = (
    diskcache.NO_CACHE_ENV, diskcache.CACHE_DIR_ENV, "XDG_CACHE_HOME", "HOME", "NUMBA_CACHE_DIR",
)  # fmt: skip
_looked_up: dict[tuple[str, ...], str] = {}


def note_compiled(kind: str) -> None:
    """Mark the kernels of ``kind`` as compiled into numba's cache (once they ran)."""
    if kind in _noted:
        return
    _noted.add(kind)
    key = _key(kind)
    if diskcache.load(f"numba-{kind}", key) is None:
        diskcache.store(f"numba-{kind}", key, True)


def auto_prefers_numpy(kind: str, work: float) -> tuple[bool, str]:
    """Whether ``auto`` should run NumPy for ``work`` units of ``kind``, and why, in words."""
    state = kernels_state(kind)
    limit = AUTO_NUMPY_WORK[kind][state]
    if kind == "sweep":
        size = f"{work:,.0f} point" + ("" if work == 1 else "s")
        bound = f"{limit:,.0f}"
    elif kind == "factorized":
        rows = "row or pair" if work == 1 else "rows or pairs"
        size, bound = f"{work:,.0f} {rows} on the factorized form's smaller side", f"{limit:,.0f}"
    else:
        size, bound = f"work {work:.3g} (samples × (inputs + outputs))", f"{limit:.3g}"
    where = {
        "loaded": "numba's kernels, loaded in this process",
        "cached": "numba's cached kernels would load",
        "cold": "numba would compile its kernels (not cached yet)",
    }[state]
    if work < limit:
        return True, f"auto: {size}, below {bound}, where NumPy ends before {where}"
    return False, f"auto: {size}, not below {bound} ({state} kernels)"


def _key(kind: str) -> tuple[object, ...]:
    """What the mark of ``kind`` holds for: the kernels' sources, numba's, numba's cache."""
    spec = importlib.util.find_spec("numba")
    numba_file = spec.origin if spec is not None and spec.origin else ""
    return (
        kernel_sources_stamp(),
        diskcache.file_stamps([numba_file]),
        os.environ.get("NUMBA_CACHE_DIR", ""),
        os.environ.get("NUMBA_OPT", ""),
    )
