"""No word a person reads on a page is missing from the Chinese catalogue.

The messages are extracted with Babel, as ``pybabel extract`` would: every ``_()`` call of the
templates (Jinja2's extractor) and every ``_()`` and ``words()`` call of ``salescore/app/*.py``
(the pages' translators are bound to those names); each must have a non-empty ``msgstr`` in
``app/locale/zh_CN/LC_MESSAGES/messages.po``. English is the msgid itself.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from babel.messages.extract import extract
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

APP = Path(str(files("salescore.app")))
KEYWORDS = {"_": None, "words": None}


def _extracted() -> dict[str, list[str]]:
    """Every msgid found, with where (file:line)."""
    found: dict[str, list[str]] = {}
    sources = [(p, babel_extract) for p in sorted((APP / "templates").glob("*.html"))]
    sources += [(p, "python") for p in sorted(APP.glob("*.py"))]
    for path, method in sources:
        with path.open("rb") as handle:
            for line, message, _comments, _context in extract(
                    method, handle, keywords=KEYWORDS, options={}):
                ids = message if isinstance(message, tuple) else (message,)
                for msgid in ids:
                    if msgid:
                        found.setdefault(msgid, []).append(f"{path.relative_to(APP)}:{line}")
    return found


def _catalogue() -> dict[str, str]:
    with (APP / "locale/zh_CN/LC_MESSAGES/messages.po").open("rb") as handle:
        po = read_po(handle, locale="zh_CN")
    return {str(m.id): str(m.string) for m in po if m.id}


def test_the_extraction_finds_the_pages_words() -> None:
    found = _extracted()
    # One from a template, one from a page module, one through the pages' `words` translator.
    assert "My scorecard" in found and "Bar chart of %(kpi)s by %(by)s, %(period)s; the " \
        "table below lists the same figures" in found and "Wrong username or password." in found
    assert len(found) > 100


def test_no_word_on_a_page_is_missing_from_the_chinese_catalogue() -> None:
    catalogue = _catalogue()
    missing = {msgid: where for msgid, where in _extracted().items()
               if not catalogue.get(msgid)}
    assert not missing, "missing from messages.po (msgid: where):\n" + "\n".join(
        f"  {msgid!r}: {', '.join(where)}" for msgid, where in sorted(missing.items()))


def test_placeholders_are_kept_in_chinese() -> None:
    """A translation names the same %(...)s values as its English (else the page breaks)."""
    import re

    wrong = {}
    for msgid, msgstr in _catalogue().items():
        if sorted(re.findall(r"%\(\w+\)s", msgid)) != sorted(re.findall(r"%\(\w+\)s", msgstr)):
            wrong[msgid] = msgstr
    assert not wrong, wrong
