"""Cleaning: text as people type it becomes typed values, column by column, never row by row.

Each cleaner takes one Arrow column (text, or already typed when the source is Parquet or Arrow)
and returns a :class:`Cleaned`: the typed values, null where the input was empty or bad, and the
:class:`~salescore.ingest.problems.Problem` masks that say which rows were bad and why. Work is
vectorised with ``pyarrow.compute``; only the odd values (non-ASCII text, money in an unusual
form) go through Python, and then only once per distinct value.

What each cleaner accepts (a value outside these is rejected with its reason, never guessed):

- text: trimmed, runs of white space folded to one space (line breaks kept in free text),
  full-width letters and digits made half-width (and full-width punctuation in identifiers);
- e-mail: lower case, ``mailto:`` and ``Name <...>`` removed, then checked;
- phone: spaces, dashes, dots and brackets removed, ``00`` made ``+``;
- money: ``¥1,234.50``, ``1.234,50 €``, ``(1,234.50)``, ``CNY 1 234,5``, ``1170.375``, kept
  exactly to 4 decimals (more are rounded half to even); ``$ 12k`` and ``1.2万`` are rejected;
- dates and timestamps: ``2025-03-01``, ``2025/3/1 9:05``, ``2025年3月1日``,
  ``01/03/2025`` with a declared day/month order, ``1 Mar 2025``, ``Mar 1, 2025``, Excel serial
  numbers, and ISO 8601 with ``Z`` or an offset;
- booleans: ``true/false``, ``yes/no``, ``y/n``, ``1/0``, ``是/否``, ``真/假``, ``在职/离职``.

>>> c = to_money(pa.array(["¥1,234.50", "1.234,50 €", "$ 12k", None]))
>>> [str(v) if v is not None else None for v in c.values.to_pylist()]
['1234.5000', '1234.5000', None, None]
>>> [p.reason.en for p in c.problems]
['abbreviated amounts (k, m, 万) are not guessed']
>>> to_timestamp(pa.array(["2025年3月1日 9:05"]), DateOptions(timezone="Asia/Shanghai")
...              ).values.to_pylist()
[datetime.datetime(2025, 3, 1, 1, 5)]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salescore.ingest.problems import Problem, Reason
from salescore.model.tables import EARLIEST_DAY, LATEST_DAY, MONEY_PRECISION, MONEY_SCALE

DateOrder = Literal["ymd", "dmy", "mdy"]
MONEY = pa.decimal128(MONEY_PRECISION, MONEY_SCALE)
TIMESTAMP = pa.timestamp("us")
_MONEY_LIMIT = Decimal(10) ** (MONEY_PRECISION - MONEY_SCALE)
_MONEY_STEP = Decimal(1).scaleb(-MONEY_SCALE)  # 0.0001


@dataclass(frozen=True, slots=True)
class Cleaned:
    """Typed values (null where empty or bad) and the problems found on the way."""

    values: pa.Array
    problems: tuple[Problem, ...] = ()

    def bad(self) -> pa.BooleanArray:
        """True where any problem was found."""
        mask = pa.array(np.zeros(len(self.values), dtype=bool))
        for p in self.problems:
            mask = pc.or_(mask, p.mask)
        return mask


@dataclass(frozen=True, slots=True)
class DateOptions:
    """How to read dates: day/month order for ``01/03/2025``, the zone of naive timestamps,
    and explicit formats (``strptime`` directives) tried before the common forms."""

    order: DateOrder | None = None
    timezone: str = "UTC"
    formats: tuple[str, ...] = ()
    default_time: int = 0  # seconds after midnight for a value written without a time


def _mask(array: pa.Array) -> pa.BooleanArray:
    """A boolean array with nulls read as false."""
    return pc.fill_null(array, False)


def _problem(mask: pa.Array, en: str, zh: str) -> tuple[Problem, ...]:
    mask = _mask(mask)
    return (Problem(mask, Reason(en, zh)),) if mask.true_count else ()


def _plain(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array


def as_text(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Any column as text; numbers keep their shortest exact spelling (1001.0 → ``1001``)."""
    array = _plain(array)
    if pa.types.is_string(array.type):
        return array
    if pa.types.is_null(array.type):
        return pa.nulls(len(array), pa.string())
    if pa.types.is_boolean(array.type):
        return pc.if_else(array, "true", "false")
    if pa.types.is_timestamp(array.type) and array.type.tz is not None:
        return pc.strftime(array.cast(pa.timestamp("us", "UTC")), format="%Y-%m-%dT%H:%M:%SZ")
    return array.cast(pa.string())


# -- null tokens and text --------------------------------------------------------------------
def blank_to_null(array: pa.Array, null_values: Sequence[str] = ()) -> pa.Array:
    """Text with empty values and the configured null tokens (compared after trimming) as null.

    Only what the user listed is a null token: ``NA`` stays ``NA`` unless it is listed.

    >>> blank_to_null(pa.array([" ", "NA", "n/a", "x"]), ["n/a"]).to_pylist()
    [None, 'NA', None, 'x']
    """
    array = as_text(array)
    trimmed = pc.utf8_trim_whitespace(array)
    empty = pc.equal(trimmed, "")
    if null_values:
        empty = pc.or_(empty, pc.is_in(trimmed, value_set=pa.array(list(null_values),
                                                                   pa.string())))
    return pc.if_else(_mask(empty), pa.scalar(None, pa.string()), array)


_FULL_WIDTH = {0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: 0x20, 0xFFE5: 0xA5}
_FULL_WIDTH_ALNUM = {k: v for k, v in _FULL_WIDTH.items() if chr(v).isalnum() or v == 0x20}
_INVISIBLE: dict[int, int | None] = {0x200B: None, 0x200C: None, 0x200D: None, 0xFEFF: None}
_TO_HALF_ALL: dict[int, int | None] = {**_FULL_WIDTH, **_INVISIBLE}
_TO_HALF_ALNUM: dict[int, int | None] = {**_FULL_WIDTH_ALNUM, **_INVISIBLE}
_FULL_WIDTH_CHARS = r"[\x{FF01}-\x{FF5E}\x{FFE5}\x{3000}\x{200B}-\x{200D}\x{FEFF}]"
_NEEDS_FOLDING = (r"  |[\t\n\r\f\v\x{00A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}"
                  r"\x{205F}\x{3000}]")
