"""Writing a sweep's points to disk chunk by chunk, atomically.

Points go to Apache Parquet (one row per point, one row group per chunk) through pyarrow:
pandas, polars, DuckDB, R's arrow, Spark and Excel's Power Query all open it, it keeps each
column's type, and the repeated axis columns compress to almost nothing. The file is written
under a temporary name beside the destination and renamed into place only when the last
chunk is in, so an interrupted sweep (Ctrl-C, an exception, a killed process) never leaves a
partial file at the destination.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from capacity.errors import InputError

__all__ = ["PARQUET_SUFFIXES", "ParquetSink", "atomic_destination", "check_destination"]

PARQUET_SUFFIXES = (".parquet", ".pq")


def check_destination(path: str | Path, estimated_bytes: float) -> Path:
    """``path`` as a Path after checking its suffix, its folder and the free disk space."""
    path = Path(path).expanduser()
    if path.suffix.lower() not in PARQUET_SUFFIXES:
        raise InputError(
            f"out: {str(path)!r} must end in .parquet: sweeps stream to Apache Parquet "
            "(pandas.read_parquet, polars, DuckDB and R's arrow read it)"
        )
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"out: folder {str(folder)!r} does not exist")
    if path.is_dir():
        raise InputError(f"out: {str(path)!r} is a folder")
    free = shutil.disk_usage(folder).free
    if estimated_bytes > free:
        raise InputError(
            f"out: the sweep needs up to {estimated_bytes / 1e9:.3g} GB uncompressed and "
            f"{str(folder)!r} has {free / 1e9:.3g} GB free; use reduce, a coarser grid or "
            "another disk"
        )
    return path


@contextlib.contextmanager
def atomic_destination(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed to ``path`` if the block completes.

    On any exception, KeyboardInterrupt included, the temporary file is removed and the
    destination is left as it was.
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        yield temporary
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


class ParquetSink:
    """Row groups appended to one Parquet file; metadata (JSON) stored in its schema."""

    def __init__(self, path: Path, metadata: Mapping[str, Any]) -> None:
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
            self._writer.close()
            self._writer = None
