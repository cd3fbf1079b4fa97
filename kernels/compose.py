"""Compile the Monte Carlo scalar cores and the plain functions they call, for one target.

numba compiles a function's calls only to functions that are themselves compiled for the
same target. The scalar cores (:mod:`.random`, :mod:`.sampling`, :mod:`.scenario`) stay plain
Python in their own modules, so NumPy code and tests call them directly; :func:`compile_cores`
compiles each one, bottom up, with the names it calls rebound to their compiled versions (a
copy of the function with new globals; the source is unchanged).
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from capacity.kernels import point, random, sampling, scenario

__all__ = ["compile_cores"]

Jit = Callable[[Callable[..., Any]], Any]


def _rebound(function: Callable[..., Any], **names: Any) -> Callable[..., Any]:
    """``function`` with the global ``names`` replaced."""
    namespace = dict(function.__globals__)
    namespace.update(names)
    return types.FunctionType(
        function.__code__, namespace, function.__name__, function.__defaults__,
        function.__closure__,
    )  # fmt: skip


def compile_cores(jit: Jit) -> types.SimpleNamespace:
    """Every scalar core compiled with ``jit`` (``numba.njit(...)`` or
    ``numba.cuda.jit(device=True)``), by name: ``uniform``, ``uniform_sample``,
    ``triangular_sample``, ``clip``, ``draw``, ``draw_inputs``, ``scenario_quantities``."""
    philox = jit(random.philox2x32)
    uniform = jit(_rebound(random.uniform, philox2x32=philox))
    ndtri = jit(sampling.ndtri)
    uniform_sample = jit(sampling.uniform_sample)
    triangular_sample = jit(sampling.triangular_sample)
    normal_sample = jit(_rebound(sampling.normal_sample, ndtri=ndtri))
    pool_sample = jit(sampling.pool_sample)
    clip = jit(sampling.clip)
    draw = jit(
        _rebound(
            sampling.draw, uniform_sample=uniform_sample, triangular_sample=triangular_sample,
            normal_sample=normal_sample, pool_sample=pool_sample, clip=clip,
        )
    )  # fmt: skip
    input_value = jit(_rebound(scenario.input_value, uniform=uniform, draw=draw))
    return types.SimpleNamespace(
        uniform=uniform,
        uniform_sample=uniform_sample,
        triangular_sample=triangular_sample,
        clip=clip,
        draw=draw,
        draw_inputs=jit(_rebound(scenario.draw_inputs, input_value=input_value)),
        scenario_quantities=jit(
            _rebound(scenario.scenario_quantities, point_quantities=jit(point.point_quantities))
        ),
    )
