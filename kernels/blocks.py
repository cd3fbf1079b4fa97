"""A chunk cut into blocks, run on numba's thread count in Python threads.

The CPU kernels compute one block of consecutive points (or samples) serially, without the
GIL (``nogil``): :func:`run_blocks` cuts a chunk into blocks and runs them on a pool of
``numba.get_num_threads()`` threads. numba's own ``parallel=True`` would do the same from
inside one compiled function, but its compiler passes make that function take several times
as long to compile (seconds on a first run after install), for no gain in speed.

Each block writes only its own outputs, so the result does not depend on which thread runs
which block, nor on how many threads there are: the blocks are a function of the chunk.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["block_bounds", "run_blocks", "threads"]

_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def threads() -> int:
    """The threads the CPU kernels run on: numba's (``NUMBA_NUM_THREADS``, or as set)."""
    import numba

    return int(numba.get_num_threads())


def block_bounds(start: int, stop: int, blocks: int) -> list[tuple[int, int]]:
    """``[start, stop)`` cut into ``blocks`` runs of (nearly) equal length."""
    n = stop - start
    return [(start + n * b // blocks, start + n * (b + 1) // blocks) for b in range(blocks)]


def _executor(count: int) -> ThreadPoolExecutor:
    """The pool of ``count`` threads, made on first use and kept for the process."""
    with _pools_lock:
        if count not in _pools:
            _pools[count] = ThreadPoolExecutor(count, thread_name_prefix="capacity-kernel")
        return _pools[count]


def run_blocks(block: Callable[[int], Any], blocks: int, count: int | None = None) -> list[Any]:
    """``[block(0), …, block(blocks − 1)]``, run on ``count`` threads (default
    :func:`threads`); in the calling thread where there is one block or one thread."""
    count = threads() if count is None else count
    if blocks <= 1 or count <= 1:
        return [block(b) for b in range(blocks)]
    futures = [_executor(count).submit(block, b) for b in range(blocks)]
    try:
        return [future.result() for future in futures]
    except BaseException:
        for future in futures:
            future.cancel()
        raise
