"""A KPI catalogue: sources, measures and KPIs by name, with where each was declared.

The shipped catalogue lives in ``salescore/catalog/kpis/*.yaml``; an organisation's own folder of
the same YAML is merged over it (a spec with a shipped name replaces the shipped one).

>>> cat = shipped_catalog()
>>> cat.kpi("win_rate").type
'ratio'
>>> str(cat.where("kpi", "win_rate")).split("/")[-1].split(":")[0]
'results.yaml'
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

from salescore.core.errors import ConfigError, Location
from salescore.semantic.specs import Kpi, Measure, Source

SpecKind = Literal["source", "measure", "kpi"]
FieldPath = tuple[str | int, ...]
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "catalog" / "kpis"


@dataclass(frozen=True, slots=True)
class SpecLocation:
    """Where a spec is: its file, the line it starts on, and the line of each of its fields."""

    file: str
    line: int
    fields: Mapping[FieldPath, int] = field(default_factory=dict)

    def at(self, *path: str | int) -> Location:
        """The most precise location of ``path`` in the spec (else the spec's own line)."""
        for n in range(len(path), 0, -1):
            line = self.fields.get(tuple(path[:n]))
            if line is not None:
                return Location(self.file, line)
        return Location(self.file, self.line)


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A name declared twice in one catalogue folder."""

    kind: SpecKind
    name: str
    first: SpecLocation
    second: SpecLocation


@dataclass(frozen=True)
class Catalog:
    """Sources, measures and KPIs by name. Build with :mod:`salescore.semantic.loader`."""

    sources: Mapping[str, Source] = field(default_factory=dict)
    measures: Mapping[str, Measure] = field(default_factory=dict)
    kpis: Mapping[str, Kpi] = field(default_factory=dict)
    locations: Mapping[tuple[SpecKind, str], SpecLocation] = field(default_factory=dict)
    duplicates: tuple[Duplicate, ...] = ()
    overridden: tuple[tuple[SpecKind, str], ...] = ()

    def kpi(self, name: str) -> Kpi:
        """The KPI ``name``; a :class:`ConfigError` suggests close names for a typo."""
        try:
            return self.kpis[name]
        except KeyError:
            raise _unknown("KPI", "指标", name, self.kpis) from None

    def measure(self, name: str) -> Measure:
        try:
            return self.measures[name]
        except KeyError:
            raise _unknown("measure", "度量", name, self.measures) from None

    def source(self, name: str) -> Source:
        try:
            return self.sources[name]
        except KeyError:
            raise _unknown("source", "数据源", name, self.sources) from None

    def where(self, kind: SpecKind, name: str, *path: str | int) -> Location:
        """Where spec ``name`` (or its field ``path``) was declared."""
        loc = self.locations.get((kind, name))
        if loc is None:
            return Location("<built in>")
        return loc.at(*path)

    def merged(self, overlay: Catalog) -> Catalog:
        """This catalogue with ``overlay``'s specs added, replacing those of the same name."""
        overridden = tuple(
            key for key in overlay.locations
            if key in self.locations
        )
        return Catalog(
            sources={**self.sources, **overlay.sources},
            measures={**self.measures, **overlay.measures},
            kpis={**self.kpis, **overlay.kpis},
            locations={**self.locations, **overlay.locations},
            duplicates=self.duplicates + overlay.duplicates,
            overridden=self.overridden + overridden,
        )

    def dimensions(self) -> tuple[str, ...]:
        """Every dimension some source can be split by, sorted."""
        return tuple(sorted({d for s in self.sources.values() for d in s.dimensions}))


def _unknown(kind_en: str, kind_zh: str, name: str, known: Mapping[str, object]) -> ConfigError:
    close = difflib.get_close_matches(name, list(known), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    hint_zh = f"；是否想输入 {'、'.join(close)}？" if close else ""
    return ConfigError(f"unknown {kind_en} {name!r}{hint}",
                       message_zh=f"未知的{kind_zh} {name!r}{hint_zh}")


@cache
def shipped_catalog() -> Catalog:
    """The catalogue that ships with salescore, loaded and validated once per process."""
    from salescore.semantic.loader import load_catalog

    return load_catalog()
