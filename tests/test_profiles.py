from __future__ import annotations

from pathlib import Path

import pytest

from capacity.errors import InputError, ProfileError, UnknownChipError
from capacity.figures import CONFIDENCE_LEVELS
from capacity.profiles import PROFILES_ENV, ProfileSet, load_profile, load_profiles

BUILTIN = Path(__file__).resolve().parents[1] / "hardware_profiles"
IDS = [
    "h100-sxm", "h100-pcie", "h200", "b200", "gb200", "b300", "gb300", "rubin", "mi300x",
    "mi325x", "mi350x", "mi355x", "mi455x", "tpu-v5e", "tpu-v5p", "tpu-v6e", "tpu-v7",
    "trainium2", "trainium3", "mtia-v2", "gaudi3", "openai-broadcom-xpu",
]  # fmt: skip


def test_every_reference_accelerator_has_a_profile(profiles: ProfileSet) -> None:
    assert sorted(profiles) == sorted(IDS)


@pytest.mark.parametrize(
    ("alias", "profile_id"),
    [("h100", "h100-sxm"), ("mi450", "mi455x"), ("ironwood", "tpu-v7"), ("H100", "h100-sxm")],
)
def test_aliases(profiles: ProfileSet, alias: str, profile_id: str) -> None:
    assert profiles[alias].id == profile_id


@pytest.mark.parametrize("profile_id", IDS)
def test_every_figure_is_sourced_and_graded(profiles: ProfileSet, profile_id: str) -> None:
    profile = profiles[profile_id]
    assert profile.figures()
    for name, figure in profile.figures().items():
        assert figure.confidence in CONFIDENCE_LEVELS, name
        assert figure.source, name
        if figure.confidence == "assumption":
            assert figure.summary, f"{profile_id}.{name} is an assumption without a rationale"


def test_undisclosed_accelerator_is_all_assumption(profiles: ProfileSet) -> None:
    figures = profiles["openai-broadcom-xpu"].figures()
    assert {f.confidence for f in figures.values()} == {"assumption"}


def test_derived_system_power_follows_tdp(profiles: ProfileSet) -> None:
    mi355x = profiles["mi355x"]
    assert mi355x.system.power_to_tdp is not None
    expected = mi355x.system.power_to_tdp.si * 8 * 1400
    assert mi355x.system.power.si == pytest.approx(expected, rel=1e-12)
    assert mi355x.system.power.confidence == "assumption"


def test_unknown_chip_lists_the_known_ones(profiles: ProfileSet) -> None:
    with pytest.raises(UnknownChipError, match=r"unknown chip 'h1000'; known: .*h100-sxm.*gaudi3"):
        profiles["h1000"]


def test_override_replaces_one_field_and_revalidates(profiles: ProfileSet) -> None:
    changed = profiles.with_overrides({"openai-broadcom-xpu.tdp": "1.2 kW"})
    xpu = changed["openai-broadcom-xpu"]
    assert xpu.tdp is not None and xpu.tdp.si == 1200.0
    assert xpu.tdp.confidence == "user-override"
    ratio = xpu.system.power_to_tdp
    assert ratio is not None
    assert xpu.system.power.si == pytest.approx(ratio.si * xpu.system.accelerators.si * 1200.0)
    assert profiles["openai-broadcom-xpu"].tdp.si != 1200.0  # type: ignore[union-attr]


def test_override_system_power_replaces_the_derivation(profiles: ProfileSet) -> None:
    changed = profiles.with_overrides({"mi355x.system.power": "20 kW"})
    assert changed["mi355x"].system.power.si == 20e3
    assert changed["mi355x"].system.power_to_tdp is None


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("h100.tdp", "700 kg", "field 'tdp'.*needs a power"),
        ("h100.busy_fraction", "1.5", "busy_fraction.*fraction in \\[0, 1\\]"),
        ("h100.idle_fraction", "0.9", "idle .* must not exceed busy"),
        ("h100.peak.bf16", "989 TFLOPs", "peak.bf16.*TFLOP/s"),
    ],
)
def test_bad_override_is_refused(profiles: ProfileSet, key: str, value: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        profiles.with_overrides({key: value})


def test_override_of_unknown_field_lists_fields(profiles: ProfileSet) -> None:
    with pytest.raises(InputError, match=r"unknown field 'colour'; known: .*tdp"):
        profiles.with_overrides({"h100.colour": "green"})
    with pytest.raises(UnknownChipError):
        profiles.with_overrides({"h1000.tdp": "1 kW"})


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / f"{name}.toml"
    path.write_text(text)
    return path


def _valid_profile(profile_id: str = "my-chip", **replace: str) -> str:
    parts = {
        "head": f'id = "{profile_id}"\nname = "My chip"\nvendor = "Me"\nyear = 2026\n',
        "tdp": 'tdp = { value = "500 W", confidence = "datasheet", source = "spec sheet" }\n',
        "system": (
            '[system]\nname = "box"\n'
            'accelerators = { value = 4, confidence = "datasheet", source = "spec" }\n'
            'power = { value = "3 kW", confidence = "datasheet", source = "spec" }\n'
        ),
        "behaviour": (
            "[power_behaviour]\n"
            'cluster_overhead = { value = 0.1, confidence = "assumption", source = "x", note = "Guess." }\n'
            'idle_fraction = { value = 0.2, confidence = "assumption", source = "x", note = "Guess." }\n'
            'busy_fraction = { value = 0.8, confidence = "assumption", source = "x", note = "Guess." }\n'
        ),
        "peak": '[peak]\nbf16 = { value = "1 PFLOP/s", confidence = "datasheet", source = "spec" }\n',
    }
    parts.update(replace)
    return "".join(parts.values())


def test_user_directory_adds_and_replaces(tmp_path: Path) -> None:
    _write(tmp_path, "my-chip", _valid_profile())
    _write(tmp_path, "h100-sxm", _valid_profile("h100-sxm").replace("My chip", "Replaced H100"))
    known = load_profiles(tmp_path, use_environment=False)
    assert known["my-chip"].system.power.si == 3000.0
    assert known["h100-sxm"].name == "Replaced H100"
    assert "h200" in known


def test_environment_variable_adds_profiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, "my-chip", _valid_profile())
    monkeypatch.setenv(PROFILES_ENV, str(tmp_path))
    assert "my-chip" in load_profiles()


