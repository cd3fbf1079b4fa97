"""Inputs that are files: only regular files, size and nesting limits, samples paths that stay
where they belong, errors that never quote a file, linear loading, dates up to 9999, and
replaced built-in profiles and grids marked in every output (docs/trust-model.md)."""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import capacity.datafiles
import capacity.distributions
from capacity import convert, montecarlo, sweep
from capacity.claims import check_claim
from capacity.cli.app import app
from capacity.costs import load_cost_defaults
from capacity.datafiles import (
    PORTFOLIO_FILE_LIMIT,
    SAMPLES_FILE_LIMIT,
    TOML_DEPTH_LIMIT,
    parse_toml,
    read_bounded,
)
from capacity.distributions import SamplesAccess, parse_distribution
from capacity.errors import CapacityError, InputError, ProfileError
from capacity.grids import Grid, load_grids
from capacity.portfolio import (
    PortfolioError,
    evaluate_portfolio,
    load_portfolio,
    loads_portfolio,
)
from capacity.profiles import ProfileSet, load_profile, load_profiles
from capacity.schedule import Ramp, Schedule, days_in_year

from .test_profiles import _valid_profile

runner = CliRunner()
TWO_DEALS = Path(__file__).parent / "data" / "portfolios" / "two-deals.toml"
DEEP = "a = " + "[" * 5000 + "]" * 5000 + "\n"
PASSWD_LINE = "root:x:0:0:root:/root:/bin/bash"
SECRET = "/bin/bash"  # a part of the line that appears in no path of the tests
ONE_DEAL = (
    '[portfolio]\nname = "test"\n[[deal]]\nname = "Campus"\ncounterparty = "Vendor"\n'
    'power = "1 GW"\nchip = "h100"\n'
)
H100_REPLACEMENT = _valid_profile("h100-sxm").replace(
    "year = 2026\n", 'year = 2026\naliases = ["h100"]\n'
)
GRID = (
    '[{id}]\nname = "My grid"\n'
    'annual_energy = {{ value = "4000 TWh", confidence = "measured", source = "my meter" }}\n'
)


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


def assert_one_error(result: Any, *fragments: str) -> str:
    """Exit code 2, nothing on stdout, and exactly one ``error:`` line holding ``fragments``."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return str(lines[0])


def run_isolated(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The CLI in its own process, under a time limit and a 2 GiB address-space limit."""

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    return subprocess.run(
        [sys.executable, "-m", "capacity", *args], cwd=cwd, capture_output=True, text=True,
        timeout=120, preexec_fn=limit_memory, check=False,
    )  # fmt: skip


