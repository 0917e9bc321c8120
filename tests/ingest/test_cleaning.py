"""Each cleaning rule: what it reads, what it makes of it, and what it refuses (with why)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from salescore.ingest.cleaning import (
    Cleaned,
    DateOptions,
    blank_to_null,
    clean_text,
    half_width,
    parse_number,
    to_boolean,
    to_choice,
    to_currency,
    to_date,
    to_duration,
    to_email,
    to_float,
    to_integer,
    to_money,
    to_phone,
    to_timestamp,
)
from salescore.ingest.problems import Reason


def reasons(cleaned: Cleaned) -> dict[str, list[int]]:
    """Each problem's English reason and the row indexes it marks."""
    return {p.reason.en: [i for i, v in enumerate(p.mask.to_pylist()) if v]
            for p in cleaned.problems}


def test_null_tokens_are_only_what_was_asked() -> None:
    values = pa.array(["NA", " ", "", "N/A", "null", "-", None, "x"])
    assert blank_to_null(values).to_pylist() == ["NA", None, None, "N/A", "null", "-", None, "x"]
    assert blank_to_null(values, ["NA", "-"]).to_pylist() == \
        [None, None, None, "N/A", "null", None, None, "x"]


def test_text_is_trimmed_folded_and_half_width() -> None:
    values = pa.array(["  Acme\u3000\u3000Ltd ", "ＡＢＣ　１２３", "\u00a0x\ty\u200b",
                       "line1 \r\nline2", "   "])
    assert clean_text(values).values.to_pylist() == \
        ["Acme Ltd", "ABC 123", "x y", "line1\nline2", None]
    assert clean_text(values, identifier=True).values.to_pylist()[3] == "line1 line2"


def test_full_width_punctuation_is_kept_in_free_text_only() -> None:
    values = pa.array(["ＫＨ－００１（新）", "很好，谢谢！"])
    assert half_width(values, everything=True).to_pylist() == ["KH-001(新)", "很好,谢谢!"]
    assert half_width(values, everything=False).to_pylist() == ["KH－001（新）", "很好，谢谢！"]


def test_email() -> None:
    cleaned = to_email(pa.array([" Li.Lei@Example.COM ", "王芳 <wang.fang@公司.中国>",
                                 "mailto:a@b.cn", "ｚｈａｎｇ＠ｘｘ．ｃｏｍ", "not-an-email",
                                 "a@b", None]))
    assert cleaned.values.to_pylist() == ["li.lei@example.com", "wang.fang@公司.中国",
                                          "a@b.cn", "zhang@xx.com", None, None, None]
    assert reasons(cleaned) == {"not an e-mail address": [4, 5]}


def test_phone() -> None:
    cleaned = to_phone(pa.array(["+86 138-0013-8000", "(010) 6552-1234", "0086 21 5555 0000",
                                 "电话：139 1234 5678", "１３８００１３８０００", "ext. 12", "12"]))
    assert cleaned.values.to_pylist() == ["+8613800138000", "01065521234", "+862155550000",
                                          "13912345678", "13800138000", None, None]
    assert reasons(cleaned) == {"not a phone number": [5, 6]}


@pytest.mark.parametrize(("text", "expected"), [
    ("1234.5", "1234.50"), ("¥1,234.50", "1234.50"), ("￥1,234.50", "1234.50"),
    ("1.234,50 €", "1234.50"), ("€ 1.234,50", "1234.50"), ("CNY 1 234,5", "1234.50"),
    ("RMB 12,000", "12000.00"), ("12,000元", "12000.00"), ("$1,234,567.89", "1234567.89"),
    ("(1,234.50)", "-1234.50"), ("-12", "-12.00"), ("12-", "-12.00"), ("1'234.50", "1234.50"),
    ("USD 5", "5.00"), ("12,5", "12.50"), ("0.10", "0.10"), ("1.500", "1.50"),
    ("１２３", "123.00"), (".5", "0.50"),
])
def test_money_in_common_forms(text: str, expected: str) -> None:
    cleaned = to_money(pa.array([text]))
    assert cleaned.problems == ()
    assert cleaned.values.to_pylist() == [Decimal(expected)]


@pytest.mark.parametrize(("text", "reason"), [
    ("$ 12k", "abbreviated amounts (k, m, 万) are not guessed"),
    ("1.2万", "abbreviated amounts (k, m, 万) are not guessed"),
    ("3M", "abbreviated amounts (k, m, 万) are not guessed"),
    ("1,23,4", "thousands separators in the wrong places"),
    ("12,34.5", "thousands separators in the wrong places"),
    ("about 100", "not a number"),
    ("--5", "not a number"),
    ("12345678901234567", "too large"),
])
def test_money_that_is_rejected_not_guessed(text: str, reason: str) -> None:
    cleaned = to_money(pa.array(["1", text]))
    assert cleaned.values.to_pylist() == [Decimal("1.00"), None]
    assert reasons(cleaned) == {reason: [1]}


