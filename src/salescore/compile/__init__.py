"""Specs to unbound Ibis expressions. Nothing here connects to a database."""
