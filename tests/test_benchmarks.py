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
    materialized = next(r for r in document["rows"] if r["method"].startswith("numba"))
    assert materialized["fraction_of_write_bandwidth"] > 0
    assert materialized["ratio_to_numpy"] > 0
