"""Stdlib-only building blocks: periods, fiscal calendar, scopes, errors, bilingual text."""
