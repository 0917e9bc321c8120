"""KPI, measure, source and filter specs; the YAML loader keeping file:line; validation rules.

Nothing here imports Ibis or a database driver: specs are data, compiled by
:mod:`salescore.compile`.
"""
