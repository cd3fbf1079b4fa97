"""Compile the Monte Carlo scalar cores and the plain functions they call, for one target.

numba compiles a function's calls only to functions that are themselves compiled for the
same target. The scalar core (:func:`~.scenario.scenario_quantities`) and its helpers stay
plain Python in their own modules, so NumPy code and tests call them directly;
:func:`compile_scenario` compiles each one, bottom up, with the names it calls rebound to
their compiled versions (a copy of the function with new globals; the source is unchanged).
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from capacity.kernels import random, sampling, scenario

__all__ = ["compile_scenario"]

Jit = Callable[[Callable[..., Any]], Any]


def _rebound(function: Callable[..., Any], **names: Any) -> Callable[..., Any]:
    """``function`` with the global ``names`` replaced."""
    namespace = dict(function.__globals__)
    namespace.update(names)
    return types.FunctionType(
        function.__code__, namespace, function.__name__, function.__defaults__,
        function.__closure__,
    )  # fmt: skip


def compile_scenario(jit: Jit) -> tuple[Any, Any]:
    """``draw_inputs`` and ``scenario_quantities`` compiled with ``jit``
    (``numba.njit(...)`` or ``numba.cuda.jit(device=True)``), with everything they call."""
    philox = jit(random.philox2x32)
    uniform = jit(_rebound(random.uniform, philox2x32=philox))
    ndtri = jit(sampling.ndtri)
    draw = jit(_rebound(sampling.draw, ndtri=ndtri))
    input_value = jit(_rebound(scenario.input_value, uniform=uniform, draw=draw))
    draw_inputs = jit(_rebound(scenario.draw_inputs, input_value=input_value))
    return draw_inputs, jit(scenario.scenario_quantities)
