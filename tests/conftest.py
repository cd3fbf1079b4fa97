from __future__ import annotations

import pytest

from capacity.grids import GRIDS_ENV
from capacity.profiles import PROFILES_ENV, ProfileSet, load_profiles


@pytest.fixture(autouse=True)
def _no_user_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see the built-in profiles and grids only, whatever the shell has set."""
    monkeypatch.delenv(PROFILES_ENV, raising=False)
    monkeypatch.delenv(GRIDS_ENV, raising=False)


@pytest.fixture(scope="session")
def profiles() -> ProfileSet:
    return load_profiles(use_environment=False)
