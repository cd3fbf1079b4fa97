"""``python -m capacity`` runs the command-line interface."""

from capacity.cli.app import main

# Guarded: the worker processes of a local Dask cluster import this module again.
if __name__ == "__main__":
    main()
