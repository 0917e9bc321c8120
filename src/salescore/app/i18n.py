"""The language of a page or a problem: the user's choice, else the browser's, else the
organisation's; and the words of the pages in that language.

Negotiation goes through Babel over the two languages salescore speaks (``en``, ``zh_CN``);
a Chinese tag that Babel does not pair (``zh-TW``, ``zh-Hans``) still reads Chinese, as
:func:`salescore.core.text.is_chinese` decides everywhere. The pages' words are a gettext
catalogue, ``app/locale/zh_CN/LC_MESSAGES/messages.po``, read once at start-up; English is the
message ids themselves.

>>> negotiate("fr;q=0.9, zh-TW;q=0.8, en;q=0.5")
'zh_CN'
>>> negotiate("de-DE") is None
True
>>> catalogue("zh_CN").gettext("Sign in")
'登录'
"""

from __future__ import annotations

import gettext as gettext_module
from functools import cache
from importlib.resources import files
from io import BytesIO

from babel.core import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from salescore.core.text import is_chinese

__all__ = ["LOCALES", "catalogue", "negotiate", "preferred_tags", "resolve_locale"]

LOCALES: tuple[str, ...] = ("en", "zh_CN")


def preferred_tags(accept_language: str | None) -> list[str]:
    """The language tags of an ``Accept-Language`` header, most wanted first (``q=0`` left
    out; a malformed weight counts as 0)."""
    weighted: list[tuple[float, int, str]] = []
    for index, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*" or len(tag) > 35:
            continue
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if weight > 0:
            weighted.append((-weight, index, tag))
    return [tag for _, _, tag in sorted(weighted)]


def resolve_locale(tag: str | None) -> str | None:
    """One of :data:`LOCALES` for a single tag or locale name (``zh-CN``, ``en_US``), or
    ``None`` when salescore does not speak it."""
    if not tag:
        return None
    found = negotiate_locale([tag.replace("-", "_")], list(LOCALES))
    if found is not None:
        return found
    if is_chinese(tag):
        return "zh_CN"
    if tag.replace("_", "-").split("-", 1)[0].lower() == "en":
        return "en"
    return None


def negotiate(accept_language: str | None) -> str | None:
    """The first language of an ``Accept-Language`` header that salescore speaks."""
    for tag in preferred_tags(accept_language):
        found = resolve_locale(tag)
        if found is not None:
            return found
    return None


@cache
def catalogue(locale: str) -> NullTranslations:
    """The pages' words in ``locale`` (English: the message ids as they are)."""
    if not is_chinese(locale):
        return NullTranslations()
    source = files("salescore.app").joinpath("locale/zh_CN/LC_MESSAGES/messages.po")
    with source.open("rb") as handle:
        po = read_po(handle, locale="zh_CN")
    compiled = BytesIO()
    write_mo(compiled, po)
    compiled.seek(0)
    return Translations(compiled)


def gettext(locale: str, message: str) -> str:
    """``message`` (its English) in ``locale``."""
    translations: gettext_module.NullTranslations = catalogue(locale)
    return translations.gettext(message)
