"""Old spellings of a bilingual text, still read as the one spelling ``key: {en: ..., zh: ...}``.

Documents written before every YAML file spelled texts alike say ``title_en: …`` and
``title_zh: …`` (plans, ratings) or ``description: …`` and ``description_zh: …`` (mappings).
:func:`respell` rewrites such keys into the one spelling before validation and says what it
rewrote (a :class:`Respelling`), so that the loader can keep the old keys' lines and warn at
each of them (:meth:`Respelling.issue`); the document stays valid.

>>> data, done = respell({"name": "p", "title_en": "P", "title_zh": "甲"}, ("title",))
>>> data, [(r.old, r.new) for r in done]
({'name': 'p', 'title': {'en': 'P', 'zh': '甲'}}, [((('title_en',), ('title_zh',)), ('title',))])
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from salescore.core.text import Text
from salescore.semantic.issues import Issue, KeyPath
from salescore.semantic.yamlfile import LineMap

__all__ = ["Respelling", "moved_lines", "respell"]

_LANGUAGES = ("en", "zh")


@dataclass(frozen=True)
class Respelling:
    """An old spelling read as the new one: the old keys the document had (``old``) became the
    text at ``new``."""

    old: tuple[KeyPath, ...]
    new: KeyPath

    def moved(self) -> dict[KeyPath, KeyPath]:
        """Each key path of the new spelling → the old key path it was read from."""
        moves: dict[KeyPath, KeyPath] = {self.new: self.old[0]}
        for path in self.old:
            lang = str(path[-1]).rsplit("_", 1)[-1]
            moves[(*self.new, lang if lang in _LANGUAGES else "en")] = path
        return moves

    def issue(self, lines: LineMap) -> Issue:
        """The warning at the first old key: it is still read, and how to write it now."""
        old = " and ".join(str(path[-1]) for path in self.old)
        new = f"{self.new[-1]}: {{en: ..., zh: ...}}"
        return Issue(
            "deprecated-spelling",
            Text(f"an old spelling, still read: write {new} instead of {old}",
                 f"旧写法，仍可读取：请将 {old.replace(' and ', ' 和 ')} 改写为 {new}"),
            lines.locate(self.old[0]), self.old[0], "warning")


def respell(data: Mapping[Any, Any], keys: Iterable[str], *, at: KeyPath = (),
            required: Collection[str] = (), done: list[Respelling] | None = None
            ) -> tuple[dict[Any, Any], list[Respelling]]:
    """``data`` with each text of ``keys`` written the one way, and what was rewritten.

    Old spellings: ``key_en`` and ``key_zh``, or ``key`` as plain text and ``key_zh``. A text
    of ``required`` keeps exactly what was given (a missing language is then reported as
    missing); another that gave one language reads the same words in the other, and one that
    gave none is left out. A document that uses the new spelling keeps any old key beside it,
    to be reported as unknown. ``at`` is where ``data`` is in the document; ``done``, if given,
    is extended and returned.
    """
    out = dict(data)
    found = [] if done is None else done
    for key in keys:
        value = out.get(key)
        if value is not None and not isinstance(value, str):
            continue  # the new spelling: an old key beside it is an unknown key
        en = key if isinstance(value, str) else f"{key}_en"
        old = [k for k in (en, f"{key}_zh") if k in out]
        if not old:
            continue
        words = {"en": out.pop(en, None), "zh": out.pop(f"{key}_zh", None)}
        given = {lang: w for lang, w in words.items() if w is not None}
        if key in required:
            out[key] = given
        elif any(given.values()):
            first = next(w for w in given.values() if w)
            out[key] = {lang: given.get(lang) or first for lang in _LANGUAGES}
        found.append(Respelling(tuple((*at, k) for k in old), (*at, key)))
    return out, found


def moved_lines(lines: LineMap, done: Iterable[Respelling]) -> LineMap:
    """``lines`` with every rewritten text's new key paths on the lines of its old keys."""
    return lines.moved({new: old for r in done for new, old in r.moved().items()})
