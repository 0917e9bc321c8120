"""Read KPI catalogue YAML, keeping the file and line of every spec and field.

A catalogue file holds up to three lists, each item a mapping with a ``name``::

    sources:  [...]   # salescore.semantic.specs.Source
    measures: [...]   # salescore.semantic.specs.Measure
    kpis:     [...]   # salescore.semantic.specs.Kpi (by ``type``)

Every problem (bad YAML, a key written twice, an unknown key, a wrong type, a duplicate name, and
then every validation rule of :mod:`salescore.semantic.validation`) is reported with
``file:line``; the file is read by the one YAML reader, :mod:`salescore.semantic.yamlfile`.

>>> cat = load_catalog()
>>> "revenue_won" in cat.kpis and "opportunities" in cat.sources
True
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

from pydantic import BaseModel, TypeAdapter, ValidationError

from salescore.core.errors import Location
from salescore.core.text import Text
from salescore.model.org import Pipeline
from salescore.semantic.catalog import (
    SHIPPED_DIR,
    Catalog,
    Duplicate,
    FieldPath,
    SpecKind,
    SpecLocation,
)
from salescore.semantic.issues import Issue, raise_for
from salescore.semantic.specs import Kpi, Measure, Source
from salescore.semantic.yamlfile import LineMap, read_yaml_file, schema_issues

_SECTIONS: dict[str, SpecKind] = {"sources": "source", "measures": "measure", "kpis": "kpi"}
_KPI_ADAPTER: TypeAdapter[Kpi] = TypeAdapter(Kpi)


def load_catalog(user_dir: Path | str | None = None, *, pipeline: Pipeline | None = None,
                 shipped: bool = True) -> Catalog:
    """The shipped catalogue with ``user_dir``'s YAML merged over it, validated.

    Raises :class:`~salescore.core.errors.ConfigError` listing every issue with file:line.
    """
    catalog, issues = check_catalog(user_dir, pipeline=pipeline, shipped=shipped)
    raise_for(issues)
    return catalog


def check_catalog(user_dir: Path | str | None = None, *, pipeline: Pipeline | None = None,
                  shipped: bool = True) -> tuple[Catalog, list[Issue]]:
    """Load like :func:`load_catalog` but return the issues instead of raising."""
    from salescore.semantic.validation import validate

    catalog = Catalog()
    issues: list[Issue] = []
    if shipped:
        catalog, issues = read_folder(SHIPPED_DIR)
    if user_dir is not None:
        folder = Path(user_dir)
        if not folder.is_dir():
            issues.append(Issue("file", Text(f"catalogue folder {folder} does not exist",
                                             f"指标目录文件夹 {folder} 不存在"),
                                Location(str(folder))))
        else:
            user, user_issues = read_folder(folder)
            catalog = catalog.merged(user)
            issues += user_issues
    issues += validate(catalog, pipeline=pipeline)
    return catalog, issues


def read_folder(folder: Path) -> tuple[Catalog, list[Issue]]:
    """Every ``*.yaml``/``*.yml`` file in ``folder`` (sorted, not recursive) as one catalogue."""
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    return read_files(files)


def read_files(files: Iterable[Path]) -> tuple[Catalog, list[Issue]]:
    """The specs of ``files`` as one catalogue; a name declared twice is a :class:`Duplicate`."""
    specs: dict[SpecKind, dict[str, Any]] = {"source": {}, "measure": {}, "kpi": {}}
    locations: dict[tuple[SpecKind, str], SpecLocation] = {}
    duplicates: list[Duplicate] = []
    issues: list[Issue] = []
    for path in files:
        for kind, name, spec, loc in _read_file(path, issues):
            if (kind, name) in locations:
                duplicates.append(Duplicate(kind, name, locations[(kind, name)], loc))
                continue
            specs[kind][name] = spec
            locations[(kind, name)] = loc
    catalog = Catalog(sources=specs["source"], measures=specs["measure"], kpis=specs["kpi"],
                      locations=locations, duplicates=tuple(duplicates))
    return catalog, issues


def _read_file(path: Path, issues: list[Issue]) -> Iterable[tuple[SpecKind, str, Any,
                                                                   SpecLocation]]:
    doc = read_yaml_file(path)
    issues += doc.issues
    data, lines, file = doc.data, doc.lines, doc.lines.file
    if data is None:
        return
    if not isinstance(data, dict):
        issues.append(Issue("schema", Text("a catalogue file is a mapping with sources, "
                                           "measures and/or kpis",
                                           "指标目录文件应为包含 sources、measures、kpis 的映射"),
                            lines.locate(())))
        return
    for key, items in data.items():
        kind = _SECTIONS.get(str(key))
        if kind is None:
            issues.append(Issue("schema", Text(f"unknown section {key!r} (use sources, "
                                               "measures, kpis)",
                                               f"未知的段 {key!r}（可用 sources、measures、kpis）"),
                                lines.locate((key,))))
            continue
        if not isinstance(items, list):
            issues.append(Issue("schema", Text(f"{key} must be a list of mappings",
                                               f"{key} 应为映射列表"), lines.locate((key,))))
            continue
        for index, item in enumerate(items):
            base: FieldPath = (key, index)
            loc = SpecLocation(file, lines.lines.get(base, 1), lines.within(base))
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str):
                issues.append(Issue("schema", Text(f"{kind} #{index + 1} has no name",
                                                   f"第 {index + 1} 个{kind}缺少 name"),
                                    loc.at()))
                continue
            spec = _validate(kind, name, item, lines, base, issues)
            if spec is not None:
                yield kind, name, spec, loc


def _validate(kind: SpecKind, name: str, item: dict[str, Any], lines: LineMap, at: FieldPath,
              issues: list[Issue]) -> BaseModel | None:
    try:
        match kind:
            case "source":
                return Source.model_validate(item)
            case "measure":
                return Measure.model_validate(item)
            case "kpi":
                return cast(BaseModel, _KPI_ADAPTER.validate_python(item))
    except ValidationError as exc:
        for issue in schema_issues(exc, item, lines, at=at):
            issues.append(Issue("schema", Text(f"{kind} {name!r}: {issue.message}",
                                               f"{_KIND_ZH[kind]} {name!r}：{issue.message_zh}"),
                                issue.location))
    return None


_KIND_ZH: dict[SpecKind, str] = {"source": "数据源", "measure": "度量", "kpi": "指标"}
