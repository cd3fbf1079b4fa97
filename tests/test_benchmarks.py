"""The benchmark suite runs end to end (at tiny sizes); performance itself is not asserted."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.run import main


def test_quick_benchmark_writes_every_case(tmp_path: Path) -> None:
    output = tmp_path / "bench.json"
    assert main(["--quick", "--json", str(output)]) == 0
    document = json.loads(output.read_text())
    assert document["bandwidth"]["cpu"]["write_bytes_per_s"] > 0
    methods = {(row["case"], row["method"].split(" ")[0]) for row in document["rows"]}
    for case in ("materialized, K=4", "reduced, K=6"):
        for method in ("plain", "Python", "numpy", "numba"):
            assert (case, method) in methods
    for method in ("plain", "Python", "numpy", "numba"):
        assert ("Monte Carlo, 1 chip, 5 uncertain inputs", method) in methods
    assert ("Monte Carlo, OpenAI portfolio (4 deals)", "numba") in methods
    assert ("Monte Carlo, 1 chip, 5 uncertain inputs", "numba-before") in methods
    assert ("Monte Carlo, OpenAI portfolio (4 deals)", "rank") in methods
    before = next(r for r in document["rows"] if r["method"].startswith("numba-before"))
    assert "the current kernel runs" in before["note"]
    assert document["generator_draws_per_s"]["cpu"] > 0
    sampled = next(r for r in document["rows"] if r["case"].startswith("Monte Carlo")
                   and r["method"].startswith("numba"))  # fmt: skip
    assert 0 < sampled["fraction_of_generator"] < 1.5
    materialized = next(r for r in document["rows"] if r["method"].startswith("numba"))
    assert materialized["fraction_of_write_bandwidth"] > 0
    assert materialized["ratio_to_numpy"] > 0
