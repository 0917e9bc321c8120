"""KPI, measure, source and filter specs; scorecard plans; the YAML loader keeping file:line;
validation rules.

- :mod:`~salescore.semantic.yamlfile`: the one YAML reader (lines of key paths, duplicate keys,
  Pydantic errors placed on lines), used by the catalogue, plans and import mappings;
- :mod:`~salescore.semantic.issues` and :mod:`~salescore.semantic.rules`: the one ``Issue``
  (rule id, bilingual text, key path, file:line, severity) and the one ``Rule`` shape;
- KPI catalogue: ``specs``, ``catalog``, ``loader``, ``validation`` (its rules);
- plans: ``plan`` (the spec), ``plan_rules`` and ``plan_kpi_rules`` (its rules), ``plan_loader``.

Nothing here imports Ibis or a database driver: specs are data, compiled by
:mod:`salescore.compile`.
"""
