"""Faults end cleanly (issue 9, "Faults", "Long runs say so"): an output that cannot be
written, a closed pipe, an ASCII-only terminal, a number JSON cannot hold, a signal or a kill
mid-write. Each gives one ``error:`` line (or the signal's exit code) and leaves no
temporary file behind."""

from __future__ import annotations

import errno
import io
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from capacity.cli.app import app
from capacity.cli.format import human, to_json
from capacity.cli.output import csv_text
from capacity.cli.progress import progress_bar
from capacity.errors import OutputError, Terminated
from capacity.streaming import (
    ParquetSink,
    atomic_destination,
    remove_stale_temporaries,
    temporary_path,
    unwinding_on_signals,
)
from capacity.sweep import sweep

runner = CliRunner()
PORTFOLIO = Path(__file__).parents[1] / "examples" / "anthropic-2025.toml"
SMALL_SWEEP = ("sweep", "30GW", "--chips", "h100", "--pue", "1.1:1.3:0.1", "--backend", "numpy")
# About a minute on the 2-core VM in chunks of 100 points (a signal lands between chunks),
# and 0.3 GB by the free-space check.
LONG_SWEEP = ("sweep", "10GW:30GW:1GW", "--chips", "h100,mi355x,gb300", "--mix-step", "0.05",
              "--pue", "1.1:1.5:0.01", "--utilization", "0.5:1:0.1", "--backend", "numpy",
              "--chunk-points", "100")  # fmt: skip
# The CLI as a console script runs it, with the stopping signals at their defaults whatever
# this test process inherited (a background job ignores SIGINT, nohup SIGHUP).
CLI = (
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "[signal.signal(s, signal.SIG_DFL) for s in (signal.SIGTERM, signal.SIGHUP)]; "
    "{setup}from capacity.cli.app import main; main()"
)
# A pid above Linux's largest (2**22) belongs to no process.
NO_SUCH_PID = 4_999_999


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def start(*args: str, setup: str = "", **options) -> subprocess.Popen[bytes]:  # type: ignore[no-untyped-def]
    code = CLI.format(setup=setup)
    return subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **options)  # fmt: skip


def one_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    return lines[0]


def partial_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.partial"))


def wait_for_partial(folder: Path, process: subprocess.Popen[bytes]) -> Path:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if found := partial_files(folder):
            return found[0]
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"no temporary file appeared: {process.communicate()}")


# --- outputs that cannot be written -------------------------------------------------------


