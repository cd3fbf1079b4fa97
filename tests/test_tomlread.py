"""One TOML reader helper: `capacity.tomlread.TableReader`, and the data files read through it
(profiles, grids, cost defaults, portfolios) naming the file and the field alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from capacity.costs import load_cost_defaults
from capacity.deals import PortfolioError
from capacity.errors import ProfileError
from capacity.grids import load_grids
from capacity.portfolio import loads_portfolio
from capacity.profiles import load_profile
from capacity.tomlread import TableReader

from .test_profiles import _valid_profile


def test_errors_name_the_file_the_owner_and_the_field() -> None:
    file = TableReader("x.toml")
    assert str(file.fail("pue", "bad")) == "x.toml: field 'pue': bad"
    assert str(file.within("system").fail("power", "bad")) == "x.toml: field 'system.power': bad"
    deal = TableReader("d.toml", PortfolioError).about("deal 'A'")
    error = deal.within("tranche[1]").fail("start", "bad")
    assert isinstance(error, PortfolioError)
    assert str(error) == "d.toml: deal 'A': field 'tranche[1].start': bad"


def test_unknown_keys_list_the_known_ones() -> None:
    with pytest.raises(
        ProfileError, match=r"^x.toml: field 'colour': unknown field; known: a, b$"
    ):
        TableReader("x.toml").check_keys({"a": 1, "colour": 2}, ("a", "b"))


def test_fields_of_each_type() -> None:
    fields = TableReader("x.toml")
    raw = {"name": "  box ", "blank": " ", "year": 2024, "flag": True, "power": "3 kW"}
    assert fields.text(raw, "name") == "box"
    assert fields.optional_text(raw, "notes") is None
    assert fields.optional_text(raw, "blank") == ""
    assert fields.whole_number(raw, "year", low=1, high=9999, what="a year") == 2024
    assert fields.si(raw["power"], "power", "power") == 3000.0
    problems = [
        (lambda: fields.text(raw, "blank"), "field 'blank': must be a non-empty string"),
        (lambda: fields.text(raw, "notes"), "field 'notes': required, missing"),
        (lambda: fields.whole_number(raw, "month", low=1, high=12, what="a month"), "missing"),
        (lambda: fields.whole_number(raw, "flag", low=0, high=1, what="a year"), "a year"),
        (lambda: fields.table(None, "system", "a table [system]"), "required, missing"),
        (lambda: fields.table(5, "system", "a table [system]"), "must be a table [system]"),
        (lambda: fields.quantity("3 kg", "power", "power"), "field 'power': needs a power"),
        (
            lambda: fields.si("3 parsecs/W", "x", "power"),
            "field 'x': needs a power (like '30 GW'), got 3 parsecs/W",
        ),
    ]
    for read, message in problems:
        with pytest.raises(ProfileError) as caught:
            read()
        assert message in str(caught.value)


def _profile(tmp_path: Path, **replace: str) -> Path:
    path = tmp_path / "my-chip.toml"
    path.write_text(_valid_profile(**replace))
    return path


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        (
            {"system": '[system]\nname = "box"\nfans = 4\n'},
            "field 'system.fans': unknown field; known: name, accelerators, power, power_to_tdp",
        ),
        ({"system": "[system]\n"}, "field 'system.name': required, missing"),
        ({"system": ""}, "field 'system': required, missing: write a table [system]"),
        (
            {"peak": '[peak]\nbf16 = { value = "1 PFLOP/s", confidence = "datasheet", '
             'source = "s", colour = "red" }\n'},
            "field 'peak.bf16.colour': unknown field; known: value, low, high",
        ),
        ({"behaviour": "[power_behaviour]\n"}, "field 'power_behaviour.cluster_overhead': "
         "required, missing"),
        ({"peak": "[peak]\n"}, "field 'peak': needs at least one dense peak"),
    ],
)  # fmt: skip
def test_profile_errors_name_the_field(
    tmp_path: Path, replace: dict[str, str], message: str
) -> None:
    path = _profile(tmp_path, **replace)
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_an_unknown_memory_field_is_named(tmp_path: Path) -> None:
    peak = '[peak]\nbf16 = { value = "1 PFLOP/s", confidence = "datasheet", source = "spec" }\n'
    path = _profile(tmp_path, peak=peak + '[memory]\nkind = "HBM3"\nsize = "80 GB"\n')
    with pytest.raises(ProfileError, match=r"field 'memory.size': unknown field; known: kind"):
        load_profile(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('ercot = "big"', "field 'ercot': must be a table [ercot] with name and annual_energy"),
        ('[ercot]\nname = "ERCOT"', "field 'ercot.annual_energy': a grid needs annual_energy"),
        ('[ercot]\nname = "ERCOT"\nyear = "2024"', "field 'ercot.year': must be a year"),
        ('[ercot]\nname = "ERCOT"\nyear = 10000', "field 'ercot.year': must be a year"),
        ('[ercot]\nname = "ERCOT"\nsize = 1', "field 'ercot.size': unknown field; known: name"),
    ],
)
def test_grid_file_errors_name_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "grids.toml"
    path.write_text(text + "\n")
    with pytest.raises(ProfileError) as caught:
        load_grids(path, use_environment=False)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_cost_file_unknown_table_lists_the_known_ones(tmp_path: Path) -> None:
    path = tmp_path / "costs.toml"
    path.write_text("[rent]\nvalue = 1\n")
    with pytest.raises(
        ProfileError, match=r"field 'rent': unknown field; known: network_storage_per_accelerator"
    ):
        load_cost_defaults(path)


@pytest.mark.parametrize(
    ("deal", "message"),
    [
        ('power = "1 GW"\nchip = "h100"\nnotes = 5',
         "deal 'a': field 'notes': must be a string, got 5"),
        ('power = "1 GW"\nchip = "h100"\n[deal.prices]\nelectricity = "80 USD"',
         "deal 'a': [prices]: field 'electricity': needs an energy price"),
        ('power = "1 GW"\nchip = "h100"\n[[deal.tranche]]\n'
         'start = 2026-01-01\npower = "1 GW"\nsize = 1',
         "deal 'a': field 'tranche[1].size': unknown field; known: start, end, power"),
    ],
)  # fmt: skip
def test_portfolio_errors_name_the_deal_and_the_field(deal: str, message: str) -> None:
    text = f'[portfolio]\nname = "p"\n[[deal]]\nname = "a"\ncounterparty = "b"\n{deal}\n'
    with pytest.raises(PortfolioError) as caught:
        loads_portfolio(text, name="p.toml")
    assert str(caught.value).startswith("p.toml: ")
    assert message in str(caught.value)
