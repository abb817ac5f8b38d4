"""Real spreadsheet and CSV files for the import tests, written in the test.

xlsx through XlsxWriter; ods by hand (an ODS file is a zip of XML — no extra dependency);
CSV in any encoding. No xls writer is installed (xlwt is not a dependency), so xls is
read through the same calamine path as xlsx but not tested with a real file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import xlsxwriter

ROSTER_TITLE = "漳平市住房和城乡建设局执法检查工作人员名录"
ROSTER_HEADERS = ["序号", "姓名", "性别", "单位", "执法区域", "发证机关", "执法证号", "执法类别", "手机号码", "备注"]
# The first rows of 003 附件5.
ROSTER_ROWS = [
    [1, "王朕", "男", "漳平市住房和城乡建设局", "漳平市", "省政府", "13080716001", "住房和城乡建设", "13110895362", ""],
    [2, "石金文", "男", "漳平市住房和城乡建设局", "漳平市", "省政府", "13080716002", "住房和城乡建设", "18094033002", ""],
    [3, "王培相", "男", "漳平市住房和城乡建设局", "漳平市", "省政府", "13080716003", "住房和城乡建设", "13906901234", ""],
]


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]], *, title: str | None = None,
               text_columns: Sequence[int] = ()) -> Path:
    """Cells as Excel would hold them: numbers as numbers, dates as date cells, text as text.
    ``text_columns`` are written as text even when they look like numbers."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    sheet = book.add_worksheet("Sheet1")
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    start = 0
    if title:
        sheet.write_string(0, 0, title)
        start = 1
    for r, row in enumerate(rows, start=start):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, value, date_format)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, str(value))
    book.close()
    return path


def write_csv(path: Path, rows: Sequence[Sequence[Any]], *, encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([["" if v is None else v for v in row] for row in rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_ods(path: Path, rows: Sequence[Sequence[Any]]) -> Path:
    def cell(value: Any) -> str:
        if value is None or value == "":
            return "<table:table-cell/>"
        if isinstance(value, dt.date):
            return (f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
                    f"<text:p>{value.isoformat()}</text:p></table:table-cell>")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                    f"<text:p>{value}</text:p></table:table-cell>")
        return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'

    body = "".join("<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>" for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="Sheet1">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet",
                   compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path


def read_sheet(path: Path, sheet: int = 0) -> list[list[Any]]:
    """All rows of an xlsx (e.g. an error report or an export), as calamine reads them."""
    import python_calamine

    workbook = python_calamine.load_workbook(str(path))
    return [list(r) for r in workbook.get_sheet_by_index(sheet).iter_rows()]
