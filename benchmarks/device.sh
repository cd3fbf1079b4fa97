#!/usr/bin/env bash
# The GPU check, prepared to run in one call of the device tool (see benchmarks/README.md):
# the kernel tests on the real device, then the whole benchmark suite. Results go to $OUT.
#
# capacity runs as installed from our wheel, which .whl/ carries with pint's wheels (the
# machine is offline; its own numpy, numba and CuPy stay in use). The tests and benchmarks
# run from a copy without capacity/, so that they import the installed package: in the
# source tree, capacity.kernels exists only through the install's package-dir mapping.
set -uo pipefail
out=${OUT:-/tmp/capacity-device}
mkdir -p "$out"
rm -rf /tmp/site
python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl || exit 1
# A wheel built before the last edit would measure old code: refuse it.
python3 - <<'EOF' || exit 1
import sys, tomllib
from pathlib import Path

setuptools = tomllib.loads(Path("pyproject.toml").read_text())["tool"]["setuptools"]
installed = Path("/tmp/site")
stale = [
    str(source)
    for package in setuptools["packages"]
    for source in Path(setuptools["package-dir"].get(package, package.replace(".", "/"))).iterdir()
    if source.suffix in (".py", ".toml")
    and not (
        (copy := installed.joinpath(*package.split("."), source.name)).is_file()
        and copy.read_bytes() == source.read_bytes()
    )
]
if stale:
    sys.exit(f"the wheel in .whl/ differs from {', '.join(stale[:5])}: rebuild it (benchmarks/README.md)")
EOF
work=/tmp/capacity-run
rm -rf "$work" && mkdir -p "$work"
cp -r tests benchmarks examples hardware_profiles pyproject.toml "$work"/
cd "$work"
export PYTHONPATH=/tmp/site
nvidia-smi >"$out/nvidia-smi.txt" 2>&1
python3 -c "import capacity; from capacity.kernels.backends import cuda_status; print('capacity', capacity.__version__, 'from', capacity.__file__); print(cuda_status())" | tee "$out/status.txt"
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
