from __future__ import annotations

import json

import numpy as np
import pytest

from capacity import (
    Grid,
    InputError,
    UnitError,
    UnknownChipError,
    UnknownGridError,
    convert,
    convert_accelerators,
    load_grids,
)
from capacity.units import ureg

# Hand-computed cases at the reference systems' own power (cluster overhead 0).
pytestmark = pytest.mark.usefixtures("reference_system_power")

JSON_KEYS = {
    "inputs", "accelerators", "accelerators_by_chip", "systems_by_chip", "it_power_w",
    "facility_power_w", "average_facility_power_w", "annual_energy_twh", "peak_flop_per_s",
    "delivered_flop_per_s", "flop_per_year", "grid_share", "assumptions", "warnings",
    "h100_equivalents", "dies", "dies_by_chip", "site", "environment",
}  # fmt: skip


def test_chain_by_hand_for_one_chip() -> None:
    result = convert("30 GW", chip="h100", pue=1.25, utilization=0.5, mfu=0.4)
    it_power = 30e9 / 1.25
    count = it_power / 1275
    assert result.it_power.to("W").magnitude == pytest.approx(it_power, rel=1e-15)
    assert result.accelerators.magnitude == pytest.approx(count, rel=1e-15)
    assert result.peak_flops.to("FLOP/s").magnitude == pytest.approx(count * 989.5e12)
    assert result.delivered_flops.to("FLOP/s").magnitude == pytest.approx(
        count * 989.5e12 * 0.5 * 0.4
    )
    average = 1.25 * count * 1275 * (0.25 + (0.76 - 0.25) * 0.5)
    assert result.average_facility_power.to("W").magnitude == pytest.approx(average)
    assert result.annual_energy.to("J").magnitude == pytest.approx(average * 365.25 * 86400)
    assert result.flop_per_year.to("FLOP").magnitude == pytest.approx(
        count * 989.5e12 * 0.2 * 365.25 * 86400
    )


def test_it_basis_multiplies_by_pue() -> None:
    result = convert("10 MW", chip="h100", basis="it", pue=1.5)
    assert result.it_power.to("MW").magnitude == pytest.approx(10)
    assert result.facility_power.to("MW").magnitude == pytest.approx(15)


def test_power_share_mix_splits_it_power() -> None:
    result = convert("10 GW", mix="gb300=0.5,mi355x=0.3,openai-broadcom-xpu=0.2")
    it_power = result.it_power.to("W").magnitude
    for chip, share in [("gb300", 0.5), ("mi355x", 0.3), ("openai-broadcom-xpu", 0.2)]:
        n = result.accelerators_by_chip[chip].magnitude
        w = result.power_per_accelerator[chip].to("W").magnitude
        assert n * w == pytest.approx(share * it_power, rel=1e-12)


def test_count_share_mix_splits_accelerators() -> None:
    result = convert("1 GW", mix={"h100": 0.25, "mi300x": 0.75}, mix_basis="count")
    h100 = result.accelerators_by_chip["h100-sxm"].magnitude
    mi300x = result.accelerators_by_chip["mi300x"].magnitude
    assert mi300x == pytest.approx(3 * h100, rel=1e-12)


def test_busy_provisioning_fits_more_accelerators() -> None:
    nameplate = convert("1 GW", chip="h100")
    busy = convert("1 GW", chip="h100", provision="busy")
    assert busy.accelerators.magnitude == pytest.approx(nameplate.accelerators.magnitude / 0.76)


def test_arrays_broadcast() -> None:
    pue = np.array([1.1, 1.2, 1.5])
    power = ureg.Quantity(np.array([[1.0], [10.0]]), "GW")
    result = convert(power, chip="gb300", pue=pue, utilization=0.7)
    assert result.accelerators.shape == (2, 3)
    for i, gw in enumerate([1.0, 10.0]):
        for j, p in enumerate(pue):
            single = convert(f"{gw} GW", chip="gb300", pue=float(p), utilization=0.7)
            assert result.accelerators.magnitude[i, j] == pytest.approx(
                single.accelerators.magnitude, rel=1e-15
            )
            assert result.grid_share["world"].energy.magnitude[i, j] == pytest.approx(
                single.grid_share["world"].energy.magnitude, rel=1e-15
            )
    document = result.to_dict()
    assert np.shape(document["accelerators"]) == (2, 3)
    json.dumps(document)


def test_mix_shares_may_be_arrays() -> None:
    share = np.linspace(0, 1, 5)
    result = convert("1 GW", mix={"h100": share, "b200": 1 - share})
    assert result.accelerators.shape == (5,)


def test_precision_falls_back_to_the_next_wider_format_and_says_so() -> None:
    result = convert("1 GW", mix="h100=0.5,b200=0.5", precision="fp4")
    assert result.precision_by_chip == {"h100-sxm": "fp8", "b200": "fp4"}
    assert any("h100-sxm has no native fp4: counted at fp8" in a for a in result.assumptions)


def test_chip_without_any_wider_format_contributes_nothing() -> None:
    result = convert("1 GW", chip="tpu-v7", precision="fp64")
    assert result.peak_flops.magnitude == 0
    assert result.precision_by_chip["tpu-v7"] is None
    assert any("no fp64 or wider format" in a for a in result.assumptions)