_SPACE_RUN = r"[\s\x{00A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]+"
_HSPACE_RUN = r"[ \t\f\v\x{00A0}\x{1680}\x{2000}-\x{200A}\x{202F}\x{205F}\x{3000}]+"


def _on_subset(array: pa.Array, mask: pa.BooleanArray,
               fn: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """``fn`` applied to the rows where ``mask`` holds, the other rows as they were."""
    mask = _mask(mask)
    if not mask.true_count:
        return array
    return pc.replace_with_mask(array, mask, fn(array.filter(mask)))


def half_width(array: pa.Array, *, everything: bool = True) -> pa.Array:
    """Full-width characters as their half-width forms: all of them in identifiers
    (``ＫＨ－００１`` → ``KH-001``), letters, digits and the ideographic space in free text,
    where Chinese punctuation (``，``) belongs. Zero-width characters are removed.

    >>> half_width(pa.array(["ＡＢＣ１２３，好"]), everything=False).to_pylist()
    ['ABC123，好']
    """
    table = _TO_HALF_ALL if everything else _TO_HALF_ALNUM

    def translate(subset: pa.Array) -> pa.Array:
        # Once per distinct value: a product or region column repeats a few values.
        distinct = pc.unique(subset)
        done = pa.array([s.translate(table) for s in distinct.to_pylist()], pa.string())
        return pc.take(done, pc.index_in(subset, value_set=distinct))

    # Chinese text is not ASCII but rarely full-width: only rows with such characters change.
    odd = _mask(pc.invert(pc.string_is_ascii(array)))
    if odd.true_count:
        found = pc.match_substring_regex(array.filter(odd), _FULL_WIDTH_CHARS)
        odd = pc.replace_with_mask(odd, odd, found)
    return _on_subset(array, odd, translate)


def clean_text(array: pa.Array, *, identifier: bool = False) -> Cleaned:
    """Trimmed text with white space folded; empty becomes null. An identifier (a key, a
    reference, a code) loses line breaks too; free text keeps them (``\\r\\n`` → ``\\n``).

    >>> clean_text(pa.array(["  Acme\\u3000 Ltd ", "a\\r\\nb  c", " "])).values.to_pylist()
    ['Acme Ltd', 'a\\nb c', None]
    """
    array = half_width(as_text(array), everything=identifier)
    odd = pc.match_substring_regex(array, _NEEDS_FOLDING)
    if identifier:
        array = _on_subset(array, odd,
                           lambda s: pc.replace_substring_regex(s, _SPACE_RUN, " "))
    else:
        def fold(s: pa.Array) -> pa.Array:
            s = pc.replace_substring_regex(s, r"\r\n?", "\n")
            s = pc.replace_substring_regex(s, _HSPACE_RUN, " ")
            return pc.replace_substring_regex(s, r" ?\n ?", "\n")

        array = _on_subset(array, odd, fold)
    array = pc.utf8_trim_whitespace(array)
    return Cleaned(pc.if_else(_mask(pc.equal(array, "")), pa.scalar(None, pa.string()), array))


def case_fold(array: pa.Array, case: Literal["lower", "upper"]) -> pa.Array:
    return pc.utf8_lower(array) if case == "lower" else pc.utf8_upper(array)


# -- codes, e-mail, phone --------------------------------------------------------------------
def to_choice(array: pa.Array, allowed: Sequence[str]) -> Cleaned:
    """One of ``allowed``, matched ignoring case, spaces and hyphens (``Joint Visit`` →
    ``joint_visit``); anything else is rejected.

    >>> to_choice(pa.array(["Call", "fax"]), ["call", "email"]).values.to_pylist()
    ['call', None]
    """
    text = clean_text(array, identifier=True).values
    folded = pc.replace_substring_regex(pc.utf8_lower(text), r"[\s\-]+", "_")
    choices = pa.array(list(allowed), pa.string())
    index = pc.index_in(folded, value_set=choices)
    values = pc.take(choices, index)
    shown = ", ".join(allowed)
    return Cleaned(values, _problem(pc.and_(pc.is_valid(text), pc.is_null(index)),
                                    f"not one of: {shown}", f"不是以下取值之一：{shown}"))


_EMAIL = r"^[\p{L}\p{N}._%+'\-]+@[\p{L}\p{N}\-]+(\.[\p{L}\p{N}\-]+)*\.\p{L}{2,}$"


def to_email(array: pa.Array) -> Cleaned:
    """An e-mail address in lower case; ``mailto:`` and a display name around ``<...>`` go.

    >>> to_email(pa.array(["Li Lei <LI.Lei@Example.COM>", "mailto:a@b.cn", "nobody"])
    ...          ).values.to_pylist()
    ['li.lei@example.com', 'a@b.cn', None]
    """
    text = clean_text(array, identifier=True).values
    inner = pc.struct_field(pc.extract_regex(text, r"<(?P<address>[^<>]+)>"), "address")
    text = pc.coalesce(inner, text)
    text = pc.replace_substring_regex(pc.utf8_lower(text), r"^mailto:|\s+", "")
    good = pc.match_substring_regex(text, _EMAIL)
    bad = pc.and_(pc.is_valid(text), pc.invert(_mask(good)))
    return Cleaned(pc.if_else(_mask(bad), pa.scalar(None, pa.string()), text),
                   _problem(bad, "not an e-mail address", "不是有效的电子邮箱地址"))


def to_phone(array: pa.Array) -> Cleaned:
    """A phone number as digits with an optional leading ``+`` (``00`` becomes ``+``).

    >>> to_phone(pa.array(["+86 138-0013-8000", "(010) 6552.1234", "0086 21 5555 0000", "call me"])
    ...          ).values.to_pylist()
    ['+8613800138000', '01065521234', '+862155550000', None]
    """
    text = clean_text(array, identifier=True).values
    text = pc.replace_substring_regex(text, r"^(tel|phone|mobile|电话|手机)[:：]?", "")
    text = pc.replace_substring_regex(text, r"[\s\-().·/]+", "")
    text = pc.replace_substring_regex(text, r"^00", "+")
    good = pc.match_substring_regex(text, r"^\+?\d{5,15}$")
    bad = pc.and_(pc.is_valid(text), pc.invert(_mask(good)))
    return Cleaned(pc.if_else(_mask(bad), pa.scalar(None, pa.string()), text),
                   _problem(bad, "not a phone number", "不是有效的电话号码"))


_CURRENCY_WORDS = {
    "¥": "CNY", "RMB": "CNY", "CN¥": "CNY", "元": "CNY", "人民币": "CNY", "US$": "USD",
    "美元": "USD", "€": "EUR", "欧元": "EUR", "£": "GBP", "英镑": "GBP", "HK$": "HKD",
    "港币": "HKD", "港元": "HKD", "日元": "JPY", "円": "JPY", "NT$": "TWD", "新台币": "TWD",
}


def to_currency(array: pa.Array) -> Cleaned:
    """An ISO 4217 code in upper case; ``¥``, ``RMB``, ``人民币`` and ``元`` are ``CNY``, ``€``
    is ``EUR``; a bare ``$`` is rejected (which dollar?).

    >>> to_currency(pa.array(["cny", "人民币", "€", "$"])).values.to_pylist()
    ['CNY', 'CNY', 'EUR', None]
    """
    text = pc.utf8_upper(clean_text(array, identifier=True).values)
    words = pa.array(list(_CURRENCY_WORDS), pa.string())
    codes = pa.array(list(_CURRENCY_WORDS.values()), pa.string())
    text = pc.coalesce(pc.take(codes, pc.index_in(text, value_set=words)), text)
    good = pc.match_substring_regex(text, r"^[A-Z]{3}$")
    bad = pc.and_(pc.is_valid(text), pc.invert(_mask(good)))
    return Cleaned(pc.if_else(_mask(bad), pa.scalar(None, pa.string()), text),
                   _problem(bad, "not a currency code (ISO 4217, e.g. CNY, USD, EUR)",
                            "不是币种代码（ISO 4217，如 CNY、USD、EUR）"))


# -- numbers ---------------------------------------------------------------------------------
_SYMBOLS = (r"(?:[A-Z]{3}|RMB|CN¥|US\$|HK\$|NT\$|A\$|C\$|S\$|[¥$€£₹₩₽]|人民币|元|美元|欧元|"
            r"港币|港元|日元|英镑|块)")
_AMOUNT = re.compile(
    rf"^(?P<s1>[-+])?\s*(?P<c1>{_SYMBOLS})?\s*(?P<s2>[-+])?\s*"
    r"(?P<num>[\d.,'’ \u00a0\u202f]*\d[\d.,'’ \u00a0\u202f]*?|[\d.,]*\d)"
    rf"\s*(?P<c2>{_SYMBOLS})?\s*(?P<s3>-)?$")
_ABBREVIATED = re.compile(r"\d\s*(?:[KkMmBbWw]|mn|bn|千|万|萬|亿|億)\b|\d\s*(?:千|万|萬|亿|億)")

_R_NOT_NUMBER = Reason("not a number", "不是数字")
_R_ABBREVIATED = Reason("abbreviated amounts (k, m, 万) are not guessed",
                        "不猜测缩写金额（k、m、万 等）")
_R_GROUPING = Reason("thousands separators in the wrong places", "千位分隔符位置不对")
_R_TOO_LARGE = Reason("too large", "数值过大")
_R_NOT_WHOLE = Reason("not a whole number", "不是整数")


def parse_number(text: str, decimal_separator: str = ".") -> Decimal | Reason:
    """One number as people write it, or the reason it is not one. Currency symbols and codes
    around it are ignored; ``(1,234.50)`` and a trailing ``-`` mean negative.

    When a single ``.`` or ``,`` is followed by exactly three digits it could be either
    separator: ``decimal_separator`` decides (``1,234`` is 1234 with the default ``.``).

    >>> [str(parse_number(t)) for t in ("¥1,234.50", "1.234,50 €", "(12.5)", "1 234,5")]
    ['1234.50', '1234.50', '-12.5', '1234.5']
    >>> parse_number("$ 12k").en
    'abbreviated amounts (k, m, 万) are not guessed'
    """
    s = text.strip().translate(_TO_HALF_ALL).replace("−", "-")
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1].strip()
    found = _AMOUNT.match(s.upper())
    if not found:
        return _R_ABBREVIATED if _ABBREVIATED.search(s) else _R_NOT_NUMBER
    signs = [g for g in (found["s1"], found["s2"], found["s3"]) if g]
    if len(signs) > 1:
        return _R_NOT_NUMBER
    negative ^= bool(signs) and signs[0] == "-"
    digits = re.sub(r"[ '’\u00a0\u202f]", "", found["num"])
    dots, commas = digits.count("."), digits.count(",")
    decimal: str | None
    thousands: str | None
    if dots and commas:
        decimal = "." if digits.rfind(".") > digits.rfind(",") else ","
        thousands = "," if decimal == "." else "."
        if digits.count(decimal) > 1:
            return _R_GROUPING
    elif dots + commas == 0:
        decimal = thousands = None
    else:
        sep = "." if dots else ","
        if digits.count(sep) > 1:
            decimal, thousands = None, sep
        elif len(digits) - digits.index(sep) - 1 == 3 and sep != decimal_separator \
                and 1 <= digits.index(sep) <= 3:
            decimal, thousands = None, sep
        else:
            decimal, thousands = sep, None
    whole, _, fraction = digits.partition(decimal) if decimal else (digits, "", "")
    if thousands:
        groups = whole.split(thousands)
        if not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:]):
            return _R_GROUPING
        whole = "".join(groups)
    if not (whole or fraction) or not (whole + fraction).isdigit():
        return _R_NOT_NUMBER
    try:
        value = Decimal(f"{whole or '0'}.{fraction or '0'}")
    except InvalidOperation:
        return _R_NOT_NUMBER
    return -value if negative else value


