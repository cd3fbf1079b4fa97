"""Running a sweep's or a Monte Carlo run's chunks on a Dask cluster.

A chunk is a pure function of its plan and its range ``[start, stop)`` of points or samples
(:mod:`capacity.kernels.problem`, :mod:`capacity.kernels.montecarlo_problem`), and chunks
merge exactly. :func:`run_chunks` makes each chunk one task of a ``dask.distributed``
scheduler and merges the results **in chunk order**, as the in-process loop does, so that
floating-point sums add up in the same order and the result is the same to the last bit as a
run in one process with the same chunk size. Each worker runs its own best backend for the
backend asked for (``auto``: CUDA on a worker with a usable GPU, numba on the others).

Where the work runs is ``scheduler=``: a ``distributed.Client``, or a scheduler's address
("tcp://host:8786") that :func:`connected` connects to for the run. :func:`local_cluster`
starts a cluster of worker processes on this machine (the command line's ``--workers N``).

Faults: a worker that dies takes its tasks with it; the scheduler runs them again on
another worker (up to ``distributed.scheduler.allowed-failures`` deaths per task), and since
a chunk's result does not depend on where it runs, the answer is unchanged. Ctrl-C (or any
exception) while a run waits cancels its tasks on the cluster before it propagates.

Dask is the optional extra ``distributed``
(``pip install 'datacenter-capacity[distributed]'``): nothing here imports it before a run
asks for a cluster, and ``import capacity`` never does.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from capacity.checks import describe
from capacity.errors import ClusterError, InputError
from capacity.extras import import_extra
from capacity.kernels.backends import BACKENDS, Backend, resolve_backend

__all__ = [
    "CONNECT_TIMEOUT_SECONDS",
    "EXTRA",
    "ClusterRun",
    "chunk_ranges",
    "cluster_argument",
    "connected",
    "kernel_backend",
    "local_cluster",
    "require_distributed",
    "run_chunks",
]

# The optional extra that brings Dask.
EXTRA = "distributed"
# How long to try to reach a scheduler before giving up.
CONNECT_TIMEOUT_SECONDS = 10.0
# Most workers of a local cluster: far more than the cores of any one machine.
MAX_LOCAL_WORKERS = 1024
# Chunks submitted ahead of the next one to merge, per worker thread: enough to keep every
# worker busy while the results of a slow chunk are awaited, few enough that the results
# waiting for their turn stay small.
CHUNKS_AHEAD_PER_THREAD = 2

# On a worker: the backend objects by the name asked for, made once per process, and the
# lock that lets one kernel run at a time in it (numba's default threading layer is not
# re-entrant, and each kernel already uses every core it was given).
_backends: dict[str, Backend] = {}
_kernel_lock = threading.Lock()


def require_distributed(purpose: str = "a cluster") -> ModuleType:
    """The ``distributed`` package, or a :class:`~capacity.errors.MissingExtraError` that
    names ``purpose`` and the extra to install."""
    return import_extra("distributed", EXTRA, purpose)


def cluster_argument(scheduler: Any, label: str = "scheduler") -> Any:
    """``scheduler`` after checking that it is None, an address or a Dask client (by its
    methods, so that checking imports nothing)."""
    if scheduler is None:
        return None
    if isinstance(scheduler, str):
        if not scheduler.strip():
            raise InputError(
                f"{label} must be a scheduler address such as 'tcp://10.0.0.5:8786', got ''"
            )
        return scheduler.strip()
    if all(callable(getattr(scheduler, name, None)) for name in ("submit", "scheduler_info")):
        return scheduler
    raise InputError(
        f"{label} must be a scheduler address such as 'tcp://10.0.0.5:8786' or a "
        f"dask.distributed Client, got {describe(scheduler)}"
    )


def backend_request(backend: Any) -> str | Backend:
    """The backend each worker resolves for itself: a name of :data:`BACKENDS` or a backend
    object (sent to the workers as it is). Checked here, resolved there."""
    if isinstance(backend, str):
        if backend not in BACKENDS:
            raise InputError(f"backend must be one of {', '.join(BACKENDS)}; got {backend!r}")
        return backend
    return resolve_backend(backend)


@contextlib.contextmanager
def connected(scheduler: Any) -> Iterator[Any]:
    """A client of ``scheduler``: the client given, or one connected to the address for the
    block (and closed after it). An address that cannot be reached within
    :data:`CONNECT_TIMEOUT_SECONDS` is one :class:`ClusterError`."""
    if not isinstance(scheduler, str):
        yield scheduler
        return
    distributed = require_distributed(f"scheduler {scheduler!r}")
    try:
        client = distributed.Client(
            scheduler, timeout=CONNECT_TIMEOUT_SECONDS, set_as_default=False
        )
    except (OSError, TimeoutError, ValueError) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise ClusterError(
            f"scheduler: cannot reach a Dask scheduler at {scheduler!r} within "
            f"{CONNECT_TIMEOUT_SECONDS:g} s ({reason}); start one there ('dask scheduler', "
            "then 'dask worker ADDRESS' on each machine), check the address and port, or run "
            "a local cluster instead (--workers N)"
        ) from None
    try:
        yield client
    finally:
        client.close()


@contextlib.contextmanager
def local_cluster(workers: int, threads_per_worker: int | None = None) -> Iterator[Any]:
    """A client of a cluster of ``workers`` processes on this machine, closed after the block.

    Each worker runs one task at a time, and its kernels get ``threads_per_worker`` numba
    threads (default: this machine's cores shared out among the workers).
    """
    if isinstance(workers, bool) or not isinstance(workers, int):
        raise InputError(f"workers must be a whole number ≥ 1, got {describe(workers)}")
    if not 1 <= workers <= MAX_LOCAL_WORKERS:
        raise InputError(f"workers must be in [1, {MAX_LOCAL_WORKERS}], got {workers}")
    distributed = require_distributed("workers (a local cluster)")
    threads = threads_per_worker or max(1, (os.cpu_count() or 1) // workers)
    cluster = distributed.LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
        silence_logs=logging.ERROR, env={"NUMBA_NUM_THREADS": str(threads)},
    )  # fmt: skip
    try:
        client = distributed.Client(cluster, set_as_default=False)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def chunk_ranges(total: int, chunk: int) -> list[tuple[int, int]]:
    """The ranges ``[start, stop)`` of ``chunk`` items that cover ``0 … total − 1``."""
    return [(start, min(start + chunk, total)) for start in range(0, total, chunk)]


def kernel_backend(request: str | Backend) -> Backend:
    """The backend that runs a chunk in this process for ``request`` (made once per name)."""
    if not isinstance(request, str):
        return request
    with _kernel_lock:
        if request not in _backends:
            _backends[request] = resolve_backend(request)
        return _backends[request]


@contextlib.contextmanager
def kernel_turn() -> Iterator[None]:
    """Hold this process's kernels for one chunk (tasks of a worker run them in turn)."""
    with _kernel_lock:
        yield


@dataclass(frozen=True)
class ClusterRun:
    """Where a run's chunks ran: the scheduler, its workers and the backends they used."""

    address: str
    workers: int
    threads: int
    backends: Mapping[str, str]
    """Backend name → its detail, for each backend some worker ran."""

    @property
    def backend(self) -> str:
        """The backend's name, or names joined by "+" where workers differed."""
        return "+".join(sorted(self.backends)) or "none"

    @property
    def detail(self) -> str:
        ran = "; ".join(f"{name}: {detail}" for name, detail in sorted(self.backends.items()))
        return (
            f"Dask cluster at {self.address}, {self.workers} worker"
            f"{'' if self.workers == 1 else 's'} ({self.threads} thread"
            f"{'' if self.threads == 1 else 's'}); {ran}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "scheduler": self.address,
            "workers": self.workers,
            "threads": self.threads,
            "backends": dict(self.backends),
        }


def _hold(payload: Any) -> Any:
    """A task whose result is the run's plan, so that the workers fetch it once per run (and
    the scheduler can make it again if the workers holding it die)."""
    return payload


def run_chunks(
    client: Any,
    task: Callable[..., tuple[Any, tuple[str, str]]],
    payload: Any,
    ranges: list[tuple[int, int]],
    consume: Callable[[int, Any], None],
) -> ClusterRun:
    """Run ``task(payload, start, stop, index)`` for each range on the cluster and hand each
    result to ``consume(index, result)`` in the order of the ranges.

    ``task`` returns ``(result, (backend name, backend detail))``. A task that raises raises
    here (its own exception: an :class:`~capacity.errors.InputError` stays one); a task
    whose workers kept dying is a :class:`ClusterError`. However this ends, tasks still on
    the cluster are cancelled.
    """
    distributed = require_distributed()
    info = client.scheduler_info()
    workers = info.get("workers", {})
    threads = sum(int(w.get("nthreads", 1)) for w in workers.values()) or 1
    ahead = CHUNKS_AHEAD_PER_THREAD * threads + 1
    token = uuid.uuid4().hex[:12]
    held = client.submit(_hold, payload, key=f"capacity-plan-{token}", pure=False)
    pending: dict[Any, int] = {}
    waiting: dict[int, Any] = {}
    ran: dict[str, str] = {}
    queue = distributed.as_completed(loop=client.loop)
    submitted = merged = 0

    def submit_more() -> None:
        nonlocal submitted
        while submitted < len(ranges) and submitted < merged + ahead:
            start, stop = ranges[submitted]
            future = client.submit(
                task, held, start, stop, submitted, key=f"capacity-chunk-{token}-{submitted}",
                pure=False,
            )  # fmt: skip
            pending[future] = submitted
            queue.add(future)
            submitted += 1

    try:
        submit_more()
        for future in queue:
            index = pending.pop(future)
            result, (name, detail) = _result(future, distributed)
            ran[name] = detail
            waiting[index] = result
            while merged in waiting:
                consume(merged, waiting.pop(merged))
                merged += 1
            submit_more()
    except BaseException:
        with contextlib.suppress(Exception):
            client.cancel([*pending, held], force=True)
        raise
    held.release()
    return ClusterRun(
        address=str(getattr(client.scheduler, "address", "") or info.get("address", "")),
        workers=len(workers),
        threads=threads,
        backends=ran,
    )


def _result(future: Any, distributed: ModuleType) -> Any:
    """A finished task's result; a task that lost its workers over and over, or the
    scheduler lost, as a :class:`ClusterError`."""
    try:
        return future.result()
    except distributed.KilledWorker as error:
        raise ClusterError(
            f"a chunk's task was lost with every worker that ran it ({error}); a worker "
            "that dies on each attempt is usually out of memory: use smaller chunks or "
            "workers with more memory"
        ) from None
    except distributed.client.FutureCancelledError as error:
        raise ClusterError(
            f"a chunk's task was cancelled on the cluster ({error}): the scheduler was "
            "restarted or another client cancelled it"
        ) from None
