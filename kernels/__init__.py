"""Compute kernels and backend selection, installed as ``capacity.kernels``.

The conversion chain (``capacity.chain``) is plain NumPy and needs no kernel; the sweep
engine's numba and CUDA kernels live here.
"""
