"""Command-line interface (typer): parse, call the public API, format."""
