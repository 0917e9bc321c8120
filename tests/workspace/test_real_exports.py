"""Issue 16 as a new user meets it, through the workspace session on every warehouse backend:
money exact to 4 decimals, unknown values loaded as unknown, no money KPI silently 0.

The sample files are written here, in the shapes real exports have (a pipeline export with
deals still being engaged, a call-centre survey sheet, a USD order book)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from salescore.appstore.models import AuditEntry
from salescore.core.errors import ConfigError
from salescore.model.org import Organisation, OrgSettings
from salescore.workspace import Workspace

TEAMS = "team_id,name\nT1,East\n"
REPS = "rep_id,name,team_id,active\nr1,Ann,T1,yes\nr2,Bob,,yes\n"  # Bob's team unknown
CUSTOMERS = "customer_id,name,created_at\nc1,Acme,2025-01-01\nc2,Beta,2025-01-01\n"


@pytest.fixture
def ws(warehouse_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
       ) -> Iterator[Workspace]:
    """A fresh CNY organisation on the backend, with two reps and two customers."""
    monkeypatch.setenv("SALESCORE_WAREHOUSE_URL", warehouse_url)
    settings = OrgSettings(organisation=Organisation(currency="CNY"))
    with Workspace.init(tmp_path / "home", settings) as workspace:
        for table, text in (("teams", TEAMS), ("reps", REPS), ("customers", CUSTOMERS)):
            result = _import(workspace, tmp_path, table, text)
            assert result.rejected == 0, result.reasons()
        yield workspace


def _import(ws: Workspace, folder: Path, table: str, text: str):  # noqa: ANN202
    path = folder / f"{table}.csv"
    path.write_text(text, encoding="utf-8")
    return ws.owner().import_file(table, path)


def _by_rep(ws: Workspace, kpis: list[str], period: str = "2025-Q1") -> dict[str, dict]:
    result = ws.owner().kpi_result(kpis, by="rep", period=period)
    return {row["rep_id"]: row for row in result.table.to_pylist()}


def test_an_amount_of_1170_375_reads_back_exactly(ws: Workspace, tmp_path: Path) -> None:
    deals = ("opportunity_id,customer_id,owner_rep_id,created_at,stage,amount,currency,closed_at\n"
             "o1,c1,r1,2025-02-01 10:00,won,1170.375,CNY,2025-02-10 10:00\n"
             # 0.1 + 0.2 is 0.30000000000000004 in floats: summed as decimals it is 0.3.
             "o2,c1,r2,2025-02-01 10:00,won,0.1,CNY,2025-02-10 10:00\n"
             "o3,c2,r2,2025-02-01 10:00,won,0.2,CNY,2025-02-11 10:00\n")
    result = _import(ws, tmp_path, "opportunities", deals)
    assert (result.inserted, result.rejected) == (3, 0)
    stored = ws._warehouse.execute_sql(
        "SELECT amount FROM opportunities WHERE opportunity_id = 'o1'")[0][0]
    assert Decimal(stored) == Decimal("1170.375")
    rows = _by_rep(ws, ["revenue_won", "avg_deal_size"])
    assert rows["r1"]["revenue_won"] == 1170.375
    assert str(rows["r1"]["revenue_won"]) == "1170.375"
    assert rows["r2"]["revenue_won"] == 0.3  # the float nearest 0.3, not 0.30000000000000004


def test_a_pipeline_export_with_open_deals_lacking_amount_or_customer_loads_every_row(
        ws: Workspace, tmp_path: Path) -> None:
    deals = ("opportunity_id,customer_id,owner_rep_id,created_at,stage,amount,currency,closed_at\n"
             "o1,c1,r1,2025-02-01 10:00,won,100,CNY,2025-02-10 10:00\n"
             "o2,c1,r1,2025-02-01 10:00,won,300,CNY,2025-02-12 10:00\n"
             "o3,,r1,2025-02-02 10:00,lead,,,\n"  # a prospect: no customer, no amount yet
             "o4,c2,r1,2025-02-03 10:00,proposal,,CNY,\n"  # amount not yet known
             "o5,,r1,2025-02-04 10:00,won,,CNY,2025-03-01 10:00\n")  # won, amount unknown
    result = _import(ws, tmp_path, "opportunities", deals)
    assert (result.read_rows, result.inserted, result.rejected) == (5, 5, 0)
    r1 = _by_rep(ws, ["revenue_won", "deals_won", "avg_deal_size", "opportunities_created",
                      "pipeline_created", "win_rate"])["r1"]
    # Unknown amounts are out of sums and averages; the deals still count.
    assert r1["revenue_won"] == 400 and r1["pipeline_created"] == 400
    assert r1["deals_won"] == 3 and r1["opportunities_created"] == 5
    assert r1["avg_deal_size"] == 200  # (100 + 300) / 2, o5's unknown amount is no 0
    assert r1["win_rate"] == 1.0
    report = ws.owner().quality(["opportunities"])
    unknown = {c.name: c.unknown for c in report.table("opportunities").columns}
    assert unknown["amount"] == 3 and unknown["customer_id"] == 2 and unknown["currency"] == 1
    assert report.table("opportunities").validity == 1.0


def test_a_survey_sheet_without_customer_ids_loads(ws: Workspace, tmp_path: Path) -> None:
    surveys = ("survey_id,rep_id,answered_at,csat,nps\n"
               "s1,r1,2025-02-01 10:00,5,10\ns2,r1,2025-02-02 10:00,3,\ns3,r1,2025-02-03,,7\n")
    result = _import(ws, tmp_path, "surveys", surveys)
    assert (result.inserted, result.rejected) == (3, 0)
    r1 = _by_rep(ws, ["csat_avg", "survey_count"])["r1"]
    assert r1["csat_avg"] == 4.0  # (5 + 3) / 2: the unknown csat is not a 0
    assert r1["survey_count"] == 3
    columns = {c.name: c.unknown for c in ws.owner().quality(["surveys"]).table("surveys").columns}
    assert columns["customer_id"] == 3 and columns["csat"] == 1 and columns["nps"] == 1


def test_usd_amounts_in_a_cny_organisation_are_null_with_a_reason_until_fixed(
        ws: Workspace, tmp_path: Path) -> None:
    orders = ("order_id,customer_id,rep_id,ordered_at,amount,currency\n"
              "x1,c1,r1,2025-02-01 10:00,1000,USD\nx2,c1,r1,2025-02-02 10:00,250.5,USD\n"
              "x3,c2,r2,2025-02-03 10:00,80,CNY\n")
    result = _import(ws, tmp_path, "orders", orders)
    assert result.unconverted == (("USD", 2),)
    assert result.unconverted_warning is not None
    warning = result.unconverted_warning.en
    assert warning.startswith("2 amounts in USD cannot be converted to CNY")
    assert "salescore import fx_rates" in warning
    assert "salescore settings set currency USD" in warning
    assert "USD 金额 2 笔" in result.unconverted_warning.zh
    computed = ws.owner().kpi_result(["order_revenue"], by="rep", period="2025-Q1")
    rows = {r["rep_id"]: r for r in computed.table.to_pylist()}
    assert rows["r1"]["order_revenue"] is None  # not 0, not 1250.5
    assert rows["r2"]["order_revenue"] == 80
    assert "USD (2 rows)" in computed.reasons["order_revenue"].message
    explained = ws.owner().explain("order_revenue", subject="r1", period="2025-Q1")
    assert explained.value is None and explained.reason is not None
    # A rate fixes it: 1000 × 7.1 + 250.5 × 7.1.
    rates = _import(ws, tmp_path, "fx_rates", "currency,day,rate\nUSD,2025-01-01,7.1\n")
    assert rates.inserted == 1
    rows = _by_rep(ws, ["order_revenue"])
    assert rows["r1"]["order_revenue"] == pytest.approx(1250.5 * 7.1)
    assert rows["r2"]["order_revenue"] == 80


def test_settings_set_changes_the_currency_validated_and_audited(
        ws: Workspace, tmp_path: Path) -> None:
    orders = ("order_id,customer_id,rep_id,ordered_at,amount,currency\n"
              "x1,c1,r1,2025-02-01 10:00,1170.375,USD\n")
    _import(ws, tmp_path, "orders", orders)
    assert _by_rep(ws, ["order_revenue"])["r1"]["order_revenue"] is None
    assert ws.owner().change_setting("currency", "usd") == ("CNY", "USD")
    assert _by_rep(ws, ["order_revenue"])["r1"]["order_revenue"] == 1170.375
    with pytest.raises(ConfigError, match="currency: 'dollars' is refused"):
        ws.owner().change_setting("currency", "dollars")
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        ws.owner().change_setting("colour", "red")
    assert ws.owner().change_setting("fiscal_start", "4") == ("1", "4")
    reopened = Workspace.open(ws.locations.home)
    try:
        assert reopened.settings.organisation.currency == "USD"
        assert reopened.settings.organisation.fiscal_year_start_month == 4
    finally:
        reopened.close()
    with ws._app.session() as session:
        entries = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "settings.set").order_by(AuditEntry.id)).all()
        assert [(e.entity_id, e.before, e.after) for e in entries] == [
            ("currency", {"currency": "CNY"}, {"currency": "USD"}),
            ("fiscal_start", {"fiscal_start": "1"}, {"fiscal_start": "4"})]


def test_a_far_future_hire_date_is_a_rejected_row_not_a_traceback(
        ws: Workspace, tmp_path: Path) -> None:
    reps = ("rep_id,name,team_id,hire_date,active\n"
            "r7,Cy,T1,2999-12-31,yes\nr8,Di,T1,1850-01-01,yes\nr9,Ed,T1,2021-05-01,yes\n")
    result = _import(ws, tmp_path, "reps", reps)
    assert (result.inserted, result.rejected) == (1, 2)
    [reason] = result.reasons()
    assert reason["column"] == "hire_date" and reason["rows"] == [2, 3]
    assert reason["reason"] == ("out of range: a date must fall between 1900-01-01 and "
                                "2199-12-31")
