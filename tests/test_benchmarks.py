"""The benchmark suite runs end to end (at tiny sizes); performance itself is not asserted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.cluster import Row, smallest_efficient
from benchmarks.cluster import main as cluster_main
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
    factorized = [r for r in document["rows"] if r["case"].startswith("exact reduction")]
    assert {r["method"] for r in factorized} >= {"factorized, numba (1e4)",
                                                 "numba reduce kernel (1e4)"}  # fmt: skip
    assert all("× the numba reduce kernel" in r["note"] for r in factorized
               if r["method"].startswith("factorized"))  # fmt: skip
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


def _cluster_row(chunk: int, efficiency: float | None) -> Row:
    return Row("case", "LocalCluster" if efficiency is not None else "in-process numba",
               chunk, 1, 1.0, 1, efficiency)  # fmt: skip


def test_the_efficient_chunk_is_the_smallest_from_which_every_larger_one_holds() -> None:
    rows = [_cluster_row(1 << 24, None), _cluster_row(1 << 16, 0.85),
            _cluster_row(1 << 18, 0.7), _cluster_row(1 << 20, 0.9), _cluster_row(1 << 24, 0.95)]  # fmt: skip
    assert smallest_efficient(rows) == {"case": 1 << 20}
    rows[-1].efficiency = 0.5
    assert smallest_efficient(rows) == {"case": None}


@pytest.mark.slow
def test_quick_cluster_benchmark_writes_both_cases(tmp_path: Path) -> None:
    pytest.importorskip("distributed", reason="needs the distributed extra")
    output = tmp_path / "cluster.json"
    assert cluster_main(["--quick", "--workers", "2", "--json", str(output)]) == 0
    document = json.loads(output.read_text())
    cases = {row["case"].split(",")[0] for row in document["rows"]}
    assert cases == {"reduced sweep", "Monte Carlo"}
    assert all(row["per_core_per_s"] > 0 for row in document["rows"])
    assert set(document["smallest_efficient_chunk"]) == {row["case"] for row in document["rows"]}
