"""What a dashboard page remembers and offers: its filters in the URL and back on revisit,
the period picker with the choices that roll over by themselves, and the theme.

Filters live in the query string, so that a page can be bookmarked and shared. The last ones a
person used on a page are kept in a cookie of that page (only the page's own keys, URL-encoded):
a visit without any of them returns to them, and ``?reset=1`` forgets them. A period picker
offers the relative choices of the plan's grain (``this-month``, ``last-quarter``, ...; fiscal
where the fiscal year does not start in January) before the stored periods, and a remembered
``this-quarter`` is the new quarter once the old one ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal
from urllib.parse import parse_qsl, urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from salescore.core.errors import PeriodError
from salescore.core.periods import Calendar, Grain, Period

__all__ = ["THEME_COOKIE", "THEMES", "PeriodChoice", "keep", "period_choices", "recall",
           "relative_choices", "resolve_period", "theme_of"]

THEME_COOKIE = "salescore_theme"
Theme = Literal["light", "dark", "system"]
THEMES: tuple[Theme, ...] = ("system", "light", "dark")
_KEEP_DAYS = 180


def _cookie(page: str) -> str:
    return f"salescore_f_{page}"


def _asked(request: Request, keys: Iterable[str]) -> list[tuple[str, str]]:
    wanted = set(keys)
    return [(k, v) for k, v in request.query_params.multi_items() if k in wanted and v]


def recall(request: Request, page: str, keys: Sequence[str]) -> RedirectResponse | None:
    """A redirect to the filters last used on ``page`` when the request names none of
    ``keys`` (and is not a reset); ``None`` to render the request as it is."""
    if "reset" in request.query_params or _asked(request, keys):
        return None
    saved = request.cookies.get(_cookie(page), "")
    kept = [(k, v) for k, v in parse_qsl(saved)[:20] if k in set(keys) and v]
    if not kept:
        return None
    return RedirectResponse(f"{request.url.path}?{urlencode(kept)}", status_code=303)


def keep(request: Request, response: Response, page: str, keys: Sequence[str]) -> None:
    """Remember the filters of this request on ``page`` (or forget them on a reset)."""
    if "reset" in request.query_params:
        response.delete_cookie(_cookie(page), path="/")
        return
    asked = _asked(request, keys)
    if asked:
        response.set_cookie(_cookie(page), urlencode(asked), max_age=_KEEP_DAYS * 86400,
                            httponly=True, samesite="lax", path="/",
                            secure=request.url.scheme == "https")


def theme_of(request: Request) -> Theme:
    """The theme the person chose (light, dark), else the system's."""
    chosen = request.cookies.get(THEME_COOKIE)
    return chosen if chosen in ("light", "dark") else "system"  # type: ignore[return-value]


@dataclass(frozen=True)
class PeriodChoice:
    """One option of a period picker: the value in the URL and the words shown."""

    value: str
    label: str


_UNITS: dict[Grain, str] = {Grain.MONTH: "month", Grain.QUARTER: "quarter",
                            Grain.FISCAL_QUARTER: "quarter", Grain.YEAR: "year",
                            Grain.FISCAL_YEAR: "year"}


def _relative_tokens(grain: Grain) -> tuple[str, str] | None:
    unit = _UNITS.get(grain)
    return (f"this-{unit}", f"last-{unit}") if unit else None


def resolve_period(calendar: Calendar, asked: str | None, today: date) -> Period | None:
    """The period ``asked`` names (a label or a relative choice on ``today``); ``None`` when
    nothing, or nothing readable, was asked."""
    if not asked:
        return None
    try:
        if asked.startswith(("this-", "last-")):
            return calendar.relative(asked, today)
        return calendar.parse(asked)
    except PeriodError:
        return None


def relative_choices(calendar: Calendar, tokens: Sequence[str], today: date,
                     words: Callable[..., str]) -> list[PeriodChoice]:
    """The relative choices ``tokens`` (of :data:`RELATIVE_PERIODS`) named in the reader's
    language, each with the label of the period it names on ``today``."""
    names = {"this-month": words("This month"), "last-month": words("Last month"),
             "this-quarter": words("This quarter"), "last-quarter": words("Last quarter"),
             "this-year": words("This year"), "last-year": words("Last year")}
    return [PeriodChoice(token, f"{names[token]} ({calendar.relative(token, today)})")
            for token in tokens]


def period_choices(calendar: Calendar, grain: Grain, stored: Sequence[str], today: date,
                   words: Callable[..., str]) -> list[PeriodChoice]:
    """The picker's options: this and the last period of ``grain`` (named, with their label),
    then every period in ``stored``, latest first."""
    tokens = _relative_tokens(grain)
    out = relative_choices(calendar, tokens, today, words) if tokens else []
    out.extend(PeriodChoice(p, p) for p in stored)
    return out