def test_assumption_grade_figures_are_named() -> None:
    result = convert("10 GW", chip="openai-broadcom-xpu")
    text = "\n".join(result.assumptions)
    for field in ("system.power", "system.accelerators", "peak.bf16"):
        assert f"openai-broadcom-xpu {field}" in text
    assert "[assumption]" in text


def test_overrides_apply_for_one_run() -> None:
    base = convert("10 GW", chip="openai-broadcom-xpu")
    hotter = convert("10 GW", chip="openai-broadcom-xpu",
                     overrides={"openai-broadcom-xpu.tdp": "1.2 kW"})  # fmt: skip
    assert hotter.accelerators.magnitude == pytest.approx(base.accelerators.magnitude / 1.2)
    assert any("user-override" in a for a in hotter.assumptions)


def test_epoch_method_needs_a_tdp() -> None:
    with pytest.raises(InputError, match=r"tpu-v7 does not publish.*--set tpu-v7\.tdp"):
        convert("1 GW", chip="tpu-v7", method="epoch")
    with pytest.raises(InputError, match="nameplate"):
        convert("1 GW", chip="h100", method="epoch", provision="busy")


def test_user_grid() -> None:
    ercot = Grid.create("ercot", "490 TWh", "145 GW")
    result = convert("14.5 GW", chip="h100", grids=[ercot, "world"])
    assert set(result.grid_share) == {"ercot", "world"}
    capacity = result.grid_share["ercot"].capacity
    assert capacity is not None and capacity.magnitude == pytest.approx(0.1)


def test_grid_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "grids.toml"
    path.write_text(
        '[ercot]\nname = "ERCOT"\nyear = 2024\n'
        'annual_energy = { value = "490 TWh", confidence = "press-estimate", source = "s" }\n'
    )
    grids = load_grids(path, use_environment=False)
    result = convert("1 GW", chip="h100", grids=["ercot"], grid_set=grids)
    average_load_w = 490e12 * 3600 / (365.25 * 86400)
    assert result.grid_share["ercot"].energy.magnitude == pytest.approx(
        result.average_facility_power.to("W").magnitude / average_load_w, rel=1e-12
    )


def test_to_dict_has_the_documented_keys() -> None:
    document = convert("1 GW", chip="h100").to_dict()
    assert set(document) == JSON_KEYS
    assert set(document["grid_share"]["us"]) == {"energy", "capacity", "exceeds_grid"}
    assert document["grid_share"]["world"]["capacity"] is None


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"power": "30 GWh"}, UnitError, "power: needs a power"),
        ({"power": 30}, UnitError, "needs a power with a unit"),
        ({"power": "-1 GW"}, InputError, "power must be finite and ≥ 0"),
        ({"pue": 0.9}, InputError, "pue must be ≥ 1, got 0.9"),
        ({"pue": np.array([1.2, 0.8])}, InputError, "pue must be ≥ 1, got 0.8"),
        ({"utilization": 1.2}, InputError, r"utilization must be in \[0, 1\], got 1.2"),
        ({"utilization": -0.1}, InputError, "utilization must be in"),
        ({"mfu": 2}, InputError, "mfu must be in"),
        ({"pue": float("nan")}, InputError, "pue must be"),
        ({"chip": "h1000"}, UnknownChipError, "unknown chip 'h1000'; known: .*h100-sxm"),
        ({"chip": None, "mix": "h100=0.5,b200=0.4"}, InputError, "must sum to 1, got 0.9"),
        ({"chip": None, "mix": "h100=0.5,h100-sxm=0.5"}, InputError, "twice"),
        ({"chip": None, "mix": "h100=1.5,b200=-0.5"}, InputError, "mix share of h100 must be"),
        ({"chip": None, "mix": "h100"}, InputError, "must be ID=SHARE"),
        ({"chip": None}, InputError, "give a chip or a mix"),
        ({"mix": "h100=1"}, InputError, "either chip or mix"),
        ({"basis": "site"}, InputError, "basis must be one of facility, it"),
        ({"provision": "max"}, InputError, "provision must be one of"),
        ({"precision": "fp3"}, InputError, "precision must be one of"),
        ({"method": "guess"}, InputError, "method must be one of"),
        ({"grids": ["mars"]}, UnknownGridError, "unknown grid 'mars'; known: world"),
    ],
)
def test_bad_input_raises_a_clear_error(kwargs: dict, error: type, message: str) -> None:  # type: ignore[type-arg]
    arguments = {"power": "1 GW", "chip": "h100", **kwargs}
    power = arguments.pop("power")
    with pytest.raises(error, match=message):
        convert(power, **arguments)


@pytest.mark.parametrize("count", ["-5", "lots", float("inf")])
def test_bad_counts(count: object) -> None:
    with pytest.raises((UnitError, InputError)):
        convert_accelerators(count, chip="h100")


def test_count_strings() -> None:
    assert convert_accelerators("4.5M", chip="h100").accelerators.magnitude == 4.5e6
