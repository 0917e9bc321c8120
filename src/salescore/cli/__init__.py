"""The ``salescore`` command line (Typer + Rich)."""
