"""Reference values traceable to published figures, each with its tolerance and source."""

from __future__ import annotations

import pytest

from capacity import convert, convert_accelerators
from capacity.profiles import load_profiles

# Hand-computed cases at the reference systems' own power (cluster overhead 0).
pytestmark = pytest.mark.usefixtures("reference_system_power")

# Reference values computed apart from the code, from each reference system's published power
# (the profiles' sources; docs/model.md#power-per-accelerator): all-in IT power per accelerator
# (system power ÷ accelerators), accelerators per 1 GW of IT power, and dense BF16 EFLOP/s per
# GW of IT power, rounded to whole watts, whole accelerators and whole PFLOP/s per MW.
ALL_IN = [
    # chip, W per accelerator, accelerators per GW IT, BF16 EFLOP/s per GW IT
    ("h100-sxm", 1275, 784_314, 776),  # DGX H100: 10.2 kW / 8 (NVIDIA DGX H100 user guide)
    ("h200", 1275, 784_314, 776),  # DGX H200: same 10.2 kW chassis
    ("b200", 1787.5, 559_441, 1259),  # DGX B200: 14.3 kW / 8
    ("gb200", 1833.3, 545_455, 1364),  # GB200 NVL72: 132 kW / 72 (analyst figure)
    ("b300", 1750, 571_429, 1286),  # DGX B300: ~14 kW / 8
    ("gb300", 1875, 533_333, 1333),  # GB300 NVL72: 135 kW / 72 (Lenovo LP2357)
    ("rubin", 2638.9, 378_947, 1516),  # Vera Rubin NVL72: ~190 kW / 72 (unverified)
    ("tpu-v7", 1085.1, 921_600, 2126),  # Ironwood superpod: ~10 MW / 9,216 (press)
]


@pytest.mark.parametrize(("chip", "watts", "per_gw", "eflops_per_gw"), ALL_IN)
def test_all_in_power_and_counts_per_gigawatt(
    chip: str, watts: float, per_gw: int, eflops_per_gw: float
) -> None:
    profiles = load_profiles(use_environment=False)
    result = convert("1 GW", chip=chip, basis="it", pue=1.0, profiles=profiles)
    assert result.power_per_accelerator[profiles.resolve(chip)].to("W").magnitude == (
        pytest.approx(watts, rel=1e-4)
    )
    assert result.accelerators.magnitude == pytest.approx(per_gw, abs=1)
    assert result.peak_flops.to("EFLOP/s").magnitude == pytest.approx(eflops_per_gw, abs=0.5)


def test_dgx_h100_draws_its_nameplate_10_2_kw() -> None:
    # NVIDIA DGX H100 user guide: 10.2 kW maximum input for 8 GPUs.
    result = convert_accelerators(8, chip="h100", pue=1.0)
    assert result.it_power.to("kW").magnitude == pytest.approx(10.2, rel=1e-12)
    assert result.systems_by_chip["h100-sxm"].magnitude == pytest.approx(1.0, rel=1e-12)


def test_epoch_method_reproduces_epoch_facility_power_per_h100() -> None:
    # Epoch AI: facility W per accelerator = TDP × 1.82 × PUE = 700 W × 1.82 × 1.2.
    result = convert("1 GW", chip="h100", pue=1.2, method="epoch")
    assert result.accelerators.magnitude == pytest.approx(1e9 / (700 * 1.82 * 1.2), rel=1e-12)


def test_measured_busy_draw_of_h100_nodes() -> None:
    # Newkirk et al. 2025: H100 nodes under heavy training draw about 76 % of the 10.2 kW
    # nameplate, so a fully busy nameplate-sized fleet averages 76 % of its IT power.
    result = convert("1 GW", chip="h100", basis="it", pue=1.0, utilization=1.0)
    assert result.average_facility_power.to("GW").magnitude == pytest.approx(0.76, rel=1e-12)


def test_global_datacentre_energy_share() -> None:
    # IEA Energy and AI 2025: data centres used 415 TWh in 2024, an average load of
    # 415 TWh / 8766 h = 47.34 GW. A constant draw of that much is a share of 1.
    average_load_gw = 415e3 / (365.25 * 24)
    result = convert(f"{average_load_gw} GW", chip="h100", basis="it", pue=1.0,
                     utilization=1.0, provision="busy", grids=["global-datacenters"])  # fmt: skip
    assert result.grid_share["global-datacenters"].energy.magnitude == pytest.approx(1, rel=1e-12)
    assert result.annual_energy.to("TWh").magnitude == pytest.approx(415, rel=1e-12)


def test_lbnl_capacity_share() -> None:
    # LBNL 2024: the 2028 low scenario is 74 GW of US data-centre capacity.
    result = convert("74 GW", chip="gb300", grids=["us-datacenters-2028-low"])
    share = result.grid_share["us-datacenters-2028-low"]
    assert share.capacity is not None
    assert share.capacity.magnitude == pytest.approx(1.0, rel=1e-12)


def test_h100_equivalents_of_a_b200_fleet_at_bf16() -> None:
    # Dense BF16: B200 2,250 TFLOP/s vs H100 989.5 (NVIDIA HGX page, H100 datasheet).
    result = convert_accelerators(1000, chip="b200")
    assert result.h100_equivalents.magnitude == pytest.approx(1000 * 2250 / 989.5, rel=1e-12)
