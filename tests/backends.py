"""The backends every sweep test runs on, and random problems to run them on.

``numpy`` and ``numba`` always run. ``cuda-sim`` runs the CUDA kernels in numba's simulator
and only in ``NUMBA_ENABLE_CUDASIM=1 pytest -m cudasim`` (the simulator has to be on before
numba's CUDA target is imported). ``cuda`` needs a real device and is skipped without one.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from capacity.kernels.backends import (
    Backend,
    CudaBackend,
    NumbaBackend,
    NumpyBackend,
    cuda_status,
)
from capacity.kernels.problem import SweepProblem

SIMULATED = os.environ.get("NUMBA_ENABLE_CUDASIM", "") == "1"

BACKEND_PARAMS = [
    pytest.param("numpy"),
    pytest.param("numba"),
    pytest.param(
        "cuda-sim",
        marks=[
            pytest.mark.cudasim,
            pytest.mark.skipif(not SIMULATED, reason="needs NUMBA_ENABLE_CUDASIM=1"),
        ],
    ),
    pytest.param(
        "cuda",
        marks=[
            pytest.mark.gpu,
            pytest.mark.skipif(
                SIMULATED or not cuda_status().usable, reason="needs a usable CUDA device"
            ),
        ],
    ),
]
# Compiled backends, checked against the numpy reference.
COMPILED_PARAMS = BACKEND_PARAMS[1:]


def make_backend(name: str) -> Backend:
    if name == "numpy":
        return NumpyBackend()
    if name == "numba":
        return NumbaBackend()
    if name == "cuda-sim":
        return CudaBackend(simulated=True)
    return CudaBackend()


def random_problem(
    rng: np.random.Generator, *, chips: int, shape: tuple[int, int, int, int],
    it_basis: bool = False, count_basis: bool = False,
) -> SweepProblem:  # fmt: skip
    """Random but valid figures: PUE ≥ 1, utilization in [0, 1], idle ≤ busy, shares sum to 1."""
    provisioned = rng.uniform(300.0, 3000.0, chips)
    idle = rng.uniform(0.1, 0.4, chips)
    busy = rng.uniform(0.5, 1.0, chips)
    n_power, n_pue, n_utilization, n_mix = shape
    return SweepProblem(
        power=rng.uniform(1e6, 5e10, n_power),
        pue=rng.uniform(1.0, 2.0, n_pue),
        utilization=rng.uniform(0.0, 1.0, n_utilization),
        mixes=rng.dirichlet(np.ones(chips), n_mix),
        mfu=float(rng.uniform(0.2, 1.0)),
        it_basis=it_basis,
        count_basis=count_basis,
        provisioned=provisioned,
        idle=idle,
        busy=busy,
        sizing=provisioned * np.where(rng.random(chips) < 0.5, busy, 1.0),
        flops=rng.uniform(1e13, 5e15, chips),
    )
