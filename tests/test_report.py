"""``capacity report ... --out report.html``: one self-contained file, checked as text and in
a real browser (issue 12, item 3)."""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import capacity
from capacity.cli.app import app
from capacity.report import (
    CONTENT_SECURITY_POLICY,
    render_report,
    row_in_one_unit,
    shown,
    write_report,
)

from .browser import Browser, find_chromium
from .test_portfolio import TWO_DEALS

runner = CliRunner()

_CONVERSION = capacity.convert("30 GW", chip="h100")
_COMPARISON = capacity.compare("1 GW", chips="h100,gb300").row("delivered_flop_per_s")
REPORTS = {
    "convert": (["convert", "30GW", "--chip", "h100"],
                [f"{math.floor(float(_CONVERSION.accelerators.magnitude)):,}",
                 shown(float(_CONVERSION.delivered_flops.to("FLOP/s").magnitude), "FLOP/s")]),
    "power": (["convert", "10GW", "--load-factor", "0.8"], ["10 GW", "8.333 GW"]),
    "sweep": (["sweep", "30GW", "--chips", "h100,gb300", "--mix-step", "0.5", "--pue",
               "1.1,1.2", "--utilization", "0.5,1", "--backend", "numpy", "--objective",
               "max-delivered-flops"], ["12", "best: max-delivered-flops"]),
    "montecarlo": (["montecarlo", "1GW", "--chip", "h100", "--pue", "tri:1.1,1.2,1.4",
                    "--samples", "4000", "--backend", "numpy"], ["Uncertain inputs", "4,000"]),
    "portfolio": (["portfolio", str(TWO_DEALS), "--samples", "2000", "--backend", "numpy"],
                  ["3.6 GW", "Timeline"]),
    "compare": (["compare", "1GW", "--chips", "h100,gb300"],
                [shown(_COMPARISON.values[0], "FLOP/s"), f"(×{_COMPARISON.ratios[1]:.3g})"]),
}  # fmt: skip
# Texts every report holds: the sections and the grade of a figure.
SECTIONS = ("Inputs and results", "Assumptions and sources", "Reproduce", "capacity 0.1.0")


def make_reports(folder: Path) -> dict[str, Path]:
    paths = {}
    for name, (args, _) in REPORTS.items():
        path = folder / f"{name}.html"
        result = runner.invoke(app, ["report", *args, "--out", str(path)])
        assert result.exit_code == 0, (name, result.output)
        assert result.stdout == ""
        paths[name] = path
    return paths


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_reports(tmp_path_factory.mktemp("reports"))


@pytest.mark.parametrize("name", list(REPORTS))
def test_report_is_self_contained_with_inputs_tables_charts_and_sources(
    reports: dict[str, Path], name: str
) -> None:
    text = reports[name].read_text(encoding="utf-8")
    assert CONTENT_SECURITY_POLICY in text
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#|data:)""", text), "a reference out"
    assert "<script" not in text and "@import" not in text and "url(http" not in text
    for section in SECTIONS:
        assert section in text, section
    assert "<svg" in text  # the chart, inline
    args, numbers = REPORTS[name]
    for number in numbers:
        assert number in text, number
    command = re.search(r"<pre>(.*?)</pre>", text, re.S)
    assert command is not None
    assert command.group(1).startswith(f"capacity report {args[0]} ")
    assert command.group(1).endswith(f"--out {reports[name]}")
    if name not in ("power",):
        assert "datasheet" in text  # every figure with its grade
        assert 'class="grade flag"' in text  # assumption-grade figures stand out


def test_report_refuses_a_missing_or_wrong_out(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "convert", "1GW", "--chip", "h100"])
    assert result.exit_code == 2 and "--out FILE.html is required" in result.stderr
    result = runner.invoke(app, ["report", "convert", "1GW", "--chip", "h100", "--out",
                                 str(tmp_path / "r.pdf")])  # fmt: skip
    assert result.exit_code == 2 and "must end in .html" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_report_api_takes_any_result(tmp_path: Path) -> None:
    result = capacity.convert("1 GW", chip="gb300")
    path = write_report(result, tmp_path / "r.html", command="python script")
    assert "python script" in path.read_text(encoding="utf-8")
    with pytest.raises(capacity.InputError, match="no report"):
        render_report(object())


# --- in a real browser ------------------------------------------------------------------------

CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium: install Debian's chromium package (.ci/run does) to load the report "
    "in a headless browser",
)


def _not_blank(png: bytes) -> float:
    """The share of the screenshot's pixels that are not the page's background."""
    from matplotlib.image import imread

    pixels = imread(io.BytesIO(png), format="png")[..., :3]
    background = pixels[0, 0]
    return float(np.mean(np.any(np.abs(pixels - background) > 0.05, axis=-1)))


@needs_chromium
def test_reports_render_in_a_headless_browser(reports: dict[str, Path], tmp_path: Path) -> None:
    assert CHROMIUM is not None
    browser = Browser(CHROMIUM)
    try:
        for name, path in reports.items():
            visit = browser.visit(path)
            assert visit.console_errors == [], (name, visit.console_errors)
            assert visit.requests == [], (name, visit.requests)
            assert _not_blank(visit.screenshot_png) > 0.01, name  # blank: 0
            for number in REPORTS[name][1]:
                assert number in visit.text, (name, number)
            for section in SECTIONS:
                assert section in visit.text, (name, section)
            (tmp_path / f"{name}.png").write_bytes(visit.screenshot_png)
    finally:
        browser.close()


@pytest.mark.parametrize(
    ("values", "unit", "share", "expected"),
    [
        ([4.661e20, 1.319e21], "FLOP/s", False, ("ZFLOP/s", ["0.4661", "1.319"])),
        ([13440.0, 20300.0], "USD/year/accelerator", False,
         ("thousand USD/year/accelerator", ["13.44", "20.3"])),
        ([588824.4, None], "1", False, ("", ["588,824", "–"])),
        ([0.00134, 0.0838], "1", True, ("%", ["0.134", "8.38"])),
        ([2.017e9], "kgCO2e/year", False, ("Mt CO2e/year", ["2.017"])),
        ([1.436e7], "m**3/year", False, ("million m³/year", ["14.36"])),
        ([6.083e-10], "m**3/J", False, ("L/kWh", ["2.19"])),
        ([2.0e16], "J", False, ("TWh", ["5.556"])),
        ([6.58e8, 5.04e-8], "W", False, ("MW", ["658", "0"])),  # a spread of equal draws
    ],
)  # fmt: skip
def test_a_report_row_is_in_one_unit_that_people_quote(
    values: list[float | None], unit: str, share: bool, expected: tuple[str, list[str]]
) -> None:
    """Cells carried their own unit ("20.3 kUSD/year/accelerator (×1.51)", "GkgCO2e",
    "m**3/J") and pushed the side-by-side tables past the page's width."""
    assert row_in_one_unit(values, unit, share) == expected


def test_report_tables_read_in_quoted_units(reports: dict[str, Path]) -> None:
    for name, path in reports.items():
        text = path.read_text(encoding="utf-8")
        tables = "".join(re.findall(r"<table>.*?</table>", text, re.S))
        for wrong in ("**", "GkgCO2e", "kgCO2e/year", "kUSD", "GUSD", "m**3"):
            assert wrong not in tables, (name, wrong)
    compare = reports["compare"].read_text(encoding="utf-8")
    assert '<th class="number">h100-sxm</th>' in compare
