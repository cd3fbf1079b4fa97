"""Counter-based random numbers: Philox2x32-10 (Salmon et al., SC'11, "Random123").

Sample ``i`` of a random input is a pure function of the input's 32-bit key and ``i``, so
every backend, chunking and thread layout draws the same numbers, with no generator state
to carry between chunks. The arithmetic is on 64-bit unsigned integers that never exceed
2**64 (32 × 32-bit products), so the same Python code runs under NumPy, numba's CPU target,
the CUDA target and the CUDA simulator without overflow.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

__all__ = ["philox2x32", "stream_key", "uniform", "uniform_array"]

_MULTIPLIER = np.uint64(0xD256D193)
_KEY_BUMP = np.uint64(0x9E3779B9)
_LOW32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)
_SHIFT5 = np.uint64(5)
_SHIFT6 = np.uint64(6)
_ROUNDS = 10
# 2**-53 and 2**26: 27 + 26 random bits make a double in (0, 1)
_EPSILON = 1.0 / 9007199254740992.0
_HIGH_SCALE = 67108864.0


def philox2x32(counter_low: Any, counter_high: Any, key: Any) -> tuple[Any, Any]:
    """The two 32-bit outputs of Philox2x32-10 (each held in a uint64)."""
    x0 = counter_low
    x1 = counter_high
    k = key
    for r in range(_ROUNDS):
        if r > 0:
            k = (k + _KEY_BUMP) & _LOW32
        product = _MULTIPLIER * x0
        x0 = (product >> _SHIFT32) ^ k ^ x1
        x1 = product & _LOW32
    return x0, x1


def uniform(key: Any, index: Any) -> float:
    """Sample ``index`` (an int ≥ 0) of the uniform stream ``key``, in the open interval (0, 1)."""
    i = np.uint64(index)
    x0, x1 = philox2x32(i & _LOW32, i >> _SHIFT32, key)
    # 27 and 26 bits: exact in an int32, whose conversion to a double vectorizes (a uint64's
    # does not, without AVX-512)
    high = float(np.int32(x0 >> _SHIFT5))
    low = float(np.int32(x1 >> _SHIFT6))
    return (high * _HIGH_SCALE + low + 0.5) * _EPSILON


def uniform_array(key: int, indices: np.ndarray) -> np.ndarray:
    """:func:`uniform` for an array of sample indices, with NumPy."""
    i = np.asarray(indices).astype(np.uint64)
    x0, x1 = philox2x32(i & _LOW32, i >> _SHIFT32, np.uint64(key))
    high = (x0 >> _SHIFT5).astype(np.float64)
    low = (x1 >> _SHIFT6).astype(np.float64)
    return (high * _HIGH_SCALE + low + 0.5) * _EPSILON  # type: ignore[no-any-return]


def stream_key(seed: int, name: str) -> int:
    """The 32-bit key of the random input called ``name`` in a run seeded with ``seed``.

    Keys come from the input's name, not its position, so adding an input to a run leaves
    every other input's samples unchanged.
    """
    entropy = [int(seed), zlib.crc32(name.encode("utf-8"))]
    return int(np.random.SeedSequence(entropy).generate_state(1, dtype=np.uint32)[0])
