"""Reports: the PDF's text (pdftotext) holds the Chinese names and the same figures as the HTML
page; the XLSX read back holds the same numbers."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook
from tests.app.conftest import Server

from salescore.realtime.reports import rows_as_text
from salescore.workspace import Workspace

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="pdftotext (poppler-utils) is missing: make browser")

NAMES = [{"table": "reps", "row": {"rep_id": "r1", "name": "张伟", "team_id": "T1"}},
         {"table": "reps", "row": {"rep_id": "r2", "name": "李娜", "team_id": "T1"}},
         {"table": "teams", "row": {"team_id": "T1", "name": "华东一组"}}]


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


@pytest.mark.parametrize(("kind", "subject", "name"), [
    ("rep", "r1", "张伟"), ("team", "T1", "华东一组"), ("executive", None, "华东一组")])
def test_pdf_html_and_xlsx_hold_the_same_figures(workspace: Workspace, tmp_path: Path,
                                                 kind: str, subject: str | None,
                                                 name: str) -> None:
    rt = workspace.owner().realtime
    assert rt.accept_events(NAMES).accepted == 3
    report = rt.report(kind, subject=subject, period="2025-03", locale="zh_CN")
    page = rt.render(report, "html").decode()
    text = _pdf_text(rt.render(report, "pdf"), tmp_path)
    assert name in page and name in text
    assert report.title.zh in text
    figures = [cell for row in rows_as_text(report) for cell in row[1:] if cell != "—"]
    assert figures, "the report has figures"
    for figure in figures:
        assert figure in page and figure in text, figure
    if kind == "rep":  # r1 in March: 300 won of a 300 target
        assert ["收入（赢单）" in text or report.rows[0][0] in text]
        assert report.rows[0][1:] == [300.0, 300.0, 1.0]
        assert "100.0%" in text
    # The workbook: the same numbers, as numbers.
    path = tmp_path / "report.xlsx"
    path.write_bytes(rt.render(report, "xlsx"))
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    table = sheet[4:4 + len(report.rows)]
    for got, want in zip(table, report.rows, strict=True):
        assert got[0] == want[0]
        for g, w in zip(got[1:], want[1:], strict=True):
            assert (g in ("", None) and w is None) or g == pytest.approx(w), (got, want)


def test_the_report_route_by_role(server: Server) -> None:
    c = server.client
    for role, kind, subject, status in [
            ("rep", "rep", "r1", 200), ("rep", "rep", "r4", 404),
            ("rep", "executive", None, 403),
            ("manager", "team", "T2", 200), ("manager", "team", "T1", 404),
            ("executive", "executive", None, 200), ("anonymous", "rep", "r1", 401)]:
        params = {"period": "2025-03", "format": "xlsx"}
        if subject:
            params["subject"] = subject
        answer = c.get(f"/api/v1/reports/{kind}", params=params, headers=server.headers(role))
        assert answer.status_code == status, (role, kind, subject, answer.text[:200])
    pdf = c.get("/api/v1/reports/rep", params={"period": "2025-03", "subject": "r1"},
                headers=server.headers("rep"))
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"


def test_salescore_report(workspace: Workspace, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from salescore.cli.main import app

    home = str(workspace.locations.home)
    workspace.close()
    out = tmp_path / "t1.html"
    result = CliRunner().invoke(app, ["report", "team", "--period", "2025-03", "--subject", "T1",
                                      "--format", "html", "--out", str(out), "--home", home])
    assert result.exit_code == 0, result.output
    assert "Team report" in out.read_text(encoding="utf-8")
