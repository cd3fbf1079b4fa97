"""The machine's memory ceilings, measured in the same run as the sweeps.

CPU: a parallel fill (bytes written) and a parallel copy (bytes read + written) with numba
on every thread, and NumPy's single-threaded copy. GPU: a CuPy fill and device-to-device
copy. Each is the best of several repeats over buffers far larger than the caches.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit, prange

from capacity.kernels.jit_options import CPU_KERNEL


@njit(**CPU_KERNEL)
def _fill(out: np.ndarray, value: float) -> None:  # pragma: no cover - compiled
    for i in prange(out.size):
        out[i] = value


@njit(**CPU_KERNEL)
def _copy(source: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover - compiled
    for i in prange(out.size):
        out[i] = source[i]


def best_seconds(
    run: Callable[[], Any], repeats: int, synchronize: Callable[[], Any] = lambda: None
) -> float:
    """The fastest of ``repeats`` timed runs, after one untimed warm-up."""
    run()
    synchronize()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        synchronize()
        times.append(time.perf_counter() - started)
    return min(times)


def cpu_bandwidth(gigabytes: float = 1.0, repeats: int = 5) -> dict[str, float]:
    """Write, copy (read + write) and NumPy copy bandwidth in bytes/s."""
    n = int(gigabytes * 1e9 / 8)
    source = np.random.default_rng(0).random(n)
    out = np.empty_like(source)
    out.fill(1.0)  # fault the pages in before timing
    write = best_seconds(lambda: _fill(out, 2.0), repeats)
    copy = best_seconds(lambda: _copy(source, out), repeats)
    numpy_copy = best_seconds(lambda: np.copyto(out, source), repeats)
    return {
        "write_bytes_per_s": n * 8 / write,
        "copy_bytes_per_s": 2 * n * 8 / copy,
        "numpy_copy_bytes_per_s": 2 * n * 8 / numpy_copy,
    }


def gpu_bandwidth(gigabytes: float = 4.0, repeats: int = 10) -> dict[str, float]:
    """Device write and device-to-device copy bandwidth in bytes/s (CuPy)."""
    import cupy

    n = int(gigabytes * 1e9 / 8)
    source = cupy.random.default_rng(0).random(n)
    out = cupy.empty_like(source)
    sync = cupy.cuda.runtime.deviceSynchronize
    write = best_seconds(lambda: out.fill(2.0), repeats, sync)
    copy = best_seconds(lambda: cupy.copyto(out, source), repeats, sync)
    return {"write_bytes_per_s": n * 8 / write, "copy_bytes_per_s": 2 * n * 8 / copy}


def _philox_sum_cpu() -> Any:
    from capacity.kernels.compose import compile_cores
    from capacity.kernels.jit_options import CPU_INLINE

    uniform = compile_cores(njit(**CPU_INLINE)).uniform

    @njit(**CPU_KERNEL)
    def philox_sum(n: int, key: Any, blocks: int) -> float:  # pragma: no cover - compiled
        partial = np.zeros(blocks)
        for block in prange(blocks):
            total = 0.0
            for i in range(n * block // blocks, n * (block + 1) // blocks):
                total += uniform(key, i)
            partial[block] = total
        return float(partial.sum())

    return philox_sum


def cpu_generator_rate(draws: int = 200_000_000, repeats: int = 3) -> float:
    """Uniform numbers per second from the Monte Carlo generator (Philox2x32-10) on every
    thread: the compute ceiling of a sampling-bound run."""
    import numba

    philox_sum = _philox_sum_cpu()
    key = np.uint64(12345)
    blocks = 4 * numba.get_num_threads()
    philox_sum(1000, key, blocks)
    return draws / best_seconds(lambda: philox_sum(draws, key, blocks), repeats)


def gpu_generator_rate(draws: int = 4_000_000_000, repeats: int = 5) -> float:
    """The same on the GPU, one thread per stride of samples (numba CUDA)."""
    import cupy
    from numba import cuda

    from capacity.kernels.compose import compile_cores
    from capacity.kernels.jit_options import CUDA_DEVICE

    uniform = compile_cores(cuda.jit(**CUDA_DEVICE)).uniform

    @cuda.jit
    def philox_sum(n: Any, key: Any, out: Any) -> None:  # pragma: no cover - compiled
        start = cuda.grid(1)
        stride = cuda.gridsize(1)
        total = 0.0
        for i in range(start, n, stride):
            total += uniform(key, i)
        out[start] = total

    device = cuda.get_current_device()
    blocks, threads = 32 * int(device.MULTIPROCESSOR_COUNT), 256
    out = cupy.zeros(blocks * threads)
    key = np.uint64(12345)
    philox_sum[blocks, threads](1000, key, out)
    sync = cupy.cuda.runtime.deviceSynchronize
    seconds = best_seconds(lambda: philox_sum[blocks, threads](draws, key, out), repeats, sync)
    return draws / seconds
