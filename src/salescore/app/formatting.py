"""Numbers, money and shares as a page shows them, for the locale and the organisation's
currency: the one place pages format figures, so that the templates only place them.

>>> number(1234.56, "en"), number(1234.56, "zh_CN", 0)
('1,234.6', '1,235')
>>> kpi_value(0.4167, "ratio", "EUR", "en"), kpi_value(None, "money", "EUR", "en")
('41.7%', '—')
>>> signed(number(2.5, "en"), 2.5)
'+2.5'
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from typing import TYPE_CHECKING

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent

if TYPE_CHECKING:
    from salescore.workspace import Session

__all__ = ["MISSING", "as_of_text", "babel_locale", "day", "kpi_value", "moment", "number",
           "percent", "signed"]

MISSING = "—"
"""What a page shows for a figure that is unknown (never 0)."""


def babel_locale(locale: str) -> str:
    """The Babel locale of one of the app's languages."""
    return "zh_CN" if locale == "zh_CN" else "en"


@functools.cache
def _babel(locale: str) -> Locale:
    """The Babel locale object of ``locale``, parsed once (a page formats thousands of
    figures: parsing the name each time was most of their cost)."""
    return Locale.parse(babel_locale(locale))


def number(value: float | None, locale: str, digits: int = 1) -> str:
    """``value`` with up to ``digits`` decimals for ``locale``; a dash when missing."""
    if value is None:
        return MISSING
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(value, pattern, locale=_babel(locale))


def percent(value: float | None, locale: str, digits: int = 0) -> str:
    """``value`` (a share, 1 = 100 %) as a percentage for ``locale``; a dash when missing."""
    if value is None:
        return MISSING
    pattern = "#,##0" + ("." + "#" * digits if digits else "") + "%"
    return format_percent(value, pattern, locale=_babel(locale))


def kpi_value(value: float | None, unit: str, currency: str, locale: str) -> str:
    """A KPI's value in its unit: money in the organisation's currency, a ratio as a
    percentage, anything else as a number with two decimals at most."""
    if value is None:
        return MISSING
    match unit:
        case "money":
            return format_currency(value, currency, locale=_babel(locale))
        case "ratio":
            return percent(value, locale, 1)
        case _:
            return number(value, locale, 2)


def signed(text: str, value: float) -> str:
    """A gain shows its plus sign (a loss has its minus already, nought has none)."""
    return "+" + text if value > 0 else text


def as_of_text(session: Session, locale: str) -> str | None:
    """When the figures were last loaded, in the organisation's time zone and the locale."""
    when: datetime | None = session.data_as_of()
    if when is None:
        return None
    zone = session.workspace.settings.calendar.zone
    return format_datetime(when.astimezone(zone), "medium", tzinfo=zone,
                           locale=babel_locale(locale))


def day(value: date | None, locale: str) -> str:
    """A calendar day for ``locale`` (``Jan 1, 2025``, ``2025年1月1日``); a dash when missing."""
    if value is None:
        return MISSING
    return format_date(value, "medium", locale=babel_locale(locale))


def moment(value: datetime | None, session: Session, locale: str) -> str:
    """A moment in the organisation's time zone for ``locale``; a dash when missing."""
    if value is None:
        return MISSING
    zone = session.workspace.settings.calendar.zone
    return format_datetime(value.astimezone(zone), "medium", tzinfo=zone,
                           locale=babel_locale(locale))
