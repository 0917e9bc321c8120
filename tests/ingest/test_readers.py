"""Each reader, each encoding, and malformed CSV records rejected with their line numbers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter

from salescore.ingest.encoding import detect_encoding
from salescore.ingest.problems import IngestError
from salescore.ingest.readers import ROW, ReadOptions, read_source

from .conftest import write_csv

CHINESE = ("客户编号,客户名称,所在地区\n"
           "KH001,上海某某科技有限公司,上海市 浦东新区\nKH002,北京测试,北京市\n")


@pytest.mark.parametrize(("encoding", "expected"), [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030"),
    ("utf-16", "utf-16"),
])
def test_csv_chinese_headers_in_every_encoding(tmp_path: Path, encoding: str,
                                              expected: str) -> None:
    src = read_source(write_csv(tmp_path / "客户.csv", CHINESE, encoding))
    assert src.encoding == expected
    assert src.columns == ["客户编号", "客户名称", "所在地区"]
    assert src.data.column("客户名称").to_pylist() == ["上海某某科技有限公司", "北京测试"]
    assert src.data.column(ROW).to_pylist() == [2, 3]


def test_csv_windows_1252_is_detected(tmp_path: Path) -> None:
    text = "Account,City,Amount\nMüller GmbH,Köln,\"1.234,50 €\"\nCafé René,Besançon,12\n"
    src = read_source(write_csv(tmp_path / "accounts.csv", text, "cp1252"))
    assert src.encoding == "cp1252"
    assert src.data.column("Account").to_pylist() == ["Müller GmbH", "Café René"]
    assert src.data.column("Amount").to_pylist() == ["1.234,50 €", "12"]


def test_encoding_given_by_the_user_wins(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", "名称\n测试\n", "gbk")
    assert read_source(path, ReadOptions(encoding="GBK")).data.column("名称").to_pylist() \
        == ["测试"]
    with pytest.raises(IngestError, match="x.csv:1: line 1 cannot be read as utf-8"):
        read_source(path, ReadOptions(encoding="utf-8"))
    with pytest.raises(IngestError, match="unknown encoding"):
        read_source(path, ReadOptions(encoding="klingon"))


def test_detect_encoding_on_short_samples() -> None:
    assert detect_encoding("编号,名称\n1,张三\n".encode("gbk")) == "gb18030"
    assert detect_encoding("id,name\n1,Müller\n".encode("cp1252")) == "cp1252"
    assert detect_encoding(b"id,name\n1,plain\n") == "utf-8"


def test_na_is_text_not_empty(tmp_path: Path) -> None:
    src = read_source(write_csv(tmp_path / "r.csv", "region,x\nNA,\n\"\",NULL\n"))
    assert src.data.column("region").to_pylist() == ["NA", ""]
    assert src.data.column("x").to_pylist() == ["", "NULL"]


@pytest.mark.parametrize(("text", "delimiter"), [
    ("a;b\n1,5;x\n", ";"), ("a\tb\n1\tx\n", "\t"), ("a|b\n1|x\n", "|"), ("a,b\n1,x\n", ","),
])
def test_delimiter_is_sniffed(tmp_path: Path, text: str, delimiter: str) -> None:
    src = read_source(write_csv(tmp_path / "d.csv", text))
    assert src.columns == ["a", "b"]
    assert src.data.column("b").to_pylist() == ["x"]


def test_malformed_records_are_rejected_with_line_numbers(tmp_path: Path) -> None:
    text = ("id,name,city\n"
            "1,Acme,Paris\n"            # line 2: good
            "2,\"Acme\" Ltd,Lyon\n"      # line 3: text after a closing quote
            "3,Beta,Rome,extra\n"        # line 4: too many fields
            "4,Gamma\n"                  # line 5: too few fields
            "\n"                         # line 6: blank, skipped
            "5,\"multi\nline\",Oslo\n"   # lines 7-8: one good record over two lines
            "6,\"never closed,Bonn\n"    # line 9: unbalanced quote
            "7,Delta,Nice\n")            # line 10: good, kept after the bad quote
    src = read_source(write_csv(tmp_path / "bad.csv", text))
    assert src.data.column("id").to_pylist() == ["1", "5", "7"]
    assert src.data.column(ROW).to_pylist() == [2, 7, 10]
    assert src.data.column("name").to_pylist() == ["Acme", "multi\nline", "Delta"]
    rejects = src.rejects.to_pylist()
    assert [r["row"] for r in rejects] == [3, 4, 5, 9]
    assert rejects[0]["reason"].startswith("broken quoting")
    assert rejects[0]["reason_zh"] == "引号格式错误：引号后应紧跟分隔符"
    assert rejects[1]["reason"] == "expected 3 fields, found 4"
    assert rejects[1]["reason_zh"] == "应有 3 个字段，实际 4 个"
    assert rejects[1]["value"] == "3,Beta,Rome,extra"
    assert rejects[2]["reason"] == "expected 3 fields, found 2"
    assert src.read_rows == 7


@pytest.mark.parametrize("broken", ["", '3,"never closed\n'])
def test_records_of_empty_fields_are_skipped_like_blank_lines(tmp_path: Path,
                                                             broken: str) -> None:
    # Excel saves ",,," for rows whose cells were once formatted; they hold no data. With
    # ``broken`` the careful reader runs instead of the fast one: both skip them.
    text = "id,name,city\r\n1,Acme,Paris\r\n, , ,\r\n" + broken + "2,Beta,\r\n,,\r\n,,\r\n"
    src = read_source(write_csv(tmp_path / "saved.csv", text))
    assert src.data.column("id").to_pylist() == ["1", "2"]
    assert src.data.column(ROW).to_pylist() == [2, 5 if broken else 4]
    assert src.rejects.column("row").to_pylist() == ([4] if broken else [])


def test_line_numbers_count_line_breaks_inside_values(tmp_path: Path) -> None:
    text = 'id,note\r\n1,"a\r\nb\r\nc"\r\n2,plain\r\n3,"x"\r\n'
    src = read_source(write_csv(tmp_path / "n.csv", text))
    assert src.data.column(ROW).to_pylist() == [2, 5, 6]
    assert src.rejects.num_rows == 0


def test_a_literal_quote_inside_an_unquoted_value_is_kept(tmp_path: Path) -> None:
    src = read_source(write_csv(tmp_path / "q.csv", 'id,size\n1,5" screen\n2,7\n'))
    assert src.data.column("size").to_pylist() == ['5" screen', "7"]
    assert src.rejects.num_rows == 0


def test_duplicate_and_blank_headers_are_made_unique(tmp_path: Path) -> None:
    src = read_source(write_csv(tmp_path / "h.csv", "Name,Name, \n1,2,3\n"))
    assert src.columns == ["Name", "Name_2", "column_3"]


def test_unusable_files(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="file not found"):
        read_source(tmp_path / "missing.csv")
    with pytest.raises(IngestError, match="unknown file type .doc"):
        read_source(write_csv(tmp_path / "x.doc", "a"))
    with pytest.raises(IngestError, match="is empty"):
        read_source(write_csv(tmp_path / "empty.csv", "\n\n"))


@pytest.mark.parametrize("suffix", [".csv", ".json", ".ndjson", ".parquet"])
def test_a_file_read_under_another_name_is_shown_by_that_name(tmp_path: Path, suffix: str
                                                              ) -> None:
    path = tmp_path / f"0123abcd{suffix}"
    if suffix == ".parquet":
        pq.write_table(pa.table({"a": [1]}), path)
    else:
        path.write_text({".csv": "a,b\n1,2\n3\n", ".json": '[{"a": 1}, 2]',
                         ".ndjson": '{"a": 1}\n[1]\n'}[suffix], encoding="utf-8")
    src = read_source(path, name="deals 2025" + suffix)
    assert src.name == "deals 2025" + suffix
    assert read_source(path).name == path.name


def test_a_file_read_under_another_name_is_named_so_in_messages(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="^our deals.csv is empty$"):
        read_source(write_csv(tmp_path / "0123abcd.csv", "\n\n"), name="our deals.csv")
    with pytest.raises(IngestError, match="^our deals: unknown file type"):
        read_source(write_csv(tmp_path / "0123abcd", "a"), name="our deals")
    with pytest.raises(IngestError) as raised:
        read_source(write_csv(tmp_path / "0123abcd.json", "[1,"), name="our deals.json")
    assert raised.value.location is not None and raised.value.location.file == "our deals.json"


def _workbook(path: Path) -> Path:
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Notes").write(0, 0, "ignore me")
    ws = book.add_worksheet("Deals")
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    ws.write_row(2, 1, ["id", "amount", "when", "won", "code"])   # header on sheet row 3
    ws.write_row(3, 1, ["a1", 1234.5])
    ws.write_datetime(3, 3, dt.datetime(2025, 3, 1, 9, 5), stamp)
    ws.write_boolean(3, 4, True)
    ws.write_string(3, 5, "007")
    ws.write_row(5, 1, ["a2", 1001, 45717])                        # sheet row 6; row 5 empty
    book.close()
    return path


def test_xlsx_chosen_sheet_typed_cells_and_sheet_rows(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "deals.xlsx")
    src = read_source(path, ReadOptions(sheet="Deals"))
    assert src.sheet == "Deals" and src.columns == ["id", "amount", "when", "won", "code"]
    assert src.data.to_pylist() == [
        {"id": "a1", "amount": "1234.5", "when": "2025-03-01 09:05:00", "won": "true",
         "code": "007", ROW: 4},
        {"id": "a2", "amount": "1001", "when": "45717", "won": "", "code": "", ROW: 6},
    ]
    assert read_source(path, ReadOptions(sheet="2")).sheet == "Deals"
    assert read_source(path).sheet == "Notes"
    with pytest.raises(IngestError, match="has no sheet 'Leads'; sheets: Notes, Deals"):
        read_source(path, ReadOptions(sheet="Leads"))


def test_xlsx_title_rows_above_the_header_are_skipped(tmp_path: Path) -> None:
    # Chinese CRM and ERP exports put a title (often merged across the table) and an export
    # date above the header; the header is the first row that fills more than one cell.
    book = xlsxwriter.Workbook(str(tmp_path / "客户.xlsx"))
    ws = book.add_worksheet("客户")
    ws.merge_range(0, 0, 0, 2, "客户列表")
    ws.write(1, 0, "导出时间：2025-03-01")
    ws.write_row(3, 0, ["客户编号", "客户名称", "所在地区"])
    ws.write_row(4, 0, ["KH001", "上海某某", "上海市"])
    ws.write_row(5, 0, ["KH002", "", ""])
    book.close()
    src = read_source(tmp_path / "客户.xlsx")
    assert src.columns == ["客户编号", "客户名称", "所在地区"]
    assert src.data.to_pylist() == [
        {"客户编号": "KH001", "客户名称": "上海某某", "所在地区": "上海市", ROW: 5},
        {"客户编号": "KH002", "客户名称": "", "所在地区": "", ROW: 6}]
    assert src.titles == ((1, "客户列表"), (2, "导出时间：2025-03-01"))
    # A sheet of one column has no title row to skip.
    book = xlsxwriter.Workbook(str(tmp_path / "ids.xlsx"))
    book.add_worksheet("ids").write_column(0, 0, ["rep_id", "r1", "r2"])
    book.close()
    assert read_source(tmp_path / "ids.xlsx").data.column("rep_id").to_pylist() == ["r1", "r2"]
    # Nor one whose later rows happen to be wider: no row is lost to a guessed header.
    book = xlsxwriter.Workbook(str(tmp_path / "notes.xlsx"))
    sheet = book.add_worksheet("ids")
    sheet.write_column(0, 0, ["rep_id", "r1", "r2", "r3", "r4"])
    sheet.write_column(3, 1, ["note", "note"])
    book.close()
    src = read_source(tmp_path / "notes.xlsx")
    assert src.data.column("rep_id").to_pylist() == ["r1", "r2", "r3", "r4"]
    assert src.titles == ()


def test_xls_legacy_workbook(tmp_path: Path) -> None:
    xlwt = pytest.importorskip("xlwt", reason="writing a test .xls needs xlwt (dev extra)")
    book = xlwt.Workbook()
    sheet = book.add_sheet("客户")
    for j, value in enumerate(["客户编号", "客户名称", "金额"]):
        sheet.write(0, j, value)
    for j, value in enumerate(["KH001", "上海某某", 12.5]):
        sheet.write(1, j, value)
    book.save(str(tmp_path / "old.xls"))
    src = read_source(tmp_path / "old.xls")
    assert src.data.to_pylist() == [{"客户编号": "KH001", "客户名称": "上海某某", "金额": "12.5",
                                     ROW: 2}]


def test_parquet_keeps_types_and_numbers_rows(tmp_path: Path) -> None:
    table = pa.table({"id": ["a", "b"], "amount": pa.array([1, 2], pa.int64()),
                      "at": pa.array([dt.datetime(2025, 1, 1), None], pa.timestamp("us", "UTC"))})
    pq.write_table(table, tmp_path / "t.parquet")
    src = read_source(tmp_path / "t.parquet")
    assert src.data.schema.field("amount").type == pa.int64()
    assert src.data.column(ROW).to_pylist() == [1, 2]


def test_json_list_and_wrapped_list(tmp_path: Path) -> None:
    records = [{"id": "a", "n": 1.0, "ok": True, "tags": ["x"]}, {"id": "b", "extra": None}, 5]
    (tmp_path / "l.json").write_text(json.dumps(records), encoding="utf-8")
    src = read_source(tmp_path / "l.json")
    assert src.columns == ["id", "n", "ok", "tags", "extra"]
    assert src.data.column("n").to_pylist() == ["1", None]
    assert src.data.column("ok").to_pylist() == ["true", None]
    assert src.data.column("tags").to_pylist() == ['["x"]', None]
    assert src.rejects.column("row").to_pylist() == [3]
    (tmp_path / "w.json").write_text(json.dumps({"total": 1, "results": records[:1]}),
                                     encoding="utf-8")
    assert read_source(tmp_path / "w.json").data.num_rows == 1
    (tmp_path / "bad.json").write_text('[{"id": 1},\n{oops}]', encoding="utf-8")
    with pytest.raises(IngestError, match=r"bad.json:2: not valid JSON"):
        read_source(tmp_path / "bad.json")


def test_ndjson_bad_line_is_a_rejected_row(tmp_path: Path) -> None:
    text = '{"id": "a"}\n\n{"id": "b", "name": "张三"}\n{broken\n[1, 2]\n{"id": "c"}\n'
    (tmp_path / "e.ndjson").write_text(text, encoding="utf-8")
    src = read_source(tmp_path / "e.ndjson")
    assert src.data.column("id").to_pylist() == ["a", "b", "c"]
    assert src.data.column(ROW).to_pylist() == [1, 3, 6]
    assert src.rejects.column("row").to_pylist() == [4, 5]
    assert src.rejects.column("reason").to_pylist()[0].startswith("not valid JSON")
    assert src.read_rows == 5
