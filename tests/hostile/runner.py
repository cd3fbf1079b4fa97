"""Running hostile-input cases through the zygote, and judging their outcomes.

Outcomes: ``refused`` (exit code 2 and exactly one ``error:`` line, or the right
``CapacityError``) and ``correct`` (the exact value) are clean; every other outcome is a
failure: ``traceback``, ``hang``, ``memory``, ``crash``, ``accepted`` (no error where one was
due: a silent wrong answer), ``wrong`` (a value other than the right one), ``messy-error``
(exit code 2 but not one ``error:`` line), ``wrong-exception`` (an exception that is not a
``CapacityError``) and ``unclear-error`` (refused, but the message does not name what was
wrong).
"""

from __future__ import annotations

import concurrent.futures
import json
import math
import os
import queue
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .corpus import Case

CLEAN = ("refused", "correct")
ROOT = Path(__file__).resolve().parents[2]


class Zygote:
    """A process that imported ``capacity`` once and forks a child for each case."""

    def __init__(self, root: Path = ROOT, python: str = sys.executable) -> None:
        self.root, self.python = root, python
        self._process: subprocess.Popen[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("CAPACITY_")}
        environment["PYTHONPATH"] = str(self.root)
        environment.pop("NUMBA_ENABLE_CUDASIM", None)
        return subprocess.Popen(
            [self.python, str(Path(__file__).with_name("zygote.py"))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=self.root,
            env=environment,
        )  # fmt: skip

    def run(self, case: Case) -> dict[str, Any]:
        if self._process is None or self._process.poll() is not None:
            self._process = self._start()
        with tempfile.TemporaryDirectory() as folder:
            case.materialize(Path(folder))
            request = {**case.request(), "cwd": folder}
            assert self._process.stdin is not None and self._process.stdout is not None
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
        if not line:
            self.close()
            return {"outcome": "crash", "stdout": "", "stderr": "the zygote died"}
        return dict(json.loads(line))

    def close(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            for stream in (self._process.stdin, self._process.stdout):
                if stream is not None:
                    stream.close()
            self._process = None


def judge(case: Case, result: dict[str, Any]) -> tuple[str, str]:
    """(outcome, detail) of one case's result."""
    if "outcome" in result:
        return result["outcome"], result.get("stderr", "")[-500:]
    if case.kind == "cli":
        return _judge_cli(case, result)
    return _judge_api(case, result)


def _judge_cli(case: Case, result: dict[str, Any]) -> tuple[str, str]:
    stderr, stdout, code = result["stderr"], result["stdout"], result["exit"]
    if "Traceback (most recent call last)" in stderr + stdout:
        return "traceback", stderr[-800:]
    if case.expect == "error":
        if code == 0:
            return "accepted", f"exit 0; stdout: {stdout[:300]}"
        if code != 2:
            return "crash", f"exit {code}: {stderr[-300:]}"
        lines = [line for line in stderr.splitlines() if line.strip()]
        if len(lines) != 1 or not lines[0].startswith("error: "):
            return "messy-error", stderr[-500:]
        if case.match and not re.search(case.match, lines[0], re.IGNORECASE):
            return "unclear-error", lines[0]
        return "refused", lines[0]
    if code != 0:
        return ("accepted" if code == 2 else "crash"), f"exit {code}: {stderr[-300:]}"
    if case.expect == "ok":
        return "correct", ""
    try:
        document = json.loads(stdout)
    except ValueError:
        return "wrong", f"not JSON: {stdout[:300]}"
    return _compare(case, _path(document, case.path))


def _judge_api(case: Case, result: dict[str, Any]) -> tuple[str, str]:
    if case.expect == "error":
        if "value" in result:
            return "accepted", f"returned {str(result['value'])[:300]}"
        if not result["capacity_error"]:
            return "wrong-exception", f"{result['raised']}: {result['message'][:300]}"
        if case.match and not re.search(case.match, result["message"], re.IGNORECASE):
            return "unclear-error", f"{result['raised']}: {result['message']}"
        return "refused", f"{result['raised']}: {result['message']}"
    if "value" not in result:
        kind = "accepted" if result.get("capacity_error") else "wrong-exception"
        return kind, f"{result['raised']}: {result['message'][:300]}"
    return _compare(case, result["value"])


def _path(document: Any, path: str) -> Any:
    for key in path.split(".") if path else []:
        try:
            document = document[int(key)] if isinstance(document, list) else document[key]
        except (KeyError, IndexError, TypeError, ValueError):
            return f"<missing {path}>"
    return document


def _compare(case: Case, value: Any) -> tuple[str, str]:
    expected = case.value
    if isinstance(expected, float) and isinstance(value, int | float):
        close = math.isclose(value, expected, rel_tol=case.rel, abs_tol=0.0)
        return ("correct" if close else "wrong"), f"{value!r} (expected {expected!r})"
    return ("correct" if value == expected else "wrong"), f"{value!r} (expected {expected!r})"


def run_corpus(
    cases: list[Case], root: Path = ROOT, workers: int | None = None
) -> list[tuple[Case, str, str]]:
    """Every case's (case, outcome, detail), in order, over ``workers`` zygotes at once."""
    workers = workers or min(4, os.cpu_count() or 1)
    zygotes = queue.SimpleQueue[Zygote]()
    for _ in range(workers):
        zygotes.put(Zygote(root))

    def run(case: Case) -> tuple[Case, str, str]:
        zygote = zygotes.get()
        try:
            return (case, *judge(case, zygote.run(case)))
        finally:
            zygotes.put(zygote)

    try:
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            return list(pool.map(run, cases))
    finally:
        while not zygotes.empty():
            zygotes.get().close()
