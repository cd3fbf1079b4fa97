"""A materialized sweep as a partitioned Parquet dataset: one file per chunk, a manifest last.

A dataset is a folder::

    sweep/
        part-000000.parquet     points [0, chunk), one row per point
        part-000001.parquet     points [chunk, 2 chunk)
        ...
        _manifest.json          written last: inputs, backend, assumptions, every part

pandas (``pd.read_parquet("sweep")``), pyarrow (``pyarrow.dataset.dataset("sweep")``),
dask.dataframe (``dd.read_parquet("sweep")``), polars and DuckDB read the parts as one table;
they skip ``_manifest.json`` and hidden names, as Hive-style readers do.

Whoever computes a chunk writes its part (a worker of a cluster, or this process), into a
hidden staging folder inside the dataset's folder. Only when every part is there does the
run commit: it removes the manifest and the parts of any dataset that was there before,
moves the new parts in, and writes the manifest (atomically, last). So:

- a run that fails or is stopped (Ctrl-C, SIGTERM) removes its staging folder: the folder
  is as it was, or empty;
- a run killed outright leaves a hidden staging folder and no manifest; the next write into
  the folder removes it once its writer has gone (as :mod:`capacity.streaming` does for
  files);
- :func:`open_dataset` refuses a folder without a manifest, or whose parts differ from what
  the manifest lists, as incomplete (:class:`~capacity.errors.DatasetError`).

The folder must be on a file system that every worker and this process see at the same path
(NFS, Lustre, GPFS) when the run is on a cluster.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from capacity.errors import DatasetError, InputError, OutputError
from capacity.extras import import_extra
from capacity.streaming import (
    _check_free_space,
    _file_kind,
    _host,
    _is_stale,
    _reason,
    atomic_destination,
)
from capacity.summary import OutputSummary

__all__ = [
    "DATASET_FORMAT",
    "MANIFEST",
    "DatasetWriter",
    "PartInfo",
    "SweepDataset",
    "check_dataset_destination",
    "dataset_writer",
    "open_dataset",
    "write_part",
]

MANIFEST = "_manifest.json"
# Written into every manifest; a reader refuses a format it does not know.
DATASET_FORMAT = "capacity-sweep-dataset/1"
_PART = "part-{index:06d}.parquet"
_STAGING_PREFIX = ".capacity-staging-"
# Histogram bins per column when summarizing a written dataset (quantiles to one bin).
SUMMARY_BINS = 4096


@dataclass(frozen=True)
class PartInfo:
    """One part file as written: its name, rows, size and each column's range."""

    name: str
    first_point: int
    rows: int
    bytes: int
    ranges: Mapping[str, tuple[float, float]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "first_point": self.first_point,
            "rows": self.rows,
            "bytes": self.bytes,
            "ranges": {k: list(v) for k, v in self.ranges.items()},
        }


def write_part(
    staging: str | Path, index: int, first_point: int, columns: Mapping[str, np.ndarray]
) -> PartInfo:
    """Write chunk ``index``'s columns as its part file in ``staging``; runs where the chunk
    was computed (a worker, or this process)."""
    pa = import_extra("pyarrow", "parquet", "out: writing a Parquet dataset")
    pq = import_extra("pyarrow.parquet", "parquet", "out: writing a Parquet dataset")
    name = _PART.format(index=index)
    destination = Path(staging) / name
    table = pa.table(dict(columns))
    try:  # straight into the staging folder, which no reader looks into
        pq.write_table(table, destination, compression="zstd")
    except OSError as error:
        raise OutputError(f"out: cannot write {str(destination)!r}: {_reason(error)}") from error
    rows = table.num_rows
    ranges = {
        column: (float(np.min(values)), float(np.max(values)))
        for column, values in columns.items()
        if rows and np.issubdtype(np.asarray(values).dtype, np.number)
    }
    return PartInfo(name, first_point, rows, destination.stat().st_size, ranges)


