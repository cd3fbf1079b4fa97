"""A cache on disk for what is slow to build and depends only on files.

The unit registry's parsed definitions and the parsed built-in data files (profiles, grids,
cooling) take longer to build than a command takes to run; each is kept here between runs as
one entry, valid for one key: the paths, sizes and modification times of the files it was
built from (the data files and the modules that read them) with the versions of Python and of
the libraries involved. A file that changes changes the key, and the entry is built again.

The cache only ever saves time, never changes a result or stops a run:

- a missing, stale, corrupt or unreadable entry is a miss: the caller builds the value from
  its files, as it would without a cache, and offers it to :func:`store`;
- :func:`store` writes a temporary file and renames it into place, so that a reader never
  sees half an entry, and gives up without a word on a read-only, full or missing disk;
- an entry is a pickle, which can run code when loaded, so it is read only from a folder
  and a file that belong to the current user and that no one else may write;
- user files (``--profiles``, ``$CAPACITY_PROFILES``, ``--grid-file``) are never cached:
  they are read through :mod:`capacity.datafiles`' checks every time.

The folder is ``$CAPACITY_CACHE_DIR`` when set, else ``capacity`` in the user's cache
folder (``$XDG_CACHE_HOME`` or ``~/.cache`` on Linux, as platformdirs finds it);
``CAPACITY_NO_CACHE=1`` turns the cache off.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import stat
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "CACHE_DIR_ENV",
    "CACHE_FORMAT",
    "NO_CACHE_ENV",
    "cache_dir",
    "file_stamps",
    "load",
    "store",
]

CACHE_DIR_ENV = "CAPACITY_CACHE_DIR"
NO_CACHE_ENV = "CAPACITY_NO_CACHE"
# Part of every key: changed when what an entry holds changes shape.
CACHE_FORMAT = 1
# The largest entry read back; the built-in profiles take about 100 kB.
MAX_ENTRY_BYTES = 16 * 1024 * 1024

PersistentId = Callable[[Any], Any]
PersistentLoad = Callable[[Any], Any]


def cache_dir() -> Path | None:
    """The cache folder, or None where the cache is off or no folder can be named."""
    if os.environ.get(NO_CACHE_ENV, "").strip() not in ("", "0"):
        return None
    given = os.environ.get(CACHE_DIR_ENV, "").strip()
    if given:
        return Path(given).expanduser()
    try:
        import platformdirs  # installed with pint
    except ImportError:
        base = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.join("~", ".cache")
        return Path(base).expanduser() / "capacity"
    try:
        return Path(platformdirs.user_cache_dir("capacity", appauthor=False))
    except Exception:  # no home folder to find
        return None


def file_stamps(paths: Iterable[str | Path]) -> tuple[tuple[str, int, int], ...]:
    """(path, size, modification time in ns) of each file, for a key; -1s for a missing one."""
    stamps = []
    for path in paths:
        try:
            status = os.stat(path)
            stamps.append((str(path), status.st_size, status.st_mtime_ns))
        except OSError:
            stamps.append((str(path), -1, -1))
    return tuple(stamps)


def _full_key(key: Any) -> Any:
    return (CACHE_FORMAT, sys.version_info[:2], key)


def _entry_path(folder: Path, name: str) -> Path:
    return folder / f"{name}.pickle"


def _owned_by_us(status: os.stat_result) -> bool:
    """Whether a file or folder belongs to this user and no one else may write it."""
    if not hasattr(os, "getuid"):  # Windows: the user's own profile folder
        return True
    return status.st_uid == os.getuid() and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: Any, persistent_load: PersistentLoad | None) -> None:
        super().__init__(file)
        self._restore = persistent_load

    def persistent_load(self, pid: Any) -> Any:
        if self._restore is None:
            raise pickle.UnpicklingError("no persistent_load given for this entry")
        return self._restore(pid)


class _Pickler(pickle.Pickler):
    def __init__(self, file: Any, persistent_id: PersistentId | None) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._reduce = persistent_id

    def persistent_id(self, obj: Any) -> Any:
        return None if self._reduce is None else self._reduce(obj)


def load(name: str, key: Any, persistent_load: PersistentLoad | None = None) -> Any | None:
    """The value stored as ``name`` for ``key``, or None on any miss.

    Parameters
    ----------
    name : str
        The entry ("units", "profiles").
    key : picklable
        What the value was built from (:func:`file_stamps` of its files, versions); an entry
        stored for another key is a miss.
    persistent_load : callable, optional
        Rebuilds the objects that :func:`store`'s ``persistent_id`` stood in for.
    """
    folder = cache_dir()
    if folder is None:
        return None
    try:
        if not _owned_by_us(os.stat(folder)):
            return None
        with open(_entry_path(folder, name), "rb") as file:
            status = os.fstat(file.fileno())
            if not stat.S_ISREG(status.st_mode) or not _owned_by_us(status):
                return None
            if status.st_size > MAX_ENTRY_BYTES:
                return None
            reader = _Unpickler(file, persistent_load)
            if reader.load() != _full_key(key):  # the key first: a stale value is not read
                return None
            return reader.load()
    except Exception:  # missing, unreadable, corrupt or from another version: a miss
        return None


def store(name: str, key: Any, value: Any, persistent_id: PersistentId | None = None) -> None:
    """Keep ``value`` as ``name`` for ``key``; does nothing where the cache cannot be written.

    ``persistent_id`` stands in for objects that cannot be pickled as they are (pint
    quantities, bound to the package's registry): it returns a picklable reference, or None
    to pickle the object as usual.
    """
    folder = cache_dir()
    if folder is None:
        return
    import tempfile  # here: a run that finds its entries never writes one

    temporary = None
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _owned_by_us(os.stat(folder)):
            return
        descriptor, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
        with os.fdopen(descriptor, "wb") as file:
            writer = _Pickler(file, persistent_id)
            writer.dump(_full_key(key))
            writer.dump(value)
        os.replace(temporary, _entry_path(folder, name))
        temporary = None
    except Exception:  # read-only, full, missing or not ours: run on without the cache
        return
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
