"""Draw the charts and the example report that the documentation shows.

``python docs/charts.py`` writes docs/images/{convert,sweep,montecarlo,portfolio,compare}.png,
docs/reports/compare.html and, where Chromium is installed, a screenshot of that
report as docs/images/report.png. The images are not checked in CI (their bytes depend on
the versions of matplotlib and its fonts); rerun this after changing a chart.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
REPORTS = ROOT / "docs" / "reports"


def main() -> int:
    sys.path.insert(0, str(ROOT))
    import capacity
    from capacity.plots import save_figure
    from capacity.portfolio import evaluate_portfolio, load_portfolio, simulate_portfolio
    from capacity.report import write_report

    IMAGES.mkdir(exist_ok=True)
    REPORTS.mkdir(exist_ok=True)
    save_figure(capacity.convert("1 GW", chip="h100").plot(), IMAGES / "convert.png")
    sweep = capacity.sweep(
        "30 GW", chips="h100,gb300,mi355x", mix_step=0.1, pue="1.1:1.5:0.05",
        utilization="0.5:1:0.05", objective="max-delivered-flops",
        constraints=["average-power<=20GW"], backend="numpy",
    )  # fmt: skip
    save_figure(sweep.plot(), IMAGES / "sweep.png")
    montecarlo = capacity.montecarlo(
        "1 GW", chip="gb300", pue="tri:1.1,1.2,1.4", utilization="uniform:0.6,0.9",
        samples=100_000, backend="numpy", seed=1,
    )  # fmt: skip
    save_figure(montecarlo.plot(), IMAGES / "montecarlo.png")
    portfolio = load_portfolio(ROOT / "examples" / "openai-2025.toml")
    simulated = simulate_portfolio(portfolio, samples=100_000, backend="numpy", seed=1)
    save_figure(evaluate_portfolio(portfolio).plot(simulated), IMAGES / "portfolio.png")
    comparison = capacity.compare("1 GW", chips="h100,gb300,tpu-v7")
    save_figure(comparison.plot(), IMAGES / "compare.png")
    report = write_report(
        comparison, REPORTS / "compare.html",
        command="capacity report compare 1GW --chips h100,gb300,tpu-v7 --out report.html",
    )  # fmt: skip
    from tests.browser import Browser, find_chromium

    chromium = find_chromium()
    if chromium is None:
        print("no Chromium: docs/images/report.png left as it was", file=sys.stderr)
        return 0
    browser = Browser(chromium)
    try:
        visit = browser.visit(report, width=1280, height=1500)
    finally:
        browser.close()
    (IMAGES / "report.png").write_bytes(visit.screenshot_png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
