"""Command-line interface (typer): parse, call the public API, format."""

from capacity.cli.pintdask import hide_dask_from_pint

hide_dask_from_pint()
