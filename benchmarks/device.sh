#!/usr/bin/env bash
# The GPU check, prepared to run in one call of the device tool (see benchmarks/README.md):
# the kernel tests on the real device, then the whole benchmark suite. Results go to $OUT.
set -uo pipefail
out=${OUT:-/tmp/capacity-device}
mkdir -p "$out"
python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD
nvidia-smi >"$out/nvidia-smi.txt" 2>&1
python3 -c "from capacity.kernels.backends import cuda_status; print(cuda_status())" | tee "$out/status.txt"
# 1. Every backend test with the CUDA backend on the device (pyarrow and xarray are not there,
#    so only the tests marked gpu run; they need neither).
timeout 240 python3 -m pytest -q -p no:cacheprovider -m gpu tests/test_kernels.py tests/test_sweep.py tests/test_montecarlo.py \
    >"$out/tests-gpu.txt" 2>&1
echo "pytest -m gpu exit status $?" >>"$out/tests-gpu.txt"
# 2. The benchmark suite: every backend, the NumPy baselines and the bandwidth ceilings.
timeout 300 python3 -m benchmarks.run --json "$out/bench.json" >"$out/bench.txt" 2>&1
echo "benchmark exit status $?" >>"$out/bench.txt"
tail -n 5 "$out/tests-gpu.txt"
cat "$out/bench.txt"