class DatasetWriter:
    """Writes a dataset into ``path`` (a folder, made if absent): parts into a hidden
    staging folder, then :meth:`commit`; :meth:`abort` removes what was staged."""

    def __init__(self, path: str | Path, label: str = "out") -> None:
        self.path = _dataset_folder(path, label)
        self.label = label
        _remove_stale_staging(self.path)
        self.staging = self.path / f"{_STAGING_PREFIX}{_host()}-{os.getpid()}"
        try:
            self.staging.mkdir(parents=True, exist_ok=False)
        except FileExistsError:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging.mkdir(parents=True)
        except OSError as error:
            raise OutputError(
                f"{label}: cannot create the dataset folder {str(self.path)!r}: {_reason(error)}"
            ) from error

    def commit(self, parts: Sequence[PartInfo], manifest: Mapping[str, Any]) -> None:
        """Replace any dataset in the folder by the staged parts, then write the manifest."""
        missing = [p.name for p in parts if not (self.staging / p.name).is_file()]
        if missing:
            raise OutputError(
                f"{self.label}: parts {', '.join(missing[:5])} of {str(self.path)!r} were not "
                "written where this process can see them; the folder must be on a file system "
                "that every worker shares at the same path"
            )
        try:
            (self.path / MANIFEST).unlink(missing_ok=True)
            for old in self.path.glob("part-*.parquet"):
                old.unlink()
            for part in parts:
                os.replace(self.staging / part.name, self.path / part.name)
            document = {
                **manifest,
                "format": DATASET_FORMAT,
                "parts": [p.to_dict() for p in parts],
                "rows": sum(p.rows for p in parts),
                "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            with atomic_destination(self.path / MANIFEST, self.label) as temporary:
                temporary.write_text(json.dumps(document, indent=1, allow_nan=True) + "\n")
        except OSError as error:
            raise OutputError(
                f"{self.label}: cannot commit the dataset {str(self.path)!r}: {_reason(error)}"
            ) from error
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)

    def abort(self) -> None:
        """Remove the staged parts (the folder keeps any dataset that was there before)."""
        shutil.rmtree(self.staging, ignore_errors=True)
        with contextlib.suppress(OSError):
            self.path.rmdir()  # only when empty: a folder this run made


@contextlib.contextmanager
def dataset_writer(path: str | Path, label: str = "out") -> Iterator[DatasetWriter]:
    """A :class:`DatasetWriter` whose staged parts are removed if the block does not end
    normally (an exception, Ctrl-C or a signal raised by
    :func:`capacity.streaming.unwinding_on_signals`)."""
    writer = DatasetWriter(path, label)
    try:
        yield writer
    except BaseException:
        writer.abort()
        raise


def check_dataset_destination(
    path: str | Path, estimated_bytes: float, label: str = "out"
) -> Path:
    """``path`` as a dataset folder to write, after checking it, that pyarrow is there and
    the free space."""
    import_extra("pyarrow.parquet", "parquet", f"{label}: writing a Parquet dataset")
    folder = _dataset_folder(path, label)
    disk = folder if folder.is_dir() else folder.parent
    _check_free_space(folder, disk, estimated_bytes, label)
    return folder


def _dataset_folder(path: str | Path, label: str) -> Path:
    """``path`` as a dataset folder to write: absent, empty or holding a dataset."""
    folder = Path(path).expanduser()
    if folder.is_symlink():
        folder = Path(os.path.realpath(folder))
    if not folder.parent.is_dir():
        raise InputError(
            f"{label}: folder {str(folder.parent)!r} of {str(folder)!r} does not exist"
        )
    if folder.exists() and not folder.is_dir():
        mode = folder.stat().st_mode
        kind = "a file" if stat.S_ISREG(mode) else f"{_file_kind(mode)}, not a regular file"
        raise InputError(
            f"{label}: {str(folder)!r} is {kind}, and a dataset is a folder: give a new name, "
            "or a name ending in .parquet to write one file"
        )
    if folder.is_dir():
        with os.scandir(folder) as entries:
            names = [entry.name for entry in entries]
        foreign = [
            name
            for name in names
            if not (
                name == MANIFEST
                or name.startswith((_STAGING_PREFIX, "."))
                or (name.startswith("part-") and name.endswith(".parquet"))
            )
        ]
        if foreign:
            raise InputError(
                f"{label}: {str(folder)!r} is a folder holding files that are not a capacity "
                f"dataset's ({', '.join(sorted(foreign)[:3])}); give a new or empty folder for "
                "a dataset, or a file name ending in .parquet"
            )
    return folder