def test_money_with_a_declared_decimal_comma() -> None:
    cleaned = to_money(pa.array(["1,234", "1.234", "1.234,5"]), ",")
    assert cleaned.values.to_pylist() == [Decimal("1.234"), Decimal("1234"), Decimal("1234.5")]
    assert cleaned.problems == ()


@pytest.mark.parametrize(("text", "expected"), [
    ("1170.375", "1170.375"), ("12.345", "12.345"), ("0.0001", "0.0001"),
    ("¥1,170.375", "1170.375"), ("USD 99.9999", "99.9999"), ("1.170,375 €", "1170.375"),
    # Beyond the 4 decimals kept, half to even: a computed unit price, not a reason to reject.
    ("0.12345", "0.1234"), ("0.12355", "0.1236"), ("2.000049", "2.0000"),
    ("12345678901234.5", "12345678901234.5"),
])
def test_money_is_kept_exactly_to_four_decimals(text: str, expected: str) -> None:
    cleaned = to_money(pa.array([text]))
    assert cleaned.problems == ()
    [value] = cleaned.values.to_pylist()
    assert value == Decimal(expected) and value.as_tuple().exponent == -4


def test_money_from_typed_numbers_rounds_to_four_decimals() -> None:
    cleaned = to_money(pa.array([0.1 + 0.2, 1234.5, 1170.375, 2.00004, None]))
    assert cleaned.values.to_pylist() == [Decimal("0.3"), Decimal("1234.5"),
                                          Decimal("1170.375"), Decimal("2"), None]


def test_parse_number_reports_a_reason() -> None:
    assert parse_number("1 234 567,891") == Decimal("1234567.891")
    assert isinstance(parse_number("1e5"), Reason)


def test_integers_floats_and_durations() -> None:
    ints = to_integer(pa.array(["1,234", "5.0", "4.5", "x", " 7 "]))
    assert ints.values.to_pylist() == [1234, 5, None, None, 7]
    assert reasons(ints) == {"not a whole number": [2], "not a number": [3]}
    assert to_integer(pa.array([3.0, 2.5])).values.to_pylist() == [3, None]
    floats = to_float(pa.array(["12.5", "1,234.5", "1e3", "½"]))
    assert floats.values.to_pylist() == [12.5, 1234.5, 1000.0, None]
    durations = to_duration(pa.array(["330", "5:30", "1:05:30", "5分30秒", "1h 2m", "long"]))
    assert durations.values.to_pylist() == [330, 330, 3930, 330, 3720, None]
    assert list(reasons(durations)) == ["not a duration (seconds, mm:ss or hh:mm:ss)"]


def test_booleans() -> None:
    cleaned = to_boolean(pa.array(["是", "否", "Yes", "n", "1", "0", "TRUE", "在职", "离职",
                                   "maybe", None]))
    assert cleaned.values.to_pylist() == [True, False, True, False, True, False, True, True,
                                          False, None, None]
    assert list(reasons(cleaned).values()) == [[9]]
    assert to_boolean(pa.array([1, 0])).values.to_pylist() == [True, False]


def test_choices_and_currencies() -> None:
    kinds = to_choice(pa.array(["Call", " E-mail ", "Joint Visit", "fax"]),
                      ["call", "e_mail", "joint_visit"])
    assert kinds.values.to_pylist() == ["call", "e_mail", "joint_visit", None]
    assert reasons(kinds) == {"not one of: call, e_mail, joint_visit": [3]}
    money = to_currency(pa.array(["cny", "RMB", "人民币", "元", "￥", "US$", "€", "$", "euro"]))
    assert money.values.to_pylist() == ["CNY", "CNY", "CNY", "CNY", "CNY", "USD", "EUR", None,
                                        None]
    assert list(reasons(money).values()) == [[7, 8]]


@pytest.mark.parametrize(("text", "expected"), [
    ("2025-03-01", dt.date(2025, 3, 1)),
    ("2025/3/1", dt.date(2025, 3, 1)),
    ("2025.03.01", dt.date(2025, 3, 1)),
    ("2025年3月1日", dt.date(2025, 3, 1)),
    ("20250301", dt.date(2025, 3, 1)),
    ("1 Mar 2025", dt.date(2025, 3, 1)),
    ("01-March-2025", dt.date(2025, 3, 1)),
    ("Mar 1, 2025", dt.date(2025, 3, 1)),
    ("45717", dt.date(2025, 3, 1)),
    ("2025-03-01 23:59:59", dt.date(2025, 3, 1)),
    ("13/01/2025", dt.date(2025, 1, 13)),
    ("2024-02-29", dt.date(2024, 2, 29)),
])
def test_dates_in_common_forms(text: str, expected: dt.date) -> None:
    cleaned = to_date(pa.array([text]))
    assert cleaned.problems == ()
    assert cleaned.values.to_pylist() == [expected]


