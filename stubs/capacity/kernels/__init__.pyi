"""capacity.kernels for mypy: kernels/ (see stubs/README.md)."""
