"""Runs hostile-input cases, each in a forked child under a time limit and a memory rlimit.

The zygote imports ``capacity`` once, then reads one case per line (JSON) on stdin, forks a
child for it, and writes one outcome per line (JSON) on stdout. A child that outlives its
time limit is killed and reported as a hang; one that runs out of its address space, as
memory. Forking from a process that never ran a kernel keeps numba's thread pools out of
the children's way.

Started by :mod:`tests.hostile.runner`; only the standard library and ``capacity`` are used,
so that the same corpus can be run against an older checkout of the project.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import signal
import sys
import tempfile
import time
import traceback
from typing import Any

import capacity  # noqa: F401  (imported once, shared by every forked child)
from capacity.cli.app import main

MEMORY_HEADROOM = 2 * 2**30  # bytes of address space a case may add to the zygote's


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _run_cli(case: dict[str, Any]) -> dict[str, Any]:
    sys.argv = ["capacity", *case["argv"]]
    if case.get("encoding"):
        sys.stdout = io.TextIOWrapper(
            open(1, "wb", closefd=False),  # noqa: SIM115  (stdout for the rest of the child)
            encoding=case["encoding"],
            errors="strict",
        )
        sys.stderr = io.TextIOWrapper(
            open(2, "wb", closefd=False),  # noqa: SIM115
            encoding=case["encoding"],
            errors="backslashreplace",
        )
    code: Any = 0
    try:
        main()
    except SystemExit as exit_:
        code = exit_.code
    except MemoryError:
        return {"outcome": "memory"}
    except BaseException:
        traceback.print_exc()
        code = 1
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    if code is None:
        code = 0
    return {"exit": code if isinstance(code, int) else 1}


def _run_api(case: dict[str, Any]) -> dict[str, Any]:
    import capacity as api

    namespace: dict[str, Any] = {"capacity": api}
    try:
        exec(case["setup"], namespace) if case.get("setup") else None
        value = eval(case["code"], namespace)
    except MemoryError:
        return {"outcome": "memory"}
    except api.CapacityError as error:
        return {"raised": type(error).__name__, "capacity_error": True, "message": str(error)}
    except BaseException as error:
        return {
            "raised": type(error).__name__,
            "capacity_error": False,
            "message": str(error)[:500],
            "traceback": traceback.format_exc()[-2000:],
        }
    try:
        shown = json.loads(json.dumps(value, allow_nan=True, default=repr))
    except (TypeError, ValueError):
        shown = repr(value)
    return {"value": shown}


def _child(case: dict[str, Any], report: int) -> None:
    limit = _address_space() + MEMORY_HEADROOM
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.chdir(case["cwd"])
    for name, value in case.get("env", {}).items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    result = _run_cli(case) if case["kind"] == "cli" else _run_api(case)
    os.write(report, json.dumps(result).encode())
    os._exit(0)


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """Fork a child for ``case``; its outcome, stdout and stderr, and the seconds it took."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        read_end, write_end = os.pipe()
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:  # the child
            os.close(read_end)
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            try:
                _child(case, write_end)
            finally:
                os._exit(3)
        os.close(write_end)
        deadline = started + case.get("timeout", 20.0)
        status = None
        while status is None:
            waited, code = os.waitpid(pid, os.WNOHANG)
            if waited:
                status = code
            elif time.perf_counter() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                status = "hang"
            else:
                time.sleep(0.002)
        seconds = time.perf_counter() - started
        with os.fdopen(read_end, "rb") as pipe:
            reported = pipe.read()
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "backslashreplace")
        stderr = err.read().decode("utf-8", "backslashreplace")
    if status == "hang":
        result: dict[str, Any] = {"outcome": "hang"}
    elif reported:
        result = json.loads(reported)
    elif os.WIFSIGNALED(status) or "MemoryError" in stderr:
        result = {"outcome": "memory" if "MemoryError" in stderr else "crash"}
    else:
        result = {"outcome": "crash"}
    return {**result, "stdout": stdout[-20000:], "stderr": stderr[-5000:], "seconds": seconds}


def serve() -> None:
    for line in sys.stdin:
        result = run_case(json.loads(line))
        sys.__stdout__.write(json.dumps(result) + "\n")
        sys.__stdout__.flush()


if __name__ == "__main__":
    serve()