_DOLLARS = frozenset({"USD", "AUD", "CAD", "HKD", "NZD", "SGD", "TWD", "MXN"})
_SYMBOL_CODES: dict[str, frozenset[str]] = {
    "$": _DOLLARS, "¥": frozenset({"CNY", "JPY"}), "块": frozenset({"CNY"}),
    "A$": frozenset({"AUD"}), "C$": frozenset({"CAD"}), "S$": frozenset({"SGD"}),
    "₹": frozenset({"INR"}), "₩": frozenset({"KRW"}), "₽": frozenset({"RUB"}),
} | {word: frozenset({code}) for word, code in _CURRENCY_WORDS.items() if word != "¥"}


def stated_currency(text: str) -> tuple[str, frozenset[str]] | None:
    """The currency symbol or code an amount is written with, and the ISO codes it can mean;
    ``None`` when it names none or is not an amount (:func:`parse_number` says why).

    >>> stated_currency("USD 1,200.00"), stated_currency("12,000元"), stated_currency("1200")
    (('USD', frozenset({'USD'})), ('元', frozenset({'CNY'})), None)
    >>> sorted(stated_currency("$ 50")[1])[:3]
    ['AUD', 'CAD', 'HKD']
    """
    s = text.strip().translate(_TO_HALF_ALL).replace("−", "-")
    if s.startswith("(") and s.endswith(")"):
        s = s[1:-1].strip()
    found = _AMOUNT.match(s.upper())
    if not found:
        return None
    tokens = [t for t in (found["c1"], found["c2"]) if t]
    if not tokens:
        return None
    codes = frozenset[str].intersection(
        *(_SYMBOL_CODES.get(t, frozenset({t})) for t in tokens))
    return " ".join(tokens), codes


