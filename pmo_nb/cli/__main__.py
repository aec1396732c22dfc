"""``python -m pmo_nb.cli``: the ``pmo`` command (tests and services run it this way)."""

from pmo_nb.cli import main

main()