def test_missing_profile_directory(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="does not exist"):
        load_profiles(tmp_path / "nowhere", use_environment=False)


@pytest.mark.parametrize(
    ("replace", "field"),
    [
        ({"tdp": 'tdp = { value = "500 Wh", confidence = "datasheet", source = "s" }\n'}, "tdp"),
        ({"tdp": 'tdp = { value = "500 W", confidence = "rumour", source = "s" }\n'}, "tdp"),
        ({"tdp": 'tdp = { value = "500 W", confidence = "datasheet" }\n'}, "tdp"),
        ({"tdp": 'tdp = { value = "-5 W", confidence = "datasheet", source = "s" }\n'}, "tdp"),
        ({"tdp": 'tdp = { value = "5 W", confidence = "assumption", source = "s" }\n'}, "tdp"),
        ({"tdp": 'tdp = "500 W"\n'}, "tdp"),
        ({"peak": "[peak]\n"}, "peak"),
        ({"peak": '[peak]\nfp3 = { value = "1 PFLOP/s", confidence = "datasheet", source = "s" }\n'},
         "peak.fp3"),
        ({"peak": '[peak]\nbf16 = { value = "1 PFLOPs", confidence = "datasheet", source = "s" }\n'},
         "peak.bf16"),
        ({"system": '[system]\nname = "box"\n'}, "system.accelerators"),
        ({"head": 'id = "my-chip"\nname = "My chip"\nvendor = "Me"\n'}, "year"),
        ({"head": 'id = "other"\nname = "x"\nvendor = "Me"\nyear = 2026\n'}, "id"),
    ],
)  # fmt: skip
def test_malformed_file_names_file_and_field(
    tmp_path: Path, replace: dict[str, str], field: str
) -> None:
    path = _write(tmp_path, "my-chip", _valid_profile(**replace))
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert str(path) in str(caught.value)
    assert f"field '{field}'" in str(caught.value)


def test_fraction_out_of_range(tmp_path: Path) -> None:
    behaviour = _valid_profile().split("[power_behaviour]")[1].split("[peak]")[0]
    bad = behaviour.replace("value = 0.8", "value = 1.3")
    path = _write(tmp_path, "my-chip", _valid_profile(behaviour="[power_behaviour]" + bad))
    with pytest.raises(ProfileError, match=r"my-chip.toml: field 'power_behaviour.busy_fraction'"):
        load_profile(path)


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "my-chip", "id = \n")
    with pytest.raises(ProfileError, match=r"my-chip.toml: not valid TOML"):
        load_profile(path)


def test_alias_clash_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "my-chip", 'aliases = ["h100"]\n' + _valid_profile())
    with pytest.raises(ProfileError, match="'h100' is already taken"):
        load_profiles(tmp_path, use_environment=False)


def test_builtin_files_are_the_package_data() -> None:
    assert sorted(p.stem for p in BUILTIN.glob("*.toml")) == sorted(IDS)


def test_the_built_in_sets_are_made_once_a_process() -> None:
    """A small call pays for no new set of the built-in profiles or grids (each checks
    every alias, or looks up every grid again)."""
    from capacity.grids import load_grids

    assert load_profiles(use_environment=False) is load_profiles(use_environment=False)
    assert load_grids(use_environment=False) is load_grids(use_environment=False)


@pytest.mark.parametrize(
    ("note", "summary"),
    [
        ("About 10 % of the power, i.e. 0.10 / 0.90 = 0.11. Applied to each box.",
         "About 10 % of the power, i.e. 0.10 / 0.90 = 0.11."),
        ("Measured by Newkirk et al. 2025 on H100 nodes. Not this chip.",
         "Measured by Newkirk et al. 2025 on H100 nodes."),
        ("One sentence without a stop", "One sentence without a stop"),
    ],
)  # fmt: skip
def test_a_notes_first_sentence_does_not_stop_at_an_abbreviation(note: str, summary: str) -> None:
    from capacity.figures import Figure
    from capacity.units import ureg

    figure = Figure(ureg.Quantity(1.0, ""), 1.0, "assumption", "a source", note)
    assert figure.summary == summary
