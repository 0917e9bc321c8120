"""A problem found in a catalogue, pointing at the file and line where it is."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from salescore.core.errors import ConfigError, Location


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem: which rule found it, what it is (en, zh-CN) and where (file:line)."""

    rule: str
    message: str
    message_zh: str
    location: Location

    def __str__(self) -> str:
        return f"{self.location}: {self.message} [{self.rule}]"

    def localized(self, locale: str) -> str:
        text = self.message_zh if locale.lower().startswith("zh") else self.message
        return f"{self.location}: {text} [{self.rule}]"


def raise_for(issues: Iterable[Issue]) -> None:
    """Raise one :class:`ConfigError` listing every issue, if there is any."""
    found = list(issues)
    if not found:
        return
    head_en = f"the KPI catalogue has {len(found)} problem(s):"
    head_zh = f"指标目录有 {len(found)} 处问题："
    raise ConfigError(
        "\n".join([head_en, *(f"  {i}" for i in found)]),
        message_zh="\n".join([head_zh, *(f"  {i.localized('zh_CN')}" for i in found)]),
    )
