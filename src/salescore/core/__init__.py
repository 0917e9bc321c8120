"""Stdlib-only building blocks: periods, fiscal calendar, errors."""
