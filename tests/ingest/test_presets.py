"""Each shipped preset, on a small file written as the product exports it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import xlsxwriter

from salescore.engine.warehouse import Warehouse
from salescore.ingest import ImportResult, import_file, load_preset
from salescore.model.org import OrgSettings

from .conftest import rows, write_csv


def _import(wh: Warehouse, settings: OrgSettings, preset: str, path: Path) -> ImportResult:
    spec = load_preset(preset)
    assert spec.table is not None
    return import_file(wh, settings, spec.table, path, mapping=spec)


def _reasons(result: ImportResult) -> list[tuple[int, str, str]]:
    return [(r["row"], r["field"], r["value"]) for r in result.rejects.to_pylist()]


# -- Salesforce: Data Export / Data Loader CSV, API names, everything quoted, UTC times -------
SF_OPPS = (
    '"Id","IsDeleted","AccountId","Name","StageName","Amount","Probability","CloseDate","Type",'
    '"LeadSource","IsClosed","IsWon","CurrencyIsoCode","CreatedDate","OwnerId"\r\n'
    '"0065g00000AAAA1","false","0015g00000XXXX1","Acme renewal","Closed Won","120000","100",'
    '"2025-03-15","Existing Customer","Web","true","true","USD","2025-03-01T09:05:00.000Z",'
    '"0055g00000RRRR1"\r\n'
    '"0065g00000AAAA2","false","0015g00000XXXX1","Acme upsell","Proposal/Price Quote","","50",'
    '"2025-06-30","","Partner Referral","false","false","USD","2025-03-02T10:00:00.000Z",'
    '"0055g00000RRRR2"\r\n'
    '"0065g00000AAAA3","false","0015g00000XXXX2","Beta","Closed Lost","5000.5","0","2025-03-10",'
    '"","","true","false","EUR","2025-03-10T15:00:00.000Z","0055g00000RRRR1"\r\n'
    '"0065g00000AAAA4","false","0015g00000XXXX2","Gamma","Pilot","100","10","2025-07-01","",'
    '"","false","false","EUR","2025-03-11T08:00:00.000Z","0055g00000RRRR1"\r\n')


def test_salesforce_opportunities(tmp_path: Path, duck: Warehouse,
                                  settings: OrgSettings) -> None:
    result = _import(duck, settings, "salesforce-opportunities",
                     write_csv(tmp_path / "Opportunity.csv", SF_OPPS))
    assert (result.inserted, result.rejected, result.unknown_stages) == (3, 1, {"Pilot": 1})
    assert rows(duck, "SELECT opportunity_id, channel, created_at, stage, status, amount, "
                      "currency, expected_close_date, closed_at FROM opportunities ORDER BY 1") == [
        ("0065g00000AAAA1", "Web", dt.datetime(2025, 3, 1, 9, 5), "won", "won",
         Decimal("120000.00"), "USD", None, dt.datetime(2025, 3, 15, 23, 59, 59)),
        ("0065g00000AAAA2", "Partner Referral", dt.datetime(2025, 3, 2, 10), "proposal", "open",
         Decimal("0.00"), "USD", dt.date(2025, 6, 30), None),
        ("0065g00000AAAA3", None, dt.datetime(2025, 3, 10, 15), "lost", "lost",
         Decimal("5000.50"), "EUR", None, dt.datetime(2025, 3, 10, 23, 59, 59)),
    ]
    assert "IsDeleted" in result.ignored_columns


def test_salesforce_opportunities_report(tmp_path: Path, duck: Warehouse,
                                        settings: OrgSettings) -> None:
    # Reports → Export → Details Only: UTF-8 with a BOM, field labels, M/D/YYYY dates, amounts
    # with their currency, and the report's footer after two blank lines.
    text = ('\ufeff"Opportunity ID","Opportunity Name","Account Name","Account ID","Amount",'
            '"Close Date","Stage","Opportunity Owner","Created Date","Lead Source"\r\n'
            '"0061","Acme - Renewal","Acme Inc","001A","USD 1,200.00","3/15/2025","Closed Won",'
            '"Jane Doe","1/2/2025","Web"\r\n'
            '"0062","Globex","Globex","001B","USD 23,450.50","4/30/2025","Negotiation/Review",'
            '"John Roe","2/10/2025",""\r\n'
            '"0063","Initech","Initech","001C","","5/1/2025","Prospecting","Jane Doe",'
            '"2/11/2025",""\r\n'
            '\r\n\r\n"Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved."\r\n')
    result = _import(duck, settings, "salesforce-opportunities-report",
                     write_csv(tmp_path / "report.csv", text))
    assert (result.inserted, result.rejected) == (3, 1)
    assert _reasons(result) == [
        (7, "", '"Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved."')]
    assert rows(duck, "SELECT opportunity_id, customer_id, channel, created_at, stage, status, "
                      "amount, currency, expected_close_date, closed_at FROM opportunities "
                      "ORDER BY 1") == [
        ("0061", "001A", "Web", dt.datetime(2025, 1, 2), "won", "won", Decimal("1200.00"),
         "USD", None, dt.datetime(2025, 3, 15, 23, 59, 59)),
        ("0062", "001B", None, dt.datetime(2025, 2, 10), "negotiation", "open",
         Decimal("23450.50"), "USD", dt.date(2025, 4, 30), None),
        ("0063", "001C", None, dt.datetime(2025, 2, 11), "lead", "open", Decimal("0.00"), "CNY",
         dt.date(2025, 5, 1), None),
    ]


def test_salesforce_accounts(tmp_path: Path, duck: Warehouse, settings: OrgSettings) -> None:
    text = ('"Id","Name","Type","Industry","BillingState","BillingCountry","AccountSource",'
            '"OwnerId","CreatedDate"\n'
            '"0015g00000XXXX1","Acme Corp","Customer","Manufacturing","CA","USA","Web",'
            '"0055g00000RRRR1","2024-11-05T16:20:00.000Z"\n'
            '"0015g00000XXXX2","Beta GmbH","Prospect","","","Germany","",'
            '"0055g00000RRRR2","2025-01-07T08:00:00.000Z"\n')
    result = _import(duck, settings, "salesforce-accounts", write_csv(tmp_path / "Account.csv",
                                                                      text))
    assert (result.inserted, result.rejected) == (2, 0)
    assert rows(duck, "SELECT * FROM customers ORDER BY 1") == [
        ("0015g00000XXXX1", "Acme Corp", None, "Manufacturing", "CA", "Web", "0055g00000RRRR1",
         dt.datetime(2024, 11, 5, 16, 20)),
        ("0015g00000XXXX2", "Beta GmbH", None, None, "Germany", None, "0055g00000RRRR2",
         dt.datetime(2025, 1, 7, 8)),
    ]


def test_salesforce_tasks_and_events(tmp_path: Path, duck: Warehouse,
                                     settings: OrgSettings) -> None:
    tasks = ('"Id","WhoId","WhatId","AccountId","OwnerId","Subject","ActivityDate","Status",'
             '"Type","TaskSubtype","CallDurationInSeconds","CallType","CallDisposition",'
             '"CreatedDate","CompletedDateTime"\n'
             '"00T1","003A","0065g00000AAAA1","001A","005R1","Call","2025-03-03","Completed",'
             '"Call","Call","330","Outbound","Interested","2025-03-03T09:00:00.000Z",'
             '"2025-03-03T09:10:00.000Z"\n'
             '"00T2","003A","001A","001A","005R1","Email","2025-03-04","Completed","","Email","",'
             '"","","2025-03-04T10:00:00.000Z",""\n'
             '"00T3","","","001A","005R2","Send quote","2025-03-05","Not Started","","Task","",'
             '"","","2025-03-05T10:00:00.000Z",""\n'
             '"00T4","","","001B","005R2","InMail","","Completed","","LinkedIn","","Inbound","",'
             '"2025-03-06T10:00:00.000Z",""\n')
    result = _import(duck, settings, "salesforce-tasks", write_csv(tmp_path / "Task.csv", tasks))
    assert (result.inserted, result.rejected) == (3, 1)
    assert _reasons(result) == [(4, "kind", "Task")]
    events = ('"Id","OwnerId","AccountId","WhatId","Subject","Type","StartDateTime",'
              '"EndDateTime","DurationInMinutes"\n'
              '"00U1","005R1","001A","0065g00000AAAA2","QBR","Meeting",'
              '"2025-03-07T02:00:00.000Z","2025-03-07T03:00:00.000Z","60"\n'
              '"00U2","005R2","001B","","Site visit","","2025-03-08T06:30:00.000Z",'
              '"2025-03-08T08:00:00.000Z","90"\n')
    result = _import(duck, settings, "salesforce-events", write_csv(tmp_path / "Event.csv",
                                                                    events))
    assert (result.inserted, result.rejected) == (2, 0)
    assert rows(duck, "SELECT activity_id, rep_id, customer_id, opportunity_id, kind, direction,"
                      " occurred_at, duration_s, outcome FROM activities ORDER BY 1") == [
        ("00T1", "005R1", "001A", "0065g00000AAAA1", "call", "outbound",
         dt.datetime(2025, 3, 3, 9, 10), 330, "Interested"),
        ("00T2", "005R1", "001A", None, "email", "outbound", dt.datetime(2025, 3, 4, 10), None,
         None),
        ("00T4", "005R2", "001B", None, "social", "inbound", dt.datetime(2025, 3, 6, 10), None,
         None),
        ("00U1", "005R1", "001A", "0065g00000AAAA2", "meeting", "outbound",
         dt.datetime(2025, 3, 7, 2), 3600, None),
        ("00U2", "005R2", "001B", None, "meeting", "outbound", dt.datetime(2025, 3, 8, 6, 30),
         5400, None),
    ]


# -- HubSpot: exports with property labels as headers, times in the portal's zone ------------
def test_hubspot_deals_and_companies(tmp_path: Path, duck: Warehouse,
                                     shanghai: OrgSettings) -> None:
    deals = ("Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount,Create Date,Pipeline,"
             "Associated Company IDs,Deal Type\n"
             "9001,Acme - 50 seats,Closed won,2025-03-20,Jane Doe,25000,2025-03-01 09:05,"
             "Sales Pipeline,501;502,newbusiness\n"
             "9002,Beta pilot,Appointment scheduled,2025-05-01,John Roe,,2025-03-02 14:00,"
             "Sales Pipeline,502,\n"
             "9003,Gamma,Closed lost,2025-03-05 18:30,Jane Doe,\"1,500.75\",2025-03-03 11:00,"
             "Sales Pipeline,503,existingbusiness\n")
    result = _import(duck, shanghai, "hubspot-deals", write_csv(tmp_path / "deals.csv", deals))
    assert (result.inserted, result.rejected) == (3, 0)
    assert rows(duck, "SELECT opportunity_id, customer_id, owner_rep_id, created_at, stage, "
                      "status, amount, currency, expected_close_date, closed_at "
                      "FROM opportunities ORDER BY 1") == [
        ("9001", "501", "Jane Doe", dt.datetime(2025, 3, 1, 1, 5), "won", "won",
         Decimal("25000.00"), "CNY", None, dt.datetime(2025, 3, 20, 15, 59, 59)),
        ("9002", "502", "John Roe", dt.datetime(2025, 3, 2, 6), "lead", "open", Decimal("0.00"),
         "CNY", dt.date(2025, 5, 1), None),
        ("9003", "503", "Jane Doe", dt.datetime(2025, 3, 3, 3), "lost", "lost",
         Decimal("1500.75"), "CNY", None, dt.datetime(2025, 3, 5, 10, 30)),
    ]
    companies = ("Record ID,Company name,Company owner,Create Date,Industry,Country/Region,"
                 "State/Region,Original Source,Type\n"
                 "501,Acme Inc.,Jane Doe,2025-01-10 10:00,COMPUTER_SOFTWARE,United States,"
                 "California,Organic search,Customer\n"
                 "502,Beta Ltd,,2025-02-11 09:00,,United Kingdom,,Direct traffic,\n")
    result = _import(duck, shanghai, "hubspot-companies", write_csv(tmp_path / "c.csv",
                                                                    companies))
    assert (result.inserted, result.rejected) == (2, 0)
    assert rows(duck, "SELECT * FROM customers ORDER BY 1") == [
        ("501", "Acme Inc.", "Customer", "COMPUTER_SOFTWARE", "California", "Organic search",
         "Jane Doe", dt.datetime(2025, 1, 10, 2)),
        ("502", "Beta Ltd", None, None, "United Kingdom", "Direct traffic", None,
         dt.datetime(2025, 2, 11, 1)),
    ]


def test_hubspot_deals_with_internal_stage_ids(tmp_path: Path, duck: Warehouse,
                                              settings: OrgSettings) -> None:
    # HubSpot writes the stage's internal id (closedwon, contractsent...) in API exports, in
    # exports of some portals and in XLSX exports of filtered views, with times to the minute.
    book = xlsxwriter.Workbook(tmp_path / "deals.xlsx")
    sheet = book.add_worksheet("Deals")
    for i, line in enumerate([
            ["Record ID", "Deal Stage", "Amount", "Close Date", "Create Date", "Deal owner",
             "Associated Company IDs"],
            [9001, "closedwon", 12000.5, "2025-03-01 14:22", "2025-01-05 09:00", "Ann", "5001"],
            [9002, "appointmentscheduled", None, "2025-06-30 00:00", "2025-02-05 10:30", "Bob",
             "5003"],
            [9003, "closedlost", 300, "2025-02-01 08:00", "2025-01-10 11:00", "Ann", "5004"],
            [9004, "qualifiedtobuy", 1, "2025-07-01 12:00", "2025-02-01 08:15", "Bob", "5004"],
            [9005, "presentationscheduled", 2, "", "2025-02-01 08:15", "Bob", "5004"],
            [9006, "decisionmakerboughtin", 3, "", "2025-02-01 08:15", "Bob", "5004"],
            [9007, "contractsent", 4, "", "2025-02-01 08:15", "Bob", "5004"]]):
        for j, value in enumerate(line):
            if value is not None:
                sheet.write(i, j, value)
    book.close()
    result = _import(duck, settings, "hubspot-deals", tmp_path / "deals.xlsx")
    assert (result.inserted, result.rejected, result.unknown_stages) == (7, 0, {})
    assert rows(duck, "SELECT opportunity_id, stage, status, amount, expected_close_date, "
                      "closed_at FROM opportunities ORDER BY 1") == [
        ("9001", "won", "won", Decimal("12000.50"), None, dt.datetime(2025, 3, 1, 14, 22)),
        ("9002", "lead", "open", Decimal("0.00"), dt.date(2025, 6, 30), None),
        ("9003", "lost", "lost", Decimal("300.00"), None, dt.datetime(2025, 2, 1, 8)),
        ("9004", "qualified", "open", Decimal("1.00"), dt.date(2025, 7, 1), None),
        ("9005", "discovery", "open", Decimal("2.00"), None, None),
        ("9006", "proposal", "open", Decimal("3.00"), None, None),
        ("9007", "negotiation", "open", Decimal("4.00"), None, None),
    ]


def test_hubspot_engagements(tmp_path: Path, duck: Warehouse, settings: OrgSettings) -> None:
    text = ("Record ID,Activity type,Activity date,Activity assigned to,Call direction,"
            "Email direction,Call duration,Call outcome,Associated Company IDs,"
            "Associated Deal IDs\n"
            "7001,Call,2025-03-03 09:00,Jane Doe,INBOUND,,330000,Connected,501,9001\n"
            "7002,Email,2025-03-03 10:00,Jane Doe,,EMAIL,,,501;502,\n"
            "7003,Incoming email,2025-03-03 11:00,John Roe,,INCOMING_EMAIL,,,502,9002\n"
            "7004,Note,2025-03-03 12:00,John Roe,,,,,502,\n"
            "7005,Meeting,2025-03-04 15:30,John Roe,,,,,503,9003\n")
    result = _import(duck, settings, "hubspot-engagements", write_csv(tmp_path / "e.csv", text))
    assert (result.inserted, result.rejected) == (4, 1)
    assert _reasons(result) == [(5, "kind", "Note")]
    assert rows(duck, "SELECT activity_id, customer_id, opportunity_id, kind, direction, "
                      "duration_s, outcome FROM activities ORDER BY 1") == [
        ("7001", "501", "9001", "call", "inbound", 330, "Connected"),
        ("7002", "501", None, "email", "outbound", None, None),
        ("7003", "502", "9002", "email", "inbound", None, None),
        ("7005", "503", "9003", "meeting", "outbound", None, None),
    ]


# -- Jiandaoyun: Excel exports with Chinese headers ------------------------------------------
def _xlsx(path: Path, header: list[str], records: list[list[object]]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("数据")
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, header)
    for i, record in enumerate(records, start=1):
        for j, value in enumerate(record):
            if isinstance(value, dt.datetime):
                ws.write_datetime(i, j, value, stamp)
            elif isinstance(value, dt.date):
                ws.write_datetime(i, j, dt.datetime.combine(value, dt.time()), day)
            elif value is not None:
                ws.write(i, j, value)
    book.close()
    return path


def test_jiandaoyun_customers_opportunities_followups(tmp_path: Path, duck: Warehouse,
                                                      shanghai: OrgSettings) -> None:
    customers = _xlsx(tmp_path / "客户.xlsx",
                      ["客户编号", "客户名称", "客户等级", "所属行业", "所在地区", "客户来源",
                       "负责人", "创建时间", "提交人"],
                      [["KH001", "上海某某科技有限公司", "A类", "制造业",
                        "上海市 上海市 浦东新区 张江路1号", "转介绍", "张伟",
                        dt.datetime(2025, 3, 1, 9, 0), "管理员"],
                       ["KH002", "北京测试", "", "零售", "北京市 北京市 朝阳区", "", "李娜",
                        "2025-03-02 10:30:00", "管理员"]])
    result = _import(duck, shanghai, "jiandaoyun-customers", customers)
    assert (result.inserted, result.rejected) == (2, 0)
    assert rows(duck, "SELECT * FROM customers ORDER BY 1") == [
        ("KH001", "上海某某科技有限公司", "A类", "制造业", "上海市", "转介绍", "张伟",
         dt.datetime(2025, 3, 1, 1, 0)),
        ("KH002", "北京测试", None, "零售", "北京市", None, "李娜", dt.datetime(2025, 3, 2, 2, 30)),
    ]
    deals = _xlsx(tmp_path / "商机.xlsx",
                  ["商机编号", "商机名称", "关联客户", "负责人", "意向产品", "商机来源", "销售阶段",
                   "商机金额", "预计成交日期", "结束日期", "输单原因", "创建时间", "更新时间"],
                  [["SJ001", "张江项目", "KH001", "张伟", "标准版", "展会", "赢单", 120000,
                    dt.date(2025, 3, 20), dt.date(2025, 3, 18), None,
                    dt.datetime(2025, 3, 1, 9), dt.datetime(2025, 3, 18, 17)],
                   ["SJ002", "朝阳门店", "KH002", "李娜", "", "", "方案报价", "¥8,000.00",
                    dt.date(2025, 4, 30), None, None, dt.datetime(2025, 3, 2, 11),
                    dt.datetime(2025, 3, 3, 9)],
                   ["SJ003", "二期", "KH001", "张伟", "", "", "输单", "5万", None, None, "价格",
                    dt.datetime(2025, 3, 4, 9), dt.datetime(2025, 3, 9, 16, 45)],
                   ["SJ004", "三期", "KH001", "张伟", "", "", "输单", "50000", None, None, "价格",
                    dt.datetime(2025, 3, 4, 9), dt.datetime(2025, 3, 9, 16, 45)]])
    result = _import(duck, shanghai, "jiandaoyun-opportunities", deals)
    assert (result.inserted, result.rejected) == (3, 1)
    assert _reasons(result) == [(4, "amount", "5万")]
    assert rows(duck, "SELECT opportunity_id, product, channel, created_at, stage, status, "
                      "amount, currency, expected_close_date, closed_at, lost_reason "
                      "FROM opportunities ORDER BY 1") == [
        ("SJ001", "标准版", "展会", dt.datetime(2025, 3, 1, 1), "won", "won",
         Decimal("120000.00"), "CNY", dt.date(2025, 3, 20), dt.datetime(2025, 3, 18, 15, 59, 59),
         None),
        ("SJ002", None, None, dt.datetime(2025, 3, 2, 3), "proposal", "open", Decimal("8000.00"),
         "CNY", dt.date(2025, 4, 30), None, None),
        ("SJ004", None, None, dt.datetime(2025, 3, 4, 1), "lost", "lost", Decimal("50000.00"),
         "CNY", None, dt.datetime(2025, 3, 9, 8, 45), "价格"),
    ]
    followups = _xlsx(tmp_path / "跟进记录.xlsx",
                      ["关联客户", "关联商机", "跟进方式", "跟进时间", "跟进人", "跟进结果",
                       "跟进内容"],
                      [["KH001", "SJ001", "上门拜访", dt.datetime(2025, 3, 5, 14, 0), "张伟",
                        "有意向", "演示了产品"],
                       ["KH002", "", "微信", dt.datetime(2025, 3, 6, 9, 30), "李娜", "", ""],
                       ["KH002", "", "电话", dt.datetime(2025, 3, 6, 9, 30), "李娜", "", ""],
                       ["KH001", "", "传真", dt.datetime(2025, 3, 7, 9, 0), "张伟", "", ""]])
    result = _import(duck, shanghai, "jiandaoyun-followups", followups)
    assert (result.inserted, result.rejected) == (1, 3)
    assert [r[:2] for r in _reasons(result)] == [(3, "activity_id"), (4, "activity_id"),
                                                 (5, "kind")]
    assert rows(duck, "SELECT * FROM activities ORDER BY 1") == [
        ("KH001-2025-03-05 14:00:00-张伟", "张伟", "KH001", "SJ001", "visit", "outbound",
         dt.datetime(2025, 3, 5, 6), None, "有意向"),
    ]
