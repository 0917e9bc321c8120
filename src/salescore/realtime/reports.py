"""Reports out: a rep's scorecard, a team report and an executive report, each as HTML, PDF and
XLSX from one :class:`Report` (the same figures, formatted by the same function, in all three).

PDF: fpdf2, with a TrueType CJK font embedded (subset) so that Chinese shows and extracts on a
machine without the font; charts are drawn as vector rectangles and lines, not pictures. Why
fpdf2 and a TrueType font: the CJK fonts most machines have (Noto CJK) are CFF-flavoured OpenType
collections, which reportlab cannot embed; fpdf2 embeds TrueType outlines, and Debian's
``fonts-droid-fallback`` (installed by ``make browser``) is one. ``SALESCORE_PDF_FONT`` names
another TrueType (.ttf) font.

XLSX: xlsxwriter; real numbers with number formats (money, percentage, plain) and a bar chart
of the same series as the other formats.

>>> r = Report("rep", Text("Scorecard", "评分卡"), Text.same("2025-03"), "en",
...            [Column(Text("KPI", "指标"), "text"), Column(Text("Value", "值"), "money")],
...            [["Revenue", 1234.5]], Chart(Text.same("Revenue"), ["Revenue"], [1234.5], "money"))
>>> "1,234.50" in to_html(r)
True
"""

from __future__ import annotations

import html
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from salescore.core.errors import ConfigError
from salescore.core.text import Text

__all__ = ["Chart", "Column", "Report", "fmt", "pdf_font", "to_html", "to_pdf", "to_xlsx"]

Format = Literal["text", "money", "percent", "number", "count"]
ReportKind = Literal["rep", "team", "executive"]
FONT_ENV = "SALESCORE_PDF_FONT"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


@dataclass(frozen=True, slots=True)
class Column:
    title: Text
    format: Format


@dataclass(frozen=True, slots=True)
class Chart:
    """One bar per label."""

    title: Text
    labels: list[str]
    values: list[float | None]
    format: Format


@dataclass(frozen=True)
class Report:
    kind: ReportKind
    title: Text
    subtitle: Text
    locale: str
    columns: list[Column]
    rows: list[list[Any]]
    chart: Chart
    notes: list[Text] = field(default_factory=list)

    def text(self, t: Text) -> str:
        return t.get(self.locale)


def fmt(value: Any, format: Format) -> str:
    """A figure as every format shows it: money with two decimals and thousands separators,
    a percentage with one decimal, a count whole; unknown as a dash.

    >>> fmt(1234.5, "money"), fmt(0.6, "percent"), fmt(3, "count"), fmt(None, "money")
    ('1,234.50', '60.0%', '3', '—')
    """
    if value is None:
        return "—"
    match format:
        case "text":
            return str(value)
        case "money":
            return f"{float(value):,.2f}"
        case "percent":
            return f"{float(value) * 100:.1f}%"
        case "count":
            return f"{round(float(value)):,}"
        case "number":
            return f"{float(value):,.2f}"
    return str(value)


