from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from capacity.cli.app import app
from capacity.profiles import PROFILES_ENV

from .test_convert import JSON_KEYS
from .test_profiles import IDS, _valid_profile

# Hand-computed cases at the reference systems' own power (cluster overhead 0).
pytestmark = pytest.mark.usefixtures("reference_system_power")

runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), env=env)


def test_chips_lists_every_profile() -> None:
    result = run("chips")
    assert result.exit_code == 0, result.output
    for profile_id in IDS:
        assert profile_id in result.stdout
    document = json.loads(run("chips", "--format", "json").stdout)
    assert set(document) == set(IDS)
    assert document["h100-sxm"]["provisioned_power_per_accelerator_w"] == 1275.0
    assert document["openai-broadcom-xpu"]["power_confidence"] == "assumption"


def test_show_gives_every_field_with_source_and_confidence() -> None:
    result = run("show", "h100")
    assert result.exit_code == 0, result.output
    for text in ("h100-sxm", "system.power", "10.2 kW", "datasheet", "docs.nvidia.com",
                 "busy_fraction", "measured", "peak.bf16", "989.5 TFLOP/s"):  # fmt: skip
        assert text in result.stdout, text
    document = json.loads(run("show", "mi355x", "--format", "json").stdout)
    assert document["figures"]["system.power"]["confidence"] == "assumption"


def test_grids_lists_the_references() -> None:
    result = run("grids")
    assert result.exit_code == 0
    assert "global-datacenters" in result.stdout and "415 (2024)" in result.stdout


def test_convert_table_shows_inputs_results_and_assumptions() -> None:
    result = run("convert", "30GW", "--chip", "h100")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in ("PUE", "1.2 (default)", "utilization", "nameplate", "system", "19,607,843",
                 "2,450,980", "19.4 ZFLOP/s", "global-datacenters", "[assumption]"):  # fmt: skip
        assert text in out, text


