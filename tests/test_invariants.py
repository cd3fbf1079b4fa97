"""The invariants of docs/model.md#invariants as hypothesis property tests (backends: test_kernels.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capacity import convert, convert_accelerators, load_profiles
from capacity.units import ureg

PROFILES = load_profiles(use_environment=False)
CHIPS = list(PROFILES)
RTOL = 1e-12


@st.composite
def fleets(draw: st.DrawFn) -> dict[str, float]:
    chips = draw(st.lists(st.sampled_from(CHIPS), min_size=1, max_size=5, unique=True))
    weights = draw(st.lists(st.floats(0.01, 1.0), min_size=len(chips), max_size=len(chips)))
    total = sum(weights)
    return {chip: weight / total for chip, weight in zip(chips, weights, strict=True)}


common = {
    "pue": st.floats(1.0, 3.0),
    "utilization": st.floats(0.0, 1.0),
    "provision": st.sampled_from(["nameplate", "busy"]),
    "mix_basis": st.sampled_from(["power", "count"]),
}
settings.register_profile("capacity", deadline=None, max_examples=60)
settings.load_profile("capacity")


def _sizing(result, provision: str) -> np.ndarray:  # type: ignore[no-untyped-def]
    watts = []
    for chip in result.chips:
        busy = PROFILES[chip].busy_fraction.si if provision == "busy" else 1.0
        watts.append(result.power_per_accelerator[chip].to("W").magnitude * busy)
    return np.array(watts)


@given(mix=fleets(), gigawatts=st.floats(1e-6, 1e3), **common)
def test_capacity_is_never_over_committed(
    mix: dict[str, float], gigawatts: float, pue: float, utilization: float, provision: str,
    mix_basis: str,
) -> None:  # fmt: skip
    result = convert(ureg.Quantity(gigawatts, "GW"), mix=mix, pue=pue, utilization=utilization,
                     provision=provision, mix_basis=mix_basis, profiles=PROFILES)  # fmt: skip
    counts = np.array([result.accelerators_by_chip[c].magnitude for c in result.chips])
    committed = np.sum(counts * _sizing(result, provision))
    assert committed == pytest.approx(result.it_power.to("W").magnitude, rel=RTOL)


@given(mix=fleets(), gigawatts=st.floats(1e-3, 1e3), pue=st.floats(1.0, 3.0),
       factor=st.floats(0.1, 10.0))  # fmt: skip
def test_counts_inverse_in_pue_and_linear_in_power(
    mix: dict[str, float], gigawatts: float, pue: float, factor: float
) -> None:
    base = convert(ureg.Quantity(gigawatts, "GW"), mix=mix, pue=pue, profiles=PROFILES)
    higher_pue = convert(ureg.Quantity(gigawatts, "GW"), mix=mix, pue=pue * (1 + factor),
                         profiles=PROFILES)  # fmt: skip
    more_power = convert(ureg.Quantity(gigawatts * factor, "GW"), mix=mix, pue=pue,
                         profiles=PROFILES)  # fmt: skip
    for chip in base.chips:
        n = base.accelerators_by_chip[chip].magnitude
        assert higher_pue.accelerators_by_chip[chip].magnitude * (1 + factor) == pytest.approx(
            n, rel=RTOL
        )
        assert more_power.accelerators_by_chip[chip].magnitude == pytest.approx(
            n * factor, rel=RTOL
        )


@given(chip=st.sampled_from(CHIPS), factor=st.floats(0.2, 5.0))
def test_counts_inverse_in_power_per_accelerator(chip: str, factor: float) -> None:
    profile = PROFILES[chip]
    scaled = PROFILES.with_overrides(
        {f"{chip}.system.power": f"{profile.system.power.si * factor} W"}
    )
    base = convert("1 GW", chip=chip, profiles=PROFILES)
    changed = convert("1 GW", chip=chip, profiles=scaled)
    assert changed.accelerators.magnitude * factor == pytest.approx(
        base.accelerators.magnitude, rel=RTOL
    )


def _options(
    mix: dict[str, float], pue: float, utilization: float, provision: str, mix_basis: str
) -> dict[str, object]:
    return {"mix": mix, "pue": pue, "utilization": utilization, "provision": provision,
            "mix_basis": mix_basis, "profiles": PROFILES}  # fmt: skip


@given(mix=fleets(), gigawatts=st.floats(1e-3, 1e3), **common)
def test_forward_then_reverse_returns_the_power(
    mix: dict[str, float], gigawatts: float, pue: float, utilization: float, provision: str,
    mix_basis: str,
) -> None:  # fmt: skip
    options = _options(mix, pue, utilization, provision, mix_basis)
    forward = convert(ureg.Quantity(gigawatts, "GW"), **options)
    back = convert_accelerators(forward.accelerators.magnitude, **options)
    assert back.facility_power.to("GW").magnitude == pytest.approx(gigawatts, rel=RTOL)
    for chip in forward.chips:
        assert back.accelerators_by_chip[chip].magnitude == pytest.approx(
            forward.accelerators_by_chip[chip].magnitude, rel=RTOL
        )


@given(mix=fleets(), count=st.floats(1.0, 1e8), **common)
def test_reverse_then_forward_returns_the_count(
    mix: dict[str, float], count: float, pue: float, utilization: float, provision: str,
    mix_basis: str,
) -> None:  # fmt: skip
    options = _options(mix, pue, utilization, provision, mix_basis)
    reverse = convert_accelerators(count, **options)
    forward = convert(reverse.facility_power, **options)
    assert forward.accelerators.magnitude == pytest.approx(count, rel=RTOL)


@given(mix=fleets(), **common)
def test_average_power_never_exceeds_facility_power(
    mix: dict[str, float], pue: float, utilization: float, provision: str, mix_basis: str
) -> None:
    result = convert("1 GW", mix=mix, pue=pue, utilization=utilization, provision=provision,
                     mix_basis=mix_basis, profiles=PROFILES)  # fmt: skip
    assert result.average_facility_power.magnitude <= result.facility_power.magnitude * (1 + RTOL)


@given(mix=fleets(), pue=st.floats(1.0, 3.0))
def test_average_equals_facility_power_when_fully_busy_at_busy_sizing(
    mix: dict[str, float], pue: float
) -> None:
    result = convert("1 GW", mix=mix, pue=pue, utilization=1.0, provision="busy",
                     profiles=PROFILES)  # fmt: skip
    assert result.average_facility_power.to("W").magnitude == pytest.approx(1e9, rel=RTOL)


@given(mix=fleets(), pue=st.floats(1.0, 3.0))
def test_average_equals_facility_power_when_busy_draw_is_nameplate(
    mix: dict[str, float], pue: float
) -> None:
    always_full = PROFILES.with_overrides({f"{chip}.busy_fraction": "1" for chip in mix})
    result = convert("1 GW", mix=mix, pue=pue, utilization=1.0, provision="nameplate",
                     profiles=always_full)  # fmt: skip
    assert result.average_facility_power.to("W").magnitude == pytest.approx(1e9, rel=RTOL)


@given(
    gigawatts=st.floats(1e-3, 1e3),
    unit=st.sampled_from(["W", "kW", "MW", "GW", "TW", "hp", "erg/s", "BTU/hour"]),
)
def test_any_power_unit_gives_the_same_answer(gigawatts: float, unit: str) -> None:
    power = ureg.Quantity(gigawatts, "GW")
    in_unit = f"{float(power.to(unit).magnitude)!r} {unit}"
    expected = convert(power, chip="h100", profiles=PROFILES).accelerators.magnitude
    assert convert(in_unit, chip="h100", profiles=PROFILES).accelerators.magnitude == (
        pytest.approx(expected, rel=RTOL)
    )


@given(chip=st.sampled_from(CHIPS), overhead=st.floats(0.0, 1.0), gigawatts=st.floats(1e-3, 1e3))
def test_counts_inverse_in_one_plus_cluster_overhead(
    chip: str, overhead: float, gigawatts: float
) -> None:
    """W_k = system power ÷ accelerators × (1 + cluster_overhead): N_k scales as its inverse,
    and capacity stays exactly committed with the overhead."""
    power = ureg.Quantity(gigawatts, "GW")
    bare = convert(power, chip=chip, profiles=PROFILES, overrides={f"{chip}.cluster_overhead": 0})
    loaded = convert(power, chip=chip, profiles=PROFILES,
                     overrides={f"{chip}.cluster_overhead": overhead})  # fmt: skip
    assert loaded.accelerators.magnitude * (1 + overhead) == pytest.approx(
        bare.accelerators.magnitude, rel=RTOL
    )
    committed = loaded.accelerators.magnitude * loaded.power_per_accelerator[chip].magnitude
    assert committed == pytest.approx(loaded.it_power.to("W").magnitude, rel=RTOL)


@given(mix=fleets(), gigawatts=st.floats(1e-3, 1e3))
def test_dies_are_packages_times_dies_per_package(mix: dict[str, float], gigawatts: float) -> None:
    result = convert(ureg.Quantity(gigawatts, "GW"), mix=mix, profiles=PROFILES)
    expected = sum(
        result.accelerators_by_chip[chip].magnitude * PROFILES[chip].dies for chip in result.chips
    )
    assert result.dies.magnitude == pytest.approx(expected, rel=RTOL)


@given(mix=fleets(), gigawatts=st.floats(1e-3, 1e3))
def test_sparse_peak_is_never_below_the_dense_one(mix: dict[str, float], gigawatts: float) -> None:
    power = ureg.Quantity(gigawatts, "GW")
    dense = convert(power, mix=mix, precision="fp4", profiles=PROFILES)
    sparse = convert(power, mix=mix, precision="fp4", sparsity="sparse", profiles=PROFILES)
    assert sparse.peak_flops.magnitude >= dense.peak_flops.magnitude * (1 - RTOL)
    assert sparse.accelerators.magnitude == pytest.approx(dense.accelerators.magnitude, rel=RTOL)
