"""Every numba compilation option of the kernels, in one place."""

from __future__ import annotations

from typing import Any

from capacity.kernels import numba_cache

# Every kernel module imports these options before it compiles anything: the disk cache is
# then keyed on every kernel source (see numba_cache).
numba_cache.install()

# CPU: compiled once and cached on disk; NumPy semantics for division (no ZeroDivisionError
# checks in the hot loop); no fastmath, so that results agree with the NumPy reference to
# rounding. The kernels run one block of points a call, serially and without the GIL, on
# numba's threads (capacity.kernels.blocks): numba's parallel=True (CPU_KERNEL) compiles
# several times slower.
CPU_FUNCTION: dict[str, Any] = {"cache": True, "nogil": True, "error_model": "numpy"}
CPU_KERNEL: dict[str, Any] = {**CPU_FUNCTION, "parallel": True}
CPU_INLINE: dict[str, Any] = {**CPU_FUNCTION, "inline": "always"}
# The Monte Carlo reduction may reorder its sums, so that they vectorize; min and max stay
# exact (no "nnan"/"ninf": the running extremes start at ±inf). Sums then differ from the
# NumPy reference only in the last digits.
CPU_SAMPLE_FUNCTION: dict[str, Any] = {
    **CPU_FUNCTION,
    "fastmath": {"reassoc", "contract", "nsz"},
}
CPU_SAMPLE_KERNEL: dict[str, Any] = {**CPU_SAMPLE_FUNCTION, "parallel": True}

# CUDA: the scalar formula as a device function (NVVM inlines one this small by itself; the
# inline flags differ between numba's own CUDA target and numba-cuda); kernels in float64.
CUDA_DEVICE: dict[str, Any] = {"device": True}
CUDA_KERNEL: dict[str, Any] = {}
# Threads per block of the CUDA kernels (a power of two: the reductions halve it).
CUDA_THREADS = 256
CUDA_THREADS_SIMULATED = 32