def _unwritable(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(--out value, what the error says) for destinations that cannot be written."""
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    yield str(tmp_path / "missing" / "out.json"), "does not exist"
    yield str(tmp_path), "is a folder"
    yield str(a_file / "out.json"), "is not a folder"
    if hasattr(os, "mkfifo"):  # renaming onto it would replace it (as root, /dev/full too)
        os.mkfifo(tmp_path / "a-fifo")
        yield str(tmp_path / "a-fifo"), "is a named pipe, not a regular file"
    if Path("/proc/self").exists():
        yield "/proc/x.json", "cannot create a file in '/proc'"


def test_unwritable_portfolio_out_is_one_error_line(tmp_path: Path) -> None:
    for out, message in _unwritable(tmp_path):
        result = run("portfolio", str(PORTFOLIO), "--format", "json", "--out", out)
        assert result.exit_code == 2, (out, result.output)
        assert message in one_error_line(result.stderr), out
        assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-fifo", "a-file"]
    assert (tmp_path / "a-fifo").is_fifo()


def test_unwritable_sweep_out_is_one_error_line(tmp_path: Path) -> None:
    for out, message in _unwritable(tmp_path):
        parquet = out.replace(".json", ".parquet")
        result = run(*SMALL_SWEEP, "--out", parquet)
        assert result.exit_code == 2, (out, result.output)
        line = one_error_line(result.stderr)
        if out.startswith("/proc/"):  # refused sooner, by the free-space check
            message = "'/proc'"
        assert line.startswith("error: --out: ") and message in line, line


@pytest.mark.skipif(not hasattr(os, "statvfs"), reason="POSIX file systems")
def test_a_read_only_file_system_is_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As `mount -o ro` gives (sweeps checked it for free space first, and said that)."""
    real_statvfs = os.statvfs

    class ReadOnly:
        def __init__(self, path: object) -> None:
            self.real = real_statvfs(path)  # type: ignore[arg-type]
            self.f_flag = self.real.f_flag | os.ST_RDONLY

        def __getattr__(self, name: str) -> object:
            return getattr(self.real, name)

    monkeypatch.setattr(os, "statvfs", ReadOnly)
    for command in (SMALL_SWEEP, ("portfolio", str(PORTFOLIO))):
        result = run(*command, "--out", str(tmp_path / "out.parquet"))
        assert result.exit_code == 2, result.output
        assert one_error_line(result.stderr).endswith(
            f"{str(tmp_path)!r} is on a read-only file system"
        )
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_mid_sweep_is_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC while writing a chunk (as pyarrow raises it): one line, no partial file."""
    writes = 0
    real_write = ParquetSink.write

    def fill_the_disk(self: ParquetSink, columns: dict) -> None:
        nonlocal writes
        writes += 1
        if writes == 2:
            raise OSError(errno.ENOSPC, "Error writing bytes to file. Detail: [errno 28] ...")
        real_write(self, columns)

    monkeypatch.setattr(ParquetSink, "write", fill_the_disk)
    out = tmp_path / "points.parquet"
    result = run(*SMALL_SWEEP, "--chunk-points", "1", "--out", str(out))
    assert result.exit_code == 2, result.output
    assert one_error_line(result.stderr) == (
        f"error: --out: cannot write {str(out)!r}: No space left on device; the partial file "
        "was removed"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_writing_a_portfolio_is_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(self: Path, *args: object, **kwargs: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_text", full)
    result = run("portfolio", str(PORTFOLIO), "--out", str(tmp_path / "report.txt"))
    assert result.exit_code == 2, result.output
    assert "No space left on device" in one_error_line(result.stderr)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_FSIZE as on Linux")
def test_a_file_size_limit_hit_by_the_kernel_is_one_error_line(tmp_path: Path) -> None:
    """A real write error (EFBIG past RLIMIT_FSIZE, which Python does not die of)."""
    out = tmp_path / "points.parquet"
    limit = "import resource; resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000)); "
    process = start(*LONG_SWEEP[:-1], "10000", "--out", str(out), setup=limit)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 2, stderr
    line = one_error_line(stderr.decode())
    assert (
        line
        == f"error: --out: cannot write {str(out)!r}: File too large; the partial file was removed"
    )
    assert list(tmp_path.iterdir()) == []


def test_an_os_error_that_no_code_expected_is_one_error_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import capacity.cli.chips

    def unreadable(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", "/somewhere/profiles")

    monkeypatch.setattr(capacity.cli.chips, "load_profiles", unreadable)
    result = run("chips")
    assert result.exit_code == 2
    assert one_error_line(result.stderr) == "error: '/somewhere/profiles': Permission denied"


def test_a_signal_inside_compiled_code_is_still_a_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    """numba wraps an exception raised in a callback into Python as a SystemError."""
    import capacity.cli.chips

    def stopped_inside_numba(*args: object, **kwargs: object) -> None:
        raise SystemError("CPUDispatcher(...) returned a result with an exception set") from (
            Terminated(signal.SIGTERM)
        )

    monkeypatch.setattr(capacity.cli.chips, "load_profiles", stopped_inside_numba)
    result = run("chips")
    assert result.exit_code == 128 + signal.SIGTERM
    assert result.stderr == "stopped by SIGTERM\n"


def test_stdout_closed_early_ends_quietly() -> None:
    """`capacity chips | head -0`: exit 1, nothing on stderr (no BrokenPipeError)."""
    for args in (("chips",), ("chips", "--format", "json")):  # rich's output, then ours
        with start(*args) as process:
            assert process.stdout is not None and process.stderr is not None
            process.stdout.close()
            stderr = process.stderr.read()
            assert process.wait(timeout=60) == 1
        assert stderr == b""


# --- ASCII-only terminals and non-finite numbers -------------------------------------------


def test_an_ascii_only_stream_gets_look_alikes() -> None:
    environment = {**os.environ, "PYTHONIOENCODING": "ascii"}
    table = subprocess.run([sys.executable, "-m", "capacity", "convert", "30GW", "--chip", "h100"],
                           capture_output=True, env=environment, timeout=120)  # fmt: skip
    assert table.returncode == 0, table.stderr
    assert "(x utilization x MFU)" in table.stdout.decode("ascii")
    document = subprocess.run([sys.executable, "-m", "capacity", "chips", "--format", "json"],
                              capture_output=True, env=environment, timeout=120)  # fmt: skip
    assert document.returncode == 0, document.stderr
    assert "Jalape\\u00f1o" in document.stdout.decode("ascii")  # the exact character, escaped
    assert json.loads(document.stdout) == json.loads(run("chips", "--format", "json").stdout)
    error = subprocess.run([sys.executable, "-m", "capacity", "portfolio", str(PORTFOLIO),
                            "--samples", "0"], capture_output=True, env=environment, timeout=120)  # fmt: skip
    assert error.returncode == 2
    assert error.stderr.decode("ascii") == "error: --samples must be >= 1, got 0\n"


def test_json_and_csv_never_hold_a_non_finite_number() -> None:
    with pytest.raises(OutputError, match=r"internal: totals\.peak_flop_per_s is inf"):
        to_json({"totals": {"peak_flop_per_s": math.inf}})
    with pytest.raises(OutputError, match=r"internal: \[1\]\.power_w is inf"):
        csv_text([{"power_w": 1.0}, {"power_w": math.inf}])
    assert human(math.inf, "FLOP/s") == "inf (overflow)"
    assert human(math.nan, "W") == "NaN (undefined)"


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's overflow: the model's to refuse
@pytest.mark.parametrize("output_format", ["json", "csv"])
def test_an_overflowing_input_is_one_error_line_not_a_traceback(output_format: str) -> None:
    result = run("convert", "--chip", "h100", "--format", output_format, "--", "1e308")
    assert result.exit_code == 2, result.output
    one_error_line(result.stderr)


# --- signals and kills ---------------------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize(
    ("signal_number", "last_line"),
    [
        (signal.SIGTERM, "stopped by SIGTERM"),
        (signal.SIGINT, "interrupted"),
        (signal.SIGHUP, "stopped by SIGHUP"),
    ],
)
def test_a_signal_mid_sweep_removes_the_partial_file(
    tmp_path: Path, signal_number: int, last_line: str
) -> None:
    out = tmp_path / "points.parquet"
    process = start(*LONG_SWEEP, "--out", str(out))
    wait_for_partial(tmp_path, process)
    process.send_signal(signal_number)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal_number, stderr
    assert stderr.decode().splitlines()[-1] == last_line
    assert b"Traceback" not in stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_the_next_run_removes_what_a_kill_left(tmp_path: Path) -> None:
    out = tmp_path / "points.parquet"
    process = start(*LONG_SWEEP, "--out", str(out))
    left = wait_for_partial(tmp_path, process)
    process.kill()
    process.communicate(timeout=60)
    assert left.exists()
    again = subprocess.run([sys.executable, "-m", "capacity", *SMALL_SWEEP, "--out", str(out)],
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert again.stderr.startswith(f"removed {str(left)!r} (")
    assert again.stderr.endswith("a temporary file left by an earlier run that was stopped\n")
    assert [p.name for p in tmp_path.iterdir()] == ["points.parquet"]


def test_unwinding_on_signals_raises_and_restores() -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with pytest.raises(Terminated) as stopped, unwinding_on_signals():
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN  # as nohup left it
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # interrupted by the handler
        assert stopped.value.exit_status == 143
        assert signal.getsignal(signal.SIGTERM) == before[signal.SIGTERM]
    finally:
        signal.signal(signal.SIGHUP, before[signal.SIGHUP])


def test_atomic_destination_removes_its_file_on_a_stop(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    with pytest.raises(Terminated), atomic_destination(out) as temporary:
        temporary.write_text("half")
        raise Terminated(signal.SIGTERM)
    assert list(tmp_path.iterdir()) == []


# --- stale temporary files -----------------------------------------------------------------


def test_stale_temporaries_are_told_from_live_ones(tmp_path: Path) -> None:
    out = tmp_path / "points.parquet"
    mine = temporary_path(out)
    host = mine.name.split(".capacity-")[1].rsplit("-", 1)[0]
    dead = tmp_path / f".points.parquet.capacity-{host}-{NO_SUCH_PID}.partial"
    legacy = tmp_path / f".points.parquet.{NO_SUCH_PID}.partial"
    elsewhere = tmp_path / f".other.parquet.capacity-elsewhere-{NO_SUCH_PID}.partial"
    old_elsewhere = tmp_path / f".old.parquet.capacity-elsewhere-{NO_SUCH_PID}.partial"
    unrelated = tmp_path / f".notes.txt.{NO_SUCH_PID}.partial"  # not this destination's
    for path in (mine, dead, legacy, elsewhere, old_elsewhere, unrelated):
        path.write_bytes(b"x" * 1000)
    two_days_ago = time.time() - 2 * 86400
    os.utime(old_elsewhere, (two_days_ago, two_days_ago))
    stale = remove_stale_temporaries(out)
    assert {p for p, _ in stale.removed} == {dead, legacy, old_elsewhere}
    assert stale.message().startswith("removed 3 temporary files (3 kB) left in ")
    assert sorted(tmp_path.iterdir()) == sorted([mine, elsewhere, unrelated])


def test_the_library_removes_stale_files_without_a_word(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "points.parquet"
    host = temporary_path(out).name.split(".capacity-")[1].rsplit("-", 1)[0]
    (tmp_path / f".points.parquet.capacity-{host}-{NO_SUCH_PID}.partial").write_bytes(b"x")
    sweep("30GW", chips="h100", backend="numpy", out=out)
    assert [p.name for p in tmp_path.iterdir()] == ["points.parquet"]
    assert capsys.readouterr() == ("", "")


# --- long runs ----------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _run_progress(terminal: bool, seconds_per_chunk: float, chunks: int) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=terminal, width=200)
    clock = FakeClock()
    total = chunks * 1_000_000
    with progress_bar("sweep", "points", console=console, clock=clock) as progress:
        progress(0, total)
        for chunk in range(1, chunks + 1):
            # the first chunk pays for imports and opening the output
            clock.now += seconds_per_chunk * (3 if chunk == 1 else 1)
            progress(chunk * 1_000_000, total)
    return buffer.getvalue()


def test_a_long_run_says_how_long_then_reports_in_plain_lines() -> None:
    lines = _run_progress(terminal=False, seconds_per_chunk=2.0, chunks=100).splitlines()
    assert lines[0] == "sweep: about 3 min for 1e8 points at 500 k points/s; Ctrl-C to stop"
    assert lines[1] == "sweep: 3% (3e6 of 1e8 points), about 3 min left"
    assert len(lines) == 1 + 20  # a line every 10 s of the 204 s, none at the end
    assert all(line.isprintable() for line in lines)  # no bar, no escape codes


def test_a_short_run_says_nothing_and_a_terminal_gets_the_estimate() -> None:
    assert _run_progress(terminal=False, seconds_per_chunk=0.1, chunks=50) == ""
    shown = _run_progress(terminal=True, seconds_per_chunk=2.0, chunks=100)
    assert "sweep: about 3 min for 1e8 points" in shown
    assert "% (" not in shown  # the bar, not the plain lines
