"""Writing outputs to disk atomically, and leaving a clean folder however a run ends.

A sweep's points go to Apache Parquet (one row per point, one row group per chunk) through
pyarrow: pandas, polars, DuckDB, R's arrow, Spark and Excel's Power Query all open it, it
keeps each column's type, and the repeated axis columns compress to almost nothing.

Every output file is written under a temporary name beside its destination and renamed into
place only when complete (:func:`atomic_destination`), so a failed or stopped run never
leaves a partial file at the destination:

- an exception, Ctrl-C included, removes the temporary file;
- SIGTERM and SIGHUP do too within :func:`unwinding_on_signals` (the command-line interface
  runs every command in it; a library caller may opt in);
- SIGKILL and power loss cannot be caught: the temporary file's name holds the writer's host
  and process id, so that the next write into the folder recognises it as stale once that
  process has gone (:func:`remove_stale_temporaries`) and removes it.

An operating-system error while writing becomes an :class:`~capacity.errors.OutputError`
that names the destination and the reason ("No space left on device").
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import logging
import os
import re
import shutil
import signal
import stat
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from capacity.errors import InputError, OutputError, Terminated
from capacity.extras import import_extra

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "CSV_SUFFIXES",
    "PARQUET_SUFFIXES",
    "STREAMED_SUFFIXES",
    "CsvSink",
    "ParquetSink",
    "StaleTemporaries",
    "atomic_destination",
    "check_destination",
    "check_output_path",
    "remove_stale_temporaries",
    "unwinding_on_signals",
]

PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv",)
# The files a sweep streams its points to, chunk by chunk.
STREAMED_SUFFIXES = PARQUET_SUFFIXES + CSV_SUFFIXES
# A temporary file whose writer cannot be checked (another host sharing the disk, a system
# without /proc) is stale once untouched for this long: a live writer writes every chunk.
STALE_AFTER_SECONDS = 24 * 60 * 60.0  # a day
# Process start times from /proc are in clock ticks and the boot time in whole seconds.
START_TIME_SLACK_SECONDS = 2.0
# Longest file name most file systems take (ext4, XFS, APFS, NTFS).
NAME_MAX = 255
_TEMPORARY_SUFFIX = ".partial"
_TEMPORARY = re.compile(r"^\..+\.capacity-(?P<host>[A-Za-z0-9-]*)-(?P<pid>[0-9]{1,10})\.partial$")
# Earlier versions named their temporary files ".NAME.PID.partial", without the host.
_LEGACY_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.(?P<pid>[0-9]{1,10})\.partial$")
_STOPPING_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")

logger = logging.getLogger(__name__)


# --- destinations --------------------------------------------------------------------------


def check_output_path(path: str | Path, label: str = "out") -> Path:
    """``path`` as a Path to write to, after checking that it can be a file.

    Its folder must exist and it must be a regular file or not exist yet: a folder, a device
    (``/dev/full``), a FIFO or a socket would be replaced by the rename that completes an
    atomic write. A symbolic link is followed, so that the file it points to is replaced.
    ``label`` names the argument in errors ("out", "--out").
    """
    path = Path(path).expanduser()
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    folder = path.parent
    if not folder.is_dir():
        if folder.exists():
            raise InputError(
                f"{label}: {str(folder)!r} is not a folder; {str(path)!r} cannot be in it"
            )
        raise InputError(f"{label}: folder {str(folder)!r} of {str(path)!r} does not exist")
    if hasattr(os, "statvfs"):
        with contextlib.suppress(OSError):
            if os.statvfs(folder).f_flag & os.ST_RDONLY:
                raise OutputError(
                    f"{label}: cannot write {str(path)!r}: {str(folder)!r} is on a read-only "
                    "file system"
                )
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return path
    except OSError as error:
        raise OutputError(f"{label}: cannot use {str(path)!r}: {_reason(error)}") from error
    if stat.S_ISDIR(mode):
        raise InputError(f"{label}: {str(path)!r} is a folder; give a file name in it")
    if not stat.S_ISREG(mode):
        raise InputError(
            f"{label}: {str(path)!r} is {_file_kind(mode)}, not a regular file; give the path "
            "of a file (or leave the option out to write to standard output)"
        )
    return path


def check_destination(path: str | Path, estimated_bytes: float, label: str = "out") -> Path:
    """A sweep's destination (Parquet or CSV) after checking its suffix, its folder and free
    space."""
    path = check_output_path(path, label)
    if path.suffix.lower() not in STREAMED_SUFFIXES:
        raise InputError(
            f"{label}: {str(path)!r} must end in .parquet or .csv: sweeps stream to Apache "
            "Parquet (pandas.read_parquet, polars, DuckDB and R's arrow read it) or CSV"
        )
    if path.suffix.lower() in PARQUET_SUFFIXES:
        import_extra("pyarrow.parquet", "parquet", f"{label}: writing Parquet")
    _check_free_space(path, path.parent, estimated_bytes, label)
    return path


def _check_free_space(target: Path, disk: Path, estimated_bytes: float, label: str) -> None:
    """Refuse ``target`` (a file or a dataset folder) where ``disk``'s free space is short of
    ``estimated_bytes``."""
    try:
        free = shutil.disk_usage(disk).free
    except OSError as error:
        raise OutputError(f"{label}: cannot use {str(target)!r}: {_reason(error)}") from error
    if estimated_bytes > free:
        raise InputError(
            f"{label}: the sweep needs up to {estimated_bytes / 1e9:.3g} GB uncompressed and "
            f"{str(target.parent)!r} has {free / 1e9:.3g} GB free; use reduce, a coarser grid "
            "or another disk"
        )


@contextlib.contextmanager
def atomic_destination(path: str | Path, label: str = "out") -> Iterator[Path]:
    """A temporary path beside ``path``, renamed to ``path`` if the block completes.

    The temporary file exists (empty) when the block starts. On any exception,
    KeyboardInterrupt and :class:`~capacity.errors.Terminated` included, it is removed and
    the destination is left as it was. Stale temporary files of stopped runs beside ``path``
    are removed first (logged at INFO on this module's logger). An operating-system error
    while creating, writing or renaming the file raises :class:`~capacity.errors.OutputError`
    naming ``label`` and ``path``.
    """
    path = check_output_path(path, label)
    stale = remove_stale_temporaries(path)
    if stale:
        logger.info("%s", stale.message())
    temporary = temporary_path(path)
    try:
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666))
    except OSError as error:
        raise OutputError(
            f"{label}: cannot create a file in {str(path.parent)!r} to write {path.name!r}: "
            f"{_reason(error)}"
        ) from error
    try:
        yield temporary
        _flush_to_disk(temporary)
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        if isinstance(error, OSError) and _names(error, (temporary, path)):
            raise OutputError(
                f"{label}: cannot write {str(path)!r}: {_reason(error)}; the partial file was "
                "removed"
            ) from error
        raise


def _names(error: OSError, paths: tuple[Path, ...]) -> bool:
    """Whether ``error`` is about one of ``paths``, or names no file (pyarrow's errors)."""
    if error.filename is None:
        return True
    return any(os.fsdecode(error.filename) == str(path) for path in paths)


def temporary_path(path: Path) -> Path:
    """Where :func:`atomic_destination` writes ``path`` before renaming it:
    ``.NAME.capacity-HOST-PID.partial`` beside it (the name shortened to fit)."""
    tail = f".capacity-{_host()}-{os.getpid()}{_TEMPORARY_SUFFIX}"
    room = NAME_MAX - len(tail) - 1
    return path.with_name(f".{path.name[:room]}{tail}")


def _flush_to_disk(path: Path) -> None:
    with open(path, "rb+") as written:
        try:
            os.fsync(written.fileno())
        except OSError as error:  # a file system without fsync (some network and FUSE ones)
            if error.errno not in (errno.EINVAL, errno.ENOTSUP):
                raise


# --- stale temporary files -----------------------------------------------------------------


@dataclass(frozen=True)
class StaleTemporaries:
    """Temporary files of stopped runs found beside a destination."""

    removed: tuple[tuple[Path, int], ...] = ()
    """Each file removed, with its size. [bytes]"""
    left: tuple[tuple[Path, str], ...] = ()
    """Each file that could not be removed, with the reason."""

    def __bool__(self) -> bool:
        return bool(self.removed or self.left)

    def message(self) -> str:
        """One line saying what was removed and where any file that could not be is."""
        parts = []
        if len(self.removed) == 1:
            (path, size), = self.removed  # fmt: skip
            parts.append(
                f"removed {str(path)!r} ({_size(size)}), a temporary file left by an earlier "
                "run that was stopped"
            )
        elif self.removed:
            total = sum(size for _, size in self.removed)
            folder = self.removed[0][0].parent
            parts.append(
                f"removed {len(self.removed)} temporary files ({_size(total)}) left in "
                f"{str(folder)!r} by earlier runs that were stopped"
            )
        if self.left:
            where = ", ".join(f"{str(path)!r} ({reason})" for path, reason in self.left)
            parts.append(f"could not remove a stale temporary file, delete it by hand: {where}")
        return "; ".join(parts)


def remove_stale_temporaries(destination: str | Path) -> StaleTemporaries:
    """Remove the temporary files of stopped runs in ``destination``'s folder.

    A temporary file of :func:`atomic_destination` is stale when its writer process no
    longer runs on this host: no process has its id, a zombie has it, or the process with
    its id started after the file was last written (the id was reused), or the host booted
    since. A file from another host, or whose writer cannot be checked, is stale once
    nobody has written to it for ``STALE_AFTER_SECONDS``. The older ``.NAME.PID.partial``
    name of ``destination`` itself counts too.
    """
    destination = Path(destination)
    folder = destination.parent
    removed, left = [], []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return StaleTemporaries()
    for entry in entries:
        match = _TEMPORARY.match(entry.name)
        host: str | None = match["host"] if match else None
        if match is None:
            match = _LEGACY_TEMPORARY.match(entry.name)
            if match is None or match["name"] != destination.name:
                continue
            host = _host()
        try:
            status = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(status.st_mode):
            continue
        if not _is_stale(host, int(match["pid"]), status.st_mtime, now):
            continue
        try:
            os.unlink(entry.path)
        except FileNotFoundError:
            continue
        except OSError as error:
            left.append((Path(entry.path), _reason(error)))
            continue
        removed.append((Path(entry.path), status.st_size))
    return StaleTemporaries(tuple(removed), tuple(left))


def _is_stale(host: str | None, pid: int, modified: float, now: float) -> bool:
    """Whether a temporary file written by ``pid`` on ``host`` has lost its writer; by its
    age alone where that cannot be told (another host, no /proc)."""
    untouched = now - modified > STALE_AFTER_SECONDS
    if host != _host() or pid <= 0 or os.name != "posix":
        return untouched  # (os.kill on Windows would end the process, not probe it)
    if pid == os.getpid():
        return False
    boot = _boot_time()
    if boot is not None and modified < boot:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # a process of another user has this id
    except (OverflowError, OSError):
        return untouched
    process = _process(pid)
    if process is None:
        return untouched
    state, started = process
    return state == "Z" or started > modified + START_TIME_SLACK_SECONDS


@functools.cache
def _host() -> str:
    """This host's name as it may appear in a file name: letters, digits and hyphens."""
    import socket  # here: only a file written needs it

    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40] or "localhost"


@functools.cache
def _boot_time() -> float | None:
    """When this host booted, from Linux's /proc/stat; None elsewhere."""
    try:
        with open("/proc/stat", encoding="ascii") as lines:
            for line in lines:
                if line.startswith("btime "):
                    return float(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _process(pid: int) -> tuple[str, float] | None:
    """Process ``pid``'s state ("Z" for a zombie) and start (seconds since the epoch), from
    Linux's /proc; None elsewhere."""
    boot = _boot_time()
    if boot is None:
        return None
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as file:
            status = file.read()
        # the fields after the command name in parentheses (which may hold spaces): the
        # state first, the start in clock ticks since boot twentieth
        fields = status[status.rindex(")") + 2 :].split()
        return fields[0], boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


# --- signals -------------------------------------------------------------------------------


@contextlib.contextmanager
def unwinding_on_signals() -> Iterator[None]:
    """Within the block, SIGINT, SIGTERM and SIGHUP raise an exception in the main thread.

    SIGINT raises KeyboardInterrupt and the others :class:`~capacity.errors.Terminated`, so
    that ``with`` blocks and ``finally`` clauses run: :func:`atomic_destination` removes its
    temporary file. A signal that was ignored on entry stays ignored (``nohup`` keeps
    working). Every signal raises, as Python's own Ctrl-C handler does, so that a stop lost
    in a place that swallows exceptions can be repeated; a second signal that cuts the
    clean-up short leaves a temporary file for the next run to remove. The previous
    handlers come back when the block ends. Outside the main thread (where Python cannot
    set handlers) this does nothing.

    The command-line interface runs in this block; the library never installs handlers by
    itself, since signals belong to the program that hosts it.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signal_number: int, frame: FrameType | None) -> None:
        if signal_number == signal.SIGINT:
            raise KeyboardInterrupt
        raise Terminated(signal_number)

    previous: dict[int, Any] = {}
    for name in _STOPPING_SIGNALS:
        number = getattr(signal, name, None)
        if number is None:
            continue
        handler = signal.getsignal(number)
        if handler == signal.SIG_IGN:
            continue
        previous[number] = signal.SIG_DFL if handler is None else handler
        signal.signal(number, stop)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


# --- Parquet -------------------------------------------------------------------------------


class ParquetSink:
    """Row groups appended to one Parquet file; metadata (JSON) stored in its schema."""

    def __init__(self, path: Path, metadata: Mapping[str, Any]) -> None:
        # here, not in the first chunk that progress times
        import_extra("pyarrow.parquet", "parquet", "writing Parquet")

        self.path = path
        self.metadata = {b"capacity": json.dumps(metadata, allow_nan=True).encode()}
        self._writer: Any = None

    def write(self, columns: Mapping[str, np.ndarray]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table(dict(columns))
        if self._writer is None:
            schema = table.schema.with_metadata(self.metadata)
            self._writer = pq.ParquetWriter(self.path, schema, compression="zstd")
        self._writer.write_table(table.replace_schema_metadata(self.metadata))

    def close(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.close()


class CsvSink:
    """Rows appended to one CSV file, the header first; its metadata is not written (CSV has
    no place for it: the column names carry the units)."""

    def __init__(self, path: Path, metadata: Mapping[str, Any]) -> None:
        self.path = path
        self._file: Any = None

    def write(self, columns: Mapping[str, np.ndarray]) -> None:
        import csv

        import numpy as np

        if self._file is None:
            self._file = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115
            csv.writer(self._file).writerow(list(columns))
        table = np.column_stack([np.asarray(v, dtype=np.float64) for v in columns.values()])
        integer = [np.issubdtype(np.asarray(v).dtype, np.integer) for v in columns.values()]
        formats = ["%d" if whole else "%.17g" for whole in integer]
        np.savetxt(self._file, table, fmt=formats, delimiter=",")

    def close(self) -> None:
        if self._file is not None:
            file, self._file = self._file, None
            file.close()


# --- wording -------------------------------------------------------------------------------


def _reason(error: OSError) -> str:
    """An operating-system error in words: "No space left on device"."""
    if error.errno is not None:
        return os.strerror(error.errno)
    return str(error) or type(error).__name__


def _file_kind(mode: int) -> str:
    kinds = (
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((kind for test, kind in kinds if test(mode)), "not a regular file")


def _size(size: float) -> str:
    """A file size for people: "2.46 GB"."""
    units = ("bytes", "kB", "MB", "GB", "TB")
    index = 0
    while size >= 1000 and index < len(units) - 1:
        size /= 1000
        index += 1
    return f"{size:.0f} bytes" if index == 0 else f"{size:.3g} {units[index]}"
