"""``python -m capacity`` runs the command-line interface."""

from capacity.cli.app import main

main()