def _parse_distinct(texts: pa.Array, parse: Callable[[str], object], value_type: pa.DataType
                    ) -> tuple[pa.Array, list[tuple[pa.BooleanArray, Reason]]]:
    """``parse`` run once per distinct value of ``texts``; values, and a mask per reason."""
    distinct = pc.unique(texts.filter(pc.is_valid(texts)))
    parsed = [parse(t) for t in distinct.to_pylist()]
    good = pa.array([None if isinstance(p, Reason) else p for p in parsed], value_type)
    index = pc.index_in(texts, value_set=distinct)
    values = pc.take(good, index)
    reasons: dict[Reason, list[int]] = {}
    for i, p in enumerate(parsed):
        if isinstance(p, Reason):
            reasons.setdefault(p, []).append(i)
    masks = [(_mask(pc.is_in(index, value_set=pa.array(ids, pa.int32()))), reason)
             for reason, ids in reasons.items()]
    return values, masks


def _numeric(array: pa.Array, fast: str, value_type: pa.DataType,
             parse: Callable[[str], object], grouped: str | None = None) -> Cleaned:
    """Text to numbers: a plain spelling (``fast``) is cast in bulk, and so is a ``grouped``
    one (a currency symbol, thousands commas) once those are stripped; the rest is parsed per
    distinct value."""
    text = clean_text(array, identifier=True).values
    plain = _mask(pc.match_substring_regex(text, fast))
    values = pc.cast(pc.if_else(plain, text, pa.scalar(None, pa.string())), value_type)
    rest = pc.if_else(plain, pa.scalar(None, pa.string()), text)
    if grouped is not None and rest.null_count < len(rest):
        common = _mask(pc.match_substring_regex(rest, grouped))
        if common.true_count:
            stripped = pc.replace_substring_regex(
                pc.if_else(common, rest, pa.scalar(None, pa.string())), r"[^0-9.\-]", "")
            values = pc.coalesce(values, pc.cast(stripped, value_type))
            rest = pc.if_else(common, pa.scalar(None, pa.string()), rest)
    if rest.null_count == len(rest):
        return Cleaned(values)
    parsed, masks = _parse_distinct(rest, parse, value_type)
    problems = tuple(Problem(m, r) for m, r in masks if m.true_count)
    return Cleaned(pc.coalesce(values, parsed), problems)


def _money_value(decimal_separator: str) -> Callable[[str], object]:
    def parse(text: str) -> object:
        value = parse_number(text, decimal_separator)
        if isinstance(value, Reason):
            return value
        if abs(value) >= _MONEY_LIMIT:
            return _R_TOO_LARGE
        # Exact to the money scale; a fifth decimal (a computed unit price) rounds half to even.
        return value.quantize(_MONEY_STEP, rounding=ROUND_HALF_EVEN)

    return parse


def to_money(array: pa.Array, decimal_separator: str = ".") -> Cleaned:
    """A DECIMAL(18, 4) amount, exact (``1170.375`` stays ``1170.375``); see
    :func:`parse_number` for the forms read. Numbers from a typed source are rounded to 4
    decimals (a spreadsheet's 0.1 + 0.2); a value is rejected only when it is not a number or
    too large to keep.

    >>> money = to_money(pa.array(["1170.375", "0.12345", "1,170.375"])).values
    >>> [str(v) for v in money.to_pylist()]
    ['1170.3750', '0.1234', '1170.3750']
    """
    array = _plain(array)
    if pa.types.is_floating(array.type) or pa.types.is_integer(array.type) \
            or pa.types.is_decimal(array.type):
        numbers = array.cast(pa.float64()) if not pa.types.is_decimal(array.type) else array
        if not pa.types.is_decimal(numbers.type):
            numbers = pc.round(numbers, ndigits=MONEY_SCALE)
        too_large = pc.greater_equal(pc.abs(numbers.cast(pa.float64())), float(_MONEY_LIMIT))
        safe = pc.if_else(_mask(too_large), pa.scalar(None, numbers.type), numbers)
        return Cleaned(pc.round(safe, ndigits=MONEY_SCALE).cast(MONEY, safe=False),
                       _problem(too_large, _R_TOO_LARGE.en, _R_TOO_LARGE.zh))
    if decimal_separator == ".":
        fast = r"^-?\d{1,14}(\.\d{1,4})?$"
        grouped = (r"^(?:[¥￥$€£]|CNY|RMB|USD|EUR) ?-?\d{1,3}(?:,\d{3}){0,3}(?:\.\d{1,4})?$|"
                   r"^-?\d{1,3}(?:,\d{3}){1,3}(?:\.\d{1,4})?$")
    else:
        fast, grouped = r"^-?\d{1,14}$", None
    return _numeric(array, fast, MONEY, _money_value(decimal_separator), grouped)


