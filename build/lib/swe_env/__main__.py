"""``python -m swe_env`` runs the ``swe-env`` command."""

from swe_env.cli import main

main()
