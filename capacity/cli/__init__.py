"""Command-line interface (typer): parse, call the public API, format."""

from capacity.cli.pintimports import hide_optional_imports_from_pint

hide_optional_imports_from_pint()
