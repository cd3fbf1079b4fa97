"""Command-line interface (typer): parse, call the public API, format."""

from capacity.cli.imports import install_import_hooks

install_import_hooks()
