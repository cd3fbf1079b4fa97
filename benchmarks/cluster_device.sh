#!/usr/bin/env bash
# The GPU-worker check of docs/cluster.md, prepared for one call of the device tool: dask-cuda's
# LocalCUDACluster (one worker per GPU) runs a reduced sweep and a Monte Carlo run with backend
# auto; each must report the cuda backend and equal the in-process CUDA run with the same chunk
# size, to the last bit. Results go to $OUT (cluster-gpu.txt).
#
# The device machine has no network: put the wheels of dask, distributed, dask-cuda and their
# pure-Python dependencies (and pint's, as for device.sh) in .whl/ first, e.g.
#   pip download --only-binary=:all: --python-version 3.12 -d .whl "dask[distributed]" \
#       "dask-cuda[cu12]>=26.4" pint
set -uo pipefail
out=${OUT:-/tmp/capacity-device}
mkdir -p "$out"
python3 -m pip install -q --no-index --find-links .whl --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD
cat >"$out/cluster_gpu.py" <<'PY'
import time

import capacity
from dask_cuda import LocalCUDACluster
from distributed import Client

SWEEP = dict(power="10GW:40GW:10GW", chips="h100,b200,gb300,mi355x", mix_step=0.02,
             pue="1.05:1.6:0.01", utilization="0.3:1:0.02", reduce=True,
             objective="max-delivered-flops", chunk_points=1 << 26)
MONTE_CARLO = dict(power="uniform:20GW,40GW", mix="h100=0.5,b200=0.5", pue="tri:1.1,1.2,1.4",
                   utilization="uniform:0.5,0.9", samples=1 << 28, chunk_samples=1 << 24)

if __name__ == "__main__":
    here = capacity.sweep(**SWEEP, backend="cuda")
    sampled_here = capacity.montecarlo(**MONTE_CARLO, backend="cuda")
    with LocalCUDACluster() as cluster, Client(cluster) as client:
        started = time.perf_counter()
        there = capacity.sweep(**SWEEP, backend="auto", scheduler=client)
        print("sweep", there.points, "points on", there.backend_detail,
              f"{time.perf_counter() - started:.3g} s; in process {here.compute_seconds:.3g} s")
        sampled_there = capacity.montecarlo(**MONTE_CARLO, backend="auto", scheduler=client)
        print("montecarlo on", sampled_there.backend_detail,
              f"{sampled_there.compute_seconds:.3g} s; in process "
              f"{sampled_here.compute_seconds:.3g} s")
    same_sweep = all(
        (s.minimum, s.maximum, s.mean, s.counts.tolist())
        == (there.summary[n].minimum, there.summary[n].maximum, there.summary[n].mean,
            there.summary[n].counts.tolist())
        for n, s in here.summary.items()
    )
    top = sampled_here.groups[-1]
    same_samples = all(
        s is None or (s.mean, s.counts.tolist()) == (sampled_there.summaries[top][n].mean,
                                                     sampled_there.summaries[top][n].counts.tolist())
        for n, s in sampled_here.summaries[top].items()
    )
    print("backends", there.backend, sampled_there.backend)
    print("sweep equal", same_sweep, "best", here.best.index == there.best.index)
    print("montecarlo equal", same_samples)
PY
timeout 400 python3 "$out/cluster_gpu.py" >"$out/cluster-gpu.txt" 2>&1
echo "exit status $?" >>"$out/cluster-gpu.txt"
cat "$out/cluster-gpu.txt"
