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


@pytest.fixture
def reference_system_power(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every built-in profile with ``cluster_overhead`` 0: W_k is the reference system's power
    per accelerator, as the hand-computed cases of a module using this fixture assume (the
    DGX H100's 10.2 kW ÷ 8 = 1,275 W). The sourced defaults are tested in test_world.py."""
    import dataclasses
    from functools import cache

    from capacity import profiles as profiles_module
    from capacity.figures import Figure
    from capacity.units import ureg

    original = profiles_module._builtin_profiles
    zero = Figure(ureg.Quantity(0.0, ""), 0.0, "assumption", "test", "No cluster overhead.")

    @cache
    def without_overhead() -> tuple[profiles_module.Profile, ...]:
        profiles = []
        for profile in original():
            raw = dict(profile.raw)
            behaviour = dict(raw["power_behaviour"])
            behaviour["cluster_overhead"] = {
                "value": 0.0, "confidence": "assumption", "source": "test",
                "note": "No cluster overhead.",
            }  # fmt: skip
            raw["power_behaviour"] = behaviour
            profiles.append(dataclasses.replace(profile, cluster_overhead=zero, raw=raw))
        return tuple(profiles)

    monkeypatch.setattr(profiles_module, "_builtin_profiles", without_overhead)