def to_integer(array: pa.Array) -> Cleaned:
    """A whole number (``1,234`` and ``5.0`` read; ``4.5`` rejected)."""
    array = _plain(array)
    if pa.types.is_integer(array.type):
        return Cleaned(array.cast(pa.int64()))
    if pa.types.is_floating(array.type) or pa.types.is_decimal(array.type):
        floats = array.cast(pa.float64())
        whole = pc.equal(floats, pc.floor(floats))
        bad = pc.and_(pc.is_valid(floats), pc.invert(_mask(whole)))
        kept = pc.if_else(_mask(bad), pa.scalar(None, pa.float64()), floats)
        return Cleaned(kept.cast(pa.int64()), _problem(bad, _R_NOT_WHOLE.en, _R_NOT_WHOLE.zh))

    def parse(text: str) -> object:
        value = parse_number(text)
        if isinstance(value, Reason):
            return value
        if value != value.to_integral_value():
            return _R_NOT_WHOLE
        return int(value) if abs(value) < 2**63 else _R_TOO_LARGE

    return _numeric(array, r"^[-+]?\d{1,18}$", pa.int64(), parse)


def to_float(array: pa.Array, decimal_separator: str = ".") -> Cleaned:
    """A floating-point number (``1,234.5``, ``12,5`` and ``1e3`` read)."""
    array = _plain(array)
    if pa.types.is_integer(array.type) or pa.types.is_floating(array.type) \
            or pa.types.is_decimal(array.type):
        return Cleaned(array.cast(pa.float64()))

    def parse(text: str) -> object:
        value = parse_number(text, decimal_separator)
        return value if isinstance(value, Reason) else float(value)

    return _numeric(array, r"^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?$", pa.float64(), parse)


_DURATION = re.compile(r"^(?:(?P<h>\d+):)?(?P<m>\d{1,2}):(?P<s>\d{1,2})$")
_DURATION_WORDS = re.compile(
    r"^(?:(?P<h>\d+)\s*(?:小时|时|h|hr|hrs|hours?))?\s*(?:(?P<m>\d+)\s*(?:分钟|分|m|min|mins|"
    r"minutes?))?\s*(?:(?P<s>\d+)\s*(?:秒|s|sec|secs|seconds?))?$", re.IGNORECASE)


def _duration_seconds(text: str) -> object:
    s = text.strip().translate(_TO_HALF_ALL)
    found = _DURATION.match(s) or _DURATION_WORDS.match(s)
    if found and any(found.groups()):
        h, m, sec = (int(found[g] or 0) for g in ("h", "m", "s"))
        return h * 3600 + m * 60 + sec
    value = parse_number(s)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return Reason("not a duration (seconds, mm:ss or hh:mm:ss)",
                  "不是时长（秒数、分:秒 或 时:分:秒）")


def to_duration(array: pa.Array) -> Cleaned:
    """Whole seconds from ``330``, ``5:30``, ``1:05:30`` or ``5分30秒``.

    >>> to_duration(pa.array(["330", "5:30", "1:05:30", "5分30秒"])).values.to_pylist()
    [330, 330, 3930, 330]
    """
    array = _plain(array)
    if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
        return to_integer(array)
    return _numeric(array, r"^\d{1,18}$", pa.int64(), _duration_seconds)


_TRUE = ("true", "t", "yes", "y", "1", "是", "真", "对", "on", "在职", "有效", "active", "x", "✓")
_FALSE = ("false", "f", "no", "n", "0", "否", "假", "错", "off", "离职", "无效", "inactive")


def to_boolean(array: pa.Array) -> Cleaned:
    """True or false from ``true/false``, ``yes/no``, ``y/n``, ``1/0``, ``是/否``, ``在职/离职``.

    >>> to_boolean(pa.array(["是", "No", "1", "maybe"])).values.to_pylist()
    [True, False, True, None]
    """
    array = _plain(array)
    if pa.types.is_boolean(array.type):
        return Cleaned(array)
    if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
        array = as_text(array)
    text = pc.utf8_lower(clean_text(array, identifier=True).values)
    true = _mask(pc.is_in(text, value_set=pa.array(_TRUE)))
    false = _mask(pc.is_in(text, value_set=pa.array(_FALSE)))
    values = pc.if_else(true, True, pc.if_else(false, False, pa.scalar(None, pa.bool_())))
    bad = pc.and_(pc.is_valid(text), pc.invert(pc.or_(true, false)))
    return Cleaned(values, _problem(bad, "not a yes/no value (true/false, yes/no, 1/0, 是/否)",
                                    "不是是/否值（true/false、yes/no、1/0、是/否）"))


