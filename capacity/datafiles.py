"""Reading the files a user names, within limits, and finding the user's own data files.

Every file is read the same way (``docs/trust-model.md`` gives the reasons):

- only a regular file (or a link to one) is opened; a directory, device, FIFO or socket is
  refused by name before a byte is read;
- its size must be within the limit for its kind, checked before reading, and the read
  itself stops one byte past the limit, so a file that grows meanwhile cannot fill memory;
- TOML may nest arrays and inline tables at most :data:`TOML_DEPTH_LIMIT` deep and write
  keys of at most :data:`TOML_KEY_PARTS_LIMIT` dotted parts, checked in one pass before
  :mod:`tomllib` parses (which recurses once per level and slows down quadratically with
  the parts of a key);
- an error names the file and the line, never the file's content.
"""

from __future__ import annotations

import functools
import os
import re
import stat
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from capacity.errors import CapacityError, ProfileError

__all__ = [
    "GRID_FILE_LIMIT",
    "PORTFOLIO_FILE_LIMIT",
    "PROFILE_FILE_LIMIT",
    "SAMPLES_FILE_LIMIT",
    "TOML_DEPTH_LIMIT",
    "TOML_KEY_PARTS_LIMIT",
    "as_path",
    "check_toml_nesting",
    "decode_text",
    "parse_toml",
    "read_bounded",
    "read_toml",
    "user_paths",
]

MIB = 1024 * 1024
# Size limits per kind of file, each far above what a real file of that kind needs.
PROFILE_FILE_LIMIT = 1 * MIB
"""A hardware profile or cost table: the built-in ones are under 10 kB."""
GRID_FILE_LIMIT = 4 * MIB
"""A file of reference grids: the built-in one, with a few dozen grids, is under 10 kB."""
PORTFOLIO_FILE_LIMIT = 16 * MIB
"""A portfolio: about 200,000 tranches of 80 bytes each."""
SAMPLES_FILE_LIMIT = 64 * MIB
"""A samples file: a million samples as text, or as a ``.npy`` array, with room to spare."""
# Nesting limits for TOML. The file formats nest inline tables two deep at most
# (``[deal.prices] accelerator = { h100 = "…" }``); tomllib fails with a RecursionError near
# a thousand levels, and its time grows with the square of a dotted key's parts.
TOML_DEPTH_LIMIT = 32
TOML_KEY_PARTS_LIMIT = 32


def read_bounded(
    path: str | Path, *, what: str, limit: int, error: type[CapacityError] = ProfileError
) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    Parameters
    ----------
    path : str or Path
        The file; a link to a regular file is followed.
    what : str
        The kind of file, for messages ("portfolio file").
    limit : int
        The largest size accepted. [byte]
    error : type
        The :class:`~capacity.errors.CapacityError` subclass to raise.

    Raises
    ------
    CapacityError
        ``error``, naming the file, for a file that is missing, unreadable, not a regular
        file, or larger than ``limit``.
    """
    path = Path(path)

    def failure(problem: str) -> CapacityError:
        return error(f"{path}: {problem}")

    try:
        _check_file(path, os.stat(path), what, limit, failure)
        # Not blocking: should the path turn into a FIFO after the check, opening it must not
        # wait for a writer; the descriptor is checked again below.
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        descriptor = os.open(path, flags)
        with os.fdopen(descriptor, "rb") as file:
            _check_file(path, os.fstat(file.fileno()), what, limit, failure)
            data = file.read(limit + 1)
    except OSError as problem:
        raise failure(f"cannot read the {what} ({problem.strerror or problem})") from None
    if len(data) > limit:
        raise failure(f"the {what} grew past the {_size_text(limit)} limit while it was read")
    return data


def _check_file(path: Path, status: os.stat_result, what: str, limit: int, failure: Any) -> None:
    if not stat.S_ISREG(status.st_mode):
        raise failure(
            f"is {_file_type(status.st_mode)}, not a regular file; a {what} must be a regular file"
        )
    if status.st_size > limit:
        raise failure(
            f"the file is {_size_text(status.st_size)}, larger than the "
            f"{_size_text(limit)} limit for a {what}"
        )


def _file_type(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _size_text(size: int) -> str:
    """A size for messages: whole mebibytes as such (the limits, "16 MiB"), any other in
    decimal units ("3.2 GB")."""
    if size >= MIB and size % MIB == 0:
        return f"{size // MIB} MiB"
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def decode_text(
    data: bytes, where: str | Path, *, what: str, error: type[CapacityError] = ProfileError
) -> str:
    """``data`` as UTF-8 text; an error names the line of the first invalid byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as problem:
        line = data.count(b"\n", 0, problem.start) + 1
        raise error(f"{where}: line {line}: not UTF-8 text; a {what} must be UTF-8") from None


