"""Read the organisation's settings file, ``<home>/salescore.yaml``, saying where each problem is.

The file is read by the one YAML reader (:mod:`salescore.semantic.yamlfile`), which keeps the
line of every key path; a stage's label in its old spelling (``label_en:`` and ``label_zh:``) is
read as ``label: {en: ..., zh: ...}`` with a ``deprecated-spelling`` warning at its line
(:func:`respell_settings`); then :class:`~salescore.model.org.OrgSettings` is validated. An
invalid file is one :class:`SettingsError` listing every error with file:line; warnings come
back beside the settings, to be shown to a person (:class:`SettingsFile`). Writing the file is
:func:`salescore.model.org.write_settings`, always in the one spelling.

>>> text = '''
... pipeline:
...   stages:
...     - {name: lead, label_en: Lead, label_zh: 线索}
...     - {name: won, status: won, label: {en: Won, zh: 赢单}}
...     - {name: lost, status: lost}
... '''
>>> settings, warnings = parse_settings(text, "salescore.yaml")
>>> [s.localized("zh_CN") for s in settings.pipeline.stages]
['线索', '赢单', 'lost']
>>> [str(w) for w in warnings]  # doctest: +NORMALIZE_WHITESPACE
['salescore.yaml:4: pipeline.stages[0].label_en: an old spelling, still read: write
  label: {en: ..., zh: ...} instead of label_en and label_zh [deprecated-spelling]']
>>> parse_settings("organisation:\\n  timezon: UTC\\n", "salescore.yaml")
Traceback (most recent call last):
...
salescore.semantic.settings_file.SettingsError: invalid settings:
  salescore.yaml:2: organisation.timezon: unknown key (a typo?) [schema]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from pydantic import ValidationError

from salescore.core.errors import ConfigError, Location
from salescore.core.text import Text
from salescore.model.org import OrgSettings, settings_path
from salescore.semantic.issues import Issue
from salescore.semantic.spelling import Respelling, moved_lines, respell
from salescore.semantic.yamlfile import YamlDocument, read_yaml, read_yaml_file, schema_issues

__all__ = ["SettingsError", "SettingsFile", "load_settings", "parse_settings",
           "respell_settings"]


class SettingsFile(NamedTuple):
    """The settings a file holds, and what it should change that does not stop it being used
    (an old spelling), each warning at file:line."""

    settings: OrgSettings
    warnings: tuple[Issue, ...] = ()


class SettingsError(ConfigError):
    """The settings file is invalid; ``issues`` lists every error with its file:line."""

    def __init__(self, issues: tuple[Issue, ...]) -> None:
        super().__init__(
            "invalid settings:\n" + "\n".join(f"  {issue}" for issue in issues),
            message_zh="设置无效：\n" + "\n".join(f"  {issue.localized('zh_CN')}"
                                                for issue in issues),
        )
        self.issues = issues


def respell_settings(data: Mapping[object, object]) -> tuple[Mapping[object, object],
                                                             list[Respelling]]:
    """``data`` (a settings document) with each stage's ``label_en``/``label_zh`` rewritten as
    ``label: {en, zh}``, and what was. A stage that gave one language reads the same words in
    the other; one whose labels are both empty (as older files wrote a stage added on import)
    has no label.

    >>> respell_settings({"pipeline": {"stages": [{"name": "a", "label_en": "", "label_zh": ""}]}}
    ...                  )[0]
    {'pipeline': {'stages': [{'name': 'a'}]}}
    """
    pipeline = data.get("pipeline")
    stages = pipeline.get("stages") if isinstance(pipeline, Mapping) else None
    if not isinstance(pipeline, Mapping) or not isinstance(stages, list):
        return data, []
    done: list[Respelling] = []
    respelled = [respell(stage, ("label",), at=("pipeline", "stages", j), done=done)[0]
                 if isinstance(stage, Mapping) else stage for j, stage in enumerate(stages)]
    if not done:
        return data, []
    return {**data, "pipeline": {**pipeline, "stages": respelled}}, done


def _by_line(issues: Iterable[Issue]) -> tuple[Issue, ...]:
    return tuple(sorted(issues, key=lambda issue: issue.place[1]))


def _read(doc: YamlDocument) -> SettingsFile:
    data, where, issues = doc
    if data is None and not issues:
        return SettingsFile(OrgSettings())  # an empty file: the defaults
    if data is not None and not isinstance(data, Mapping):
        issues.append(Issue("schema", Text(
            "the settings file is a mapping of keys (organisation, pipeline, privacy)",
            "设置文件应为键值映射（organisation、pipeline、privacy）"),
            Location(where.file, where.line_of(()) or 1)))
    if issues:
        raise SettingsError(_by_line(issues))
    data, respelled = respell_settings(data)
    where = moved_lines(where, respelled)
    warnings = _by_line(respelling.issue(where) for respelling in respelled)
    try:
        return SettingsFile(OrgSettings.model_validate(data), warnings)
    except ValidationError as exc:
        raise SettingsError(_by_line(schema_issues(exc, data, where))) from None


def parse_settings(text: str, file: str) -> SettingsFile:
    """The settings in ``text`` (the file ``file``) and their warnings; :class:`SettingsError`
    listing every error with file:line if they are invalid. An empty document is the defaults.
    """
    return _read(read_yaml(text, file))


def load_settings(home: Path) -> SettingsFile:
    """Read and validate ``home/salescore.yaml`` (the defaults when it does not exist): the
    settings and their warnings; :class:`SettingsError` listing every error with file:line."""
    path = settings_path(home)
    if not path.exists():
        return SettingsFile(OrgSettings())
    return _read(read_yaml_file(path))