# -- dates and timestamps --------------------------------------------------------------------
_TIME = (r"(?:(?:T|\s+)(?:(?P<ap0>上午|下午|AM|PM)\s*)?(?P<H>\d{1,2})[:时](?P<M>\d{1,2})"
         r"(?:[:分](?P<S>\d{1,2})(?:[.,](?P<F>\d{1,9}))?秒?)?分?\s*(?P<ap>[AP]\.?M\.?)?)?"
         r"\s*(?P<Z>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_PATTERNS: tuple[str, ...] = (
    rf"^(?P<y>\d{{4}})\s*[-/.年]\s*(?P<m>\d{{1,2}})\s*[-/.月]\s*(?P<d>\d{{1,2}})\s*日?{_TIME}$",
    rf"^(?P<a>\d{{1,2}})[-/.](?P<b>\d{{1,2}})[-/.](?P<y>\d{{4}}){_TIME}$",
    r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$",
    rf"^(?P<d>\d{{1,2}})[-\s](?P<mon>[A-Z]{{3,9}})\.?[-\s,]+(?P<y>\d{{4}}){_TIME}$",
    rf"^(?P<mon>[A-Z]{{3,9}})\.?\s+(?P<d>\d{{1,2}}),?\s+(?P<y>\d{{4}}){_TIME}$",
    r"^(?P<serial>\d{5}(?:\.\d+)?)$",
)
_DIRECTIVES = {
    "%Y": r"(?P<y>\d{4})", "%m": r"(?P<m>\d{1,2})", "%d": r"(?P<d>\d{1,2})",
    "%H": r"(?P<H>\d{1,2})", "%I": r"(?P<H>\d{1,2})", "%M": r"(?P<M>\d{1,2})",
    "%S": r"(?P<S>\d{1,2})", "%f": r"(?P<F>\d{1,9})", "%p": r"(?P<ap>[AP]\.?M\.?)",
    "%z": r"(?P<Z>Z|[+-]\d{2}(?::?\d{2})?)", "%b": r"(?P<mon>[A-Z]{3,9})",
    "%B": r"(?P<mon>[A-Z]{3,9})", "%%": "%",
}
_EXCEL_EPOCH_DAYS = -25569  # 1899-12-30 in days since 1970-01-01
_US_PER_DAY = 86_400_000_000

_R_NOT_DATE = Reason("not a date or time", "不是日期或时间")
_R_OUT_OF_RANGE = Reason(
    f"out of range: a date must fall between {EARLIEST_DAY} and {LATEST_DAY}",
    f"超出范围：日期须在 {EARLIEST_DAY} 至 {LATEST_DAY} 之间")
_FIRST_US = (EARLIEST_DAY.toordinal() - date(1970, 1, 1).toordinal()) * 86_400_000_000
_END_US = (LATEST_DAY.toordinal() + 1 - date(1970, 1, 1).toordinal()) * 86_400_000_000
_R_BAD_DAY = Reason("no such day", "日期不存在")
_R_AMBIGUOUS = Reason(
    "day/month order unknown: set date_order (dmy or mdy) in the mapping or --date-order",
    "无法判断日/月顺序：请在映射文件中设置 date_order（dmy 或 mdy）或使用 --date-order")


def format_pattern(fmt: str) -> str:
    """A ``strptime`` format as a regular expression with the named groups the parser reads.

    >>> print(format_pattern("%d.%m.%Y"))
    ^(?P<d>\\d{1,2})\\.(?P<m>\\d{1,2})\\.(?P<y>\\d{4})$
    """
    out = []
    i = 0
    while i < len(fmt):
        token = fmt[i:i + 2]
        if token in _DIRECTIVES:
            out.append(_DIRECTIVES[token])
            i += 2
        elif fmt[i] == "%":
            raise ValueError(f"unsupported directive {token!r} in date format {fmt!r}")
        else:
            # The text is matched in upper case (AM/PM, month names, T and Z).
            out.append(re.escape(fmt[i].upper()))
            i += 1
    return "^" + "".join(out) + "$"


def _ints(parts: dict[str, pa.Array], name: str, default: int = 0) -> np.ndarray:
    if name not in parts:
        return np.full(len(next(iter(parts.values()))), default, dtype=np.int64)
    text = pc.if_else(_mask(pc.equal(parts[name], "")), str(default), parts[name])
    return pc.cast(pc.fill_null(text, str(default)), pa.int64()).to_numpy(zero_copy_only=False)