# The tokens of TOML that matter for nesting: a string or comment (skipped, brackets in it do
# not count), a bracket, and a dotted key (or number) of more parts than allowed. The
# quantifiers are possessive and a key starts at a word boundary, so a scan is linear even on
# text that is not TOML.
_KEY_PART = r"""[A-Za-z0-9_-]++|"(?:[^"\\\n]++|\\.)*+"|'[^'\n]*+'"""


@functools.cache
def _toml_tokens() -> re.Pattern[str]:
    """The pattern of TOML's nesting tokens, compiled on first use (it takes milliseconds)."""
    return re.compile(
        r'''(?P<long>"""(?:[^"\\]++|\\.|"(?!""))*+"{3,5}|'{3}(?:[^']++|'(?!''))*+'{3,5})'''
        rf"|(?<![A-Za-z0-9_-])(?P<key>(?:{_KEY_PART})"
        rf"(?:[ \t]*+\.[ \t]*+(?:{_KEY_PART})){{{TOML_KEY_PARTS_LIMIT},}})"
        r"""|(?P<short>"(?:[^"\\\n]++|\\.)*+"|'[^'\n]*+')"""
        r"|(?P<comment>#[^\n]*+)"
        r"|(?P<open>[\[{])|(?P<close>[\]}])",
        re.DOTALL,
    )


def check_toml_nesting(
    text: str, where: str | Path, *, what: str, error: type[CapacityError] = ProfileError
) -> None:
    """Refuse TOML nested deeper than :data:`TOML_DEPTH_LIMIT` or with a key of more than
    :data:`TOML_KEY_PARTS_LIMIT` dotted parts, in one linear pass."""
    depth = 0
    for token in _toml_tokens().finditer(text):
        kind = token.lastgroup
        if kind == "close":
            depth = max(depth - 1, 0)
        elif kind == "open":
            depth += 1
        if depth > TOML_DEPTH_LIMIT or kind == "key":
            line = text.count("\n", 0, token.start()) + 1
            problem = (
                f"a dotted key of more than {TOML_KEY_PARTS_LIMIT} parts"
                if kind == "key"
                else f"arrays and inline tables nest more than {TOML_DEPTH_LIMIT} levels deep"
            )
            raise error(f"{where}: line {line}: {problem}, more than a {what} may hold")


def parse_toml(
    text: str, where: str | Path, *, what: str, error: type[CapacityError] = ProfileError
) -> dict[str, Any]:
    """Parse TOML text within the nesting limits; an error names ``where``."""
    check_toml_nesting(text, where, what=what, error=error)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as problem:
        raise error(f"{where}: not valid TOML ({problem})") from None
    except RecursionError:  # a backstop: check_toml_nesting refuses such files first
        raise error(f"{where}: nested too deeply for a {what}") from None


def read_toml(
    path: str | Path,
    *,
    what: str = "profile file",
    limit: int = PROFILE_FILE_LIMIT,
    error: type[CapacityError] = ProfileError,
) -> dict[str, Any]:
    """Read and parse a TOML file within the limits; every error names the file.

    Raises
    ------
    CapacityError
        ``error`` (:class:`~capacity.errors.ProfileError` by default) for a file that is
        missing, not a regular file, larger than ``limit`` bytes, not UTF-8, nested too
        deeply or not valid TOML.
    """
    data = read_bounded(path, what=what, limit=limit, error=error)
    return parse_toml(
        decode_text(data, path, what=what, error=error), path, what=what, error=error
    )


def user_paths(
    given: Iterable[str | Path] | str | Path | None,
    environment_variable: str,
    use_environment: bool,
    name: str = "paths",
) -> list[Path]:
    """Paths from ``$environment_variable`` (``os.pathsep``-separated), then ``given`` (the
    argument ``name``, for errors)."""
    paths: list[Any] = []
    if use_environment and os.environ.get(environment_variable):
        paths += [p for p in os.environ[environment_variable].split(os.pathsep) if p]
    if isinstance(given, str | os.PathLike):
        paths.append(given)
    elif isinstance(given, Iterable):
        paths += list(given)
    elif given is not None:
        raise ProfileError(f"{name}: must be a path or a list of paths, got {given!r}")
    return [as_path(p, name, "a path or a list of paths").expanduser() for p in paths]


def as_path(value: Any, name: str, what: str, error: type[CapacityError] = ProfileError) -> Path:
    """``value`` as a :class:`~pathlib.Path`, or ``error`` naming ``name`` for anything that
    is not a non-empty str or path."""
    if not isinstance(value, str | os.PathLike) or not str(value).strip():
        raise error(f"{name}: must be {what}, got {value!r}")
    return Path(value)