def _remove_stale_staging(folder: Path) -> None:
    """Remove the staging folders of runs in ``folder`` whose writer has gone."""
    if not folder.is_dir():
        return
    now = time.time()
    with os.scandir(folder) as entries:
        staging = [e for e in entries if e.name.startswith(_STAGING_PREFIX) and e.is_dir()]
    for entry in staging:
        host, _, pid = entry.name[len(_STAGING_PREFIX) :].rpartition("-")
        with contextlib.suppress(OSError, ValueError):
            if _is_stale(host, int(pid), entry.stat().st_mtime, now):
                shutil.rmtree(entry.path, ignore_errors=True)


# --- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepDataset:
    """A complete dataset: its folder, its manifest and its parts in point order."""

    path: Path
    manifest: Mapping[str, Any]

    @property
    def parts(self) -> list[Path]:
        return [self.path / part["name"] for part in self.manifest["parts"]]

    @property
    def rows(self) -> int:
        return int(self.manifest["rows"])

    @property
    def columns(self) -> list[str]:
        return list(self.manifest.get("columns", []))

    def summary(
        self, columns: Sequence[str] | None = None, bins: int = SUMMARY_BINS
    ) -> dict[str, OutputSummary]:
        """Count, min, max, mean and a histogram (quantiles to one bin) of each numeric
        column, read part by part in point order."""
        pq = import_extra("pyarrow.parquet", "parquet", "reading a Parquet dataset")

        parts = self.manifest["parts"]
        names = [c for c in (columns or self.columns) if any(c in p["ranges"] for p in parts)]
        low = {c: min(p["ranges"][c][0] for p in parts if c in p["ranges"]) for c in names}
        high = {c: max(p["ranges"][c][1] for p in parts if c in p["ranges"]) for c in names}
        totals = dict.fromkeys(names, 0.0)
        counts = {c: np.zeros(bins, dtype=np.int64) for c in names}
        for path in self.parts:
            table = pq.read_table(path, columns=names)
            for c in names:
                values = table.column(c).to_numpy().astype(np.float64, copy=False)
                totals[c] += float(np.sum(values))
                width = high[c] - low[c]
                scale = bins / width if width > 0 else 0.0
                index = np.clip(((values - low[c]) * scale).astype(np.int64), 0, bins - 1)
                counts[c] += np.bincount(index, minlength=bins)
        units = self.manifest.get("units", {})
        return {
            c: OutputSummary(
                name=c,
                unit=units.get(c, ""),
                points=self.rows,
                minimum=low[c],
                maximum=high[c],
                mean=totals[c] / self.rows if self.rows else float("nan"),
                edges=np.linspace(low[c], high[c], bins + 1),
                counts=counts[c],
            )
            for c in names
        }


def open_dataset(path: str | Path) -> SweepDataset:
    """The complete dataset in folder ``path``; a :class:`~capacity.errors.DatasetError` if
    it has no manifest (a run that failed, was stopped or still runs) or a part is missing
    or not the size the manifest gives."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        kind = "a file" if folder.exists() else "not there"
        raise InputError(f"dataset: {str(folder)!r} is {kind}; give a sweep's dataset folder")
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        with os.scandir(folder) as entries:
            staged = any(e.name.startswith(_STAGING_PREFIX) for e in entries)
        reason = (
            "a run is writing it, or one that wrote it was stopped before committing"
            if staged
            else "the run that wrote it failed or was stopped before committing it"
        )
        raise DatasetError(
            f"dataset {str(folder)!r} is incomplete: it has no {MANIFEST} ({reason}); run the "
            "sweep again"
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DatasetError(
            f"dataset {str(folder)!r}: cannot read {MANIFEST}: {error}; run the sweep again"
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != DATASET_FORMAT:
        raise DatasetError(
            f"dataset {str(folder)!r}: {MANIFEST} is not a {DATASET_FORMAT} manifest"
        )
    for part in manifest["parts"]:
        file = folder / part["name"]
        try:
            size = file.stat().st_size
        except OSError:
            raise DatasetError(
                f"dataset {str(folder)!r} is incomplete: part {part['name']} is missing; run "
                "the sweep again"
            ) from None
        if size != part["bytes"]:
            raise DatasetError(
                f"dataset {str(folder)!r}: part {part['name']} has {size} bytes, the manifest "
                f"says {part['bytes']}: it was changed after the run; run the sweep again"
            )
    return SweepDataset(folder, manifest)