def _days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y = y - (m <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _days_in_month(y: np.ndarray, m: np.ndarray) -> np.ndarray:
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    lengths = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
    return lengths[np.clip(m, 1, 12) - 1] + ((m == 2) & leap)


@dataclass(slots=True)
class _Parsed:
    """Parsed rows of one pattern: microseconds as written, and per-row flags."""

    matched: np.ndarray
    micros: np.ndarray
    valid: np.ndarray
    ambiguous: np.ndarray
    offset_minutes: np.ndarray  # minutes east of UTC
    has_offset: np.ndarray
    has_time: np.ndarray


@dataclass(slots=True)
class _Parts:
    """A date and time as integers, one array per part; ``pm``/``am`` mark 12-hour clocks."""

    y: np.ndarray
    m: np.ndarray
    d: np.ndarray
    hour: np.ndarray
    minute: np.ndarray
    second: np.ndarray
    fraction: np.ndarray  # microseconds
    pm: np.ndarray
    am: np.ndarray
    offset_minutes: np.ndarray
    has_offset: np.ndarray
    has_time: np.ndarray


def _assemble(matched: np.ndarray, p: _Parts, ambiguous: np.ndarray) -> _Parsed:
    """Microseconds since the epoch (as written) from parts, and whether each is a real time."""
    twelve_hour = p.pm | p.am
    hour_ok = np.where(twelve_hour, (p.hour >= 1) & (p.hour <= 12), p.hour <= 23)
    hour = np.where(p.pm & (p.hour < 12), p.hour + 12, np.where(p.am & (p.hour == 12), 0, p.hour))
    valid = matched & (p.m >= 1) & (p.m <= 12) & (p.d >= 1) & (p.d <= _days_in_month(p.y, p.m)) \
        & hour_ok & (p.minute <= 59) & (p.second <= 59) & (p.y >= 1)
    days = _days_from_civil(p.y, np.clip(p.m, 1, 12), p.d)
    micros = days * _US_PER_DAY + ((hour * 60 + p.minute) * 60 + p.second) * 1_000_000 \
        + p.fraction
    return _Parsed(matched, micros, valid, ambiguous, p.offset_minutes, p.has_offset, p.has_time)


def _parse_struct(struct: pa.StructArray, order: DateOrder | None) -> _Parsed:
    """Rows matched by one of the patterns (named groups as text) as times."""
    matched = pc.is_valid(struct).to_numpy(zero_copy_only=False)
    parts = {struct.type.field(i).name: struct.field(i) for i in range(struct.type.num_fields)}
    n = len(struct)
    ambiguous = np.zeros(n, dtype=bool)
    zeros = np.zeros(n, dtype=np.int64)
    no = np.zeros(n, dtype=bool)
    if "serial" in parts:
        text = pc.if_else(_mask(pc.equal(parts["serial"], "")), "0", parts["serial"])
        serial = np.nan_to_num(pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False))
        seconds = np.round((serial + _EXCEL_EPOCH_DAYS) * 86_400).astype(np.int64)
        valid = matched & (serial >= 1) & (serial < 2958466)
        return _Parsed(matched, seconds * 1_000_000, valid, ambiguous, zeros, no,
                       serial != np.floor(serial))
    y = _ints(parts, "y")
    if "a" in parts:
        a, b = _ints(parts, "a"), _ints(parts, "b")
        match order:
            case "dmy":
                d, m = a, b
            case "mdy":
                m, d = a, b
            case _:
                # Only a value that reads both ways is ambiguous: 13/01/2025 is not.
                ambiguous = matched & (a <= 12) & (b <= 12) & (a != b)
                m = np.where(a > 12, b, a)
                d = np.where(a > 12, a, b)
    else:
        d = _ints(parts, "d", 1)
        if "mon" in parts:
            names = pc.utf8_slice_codeunits(pc.utf8_lower(parts["mon"]), 0, 3)
            index = pc.index_in(names, value_set=pa.array(_MONTHS))
            m = pc.fill_null(index, -1).to_numpy(zero_copy_only=False).astype(np.int64) + 1
        else:
            m = _ints(parts, "m", 1)
    # An optional group that did not take part is "", so joining keeps whichever one did.
    am_pm = pc.binary_join_element_wise(pc.fill_null(parts.get("ap", pa.nulls(n, pa.string())), ""),
                                        pc.fill_null(parts.get("ap0", pa.nulls(n, pa.string())),
                                                     ""), "")
    am_pm = pc.utf8_slice_codeunits(am_pm, 0, 1).to_numpy(zero_copy_only=False)
    fraction = zeros
    if "F" in parts:
        digits = pc.utf8_slice_codeunits(pc.utf8_rpad(pc.fill_null(parts["F"], ""), 6, "0"), 0, 6)
        fraction = pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False)
    offset, has_offset = zeros, no
    if "Z" in parts:
        zone = pc.fill_null(parts["Z"], "")
        has_offset = pc.not_equal(zone, "").to_numpy(zero_copy_only=False)
        sign = np.where(pc.starts_with(zone, "-").to_numpy(zero_copy_only=False), -1, 1)
        numbers = pc.replace_substring_regex(zone, r"[^0-9]", "")
        hh = pc.cast(pc.if_else(pc.equal(numbers, ""), "0",
                                pc.utf8_slice_codeunits(numbers, 0, 2)), pa.int64())
        mm = pc.cast(pc.if_else(pc.less(pc.utf8_length(numbers), 4), "0",
                                pc.utf8_slice_codeunits(numbers, 2, 4)), pa.int64())
        offset = sign * (hh.to_numpy(zero_copy_only=False) * 60
                         + mm.to_numpy(zero_copy_only=False))
    has_time = pc.not_equal(pc.fill_null(parts["H"], ""), "").to_numpy(zero_copy_only=False) \
        if "H" in parts else no
    parts_ = _Parts(y, m, d, _ints(parts, "H"), _ints(parts, "M"), _ints(parts, "S"), fraction,
                    np.isin(am_pm, ["P", "下"]), np.isin(am_pm, ["A", "上"]), offset, has_offset,
                    has_time)
    return _assemble(matched, parts_, ambiguous)


_ISO_FIXED = r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?Z?$"


def _parse_iso_fixed(text: pa.Array) -> _Parsed:
    """``YYYY-MM-DD[ HH:MM[:SS]][Z]`` values (checked by :data:`_ISO_FIXED`), read digit by
    digit from the string buffer: most files write these, and no regex is needed."""
    text = pa.array(text.to_pylist(), pa.string()) if text.offset else text
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[: len(text) + 1].astype(np.int64)
    data = np.frombuffer(text.buffers()[2], dtype=np.uint8)
    starts = offsets[:-1]
    length = offsets[1:] - starts
    zulu = (length > 0) & (data[np.clip(offsets[1:] - 1, 0, max(data.size - 1, 0))] == ord("Z"))
    length = length - zulu

    def number(at: int, width: int, needs: int) -> np.ndarray:
        value = np.zeros(len(text), dtype=np.int64)
        present = length >= needs
        for k in range(width):
            index = np.clip(starts + at + k, 0, data.size - 1)
            value = value * 10 + (data[index].astype(np.int64) - ord("0"))
        return np.where(present, value, 0)

    n = len(text)
    no = np.zeros(n, dtype=bool)
    zeros = np.zeros(n, dtype=np.int64)
    parts = _Parts(number(0, 4, 10), number(5, 2, 10), number(8, 2, 10), number(11, 2, 16),
                   number(14, 2, 16), number(17, 2, 19), zeros, no, no, zeros, zulu, length >= 16)
    return _assemble(np.ones(n, dtype=bool), parts, no)


@dataclass(frozen=True, slots=True)
class _Moments:
    """Parsed text: microseconds since the epoch as written (null where not parsed), and the
    UTC offset in minutes where the text gave one."""

    micros: pa.Array
    has_offset: pa.BooleanArray
    offset_minutes: pa.Array
    problems: tuple[Problem, ...]