def test_convert_json_is_one_object_with_the_documented_keys() -> None:
    result = run("convert", "10GW", "--mix", "gb300=0.5,mi355x=0.3,openai-broadcom-xpu=0.2",
                 "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) == JSON_KEYS
    assert set(document["accelerators_by_chip"]) == {"gb300", "mi355x", "openai-broadcom-xpu"}
    assert document["facility_power_w"] == pytest.approx(10e9)
    assert document["inputs"]["pue"] == 1.2
    assert any("openai-broadcom-xpu" in line for line in document["assumptions"])


def test_convert_a_count() -> None:
    result = run("convert", "200k", "--chip", "h100", "--pue", "1", "--format", "json")
    document = json.loads(result.stdout)
    assert document["accelerators"] == 200_000
    assert document["it_power_w"] == pytest.approx(200_000 * 1275)


def test_convert_csv() -> None:
    result = run("convert", "1GW", "--chip", "h100", "--format", "csv")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "entity,output,value,unit"  # tidy: one row per entity and output
    assert any(line.startswith("h100-sxm,accelerators,") for line in lines)
    # 1 GW / 1194 GW (EIA), named with its basis
    assert "total,grid_share_capacity_basis_us,0.00083752093" in result.stdout


def test_convert_options_reach_the_model() -> None:
    args = ["convert", "1GW", "--chip", "b200", "--pue", "1.5", "--utilization", "0.5",
            "--mfu", "0.4", "--provision", "busy", "--precision", "fp4", "--method", "system",
            "--grid", "world", "--grid", "us", "--format", "json"]  # fmt: skip
    document = json.loads(run(*args).stdout)
    assert document["inputs"]["precision"] == "fp4"
    assert set(document["grid_share"]) == {"world", "us"}
    expected = 1e9 / 1.5 / (1787.5 * 0.76)
    assert document["accelerators"] == pytest.approx(expected)
    assert document["delivered_flop_per_s"] == pytest.approx(expected * 9000e12 * 0.5 * 0.4)


def test_set_overrides_a_profile_field() -> None:
    base = json.loads(run("convert", "10GW", "--chip", "openai-broadcom-xpu", "--format",
                          "json").stdout)  # fmt: skip
    result = run("convert", "10GW", "--chip", "openai-broadcom-xpu", "--set",
                 "openai-broadcom-xpu.tdp=1.2kW", "--format", "json")  # fmt: skip
    document = json.loads(result.stdout)
    assert document["accelerators"] == pytest.approx(base["accelerators"] / 1.2)


def test_profiles_option_and_environment(tmp_path: Path) -> None:
    (tmp_path / "my-chip.toml").write_text(_valid_profile())
    result = run("convert", "1MW", "--chip", "my-chip", "--profiles", str(tmp_path),
                 "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["accelerators"] == pytest.approx(1e6 / 1.2 / (3000 / 4 * 1.1))
    result = run("chips", env={PROFILES_ENV: str(tmp_path)})
    assert "my-chip" in result.stdout


BAD_INPUTS = [
    (["convert", "30GWh", "--chip", "h100"], "needs a power"),
    (["convert", "5 kg", "--chip", "h100"], "a mass"),
    (["convert", "989 TFLOPs", "--chip", "h100"], "needs a power"),
    (["convert", "30GW", "--chip", "h1000"], "unknown chip 'h1000'; known: "),
    (["convert", "30GW", "--chip", "h100", "--pue", "0.9"], "pue must be ≥ 1, got 0.9"),
    (["convert", "30GW", "--chip", "h100", "--utilization", "1.5"], "utilization must be in"),
    (["convert", "30GW", "--chip", "h100", "--mfu", "-1"], "mfu must be in"),
    (["convert", "30GW", "--mix", "h100=0.5,b200=0.3"], "must sum to 1, got 0.8"),
    (["convert", "30GW", "--mix", "h100:0.5"], "must be ID=SHARE"),
    (["convert", "200k"], "a count of accelerators needs a chip"),
    (["convert", "30GW", "--utilization", "0.5"], "--utilization need a chip"),
    (["convert", "30GW", "--chip", "h100", "--load-factor", "0.8"], "--load-factor applies"),
    (["convert", "30GW", "--load-factor", "1.5"], "load_factor must be in [0, 1]"),
    (["convert", "30GW", "--chip", "h100", "--basis", "site"], "basis must be one of"),
    (["convert", "30GW", "--chip", "h100", "--precision", "int8"], "precision must be one of"),
    (["convert", "30GW", "--chip", "h100", "--grid", "mars"], "unknown grid 'mars'"),
    (["convert", "30GW", "--chip", "h100", "--set", "h100.tdp=7 kg"], "field 'tdp'"),
    (["convert", "30GW", "--chip", "h100", "--set", "h100.peak.bf16=989TFLOPs"], "TFLOP/s"),
    (["convert", "30GW", "--chip", "h100", "--set", "tdp=700W"], "ID.FIELD=VALUE"),
    (["convert", "30GW", "--chip", "h100", "--format", "xml"], "--format must be one of"),
    (["convert", "200k", "--chip", "h100", "--basis", "it"], "--basis applies to a power"),
    (["convert", "30GW", "--chip", "tpu-v7", "--method", "epoch"], "needs a TDP"),
    (["show", "h1000"], "unknown chip"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUTS)
def test_bad_input_is_one_line_on_stderr_with_exit_code_2(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert message in lines[0]
    assert "Traceback" not in result.output


def test_malformed_profile_directory_names_file_and_field(tmp_path: Path) -> None:
    (tmp_path / "my-chip.toml").write_text(_valid_profile().replace('"3 kW"', '"3 kWh"'))
    result = run("chips", "--profiles", str(tmp_path))
    assert result.exit_code == 2
    assert "my-chip.toml: field 'system.power'" in result.stderr


def test_grid_file_adds_a_grid(tmp_path: Path) -> None:
    grids = tmp_path / "grids.toml"
    grids.write_text(
        '[ercot]\nname = "ERCOT"\nyear = 2024\n'
        'annual_energy = { value = "490 TWh", confidence = "press-estimate", source = "s" }\n'
        'capacity = { value = "145 GW", confidence = "press-estimate", source = "s" }\n'
    )
    result = run("convert", "14.5GW", "--chip", "h100", "--grid-file", str(grids), "--grid",
                 "ercot", "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["grid_share"]["ercot"]["capacity"] == pytest.approx(0.1)
    assert "ercot" in run("grids", "--grid-file", str(grids)).stdout


def test_malformed_grid_file_names_file_and_field(tmp_path: Path) -> None:
    grids = tmp_path / "grids.toml"
    grids.write_text('[ercot]\nname = "ERCOT"\nannual_energy = { value = "490 TW", '
                     'confidence = "press-estimate", source = "s" }\n')  # fmt: skip
    result = run("convert", "1GW", "--chip", "h100", "--grid-file", str(grids))
    assert result.exit_code == 2
    assert "grids.toml: field 'ercot.annual_energy': needs an energy" in result.stderr


@pytest.mark.parametrize(
    "module",
    [
        "app",
        "check",
        "chips",
        "convert",
        "costs",
        "montecarlo",
        "portfolio",
        "sweep",
        "summarize",
        "options",
    ],
)
def test_each_command_module_imports_on_its_own(module: str) -> None:
    """No import cycle between a command and the app that registers every command."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", f"import capacity.cli.{module}"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("group", [[], ["report"]], ids=["capacity", "capacity report"])
def test_each_command_summary_is_one_line_on_a_wide_terminal(group: list[str]) -> None:
    """The commands' list rewraps each summary to the terminal and keeps none of its source's
    line breaks: on a wide terminal each is one line."""
    import inspect

    from capacity.cli.app import COMMANDS, _function
    from capacity.cli.report import REPORTED

    result = runner.invoke(app, [*group, "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    names = REPORTED if group else list(COMMANDS)
    for name in names:
        summary = (inspect.getdoc(_function(name)) or "").split("\n\n")[0]
        one_line = " ".join(summary.split())
        assert any(one_line in line for line in result.stdout.splitlines()), (name, one_line)


@pytest.mark.parametrize("command", [
    ["sweep", "1GW", "--chips", "my-chip", "--backend", "numpy"],
    ["report", "sweep", "1GW", "--chips", "h100,my-chip", "--mix-step", "0.5", "--backend",
     "numpy", "--out", "REPORT"],
])  # fmt: skip
def test_a_command_reads_the_users_profiles_once(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks, the run and the report of one command share one reading of --profiles."""
    import capacity.cli.options as options

    (tmp_path / "my-chip.toml").write_text(_valid_profile())
    command = [str(tmp_path / "r.html") if word == "REPORT" else word for word in command]
    reads: list[object] = []

    def counted_load(*args: object, **kwargs: object) -> object:
        reads.append(args)
        return load_profiles(*args, **kwargs)  # type: ignore[arg-type]

    load_profiles = options.load_profiles
    monkeypatch.setattr(options, "load_profiles", counted_load)
    result = run(*command, "--profiles", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert len(reads) == 1