# -- HTML -------------------------------------------------------------------------------------
def _svg_chart(chart: Chart, locale: str) -> str:
    values = [v or 0.0 for v in chart.values]
    top = max([*values, 1e-9])
    width, bar, gap = 640, 22, 8
    height = len(values) * (bar + gap) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="{html.escape(chart.title.get(locale))}">']
    for i, (label, value) in enumerate(zip(chart.labels, values, strict=True)):
        y = 5 + i * (bar + gap)
        w = int(380 * value / top)
        parts.append(f'<text x="0" y="{y + 16}" font-size="13">{html.escape(label)}</text>'
                     f'<rect x="150" y="{y}" width="{w}" height="{bar}" fill="#3b6fb6"/>'
                     f'<text x="{156 + w}" y="{y + 16}" font-size="13">'
                     f'{html.escape(fmt(chart.values[i], chart.format))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def to_html(report: Report) -> str:
    """The report as one HTML page (an inline SVG chart; nothing loaded from elsewhere)."""
    t = report.text
    head = "".join(f"<th>{html.escape(t(c.title))}</th>" for c in report.columns)
    body = "".join(
        "<tr>" + "".join(
            f'<td class="{c.format}">{html.escape(fmt(v, c.format))}</td>'
            for c, v in zip(report.columns, row, strict=True)) + "</tr>"
        for row in report.rows)
    notes = "".join(f"<p class='note'>{html.escape(t(n))}</p>" for n in report.notes)
    lang = "zh-CN" if report.locale.startswith("zh") else "en"
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>{html.escape(t(report.title))}</title><style>"
            "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:4px 8px}td.money,td.percent,td.count,"
            "td.number{text-align:right}</style></head><body>"
            f"<h1>{html.escape(t(report.title))}</h1><p>{html.escape(t(report.subtitle))}</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            f"<h2>{html.escape(t(report.chart.title))}</h2>"
            f"{_svg_chart(report.chart, report.locale)}{notes}</body></html>")


