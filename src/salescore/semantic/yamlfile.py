"""Read a YAML document keeping the line of every key path, and place Pydantic's errors on them.

The one reader of salescore's YAML files (the KPI catalogue, scorecard plans, import mappings,
the settings file): PyYAML's compose step keeps every node's ``start_mark``, so
:func:`read_yaml` walks the node tree beside the constructed data and records the 1-based line
of every key path (``("lines", 1, "weight")``) in a :class:`LineMap`. Problems come back as
:class:`~salescore.semantic.issues.Issue` with file:line, never raised: invalid YAML (at the line
where the parser stopped), a key written twice in one mapping (which PyYAML would silently
resolve to the second) and an alias (``*name``): aliases are refused before anything is built,
since a few lines of nested aliases expand to billions of values (an "alias bomb") and no
salescore file needs them. :func:`schema_issues` turns a Pydantic ``ValidationError`` into issues at
the lines of the keys it names.

>>> doc = read_yaml("name: tiny\\nlines:\\n  - kpi: a\\n    kpi: b\\n", "p.yaml")
>>> doc.data, doc.lines.line_of(("lines", 0, "kpi"))
({'name': 'tiny', 'lines': [{'kpi': 'b'}]}, 3)
>>> [str(issue) for issue in doc.issues]  # doctest: +NORMALIZE_WHITESPACE
["p.yaml:4: lines[0].kpi: key 'kpi' is written twice (first on line 3); the second would
  silently win [duplicate-key]"]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from pydantic import ValidationError

from salescore.core.errors import Location
from salescore.core.text import Text
from salescore.semantic.issues import Issue, IssuesFound, KeyPath

__all__ = ["LineMap", "YamlDocument", "read_yaml", "read_yaml_file", "schema_issues"]


@dataclass(frozen=True)
class LineMap:
    """The 1-based line of every key path of one YAML document (a key's own line, not its
    value's: a nested block starts on the line below its key)."""

    file: str
    lines: Mapping[KeyPath, int]

    def line_of(self, path: KeyPath, *, top: bool = True) -> int | None:
        """The line of ``path``, or of its deepest ancestor that the document has (the
        document's own first line only with ``top``)."""
        for end in range(len(path), -1 if top else 0, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def locate(self, path: KeyPath) -> Location:
        return Location(self.file, self.line_of(path))

    def within(self, base: KeyPath) -> dict[KeyPath, int]:
        """The lines of the key paths below ``base``, relative to it."""
        n = len(base)
        return {path[n:]: line for path, line in self.lines.items()
                if len(path) > n and path[:n] == base}

    def moved(self, moves: Mapping[KeyPath, KeyPath]) -> LineMap:
        """This map with each new key path of ``moves`` on the line of its old one (a key read
        under another name, such as an old spelling)."""
        lines = dict(self.lines)
        for new, old in moves.items():
            line = self.lines.get(old)
            if line is not None:
                lines[new] = line
        return LineMap(self.file, lines)


class YamlDocument(NamedTuple):
    """A parsed document: its data (``None`` if it is not valid YAML or empty), the line of
    each key path, and the problems found reading it."""

    data: Any
    lines: LineMap
    issues: list[Issue]


# libyaml's parser where PyYAML was built with it (PyPI's wheels are): the same nodes with the
# same marks, several times faster than the pure-Python one on the shipped catalogue.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(text: str, file: str) -> YamlDocument:
    """Parse one YAML document from ``text``; ``file`` names it in every issue. A document
    with an alias is not read: its data is ``None`` and the issue names the alias's line.

    >>> [issue] = read_yaml("a: &x [1, 2]\\nb: *x\\n", "p.yaml").issues
    >>> str(issue.location), issue.text.en
    ('p.yaml:2', 'YAML aliases are not read (*x): write the value out where it is used')
    """
    try:
        alias = _first_alias(text, file, _LOADER) if "*" in text else None
        if alias is not None:
            return YamlDocument(None, LineMap(file, {}), [alias])
        return _read_yaml(text, file, _LOADER)
    except yaml.YAMLError:
        # Invalid YAML is told in the pure-Python parser's words, the same wherever it runs.
        return _read_yaml(text, file, yaml.SafeLoader)


def _first_alias(text: str, file: str, kind: type[yaml.SafeLoader]) -> Issue | None:
    """The issue for the first alias of ``text``, from the parser's events (which do not
    expand aliases, so this takes as long as reading the text once)."""
    for event in yaml.parse(text, Loader=kind):
        if isinstance(event, yaml.AliasEvent):
            name = event.anchor
            return Issue("yaml-alias", Text(
                f"YAML aliases are not read (*{name}): write the value out where it is used",
                f"不读取 YAML 别名（*{name}）：请在使用处直接写出取值"),
                Location(file, event.start_mark.line + 1 if event.start_mark else None))
    return None


def _read_yaml(text: str, file: str, kind: type[yaml.SafeLoader]) -> YamlDocument:
    loader = None
    try:
        loader = kind(text)  # the pure-Python reader refuses unprintable characters here
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        if kind is not yaml.SafeLoader:
            raise
        return YamlDocument(None, LineMap(file, {}), [_not_yaml(exc, text, file)])
    finally:
        if loader is not None:
            loader.dispose()
    lines: dict[KeyPath, int] = {}
    issues: list[Issue] = []
    if node is not None:
        _walk(node, (), lines, issues, file)
    return YamlDocument(data, LineMap(file, lines), issues)


def _not_yaml(exc: yaml.YAMLError, text: str, file: str) -> Issue:
    """The issue for text that is not YAML, at its line where the parser says."""
    if isinstance(exc, yaml.reader.ReaderError):
        line: int | None = text.count("\n", 0, exc.position) + 1
        char = chr(exc.character) if isinstance(exc.character, int) else exc.character
        problem = f"character {char!r} is not allowed (only printable text)"
        problem_zh = f"不允许字符 {char!r}（只能是可打印文本）"
    else:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = problem_zh = getattr(exc, "problem", None) or str(exc)
    return Issue("yaml", Text(f"not valid YAML: {problem}", f"YAML 格式错误：{problem_zh}"),
                 Location(file, line))


def read_yaml_file(path: Path | str, *, encoding: str = "utf-8") -> YamlDocument:
    """:func:`read_yaml` on a file; a file that cannot be read is one ``file`` issue."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding=encoding)
    except (OSError, UnicodeDecodeError) as exc:
        return YamlDocument(None, LineMap(file, {}), [
            Issue("file", Text(f"cannot read: {exc}", f"无法读取：{exc}"), Location(file))])
    return read_yaml(text, file)


def _walk(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], issues: list[Issue],
          file: str) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            here = (*path, key)
            line = key_node.start_mark.line + 1
            if key in seen:
                issues.append(Issue(
                    "duplicate-key",
                    Text(f"key {key!r} is written twice (first on line {seen[key]}); the "
                         "second would silently win",
                         f"键 {key!r} 出现了两次（首次在第 {seen[key]} 行）；后者会覆盖前者"),
                    Location(file, line), here))
                continue
            seen[key] = line
            lines[here] = line
            _walk(value_node, here, lines, issues, file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines, issues, file)


_SCHEMA_ZH: dict[str, str] = {
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "string_type": "应为文本",
    "string_too_short": "文本过短",
    "string_pattern_mismatch": "格式不符",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "model_type": "应为键值映射",
    "model_attributes_type": "应为键值映射",
    "dict_type": "应为键值映射",
    "tuple_type": "应为列表",
    "list_type": "应为列表",
    "enum": "取值无效",
    "literal_error": "取值无效",
    "union_tag_invalid": "类型取值无效",
    "union_tag_not_found": "缺少类型字段",
}


def _schema_text(kind: str, message: str) -> Text:
    match kind:
        case "extra_forbidden":
            return Text("unknown key (a typo?)", "不认识的键（拼写错误？）")
        case "missing":
            return Text("required key is missing", "缺少必填项")
    zh = _SCHEMA_ZH.get(kind)
    return Text(message, f"{zh}（{message}）" if zh else message)


def _data_path(loc: Sequence[str | int], data: Any, missing: bool) -> KeyPath:
    """Pydantic's error location as a key path of ``data``: the segments that are not keys of
    the document (union tags such as ``fixed`` or ``simple``, validator names) are left out,
    except the last one of a missing key."""
    path: list[str | int] = []
    current = data
    for i, seg in enumerate(loc):
        if isinstance(current, Mapping) and seg in current:
            current = current[seg]
            path.append(seg)
        elif isinstance(current, list) and isinstance(seg, int) and 0 <= seg < len(current):
            current = current[seg]
            path.append(seg)
        elif missing and i == len(loc) - 1:
            path.append(seg)
    return tuple(path)


def schema_issues(
    exc: ValidationError,
    data: Any,
    lines: LineMap,
    *,
    at: KeyPath = (),
    unknown_key: Callable[[str], Text] | None = None,
) -> list[Issue]:
    """Each error of ``exc`` (raised validating ``data``) as an issue at the line of its key.

    ``data`` is the value that was validated, found at key path ``at`` of the document that
    ``lines`` maps; an issue's path is relative to ``data`` (it leads the message), its line
    that of ``at`` + path. Issues that a model's rules raised (:class:`IssuesFound`) keep their
    rule, text and severity. ``unknown_key`` words the message for a key the model does not
    know (say, with the nearest known key); by default it is "unknown key (a typo?)".
    """
    issues: list[Issue] = []
    for err in exc.errors():
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, IssuesFound):
            base = _data_path(err["loc"], data, missing=False)
            for found in cause.issues:
                path = (*base, *found.path)
                issues.append(Issue(found.rule, found.text, lines.locate((*at, *path)), path,
                                    found.severity))
            continue
        kind = err["type"]
        path = _data_path(err["loc"], data, missing=kind == "missing")
        text = _schema_text(kind, err["msg"].removeprefix("Value error, "))
        if kind == "extra_forbidden" and unknown_key is not None and path:
            text = unknown_key(str(path[-1]))
        issues.append(Issue("schema", text, lines.locate((*at, *path)), path))
    return issues
