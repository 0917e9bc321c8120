"""Text a person reads, in English and Chinese (zh-CN); and the one test of a Chinese locale.

Everything salescore says to a person comes in both languages: a KPI's label, a plan's title, a
rating's title, an error, a rule's finding, the reason a value was rejected. :class:`Text` holds
the pair; :func:`is_chinese` is the only place that decides which of the two a locale reads.

In YAML a text is written as a mapping, the same in every file::

    label: {en: Revenue won, zh: 赢单金额}
    title:
      en: Field sales
      zh: 外勤销售

As a field of a Pydantic model, ``Text`` validates from such a mapping (both keys required and
non-empty, no other key) or from a ``Text``, and dumps back to the mapping.

>>> won = Text("Revenue won", "赢单金额")
>>> won.get("zh_CN"), won.get("en_US"), str(won)
('赢单金额', 'Revenue won', 'Revenue won')
>>> [is_chinese(locale) for locale in ("zh", "zh_CN", "zh-Hans", "en", "en_US")]
[True, True, True, False, False]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema

__all__ = ["Bilingual", "Locale", "Text", "is_chinese"]

Locale = Literal["en", "zh_CN"]
"""The languages salescore speaks: a user's, an organisation's, the demo's."""

_LANGUAGE = re.compile(r"[-_.@]")


def is_chinese(locale: str) -> bool:
    """Whether ``locale`` reads Chinese: its language part is ``zh``, in any case and with any
    region or script after ``_`` or ``-`` (``zh``, ``zh_CN``, ``zh-Hans``, ``ZH-tw``).

    Every choice between English and Chinese goes through this function.
    """
    return _LANGUAGE.split(locale.strip(), maxsplit=1)[0].lower() == "zh"


@dataclass(frozen=True, slots=True)
class Text:
    """A text in English (``en``) and Chinese (``zh``); ``str()`` gives the English."""

    en: str
    zh: str

    @classmethod
    def same(cls, text: str) -> Text:
        """The same words in both languages (a name, a number, a message not yet translated)."""
        return cls(text, text)

    def get(self, locale: str) -> str:
        """The text in ``locale``: Chinese where :func:`is_chinese`, English otherwise."""
        return self.zh if is_chinese(locale) else self.en

    def __str__(self) -> str:
        return self.en

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler
                                     ) -> CoreSchema:
        # Imported here, not at the top: core stays importable with the standard library
        # alone, and Pydantic is loaded anyway whenever it asks a type for its schema.
        from pydantic_core import core_schema

        def text(value: Any) -> Any:
            return {"en": value.en, "zh": value.zh} if isinstance(value, cls) else value

        words = core_schema.typed_dict_field(core_schema.str_schema(min_length=1))
        mapping = core_schema.typed_dict_schema({"en": words, "zh": words},
                                                extra_behavior="forbid")
        return core_schema.no_info_before_validator_function(
            text,
            core_schema.no_info_after_validator_function(
                lambda data: cls(data["en"], data["zh"]), mapping),
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda value: {"en": value.en, "zh": value.zh}),
        )


class Bilingual:
    """What carries a :class:`Text` as its message (an error, a skipped run): ``message`` is
    its English, ``message_zh`` its Chinese and :meth:`localized` the one a locale reads."""

    text: Text

    @property
    def message(self) -> str:
        return self.text.en

    @property
    def message_zh(self) -> str:
        return self.text.zh

    def localized(self, locale: str) -> str:
        """The message in ``locale`` (``zh_CN`` or ``en``)."""
        return self.text.get(locale)