# -- PDF --------------------------------------------------------------------------------------
def pdf_font() -> Path:
    """The TrueType CJK font the PDFs embed: ``SALESCORE_PDF_FONT``, else the first of
    :data:`FONT_CANDIDATES` present; :class:`ConfigError` saying what to install if none."""
    named = os.environ.get(FONT_ENV)
    for candidate in ([named] if named else []) + list(FONT_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise ConfigError(
        "no TrueType CJK font for PDF reports: install Debian's fonts-droid-fallback "
        f"(make browser does), or set {FONT_ENV} to a .ttf font",
        message_zh=f"缺少用于 PDF 报告的 TrueType 中文字体：请安装 fonts-droid-fallback，或设置 "
                   f"{FONT_ENV}")


def _latin_font() -> Path | None:
    """DejaVu Sans (Debian's fonts-dejavu-core) for digits and Latin text, where present: the
    CJK fallback font has no Latin glyphs of its own."""
    for candidate in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",):
        if Path(candidate).is_file():
            return Path(candidate)
    return None


def to_pdf(report: Report) -> bytes:
    """The report as PDF (A4 landscape): title, table, and a vector bar chart."""
    from fpdf import FPDF

    t = report.text
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(t(report.title))
    pdf.set_creator("salescore")
    pdf.add_font("cjk", "", str(pdf_font()))
    latin = _latin_font()
    if latin is not None:  # digits and Latin letters from it, Chinese from the CJK font
        pdf.add_font("latin", "", str(latin))
        pdf.set_fallback_fonts(["cjk"])
    face = "latin" if latin is not None else "cjk"
    pdf.add_page()
    pdf.set_font(face, size=18)
    pdf.cell(0, 10, t(report.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(face, size=11)
    pdf.cell(0, 8, t(report.subtitle), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    usable = pdf.w - pdf.l_margin - pdf.r_margin
    first = min(70.0, usable / max(2, len(report.columns)) * 1.5)
    rest = (usable - first) / max(1, len(report.columns) - 1)
    widths = [first] + [rest] * (len(report.columns) - 1)
    pdf.set_fill_color(230, 236, 245)
    for column, width in zip(report.columns, widths, strict=True):
        pdf.cell(width, 8, t(column.title), border=1, fill=True,
                 align="L" if column.format == "text" else "R")
    pdf.ln()
    for row in report.rows:
        for column, width, value in zip(report.columns, widths, row, strict=True):
            pdf.cell(width, 7, fmt(value, column.format), border=1,
                     align="L" if column.format == "text" else "R")
        pdf.ln()
    pdf.ln(6)
    _pdf_chart(pdf, report.chart, report.locale, face)
    for note in report.notes:
        pdf.set_font(face, size=9)
        pdf.multi_cell(0, 5, t(note), new_x="LMARGIN", new_y="NEXT")
    out = pdf.output()
    return bytes(out)


def _pdf_chart(pdf: Any, chart: Chart, locale: str, face: str) -> None:
    values = [v or 0.0 for v in chart.values]
    top = max([*values, 1e-9])
    pdf.set_font(face, size=12)
    pdf.cell(0, 8, chart.title.get(locale), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(face, size=9)
    left, span, bar = pdf.l_margin + 50, 150.0, 6.0
    if pdf.get_y() + len(values) * (bar + 2) > pdf.h - pdf.b_margin:
        pdf.add_page()
    y0 = pdf.get_y()
    pdf.set_draw_color(120, 120, 120)
    pdf.line(left, y0, left, y0 + len(values) * (bar + 2))  # the axis
    pdf.set_fill_color(59, 111, 182)
    for i, (label, value) in enumerate(zip(chart.labels, values, strict=True)):
        y = y0 + i * (bar + 2)
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(48, bar, label, align="R")
        width = span * value / top
        if width > 0:
            pdf.rect(left, y, width, bar, style="F")
        pdf.set_xy(left + width + 1, y)
        pdf.cell(40, bar, fmt(chart.values[i], chart.format))
    pdf.set_y(y0 + len(values) * (bar + 2) + 4)


# -- XLSX -------------------------------------------------------------------------------------
def to_xlsx(report: Report) -> bytes:
    """The report as an Excel workbook: the table with real numbers and number formats, and a
    bar chart of the chart's series (a second sheet holds its data)."""
    import xlsxwriter

    t = report.text
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(_sheet_name(t(report.title)))
    bold = book.add_format({"bold": True, "font_size": 14})
    header = book.add_format({"bold": True, "bg_color": "#E6ECF5", "border": 1})
    formats = {"money": book.add_format({"num_format": "#,##0.00", "border": 1}),
               "percent": book.add_format({"num_format": "0.0%", "border": 1}),
               "count": book.add_format({"num_format": "#,##0", "border": 1}),
               "number": book.add_format({"num_format": "#,##0.00", "border": 1}),
               "text": book.add_format({"border": 1})}
    sheet.write(0, 0, t(report.title), bold)
    sheet.write(1, 0, t(report.subtitle))
    for j, column in enumerate(report.columns):
        sheet.write(3, j, t(column.title), header)
        sheet.set_column(j, j, 28 if j == 0 else 16)
    for i, row in enumerate(report.rows):
        for j, (column, value) in enumerate(zip(report.columns, row, strict=True)):
            if value is None:
                sheet.write_blank(4 + i, j, None, formats[column.format])
            elif column.format == "text":
                sheet.write_string(4 + i, j, str(value), formats["text"])
            else:
                sheet.write_number(4 + i, j, float(value), formats[column.format])
    data = book.add_worksheet("chart_data")
    data.write_row(0, 0, ["label", t(report.chart.title)])
    for i, (label, value) in enumerate(zip(report.chart.labels, report.chart.values,
                                           strict=True)):
        data.write_string(1 + i, 0, label)
        if value is None:
            data.write_blank(1 + i, 1, None)
        else:
            data.write_number(1 + i, 1, float(value), formats[report.chart.format])
    n = len(report.chart.labels)
    chart = book.add_chart({"type": "bar"})
    chart.add_series({"name": t(report.chart.title),
                      "categories": ["chart_data", 1, 0, n, 0],
                      "values": ["chart_data", 1, 1, n, 1]})
    chart.set_title({"name": t(report.chart.title)})
    chart.set_legend({"none": True})
    sheet.insert_chart(5 + len(report.rows), 0, chart)
    book.close()
    return buffer.getvalue()


def _sheet_name(title: str) -> str:
    cleaned = "".join(ch for ch in title if ch not in "[]:*?/\\")
    return cleaned[:31] or "report"


def rows_as_text(report: Report) -> Sequence[Sequence[str]]:
    """Each row as the page shows it (what a test compares with the PDF's text)."""
    return [[fmt(v, c.format) for c, v in zip(report.columns, row, strict=True)]
            for row in report.rows]
