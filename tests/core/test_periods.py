"""Periods, the fiscal calendar and time zones: hand-worked examples plus properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salescore.core.errors import ConfigError, PeriodError
from salescore.core.periods import (
    Calendar,
    Grain,
    Period,
    local_date,
    parse_period,
    period_of,
    periods_between,
)

D = date
FIXED = [g for g in Grain if g is not Grain.RANGE]

# Years 3..9997 keep every period of every grain and its neighbours inside date's range (a fiscal
# year starting in February holds January of the next calendar year: its previous one starts
# two calendar years before).
dates = st.dates(min_value=D(3, 1, 1), max_value=D(9997, 12, 31))
# Far enough from both ends of the calendar that a window of +-400 days, widened to whole fiscal
# periods, stays inside the supported dates.
inner_dates = st.dates(min_value=D(4, 1, 1), max_value=D(9996, 12, 31))
fixed_grains = st.sampled_from(FIXED)
fiscal_months = st.integers(min_value=1, max_value=12)


@st.composite
def periods(draw: st.DrawFn) -> Period:
    grain = draw(st.sampled_from(list(Grain)))
    if grain is Grain.RANGE:
        # Bounded length, so that the neighbouring ranges stay inside date's range too.
        start = draw(st.dates(min_value=D(100, 1, 1), max_value=D(9900, 1, 1)))
        return Period(start, start + timedelta(days=draw(st.integers(0, 20_000))), Grain.RANGE)
    return period_of(draw(dates), grain, fiscal_year_start_month=draw(fiscal_months))


def p(text: str, fy: int = 1) -> Period:
    return parse_period(text, fiscal_year_start_month=fy)


# --- labels and parsing -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "grain", "start", "end"),
    [
        ("2025-03-07", Grain.DAY, D(2025, 3, 7), D(2025, 3, 7)),
        ("2025-W07", Grain.WEEK, D(2025, 2, 10), D(2025, 2, 16)),
        ("2025-03", Grain.MONTH, D(2025, 3, 1), D(2025, 3, 31)),
        ("2024-02", Grain.MONTH, D(2024, 2, 1), D(2024, 2, 29)),
        ("2025-Q1", Grain.QUARTER, D(2025, 1, 1), D(2025, 3, 31)),
        ("2025-Q4", Grain.QUARTER, D(2025, 10, 1), D(2025, 12, 31)),
        ("2025", Grain.YEAR, D(2025, 1, 1), D(2025, 12, 31)),
        ("FY2025", Grain.FISCAL_YEAR, D(2025, 1, 1), D(2025, 12, 31)),
        ("FY2025-Q2", Grain.FISCAL_QUARTER, D(2025, 4, 1), D(2025, 6, 30)),
        ("2025-01-01..2025-03-31", Grain.RANGE, D(2025, 1, 1), D(2025, 3, 31)),
    ],
)
def test_parse_each_form(text: str, grain: Grain, start: date, end: date) -> None:
    period = parse_period(text)
    assert (period.grain, period.start, period.end) == (grain, start, end)
    assert str(period) == text
    assert period.label == text


def test_parse_is_case_insensitive_and_trims() -> None:
    assert parse_period("  fy2025-q3\n", fiscal_year_start_month=4) == p("FY2025-Q3", 4)
    assert str(parse_period("2025-w07")) == "2025-W07"
    assert str(parse_period("\t2025-q2 ")) == "2025-Q2"
    assert parse_period("2025-01-01 .. 2025-01-31") == Period(D(2025, 1, 1), D(2025, 1, 31),
                                                              Grain.RANGE)


def test_a_one_day_range_stays_a_range() -> None:
    r = parse_period("2025-03-07..2025-03-07")
    assert r.grain is Grain.RANGE and r.days == 1
    assert r != parse_period("2025-03-07")
    assert str(r) == "2025-03-07..2025-03-07"


@pytest.mark.parametrize(
    "bad",
    ["2025-13", "2025-Q5", "FY", "2025-03-01..2025-02-01", "abc", "", "2025-00", "2025-02-30",
     "2025-W53", "2025-W00", "FY2025-Q0", "FY2025-Q5", "2025-3", "0000", "25", "Q1-2025",
     "2025-03-07..", "\u0662\u0660\u0662\u0665"],
)
def test_bad_text_raises_period_error_naming_it(bad: str) -> None:
    with pytest.raises(PeriodError) as caught:
        parse_period(bad)
    err = caught.value
    assert repr(bad) in err.message
    assert repr(bad) in err.message_zh
    # Both languages list the accepted forms.
    assert "2025-W07" in err.message and "FY2025-Q1" in err.message
    assert "2025-W07" in err.message_zh and "财年" in err.message_zh
    assert isinstance(err, ValueError)


def test_reversed_range_says_why() -> None:
    with pytest.raises(PeriodError, match="ends before it starts"):
        parse_period("2025-03-01..2025-02-01")


def test_parse_rejects_bad_fiscal_month() -> None:
    with pytest.raises(PeriodError):
        parse_period("FY2025", fiscal_year_start_month=13)


@given(periods())
def test_round_trip_every_grain(period: Period) -> None:
    assert p(str(period), period.fiscal_year_start_month) == period


@given(periods(), fiscal_months)
def test_non_fiscal_labels_ignore_the_fiscal_month(period: Period, fy: int) -> None:
    if not period.grain.is_fiscal:
        assert p(str(period), fy) == period


# --- fiscal calendar, worked by hand ------------------------------------------------------------

@pytest.mark.parametrize(
    ("fy", "label", "start", "end"),
    [
        (1, "FY2025", D(2025, 1, 1), D(2025, 12, 31)),
        (1, "FY2025-Q1", D(2025, 1, 1), D(2025, 3, 31)),
        (1, "FY2025-Q4", D(2025, 10, 1), D(2025, 12, 31)),
        (4, "FY2025", D(2024, 4, 1), D(2025, 3, 31)),
        (4, "FY2025-Q1", D(2024, 4, 1), D(2024, 6, 30)),
        (4, "FY2025-Q3", D(2024, 10, 1), D(2024, 12, 31)),
        (4, "FY2025-Q4", D(2025, 1, 1), D(2025, 3, 31)),
        (7, "FY2025", D(2024, 7, 1), D(2025, 6, 30)),
        (7, "FY2025-Q1", D(2024, 7, 1), D(2024, 9, 30)),
        (7, "FY2025-Q2", D(2024, 10, 1), D(2024, 12, 31)),
        (7, "FY2025-Q3", D(2025, 1, 1), D(2025, 3, 31)),
        (7, "FY2025-Q4", D(2025, 4, 1), D(2025, 6, 30)),
        (2, "FY2025-Q4", D(2024, 11, 1), D(2025, 1, 31)),  # a quarter across New Year
    ],
)
def test_fiscal_periods(fy: int, label: str, start: date, end: date) -> None:
    period = p(label, fy)
    assert (period.start, period.end) == (start, end)
    assert period.fiscal_year_start_month == fy
    assert str(period) == label


@pytest.mark.parametrize(
    ("fy", "day", "grain", "label"),
    [
        (1, D(2025, 3, 7), Grain.FISCAL_QUARTER, "FY2025-Q1"),
        (4, D(2025, 3, 31), Grain.FISCAL_YEAR, "FY2025"),
        (4, D(2025, 4, 1), Grain.FISCAL_YEAR, "FY2026"),
        (4, D(2024, 12, 31), Grain.FISCAL_QUARTER, "FY2025-Q3"),
        (4, D(2025, 4, 1), Grain.FISCAL_QUARTER, "FY2026-Q1"),
        (7, D(2025, 6, 30), Grain.FISCAL_QUARTER, "FY2025-Q4"),
        (7, D(2025, 7, 1), Grain.FISCAL_YEAR, "FY2026"),
        (7, D(2025, 1, 15), Grain.FISCAL_QUARTER, "FY2025-Q3"),
    ],
)
def test_fiscal_period_of(fy: int, day: date, grain: Grain, label: str) -> None:
    assert str(period_of(day, grain, fiscal_year_start_month=fy)) == label


def test_fiscal_year_lengths_follow_leap_days() -> None:
    assert p("FY2024", 7).days == 366  # 2023-07-01..2024-06-30 holds 2024-02-29
    assert p("FY2024", 4).days == 366  # 2023-04-01..2024-03-31 holds 2024-02-29
    assert p("FY2025", 4).days == 365
    assert p("FY2025-Q4", 4).days == 90  # Jan 31 + Feb 28 + Mar 31


def test_fiscal_quarter_and_calendar_quarter_with_the_same_days_differ() -> None:
    fq = p("FY2025-Q4", 4)
    q = p("2025-Q1")
    assert (fq.start, fq.end) == (q.start, q.end)
    assert fq != q and str(fq) != str(q)
    assert fq != p("FY2025-Q1", 1)


# --- ISO weeks ----------------------------------------------------------------------------------

def test_iso_week_edges() -> None:
    w53 = p("2020-W53")
    assert (w53.start, w53.end) == (D(2020, 12, 28), D(2021, 1, 3))
    assert str(period_of(D(2021, 1, 1), Grain.WEEK)) == "2020-W53"
    assert str(w53.next()) == "2021-W01"
    w1 = period_of(D(2024, 12, 30), Grain.WEEK)
    assert str(w1) == "2025-W01"
    assert (w1.start, w1.end) == (D(2024, 12, 30), D(2025, 1, 5))
    assert str(w1.previous()) == "2024-W52"
    assert (p("2026-W53").start, p("2026-W53").end) == (D(2026, 12, 28), D(2027, 1, 3))


# --- the Period value ---------------------------------------------------------------------------

def test_days() -> None:
    assert p("2024-02").days == 29
    assert p("2025-Q1").days == 90
    assert p("2024").days == 366
    assert p("2025-W07").days == 7
    assert p("2025-01-01..2025-03-31").days == 90


def test_contains() -> None:
    q = p("2025-Q2")
    assert q.contains(D(2025, 4, 1)) and q.contains(D(2025, 6, 30))
    assert not q.contains(D(2025, 3, 31)) and not q.contains(D(2025, 7, 1))
    with pytest.raises(TypeError):
        q.contains(datetime(2025, 5, 1, 12))


def test_next_and_previous_of_a_range_keep_its_length() -> None:
    r = p("2025-01-01..2025-03-31")
    assert str(r.next()) == "2025-04-01..2025-06-29"
    assert str(r.previous()) == "2024-10-03..2024-12-31"
    assert r.previous().days == r.next().days == 90


def test_next_across_years() -> None:
    assert str(p("2025-12").next()) == "2026-01"
    assert str(p("2025-Q4").next()) == "2026-Q1"
    assert str(p("FY2025-Q4", 4).next()) == "FY2026-Q1"
    assert str(p("2025-01-01").previous()) == "2024-12-31"


def test_overlaps() -> None:
    assert p("2025-03").overlaps(p("2025-W14"))  # 2025-03-31..2025-04-06
    assert not p("2025-03").overlaps(p("2025-W15"))


def test_construction_checks_the_grain() -> None:
    with pytest.raises(PeriodError, match="is not a month"):
        Period(D(2025, 3, 2), D(2025, 3, 31), Grain.MONTH)
    with pytest.raises(PeriodError, match="is not a week"):
        Period(D(2025, 2, 11), D(2025, 2, 17), Grain.WEEK)  # Tuesday start
    with pytest.raises(PeriodError, match="ends before it starts"):
        Period(D(2025, 3, 2), D(2025, 3, 1), Grain.RANGE)
    with pytest.raises(PeriodError, match="not datetime"):
        Period(datetime(2025, 3, 1), datetime(2025, 3, 1), Grain.DAY)
    with pytest.raises(PeriodError):
        Period(D(2025, 1, 1), D(2025, 12, 31), Grain.FISCAL_YEAR, 0)
    with pytest.raises(PeriodError, match="outside the supported dates"):
        Period(D(1, 1, 1), D(1, 3, 31), Grain.FISCAL_YEAR, 4)  # FY0001 would start in year 0
    # Its last quarter is fine, though: 0001-01-01..0001-03-31.
    assert str(Period(D(1, 1, 1), D(1, 3, 31), Grain.FISCAL_QUARTER, 4)) == "FY0001-Q4"
    with pytest.raises(PeriodError, match="unknown grain"):
        Period(D(2025, 1, 1), D(2025, 1, 1), "fortnight")  # type: ignore[arg-type]


def test_fiscal_month_is_normalised_away_for_calendar_grains() -> None:
    m = Period(D(2025, 3, 1), D(2025, 3, 31), Grain.MONTH, 4)
    assert m.fiscal_year_start_month == 1
    assert m == p("2025-03") == p("2025-03", 4)
    assert hash(m) == hash(p("2025-03"))
    assert period_of(D(2025, 3, 9), Grain.MONTH, fiscal_year_start_month=7) == m


def test_grain_from_strings() -> None:
    assert Grain("month") is Grain.MONTH
    assert Grain("Fiscal_Quarter") is Grain.FISCAL_QUARTER
    assert Grain.FISCAL_YEAR.is_fiscal and not Grain.YEAR.is_fiscal
    with pytest.raises(ValueError):
        Grain("fortnight")
    assert Period(D(2025, 1, 1), D(2025, 1, 31), "month").grain is Grain.MONTH  # type: ignore[arg-type]


def test_periods_sort_by_start() -> None:
    labels = ["2025-03", "2024-12", "2025-01", "2025-02"]
    assert [str(x) for x in sorted(p(t) for t in labels)] == ["2024-12", "2025-01", "2025-02",
                                                             "2025-03"]


def test_edges_of_the_date_range() -> None:
    with pytest.raises(PeriodError):
        period_of(D(9999, 12, 31), Grain.WEEK)  # that ISO week ends in the year 10000
    with pytest.raises(PeriodError):
        p("2025-12-31..9999-12-31").next()
    with pytest.raises(PeriodError):
        p("9999-12-31").next()
    days = periods_between(D(9999, 12, 1), D(9999, 12, 31), Grain.DAY)
    assert len(days) == 31 and days[-1].end == D.max
    assert str(period_of(D(1, 1, 1), Grain.WEEK)) == "0001-W01"  # 0001-01-01 was a Monday


def test_period_of_refuses_timestamps() -> None:
    with pytest.raises(TypeError):
        period_of(datetime(2025, 1, 1), Grain.DAY)


# --- properties: partition, neighbours, coverage ------------------------------------------------

EXPECTED_DAYS = {
    Grain.DAY: {1},
    Grain.WEEK: {7},
    Grain.MONTH: {28, 29, 30, 31},
    Grain.QUARTER: {90, 91, 92},
    Grain.YEAR: {365, 366},
    Grain.FISCAL_QUARTER: {89, 90, 91, 92},
    Grain.FISCAL_YEAR: {365, 366},
}


@given(inner_dates, fiscal_months)
def test_every_day_lies_in_exactly_one_period_of_each_grain(d: date, fy: int) -> None:
    for grain in FIXED:
        own = period_of(d, grain, fiscal_year_start_month=fy)
        assert own.contains(d)
        assert own.grain is grain
        assert own.days in EXPECTED_DAYS[grain]
        around = periods_between(d - timedelta(days=400), d + timedelta(days=400), grain,
                                 fiscal_year_start_month=fy)
        holding = [x for x in around if x.contains(d)]
        assert holding == [own]
        # Every day of the period maps back to the same period.
        assert period_of(own.start, grain, fiscal_year_start_month=fy) == own
        assert period_of(own.end, grain, fiscal_year_start_month=fy) == own


@given(periods())
def test_neighbours_touch(period: Period) -> None:
    nxt, prev = period.next(), period.previous()
    assert nxt.start == period.end + timedelta(days=1)
    assert prev.end == period.start - timedelta(days=1)
    assert nxt.grain is prev.grain is period.grain
    assert nxt.previous() == period == prev.next()
    assert prev < period < nxt


@settings(deadline=None)
@given(dates, st.integers(min_value=0, max_value=800), fixed_grains, fiscal_months)
def test_periods_between_covers_without_gaps_or_overlaps(
    first: date, span: int, grain: Grain, fy: int
) -> None:
    last = first + timedelta(days=span)
    got = periods_between(first, last, grain, fiscal_year_start_month=fy)
    assert got[0].contains(first) and got[-1].contains(last)
    for a, b in zip(got, got[1:], strict=False):
        assert b.start == a.end + timedelta(days=1)
    # Oracle: the set of periods that the days of [first, last] fall in.
    seen = {period_of(first + timedelta(days=i), grain, fiscal_year_start_month=fy)
            for i in range(span + 1)}
    assert got == sorted(seen)


def test_periods_between_range_and_reversed() -> None:
    assert periods_between(D(2025, 1, 5), D(2025, 2, 5), Grain.RANGE) == [
        p("2025-01-05..2025-02-05")]
    with pytest.raises(PeriodError):
        periods_between(D(2025, 2, 5), D(2025, 1, 5), Grain.MONTH)


# --- split --------------------------------------------------------------------------------------

def test_split_examples() -> None:
    assert [str(x) for x in p("2025-Q1").split(Grain.MONTH)] == ["2025-01", "2025-02", "2025-03"]
    weeks = p("2025-03").split(Grain.WEEK)
    # The first and last weeks stick out of March: 2025-02-24..2025-03-02 and 2025-03-31..04-06.
    assert [str(w) for w in weeks] == [f"2025-W{n:02d}" for n in range(9, 15)]
    assert weeks[0].start == D(2025, 2, 24) and weeks[-1].end == D(2025, 4, 6)
    assert [str(x) for x in p("FY2025", 4).split(Grain.QUARTER)] == [
        "2024-Q2", "2024-Q3", "2024-Q4", "2025-Q1"]
    assert [str(x) for x in p("FY2025", 4).split(Grain.FISCAL_QUARTER)] == [
        "FY2025-Q1", "FY2025-Q2", "FY2025-Q3", "FY2025-Q4"]
    year = p("2025")
    assert [str(x) for x in year.split(Grain.FISCAL_YEAR, fiscal_year_start_month=4)] == [
        "FY2025", "FY2026"]
    assert [str(x) for x in Calendar(fiscal_year_start_month=4).split(
        year, Grain.FISCAL_QUARTER)] == ["FY2025-Q4", "FY2026-Q1", "FY2026-Q2", "FY2026-Q3"]
    assert p("2025-W07").split(Grain.RANGE) == [p("2025-02-10..2025-02-16")]
    assert len(p("2024").split(Grain.DAY)) == 366


NESTED = [
    (Grain.WEEK, Grain.DAY), (Grain.MONTH, Grain.DAY), (Grain.QUARTER, Grain.MONTH),
    (Grain.YEAR, Grain.QUARTER), (Grain.YEAR, Grain.MONTH),
    (Grain.FISCAL_YEAR, Grain.FISCAL_QUARTER), (Grain.FISCAL_YEAR, Grain.MONTH),
    (Grain.FISCAL_QUARTER, Grain.MONTH),
]


@given(dates, st.sampled_from(NESTED), fiscal_months)
def test_nested_grains_split_exactly(d: date, pair: tuple[Grain, Grain], fy: int) -> None:
    coarse, fine = pair
    outer = period_of(d, coarse, fiscal_year_start_month=fy)
    parts = outer.split(fine)
    assert parts[0].start == outer.start and parts[-1].end == outer.end
    assert sum(x.days for x in parts) == outer.days


# --- time zones ---------------------------------------------------------------------------------

def test_shanghai_quarter_boundary() -> None:
    cal = Calendar(timezone="Asia/Shanghai")
    ts = datetime(2025, 3, 31, 16, 30)  # naive = UTC
    assert local_date(ts, "Asia/Shanghai") == D(2025, 4, 1)
    assert local_date(ts, ZoneInfo("Asia/Shanghai")) == D(2025, 4, 1)
    assert str(cal.period_of(ts, Grain.QUARTER)) == "2025-Q2"
    assert str(cal.period_of(datetime(2025, 3, 31, 15, 59, 59), Grain.QUARTER)) == "2025-Q1"
    assert str(Calendar().period_of(ts, Grain.QUARTER)) == "2025-Q1"  # in UTC still March
    assert cal.utc_bounds(cal.parse("2025-04")) == (datetime(2025, 3, 31, 16),
                                                     datetime(2025, 4, 30, 16))


def test_aware_timestamps_are_converted() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    ts = datetime(2025, 4, 1, 0, 30, tzinfo=shanghai)
    assert local_date(ts, "UTC") == D(2025, 3, 31)
    assert local_date(ts, "Asia/Shanghai") == D(2025, 4, 1)
    assert local_date(datetime(2025, 4, 1, 7, tzinfo=UTC), "America/New_York") == D(2025, 4, 1)
    assert local_date(datetime(2025, 4, 1, 3, tzinfo=UTC), "America/New_York") == D(2025, 3, 31)
    assert local_date(D(2025, 4, 1), "Asia/Shanghai") == D(2025, 4, 1)  # a date is already local


def test_berlin_daylight_saving_months() -> None:
    cal = Calendar(timezone="Europe/Berlin")
    # 2025-03-30 02:00 CET -> 03:00 CEST: March has 743 hours.
    start, end = cal.utc_bounds(cal.parse("2025-03"))
    assert (start, end) == (datetime(2025, 2, 28, 23), datetime(2025, 3, 31, 22))
    assert end - start == timedelta(hours=743)
    # 2025-10-26 03:00 CEST -> 02:00 CET: October has 745 hours.
    start, end = cal.utc_bounds(cal.parse("2025-10"))
    assert (start, end) == (datetime(2025, 9, 30, 22), datetime(2025, 10, 31, 23))
    assert end - start == timedelta(hours=745)
    assert cal.utc_bounds(cal.parse("2025-03-30")) == (datetime(2025, 3, 29, 23),
                                                        datetime(2025, 3, 30, 22))
    assert cal.local_date(datetime(2025, 3, 30, 22, 30)) == D(2025, 3, 31)
    assert cal.local_date(datetime(2025, 3, 29, 23, 30)) == D(2025, 3, 30)
    assert cal.local_date(datetime(2025, 3, 29, 22, 59)) == D(2025, 3, 29)


def test_a_skipped_local_midnight_starts_the_day_at_the_jump() -> None:
    # Brazil started daylight saving at local midnight: 2018-11-04 00:00 -03 became 01:00 -02.
    cal = Calendar(timezone="America/Sao_Paulo")
    start, end = cal.utc_bounds(cal.parse("2018-11-04"))
    assert (start, end) == (datetime(2018, 11, 4, 3), datetime(2018, 11, 5, 2))
    assert cal.local_date(start) == D(2018, 11, 4)
    assert cal.local_date(start - timedelta(microseconds=1)) == D(2018, 11, 3)


ZONES = ["UTC", "Asia/Shanghai", "Europe/Berlin", "America/New_York", "Asia/Kolkata",
         "Australia/Lord_Howe", "Pacific/Chatham"]


@given(
    st.datetimes(min_value=datetime(1980, 1, 1), max_value=datetime(2037, 12, 31)),
    st.sampled_from(ZONES),
    fixed_grains,
    fiscal_months,
)
def test_utc_bounds_agree_with_local_dates(ts: datetime, zone: str, grain: Grain, fy: int) -> None:
    cal = Calendar(timezone=zone, fiscal_year_start_month=fy)
    period = cal.period_of(ts, grain)
    start, end = cal.utc_bounds(period)
    tick = timedelta(microseconds=1)
    assert start <= ts < end
    assert cal.period_of(start, grain) == period
    assert cal.period_of(end - tick, grain) == period
    assert cal.period_of(end, grain) == period.next()
    assert cal.period_of(start - tick, grain) == period.previous()


def test_calendar_parse_and_periods_between_use_its_settings() -> None:
    cal = Calendar(timezone="Asia/Shanghai", fiscal_year_start_month=4)
    assert cal.parse("FY2025") == p("FY2025", 4)
    got = cal.periods_between(datetime(2025, 3, 31, 16), datetime(2025, 6, 30, 15), Grain.MONTH)
    assert [str(x) for x in got] == ["2025-04", "2025-05", "2025-06"]
    assert str(cal.period_of(D(2025, 4, 1), Grain.FISCAL_QUARTER)) == "FY2026-Q1"


def test_calendar_rejects_bad_settings() -> None:
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        Calendar(timezone="Mars/Olympus")
    with pytest.raises(ConfigError):
        Calendar(fiscal_year_start_month=0)
    with pytest.raises(ConfigError):
        local_date(datetime(2025, 1, 1), "Not/AZone")
