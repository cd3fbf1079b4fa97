"""Reading the TOML data files (profiles, grids) and finding the user's own."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from capacity.errors import ProfileError

__all__ = ["read_toml", "user_paths"]


def read_toml(path: Any) -> dict[str, Any]:
    """Parse a TOML file; an unreadable or invalid file raises :class:`ProfileError` naming it."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ProfileError(f"{path}: cannot read the file ({error.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ProfileError(f"{path}: not valid TOML ({error})") from None


def user_paths(
    given: Iterable[str | Path] | str | Path | None,
    environment_variable: str,
    use_environment: bool,
) -> list[Path]:
    """Paths from ``$environment_variable`` (``os.pathsep``-separated), then ``given``."""
    paths: list[str | Path] = []
    if use_environment and os.environ.get(environment_variable):
        paths += [p for p in os.environ[environment_variable].split(os.pathsep) if p]
    if isinstance(given, str | Path):
        paths.append(given)
    elif given is not None:
        paths += list(given)
    return [Path(p).expanduser() for p in paths]