def within_seconds(seconds: float, call: Callable[[], Any]) -> Any:
    """``call()``, failing the test (not hanging it) when it takes longer than ``seconds``."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = call()
        except BaseException as error:  # handed to the test below
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def sparse_file(path: Path, size: int) -> Path:
    with open(path, "wb") as file:
        file.truncate(size)
    return path


def portfolio_with(folder: Path, body: str, name: str = "p.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(ONE_DEAL + body + "\n", encoding="utf-8")
    return path


# --- only regular files ---------------------------------------------------------------------


needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["portfolio", "/dev/zero"], "/dev/zero: is a character device, not a regular file; "
                                     "a portfolio file must be a regular file"),
        (["grids", "--grid-file", "/dev/zero"], "/dev/zero: is a character device"),
        (["convert", "1GW", "--chip", "h100", "--grid-file", "/dev/zero"], "a grid file must"),
    ],
)  # fmt: skip
def test_devices_are_refused_without_reading_them(
    args: list[str], fragment: str, tmp_path: Path
) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    result = run_isolated(args, tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("error: ") and fragment in result.stderr


@needs_fifo
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "deals.toml"
    os.mkfifo(fifo)
    result = run_isolated(["portfolio", str(fifo)], tmp_path)
    assert result.returncode == 2
    assert "is a FIFO (named pipe), not a regular file" in result.stderr
    with pytest.raises(PortfolioError, match="is a FIFO"):
        within_seconds(30, lambda: load_portfolio(fifo))
    with pytest.raises(ProfileError, match="a grid file must be a regular file"):
        within_seconds(30, lambda: load_grids(fifo, use_environment=False))
    with pytest.raises(InputError, match=r"pue: .*is a FIFO"):
        within_seconds(30, lambda: parse_distribution(f"samples:{fifo}", "pue", lower=1.0))


def test_devices_and_directories_are_refused_by_the_api(tmp_path: Path) -> None:
    with pytest.raises(PortfolioError, match=r"^/dev/zero: is a character device"):
        within_seconds(30, lambda: load_portfolio("/dev/zero"))
    with pytest.raises(ProfileError, match=r"^/dev/zero: is a character device.*grid file"):
        within_seconds(30, lambda: load_grids("/dev/zero", use_environment=False))
    with pytest.raises(ProfileError, match=r"is a character device.*profile file"):
        within_seconds(30, lambda: load_profile("/dev/zero"))
    with pytest.raises(ProfileError, match=r"is a character device.*cost file"):
        within_seconds(30, lambda: load_cost_defaults("/dev/zero"))
    with pytest.raises(PortfolioError, match=f"^{tmp_path}: is a directory, not a regular file"):
        load_portfolio(tmp_path)
    with pytest.raises(InputError, match=r"pue: .*is a character device.*samples file"):
        within_seconds(30, lambda: parse_distribution("samples:/dev/zero", "pue", lower=1.0))


def test_cli_portfolio_directory_and_missing_file_are_one_error_line(tmp_path: Path) -> None:
    assert_one_error(run("portfolio", str(tmp_path)), "is a directory, not a regular file")
    assert_one_error(
        run("portfolio", str(tmp_path / "none.toml")),
        "none.toml: cannot read the portfolio file (No such file or directory)",
    )


def test_a_profile_directory_that_is_a_file_says_so(tmp_path: Path) -> None:
    file = tmp_path / "profiles"
    file.write_text("")
    assert_one_error(run("chips", "--profiles", str(file)), "is not a directory")


def test_a_link_to_a_regular_file_is_followed(tmp_path: Path) -> None:
    link = tmp_path / "link.toml"
    link.symlink_to(TWO_DEALS)
    assert [deal.name for deal in load_portfolio(link).deals] == ["Alpha", "Beta"]


def test_a_path_that_is_not_a_path_is_a_capacity_error() -> None:
    with pytest.raises(PortfolioError, match="path: must be the portfolio file's path, got None"):
        load_portfolio(None)  # type: ignore[arg-type]
    with pytest.raises(PortfolioError, match="text must be a str"):
        loads_portfolio(b"[portfolio]")  # type: ignore[arg-type]
    with pytest.raises(ProfileError, match="path: must be a profile file's path, got None"):
        load_profile(None)  # type: ignore[arg-type]
    with pytest.raises(CapacityError, match=r"directories must be a path .* got 5"):
        load_profiles(5, use_environment=False)  # type: ignore[arg-type]
    with pytest.raises(CapacityError, match=r"files must be a path .* got None"):
        load_grids([None], use_environment=False)  # type: ignore[list-item]


# --- size limits ----------------------------------------------------------------------------


def test_a_portfolio_over_the_limit_is_refused_with_both_sizes(tmp_path: Path) -> None:
    big = sparse_file(tmp_path / "big.toml", 3_200_000_000)
    message = "the file is 3.2 GB, larger than the 16 MiB limit for a portfolio file"
    assert_one_error(run("portfolio", str(big)), f"{big}: {message}")
    with pytest.raises(PortfolioError, match=message):
        load_portfolio(big)


def test_size_limits_of_grid_profile_and_samples_files(tmp_path: Path) -> None:
    grid = sparse_file(tmp_path / "grids.toml", 5_000_000)
    assert_one_error(
        run("grids", "--grid-file", str(grid)), "5.0 MB, larger than the 4 MiB limit for a grid"
    )
    folder = tmp_path / "profiles"
    folder.mkdir()
    sparse_file(folder / "big.toml", 2 << 20)
    assert_one_error(run("chips", "--profiles", str(folder)), "the 1 MiB limit for a profile file")
    samples = sparse_file(tmp_path / "pue.txt", SAMPLES_FILE_LIMIT + 1)
    with pytest.raises(
        InputError, match=r"pue: .*larger than the 64 MiB limit for a samples file"
    ):
        parse_distribution(f"samples:{samples}", "pue", lower=1.0)


def test_the_read_stops_at_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "f.toml"
    path.write_bytes(b"x" * 100)
    assert read_bounded(path, what="test file", limit=100) == b"x" * 100
    with pytest.raises(ProfileError, match="100 bytes, larger than the 99 bytes limit"):
        read_bounded(path, what="test file", limit=99)


def test_the_limits_leave_room_for_real_files() -> None:
    assert PORTFOLIO_FILE_LIMIT >= 16 << 20
    sizes = [p.stat().st_size for p in (Path(__file__).parent.parent / "examples").glob("*.toml")]
    assert sizes and max(sizes) < PORTFOLIO_FILE_LIMIT // 100


# --- nesting limits -------------------------------------------------------------------------


def test_deeply_nested_portfolio_is_a_portfolio_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(DEEP)
    message = (
        f"{path}: line 1: arrays and inline tables nest more than {TOML_DEPTH_LIMIT} levels "
        "deep, more than a portfolio file may hold"
    )
    with pytest.raises(PortfolioError) as raised:
        load_portfolio(path)
    assert str(raised.value) == message
    assert assert_one_error(run("portfolio", str(path))) == f"error: {message}"
    with pytest.raises(PortfolioError, match="<portfolio>: line 1: arrays and inline"):
        loads_portfolio(DEEP)


@pytest.mark.parametrize(
    "text",
    [
        DEEP,
        "a = " + "{b = " * 5000 + "1" + "}" * 5000,
        "[a" + ".a" * 5000 + "]\nx = 1",
        "a" + ".a" * 5000 + " = 1",
        '"a"' + '."a"' * 40 + " = 1",
    ],
    ids=["arrays", "inline-tables", "dotted-table", "dotted-key", "quoted-dotted-key"],
)
def test_every_toml_reader_refuses_deep_nesting(text: str, tmp_path: Path) -> None:
    grid_file = tmp_path / "grids.toml"
    grid_file.write_text(text)
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "x.toml").write_text(text)
    started = time.perf_counter()
    with pytest.raises(ProfileError, match=f"^{grid_file}: line 1: .*more than a grid file"):
        load_grids(grid_file, use_environment=False)
    with pytest.raises(ProfileError, match=r"x.toml: line 1: .*more than a profile file may hold"):
        load_profiles(folder, use_environment=False)
    with pytest.raises(PortfolioError, match=r"line 1: .*more than a portfolio file may hold"):
        loads_portfolio(text)
    assert time.perf_counter() - started < 5


def test_the_depth_limit_itself_is_allowed_and_brackets_in_strings_do_not_count() -> None:
    at_limit = "a = " + "[" * TOML_DEPTH_LIMIT + "]" * TOML_DEPTH_LIMIT
    depth, value = 0, parse_toml(at_limit, "f", what="test file")["a"]
    while value:
        depth, value = depth + 1, value[0]
    assert depth == TOML_DEPTH_LIMIT - 1
    with pytest.raises(ProfileError, match=f"more than {TOML_DEPTH_LIMIT} levels"):
        parse_toml("a = " + "[" * 33 + "]" * 33, "f", what="test file")
    brackets = "[" * 100
    raw = parse_toml(
        f'a = "{brackets}\\"{brackets}"\nb = \'{brackets}\'\n# {brackets}\n'
        f"c = \"\"\"\n{brackets}\n\"\"\"\nd = '''{brackets}'''\ne = [1.5, 2.5]\n",
        "f",
        what="test file",
    )
    assert raw["a"] == f'{brackets}"{brackets}' and raw["d"] == brackets
    portfolio = loads_portfolio(f'{ONE_DEAL}notes = "{brackets}"\n# {brackets}\n')
    assert portfolio.deals[0].notes == brackets


def test_a_recursion_error_is_a_backstop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(capacity.datafiles, "check_toml_nesting", lambda *a, **k: None)
    with pytest.raises(PortfolioError, match=r"^deep.toml: nested too deeply for a portfolio"):
        parse_toml(DEEP, "deep.toml", what="portfolio file", error=PortfolioError)


def test_text_that_is_not_utf8_names_the_line_not_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_bytes(ONE_DEAL.encode() + b'notes = "\xff\xfe secret"\n')
    line = ONE_DEAL.count("\n") + 1
    with pytest.raises(PortfolioError) as raised:
        load_portfolio(path)
    assert (
        str(raised.value) == f"{path}: line {line}: not UTF-8 text; a portfolio file must be UTF-8"
    )


# --- samples files --------------------------------------------------------------------------


def test_samples_in_a_portfolio_are_read_from_the_portfolio_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "deals"
    path = portfolio_with(folder, 'pue = "samples:pue.txt"')
    (folder / "pue.txt").write_text("1.1\n1.2\n1.3\n")
    (tmp_path / "pue.txt").write_text("9\n9\n")  # the one the current directory would find
    monkeypatch.chdir(tmp_path)
    assert load_portfolio(path).deals[0].pue.nominal() == 1.2
    result = run("portfolio", str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["inputs"][0]["pue"]["nominal"] == 1.2


@pytest.mark.parametrize(
    "target", ["../outside.txt", "{outside}", "link.txt", "sub/../../outside.txt"]
)
def test_samples_in_a_portfolio_may_not_leave_its_folder(target: str, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("1.1\n1.3\n")
    folder = tmp_path / "deals"
    (folder / "sub").mkdir(parents=True)
    (folder / "link.txt").symlink_to(outside)
    written = target.format(outside=outside)
    path = portfolio_with(folder, f'pue = "samples:{written}"')
    expected = (
        f"deal 'Campus': field 'pue': samples file '{written}' is outside '{folder}', the folder "
        "of the file that names it"
    )
    with pytest.raises(PortfolioError, match="allow_samples_outside=True") as raised:
        load_portfolio(path)
    assert expected in str(raised.value)
    assert_one_error(run("portfolio", str(path)), expected, "--allow-samples-outside")
    # Allowed explicitly, in the API and on the command line.
    pue = load_portfolio(path, allow_samples_outside=True).deals[0].pue
    assert pue.nominal() == pytest.approx(1.2, rel=1e-12)
    result = run("portfolio", str(path), "--allow-samples-outside", "--format", "json")
    assert result.exit_code == 0, result.output


def test_a_samples_folder_given_in_the_api_is_the_root(tmp_path: Path) -> None:
    data = tmp_path / "runs"
    data.mkdir()
    (data / "pue.txt").write_text("1.3\n1.4\n1.5\n")
    path = portfolio_with(tmp_path / "deals", 'pue = "samples:pue.txt"')
    assert load_portfolio(path, samples_folder=data).deals[0].pue.nominal() == 1.4
    escaping = portfolio_with(tmp_path / "deals", 'pue = "samples:../deals/p.toml"', "q.toml")
    with pytest.raises(PortfolioError, match=f"is outside '{data}'"):
        load_portfolio(escaping, samples_folder=data)


def test_loads_portfolio_confines_samples_to_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pue.txt").write_text("1.2\n")
    monkeypatch.chdir(tmp_path / ".")
    assert loads_portfolio(ONE_DEAL + 'pue = "samples:pue.txt"').deals[0].pue.nominal() == 1.2
    with pytest.raises(PortfolioError, match="samples file '/etc/hostname' is outside"):
        loads_portfolio(ONE_DEAL + 'pue = "samples:/etc/hostname"')


def test_samples_typed_on_the_command_line_are_relative_to_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pue.txt").write_text("1.25\n1.25\n")
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    result = run("montecarlo", "1GW", "--chip", "h100", "--pue", "samples:../pue.txt",
                 "--samples", "1000", "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert parse_distribution("samples:../pue.txt", "pue", lower=1.0).nominal() == 1.25
    with pytest.raises(InputError, match="is outside"):
        parse_distribution(
            "samples:../pue.txt", "pue", lower=1.0,
            samples_access=SamplesAccess(Path.cwd(), confined=True),
        )  # fmt: skip


def test_a_samples_error_names_the_line_and_never_echoes_the_file(tmp_path: Path) -> None:
    secret = tmp_path / "passwd"
    secret.write_text(f"1.2\n# a comment\n\n{PASSWD_LINE}\n")
    expected = (
        f"pue: samples file '{secret}': line 4: expected a plain number such as 1.2, one sample "
        "per line (blank lines and lines starting with # are skipped)"
    )
    with pytest.raises(InputError) as raised:
        parse_distribution(f"samples:{secret}", "pue", lower=1.0)
    assert str(raised.value) == expected
    message = assert_one_error(
        run("montecarlo", "1GW", "--chip", "h100", "--pue", f"samples:{secret}"), "line 4"
    )
    assert SECRET not in message
    path = portfolio_with(tmp_path, f'pue = "samples:{secret.name}"')
    with pytest.raises(PortfolioError, match=r"field 'pue': samples file '.*passwd': line 4") as e:
        load_portfolio(path)
    assert SECRET not in str(e.value)


def test_a_samples_error_for_quantities_says_what_was_expected(tmp_path: Path) -> None:
    path = tmp_path / "power.txt"
    path.write_text("1 GW\n2 GW\n3 GWh\n")
    with pytest.raises(InputError, match="line 3: expected a value of power with its unit, such "
                                         "as '30 GW'") as raised:  # fmt: skip
        parse_distribution(f"samples:{path}", "power", dimension="power", lower=0.0)
    assert "GWh" not in str(raised.value)


def test_samples_count_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(capacity.distributions, "SAMPLES_LIMIT", 3)
    text = tmp_path / "pue.txt"
    text.write_text("1.1\n1.2\n# not counted\n1.3\n")
    assert parse_distribution(f"samples:{text}", "pue", lower=1.0).samples.size == 3
    text.write_text("1.1\n1.2\n1.3\n1.4\n")
    with pytest.raises(InputError, match="4 samples, more than the 3 allowed"):
        parse_distribution(f"samples:{text}", "pue", lower=1.0)
    array = tmp_path / "pue.npy"
    np.save(array, np.full(4, 1.2))
    with pytest.raises(InputError, match="4 samples, more than the 3 allowed"):
        parse_distribution(f"samples:{array}", "pue", lower=1.0)


def test_npy_samples_are_checked_before_their_data_is_read(tmp_path: Path) -> None:
    good = tmp_path / "good.npy"
    np.save(good, np.array([1.1, 1.2, 1.3]))
    assert parse_distribution(f"samples:{good}", "pue", lower=1.0).nominal() == 1.2
    counts = tmp_path / "counts.npy"
    np.save(counts, np.array([1000, 2000, 3000]))
    assert parse_distribution(f"samples:{counts}", "n", dimension="count").nominal() == 2000
    cases = {
        "object.npy": (np.array(["x"], dtype=object), "holds object, not integers or floats"),
        "nan.npy": (np.array([1.2, np.nan]), "sample 1 (counting from 0) is not a plain number"),
        "huge.npy": (None, "the file ends before the 1,000,000 samples its header gives"),
        "text.npy": (None, "not a .npy array of numbers"),
    }
    for name, (array, fragment) in cases.items():
        path = tmp_path / name
        if array is not None:
            np.save(path, array, allow_pickle=True)
        elif name == "huge.npy":  # a header that promises far more data than the file holds
            np.save(path, np.zeros(1_000_000))
            path.write_bytes(path.read_bytes()[:1000])
        else:
            path.write_text(PASSWD_LINE)
        with pytest.raises(InputError, match="pue: samples file") as raised:
            parse_distribution(f"samples:{path}", "pue", lower=1.0)
        assert fragment in str(raised.value) and SECRET not in str(raised.value)
    with pytest.raises(
        InputError, match=r"a \.npy array holds plain numbers, and this input needs"
    ):
        parse_distribution(f"samples:{good}", "power", dimension="power", lower=0.0)


# --- loading in linear time -----------------------------------------------------------------


def _tranche_portfolio(count: int, spacing_days: int = 1, length_days: int | None = None) -> str:
    lines = [
        '[portfolio]\nname = "many"\n[[deal]]\nname = "d"\ncounterparty = "c"',
        f'accelerators = {count * 1000}\nchip = "h100"',
    ]
    first = date(2026, 1, 1)
    for index in range(count):
        start = first + timedelta(days=spacing_days * index)
        end = "" if length_days is None else f"\nend = {start + timedelta(days=length_days)}"
        lines.append(f"[[deal.tranche]]\nstart = {start}{end}\naccelerators = 1000")
    return "\n".join(lines) + "\n"


def test_twenty_thousand_tranches_load_in_linear_time(profiles: ProfileSet) -> None:
    # Before: every pair of tranches was compared for an overlap, 31 s on a 2-core VM.
    text = _tranche_portfolio(20_000)
    started = time.perf_counter()
    portfolio = loads_portfolio(text, profiles=profiles)
    assert time.perf_counter() - started < 5
    assert len(portfolio.deals[0].schedule.ramps) == 20_000  # type: ignore[union-attr]


def test_a_timeline_of_thousands_of_years_and_tranches_is_fast(profiles: ProfileSet) -> None:
    # 20,000 tranches from 2026 to 9965: asked year by year it took 314 s.
    portfolio = loads_portfolio(_tranche_portfolio(20_000, 145, 100), profiles=profiles)
    started = time.perf_counter()
    report = evaluate_portfolio(portfolio, profiles=profiles)
    assert time.perf_counter() - started < 10
    assert len(report.timeline) == 9965 - 2026 + 1
    assert report.timeline[-1].online_fraction["d"] == pytest.approx(1.0, rel=1e-9)


def test_overlap_found_after_sorting_names_the_two_tranches(profiles: ProfileSet) -> None:
    text = ONE_DEAL.replace('power = "1 GW"', 'power = "3 GW"') + "".join(
        f'[[deal.tranche]]\nstart = {start}\n{end}power = "1 GW"\n'
        for start, end in (
            ("2027-01-01", "end = 2027-12-31\n"),
            ("2026-01-01", "end = 2026-06-30\n"),
            ("2027-06-01", ""),
        )
    )
    with pytest.raises(PortfolioError, match=r"tranches 1 \(2027-01-01 … 2027-12-31\) and 3 "
                                             r"\(2027-06-01, at once\) overlap"):  # fmt: skip
        loads_portfolio(text, profiles=profiles)


def test_yearly_figures_in_one_pass_equal_asking_year_by_year() -> None:
    generator = random.Random(9)
    for _ in range(50):
        ramps = []
        for _ in range(generator.randint(1, 6)):
            start = date(2020, 1, 1) + timedelta(days=generator.randint(0, 3000))
            end = (
                None if generator.random() < 0.3 else start + timedelta(generator.randint(0, 900))
            )
            ramps.append(Ramp(start, end, generator.random()))
        schedule = Schedule.create(ramps)
        first, last = schedule.first_day.year - 1, schedule.last_day.year + 1
        expected = [
            (schedule.online_fraction(date(y, 12, 31)), schedule.year_online_days(y))
            for y in range(first, last + 1)
        ]
        np.testing.assert_allclose(schedule.by_year(first, last), expected, rtol=1e-12, atol=1e-9)


# --- dates up to 9999 -----------------------------------------------------------------------


def test_days_in_year_to_9999() -> None:
    assert [days_in_year(y) for y in (1, 1900, 2000, 2024, 9999)] == [365, 365, 366, 366, 365]


@pytest.mark.parametrize(
    ("schedule", "days_online_in_9999"),
    [
        ("start = 9999-01-01\nend = 9999-12-31", 182.5),
        ("start = 9999-12-31", 1.0),
        # 730 days from 9998-01-01: (730² − 365²) / (2 × 730) day-fractions in 9999
        ("start = 9998-01-01\nend = 9999-12-31", 273.75),
    ],
    ids=["ramp-through-9999", "step-on-the-last-day", "ramp-over-two-years"],
)
def test_schedules_near_year_9999_work(
    schedule: str, days_online_in_9999: float, profiles: ProfileSet, tmp_path: Path
) -> None:
    path = portfolio_with(tmp_path, schedule)
    report = evaluate_portfolio(load_portfolio(path, profiles=profiles), profiles=profiles)
    last = report.timeline[-1]
    assert last.year == 9999 and last.online_fraction["Campus"] == 1.0
    average_w = report.deals[0].conversion.average_facility_power.to("W").magnitude
    expected_j = average_w * days_online_in_9999 * 86_400
    assert last.energy.to("J").magnitude == pytest.approx(expected_j, rel=1e-12)
    for output_format in ("json", "table", "csv"):
        result = run("portfolio", str(path), "--format", output_format)
        assert result.exit_code == 0, result.output
    assert json.loads(run("portfolio", str(path), "--format", "json").stdout)["timeline"]


def test_a_date_past_9999_is_a_clean_error_naming_file_deal_and_field(tmp_path: Path) -> None:
    path = portfolio_with(tmp_path, 'start = "9999-01-01"\nend = "10000-01-01"')
    message = assert_one_error(run("portfolio", str(path)), "deal 'Campus': field 'end'")
    assert f"error: {path}: " in message
    path = portfolio_with(tmp_path, "start = 9999-01-01\nend = 10000-01-01")
    assert_one_error(run("portfolio", str(path)), f"{path}: not valid TOML")


# --- replaced built-in profiles and grids ---------------------------------------------------


@pytest.fixture
def replacements(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "h100-sxm.toml").write_text(H100_REPLACEMENT)
    grids = tmp_path / "grids.toml"
    grids.write_text(GRID.format(id="us"))
    return folder, grids


def test_replacing_profile_and_grid_know_what_they_replace(
    replacements: tuple[Path, Path],
) -> None:
    folder, grids = replacements
    profiles = load_profiles(folder, use_environment=False)
    note = f"profile h100-sxm read from {folder / 'h100-sxm.toml'} replaces the built-in profile"
    assert profiles["h100-sxm"].replaces == "the built-in profile"
    assert profiles.replaced == {"h100-sxm": note}
    assert profiles["gb300"].replaces is None
    # Overriding a field keeps the mark; an override alone is no replacement.
    assert profiles.with_overrides({"h100.tdp": "800 W"})["h100"].replacement_note == note
    builtin = load_profiles(use_environment=False)
    assert builtin.with_overrides({"h100.tdp": "800 W"}).replaced == {}
    grid = load_grids(grids, use_environment=False)["us"]
    assert grid.replacement_note == f"grid us read from {grids} replaces the built-in grid"
    in_code = load_grids(use_environment=False).with_grids([Grid.create("world", "1 TWh")])
    assert (
        in_code["world"].replacement_note == "grid world given in code replaces the built-in grid"
    )
    second = folder.parent / "second"
    second.mkdir()
    (second / "h100-sxm.toml").write_text(H100_REPLACEMENT)
    twice = load_profiles([folder, second], use_environment=False)
    assert twice["h100-sxm"].replaces == "the built-in profile"


def test_every_result_marks_a_replaced_profile_or_grid(replacements: tuple[Path, Path]) -> None:
    folder, grids = replacements
    profiles = load_profiles(folder, use_environment=False)
    grid_set = load_grids(grids, use_environment=False)
    profile_note = profiles.replaced["h100-sxm"]
    grid_note = grid_set["us"].replacement_note
    results = {
        "convert": convert("1 GW", chip="h100", profiles=profiles, grid_set=grid_set),
        "sweep": sweep("1 GW", chips="h100", pue="1.1:1.3:0.1", profiles=profiles,
                       grid_set=grid_set),
        "montecarlo": montecarlo("1 GW", chip="h100", pue="tri:1.1,1.2,1.3", samples=2000,
                                 profiles=profiles, grid_set=grid_set, backend="numpy"),
        "claims": check_claim("30 GW = 4M h100 = 20% of us", profiles=profiles,
                              grid_set=grid_set),
        "portfolio": evaluate_portfolio(load_portfolio(TWO_DEALS, profiles=profiles),
                                        profiles=profiles, grid_set=grid_set),
    }  # fmt: skip
    for name, result in results.items():
        assert profile_note in result.assumptions, name
        assert grid_note in result.assumptions, name
        assert profile_note in result.to_dict()["assumptions"], name
    other = convert("1 GW", chip="gb300", profiles=profiles)
    assert f"H100 equivalents: {profile_note}" in other.assumptions
    plain = convert("1 GW", chip="h100", profiles=load_profiles(use_environment=False))
    assert not any("replaces" in line for line in plain.assumptions)


@pytest.mark.parametrize(
    "args",
    [
        ["convert", "1GW", "--chip", "h100"],
        ["sweep", "1GW", "--chips", "h100"],
        ["montecarlo", "1GW", "--chip", "h100", "--samples", "1000"],
        ["portfolio", str(TWO_DEALS)],
        ["check", "30 GW = 4M h100 = 20% of us"],
    ],
    ids=["convert", "sweep", "montecarlo", "portfolio", "check"],
)
def test_every_command_marks_a_replaced_profile_and_grid(
    args: list[str], replacements: tuple[Path, Path]
) -> None:
    folder, grids = replacements
    options = ["--profiles", str(folder), "--grid-file", str(grids)]
    profile_note = f"profile h100-sxm read from {folder / 'h100-sxm.toml'} replaces the built-in"
    grid_note = f"grid us read from {grids} replaces the built-in grid"
    table = run(*args, *options)
    assert table.exit_code == 0, table.output
    document = json.loads(run(*args, *options, "--format", "json").stdout)
    for note in (profile_note, grid_note):
        assert note in " ".join(table.stdout.split()), args[0]
        assert any(note in line for line in _assumption_lines(document)), args[0]


def _assumption_lines(document: Any) -> list[str]:
    if isinstance(document, dict):
        found = list(document.get("assumptions", []) or [])
        return found + [line for value in document.values() for line in _assumption_lines(value)]
    if isinstance(document, list):
        return [line for value in document for line in _assumption_lines(value)]
    return []


def test_listings_mark_a_replaced_profile_and_grid(replacements: tuple[Path, Path]) -> None:
    folder, grids = replacements
    note = f"(*) profile h100-sxm read from {folder / 'h100-sxm.toml'} replaces the built-in"
    chips = run("chips", "--profiles", str(folder))
    assert "h100-sxm (h100) (*)" in chips.stdout and note in chips.stdout
    listing = json.loads(run("chips", "--profiles", str(folder), "--format", "json").stdout)
    assert listing["h100-sxm"]["replaces"] == "the built-in profile"
    assert listing["gb300"]["replaces"] is None
    assert note in run("show", "h100-sxm", "--profiles", str(folder)).stdout
    shown = json.loads(
        run("show", "h100-sxm", "--profiles", str(folder), "--format", "json").stdout
    )
    assert shown["replaces"] == "the built-in profile"
    assert "(*)" not in run("chips").stdout
    listed = run("grids", "--grid-file", str(grids))
    assert "us (*)" in listed.stdout
    assert f"(*) grid us read from {grids} replaces the built-in grid" in listed.stdout
    document = json.loads(run("grids", "--grid-file", str(grids), "--format", "json").stdout)
    assert document["us"]["replaces"] == "the built-in grid"
    assert document["world"]["replaces"] is None


def test_the_trust_model_states_the_limits_in_force() -> None:
    text = (Path(__file__).parent.parent / "docs" / "trust-model.md").read_text(encoding="utf-8")
    limits = {
        "portfolio": PORTFOLIO_FILE_LIMIT,
        "grid file": capacity.datafiles.GRID_FILE_LIMIT,
        "hardware profile, cost table": capacity.datafiles.PROFILE_FILE_LIMIT,
        "samples file": SAMPLES_FILE_LIMIT,
    }
    for kind, limit in limits.items():
        assert f"| {kind} | {limit >> 20} MiB |" in text, kind
    assert f"{capacity.distributions.SAMPLES_LIMIT:,} samples" in text
    assert f"at most {TOML_DEPTH_LIMIT} levels" in text
    assert issubclass(PortfolioError, CapacityError)
