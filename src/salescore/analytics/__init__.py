"""Analyses over the canonical tables: expressions in, expressions out, never executing.

Each module is one analysis (the records that need action, the funnel, the sales cycle, …). It
builds unbound Ibis expressions over :func:`salescore.compile.schema.unbound` tables; a
workspace session runs them through its scoped runner, so an analysis never sees a row outside
the caller's scope and never connects to a warehouse itself.
"""