def test_day_month_order_must_be_declared_when_ambiguous() -> None:
    values = pa.array(["03/01/2025", "03/03/2025"])
    undeclared = to_date(values)
    assert undeclared.values.to_pylist() == [None, dt.date(2025, 3, 3)]
    assert reasons(undeclared) == {
        "day/month order unknown: set date_order (dmy or mdy) in the mapping or --date-order":
            [0]}
    assert to_date(values, DateOptions(order="dmy")).values.to_pylist()[0] == dt.date(2025, 1, 3)
    assert to_date(values, DateOptions(order="mdy")).values.to_pylist()[0] == dt.date(2025, 3, 1)


def test_dates_that_do_not_exist_or_are_not_dates() -> None:
    cleaned = to_date(pa.array(["2025-02-29", "2025-13-01", "2025/4/31", "soon", "99999999"]))
    assert cleaned.values.to_pylist() == [None] * 5
    assert reasons(cleaned) == {"no such day": [0, 1, 2, 4], "not a date or time": [3]}


@pytest.mark.parametrize(("text", "expected"), [
    ("2025-03-01 09:05", dt.datetime(2025, 3, 1, 1, 5)),
    ("2025-03-01T09:05:07", dt.datetime(2025, 3, 1, 1, 5, 7)),
    ("2025/3/1 9:05", dt.datetime(2025, 3, 1, 1, 5)),
    ("2025年3月1日 9时5分", dt.datetime(2025, 3, 1, 1, 5)),
    ("2025年3月1日 下午3:05", dt.datetime(2025, 3, 1, 7, 5)),
    ("2025-03-01", dt.datetime(2025, 2, 28, 16, 0)),
    ("2025-03-01T09:05:00Z", dt.datetime(2025, 3, 1, 9, 5)),
    ("2025-03-01T09:05:00.250Z", dt.datetime(2025, 3, 1, 9, 5, 0, 250000)),
    ("2025-03-01 09:05:00+01:00", dt.datetime(2025, 3, 1, 8, 5)),
    ("2025-03-01T09:05:00-0500", dt.datetime(2025, 3, 1, 14, 5)),
    ("45717.375", dt.datetime(2025, 3, 1, 1, 0)),
    ("Mar 1, 2025 9:05 PM", dt.datetime(2025, 3, 1, 13, 5)),
])
def test_timestamps_become_naive_utc(text: str, expected: dt.datetime) -> None:
    cleaned = to_timestamp(pa.array([text]), DateOptions(timezone="Asia/Shanghai"))
    assert cleaned.problems == ()
    assert cleaned.values.to_pylist() == [expected]


def test_twelve_hour_clock_and_bad_times() -> None:
    cleaned = to_timestamp(pa.array(["03/01/2025 12:30 AM", "03/01/2025 12:30 PM",
                                     "03/01/2025 13:30 PM", "2025-03-01 24:00"]),
                           DateOptions(order="mdy"))
    assert cleaned.values.to_pylist() == [dt.datetime(2025, 3, 1, 0, 30),
                                          dt.datetime(2025, 3, 1, 12, 30), None, None]
    assert reasons(cleaned) == {"no such day": [2, 3]}


def test_explicit_formats_and_default_time() -> None:
    options = DateOptions(formats=("%d.%m.%Y %H:%M", "%Y%m%d"), default_time=23 * 3600 + 59 * 60)
    cleaned = to_timestamp(pa.array(["01.03.2025 09:05", "20250301", "31.02.2025 10:00"]),
                           options)
    assert cleaned.values.to_pylist() == [dt.datetime(2025, 3, 1, 9, 5),
                                          dt.datetime(2025, 3, 1, 23, 59), None]
    assert reasons(cleaned) == {"no such day": [2]}


def test_typed_timestamps_from_parquet() -> None:
    aware = pa.array([dt.datetime(2025, 3, 1, 9)], pa.timestamp("us", "UTC"))
    naive = pa.array([dt.datetime(2025, 3, 1, 9)], pa.timestamp("ms"))
    shanghai = DateOptions(timezone="Asia/Shanghai")
    assert to_timestamp(aware, shanghai).values.to_pylist() == [dt.datetime(2025, 3, 1, 9)]
    assert to_timestamp(naive, shanghai).values.to_pylist() == [dt.datetime(2025, 3, 1, 1)]
