"""Compute kernels and backend selection, installed as ``capacity.kernels``.

- ``point``: the chain at one sweep point, written once (plain Python) for every backend;
- ``problem``, ``partial``: what a chunk of a sweep is given, and its mergeable reduction;
- ``reference``: the NumPy reference every other backend is tested against;
- ``cpu``: numba CPU kernels; ``cuda``: CUDA kernels (numba's CUDA target, CuPy arrays);
- ``rows``: statistics of the outputs that depend on power and PUE alone;
- ``backends``: ``auto``/``numpy``/``numba``/``cuda`` and CUDA device detection;
- ``jit_options``: every numba compilation option.

The conversion chain itself (``capacity.chain``) is plain NumPy and needs no kernel.
"""