def _parse_datetimes(array: pa.Array, options: DateOptions) -> _Moments:
    text = clean_text(array, identifier=True).values
    n = len(text)
    micros = np.zeros(n, dtype=np.int64)
    offset = np.zeros(n, dtype=np.int64)
    has_offset = np.zeros(n, dtype=bool)
    has_time = np.zeros(n, dtype=bool)
    done = ~pc.is_valid(text).to_numpy(zero_copy_only=False)
    invalid = np.zeros(n, dtype=bool)
    ambiguous = np.zeros(n, dtype=bool)

    def take(rows: np.ndarray, parsed: _Parsed) -> None:
        chosen = parsed.matched
        rows = rows[chosen]
        micros[rows] = parsed.micros[chosen]
        offset[rows] = parsed.offset_minutes[chosen]
        has_offset[rows] = parsed.has_offset[chosen]
        has_time[rows] = parsed.has_time[chosen]
        invalid[rows] = ~parsed.valid[chosen]
        ambiguous[rows] = parsed.ambiguous[chosen]
        done[rows] = True

    if not options.formats:
        iso = _mask(pc.match_substring_regex(text, _ISO_FIXED)).to_numpy(zero_copy_only=False)
        if iso.any():
            take(np.flatnonzero(iso), _parse_iso_fixed(text.filter(pa.array(iso))))
    patterns = [format_pattern(f) for f in options.formats] + list(_PATTERNS)
    for pattern in patterns:
        todo = ~done
        if not todo.any():
            break
        # Upper case: AM/PM, month names, T and Z are matched that way.
        subset = pc.utf8_upper(text.filter(pa.array(todo)))
        take(np.flatnonzero(todo), _parse_struct(pc.extract_regex(subset, pattern),
                                                 options.order))
    unparsed = ~done
    read = done & ~invalid & ~ambiguous & pc.is_valid(text).to_numpy(zero_copy_only=False)
    far = read & ((micros < _FIRST_US) | (micros >= _END_US))
    bad = unparsed | invalid | ambiguous | far
    problems: list[Problem] = []
    for mask, reason in ((unparsed, _R_NOT_DATE), (invalid & ~ambiguous, _R_BAD_DAY),
                         (ambiguous, _R_AMBIGUOUS), (far, _R_OUT_OF_RANGE)):
        if mask.any():
            problems.append(Problem(pa.array(mask), reason))
    null = ~pc.is_valid(text).to_numpy(zero_copy_only=False) | bad
    if options.default_time:
        micros += np.where(has_time, 0, options.default_time * 1_000_000)
    return _Moments(pa.array(micros, pa.int64(), mask=null), pa.array(has_offset & ~null),
                    pa.array(offset), tuple(problems))


def to_timestamp(array: pa.Array, options: DateOptions | None = None) -> Cleaned:
    """A naive UTC timestamp. A value with ``Z`` or an offset is converted from it; a value
    without one is in ``options.timezone`` (the organisation's, unless the mapping says).

    >>> to_timestamp(pa.array(["2025-03-01T09:00:00+08:00", "03/01/2025 9:05 PM"]),
    ...              DateOptions(order="mdy")).values.to_pylist()
    [datetime.datetime(2025, 3, 1, 1, 0), datetime.datetime(2025, 3, 1, 21, 5)]
    """
    options = options or DateOptions()
    array = _plain(array)
    if pa.types.is_timestamp(array.type):
        if array.type.tz is not None:
            return _in_range(array.cast(pa.timestamp("us", "UTC")).cast(TIMESTAMP))
        return _in_range(_local_to_utc(array.cast(TIMESTAMP), options.timezone))
    if pa.types.is_date(array.type):
        days = _in_range(array)
        return Cleaned(_local_to_utc(days.values.cast(TIMESTAMP), options.timezone),
                       days.problems)
    moments = _parse_datetimes(array, options)
    converted = _local_to_utc(moments.micros.cast(TIMESTAMP), options.timezone)
    shifted = pc.subtract(moments.micros, pc.multiply(moments.offset_minutes, 60_000_000))
    return Cleaned(pc.if_else(moments.has_offset, shifted.cast(TIMESTAMP), converted),
                   moments.problems)


def _in_range(values: pa.Array, problems: tuple[Problem, ...] = ()) -> Cleaned:
    """Typed dates or timestamps (a Parquet or Arrow source) with those outside
    :data:`~salescore.model.tables.EARLIEST_DAY`..``LATEST_DAY`` rejected as out of range."""
    if pa.types.is_date(values.type):
        micros = values.cast(pa.date32()).cast(pa.int32()).cast(pa.int64())
        micros = pc.multiply(micros, _US_PER_DAY)
    else:
        micros = values.cast(pa.timestamp("us")).cast(pa.int64())
    far = pc.fill_null(pc.or_(pc.less(micros, _FIRST_US), pc.greater_equal(micros, _END_US)),
                       False)
    if not far.true_count:
        return Cleaned(values, problems)
    return Cleaned(pc.if_else(far, pa.scalar(None, values.type), values),
                   problems + (Problem(far, _R_OUT_OF_RANGE),))


def _local_to_utc(naive: pa.Array, timezone: str) -> pa.Array:
    if timezone == "UTC":
        return naive
    zoned = pc.assume_timezone(naive, timezone=timezone, ambiguous="earliest",
                               nonexistent="earliest")
    return zoned.cast(pa.timestamp("us", "UTC")).cast(TIMESTAMP)


def to_date(array: pa.Array, options: DateOptions | None = None) -> Cleaned:
    """A calendar date, as written: a time of day, if any, is ignored and no zone applies.

    >>> to_date(pa.array(["2025/3/1", "45717", "2025-02-30"])).values.to_pylist()
    [datetime.date(2025, 3, 1), datetime.date(2025, 3, 1), None]
    """
    options = options or DateOptions()
    array = _plain(array)
    if pa.types.is_date(array.type):
        return _in_range(array.cast(pa.date32()))
    if pa.types.is_timestamp(array.type):
        return _in_range(array.cast(pa.date32()))
    moments = _parse_datetimes(array, DateOptions(options.order, options.timezone,
                                                  options.formats))
    # Whole days in integers: a far date's microseconds do not fit a float exactly.
    micros = pc.fill_null(moments.micros, 0).to_numpy(zero_copy_only=False)
    valid = pc.is_valid(moments.micros).to_numpy(zero_copy_only=False)
    days = np.floor_divide(micros, _US_PER_DAY)
    return Cleaned(pa.array(days.astype(np.int32), pa.int32(), mask=~valid).cast(pa.date32()),
                   moments.problems)
