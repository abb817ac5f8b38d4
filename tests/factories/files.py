"""Real spreadsheet and CSV files for the import tests, written in the test.

xlsx through XlsxWriter; ods and xls by hand (an ODS file is a zip of XML; an xls file is
BIFF8 records in an OLE2 container — small enough to write here, so no extra dependency
such as xlwt is needed); CSV in any encoding.
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
ROSTER_HEADERS = [
    "序号",
    "姓名",
    "性别",
    "单位",
    "执法区域",
    "发证机关",
    "执法证号",
    "执法类别",
    "手机号码",
    "备注",
]
# The first rows of 003 附件5.
ROSTER_ROWS = [
    [
        1,
        "王朕",
        "男",
        "漳平市住房和城乡建设局",
        "漳平市",
        "省政府",
        "13080716001",
        "住房和城乡建设",
        "13110895362",
        "",
    ],
    [
        2,
        "石金文",
        "男",
        "漳平市住房和城乡建设局",
        "漳平市",
        "省政府",
        "13080716002",
        "住房和城乡建设",
        "18094033002",
        "",
    ],
    [
        3,
        "王培相",
        "男",
        "漳平市住房和城乡建设局",
        "漳平市",
        "省政府",
        "13080716003",
        "住房和城乡建设",
        "13906901234",
        "",
    ],
]


def write_xlsx(
    path: Path,
    rows: Sequence[Sequence[Any]],
    *,
    title: str | None = None,
    text_columns: Sequence[int] = (),
) -> Path:
    """Cells as Excel would hold them: numbers as numbers, dates as date cells, text as text.
    ``text_columns`` are written as text even when they look like numbers."""
    book = xlsxwriter.Workbook(
        str(path), {"strings_to_numbers": False, "strings_to_formulas": False}
    )
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
    csv.writer(buffer, lineterminator="\r\n").writerows(
        [["" if v is None else v for v in row] for row in rows]
    )
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_ods(path: Path, rows: Sequence[Sequence[Any]]) -> Path:
    def cell(value: Any) -> str:
        if value is None or value == "":
            return "<table:table-cell/>"
        if isinstance(value, dt.date):
            return (
                f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
                f"<text:p>{value.isoformat()}</text:p></table:table-cell>"
            )
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return (
                f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>"
            )
        return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'

    body = "".join(
        "<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>" for row in rows
    )
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
        z.writestr(
            zipfile.ZipInfo("mimetype"),
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path


def read_sheet(path: Path, sheet: int = 0) -> list[list[Any]]:
    """All rows of an xlsx (e.g. an error report or an export), as calamine reads them."""
    import python_calamine

    workbook = python_calamine.load_workbook(str(path))
    return [list(r) for r in workbook.get_sheet_by_index(sheet).iter_rows()]


def write_xls(path: Path, rows: Sequence[Sequence[Any]]) -> Path:
    """A minimal Excel 97–2003 (BIFF8) workbook in an OLE2 compound file, by hand: one
    sheet, text cells as LABEL records (UTF-16), numbers as NUMBER records. Enough for
    the readers that matter here (calamine); not a general xls writer."""
    import struct

    def record(kind: int, data: bytes) -> bytes:
        return struct.pack("<HH", kind, len(data)) + data

    def bof(kind: int) -> bytes:
        return record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 6))

    xf = record(0x00E0, struct.pack("<HHHBBBBIIH", 0, 0, 0x0001, 0x20, 0, 0, 0, 0, 0, 0x20C0))
    font = record(
        0x0031,
        struct.pack("<HHHHHBBBB", 200, 0, 0x7FFF, 400, 0, 0, 0, 0, 0)
        + b"\x05\x01"
        + "Arial".encode("utf-16-le"),
    )
    cells = b""
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                cells += record(0x0203, struct.pack("<HHHd", r, c, 15, float(value)))
            else:
                text = str(value)
                cells += record(
                    0x0204, struct.pack("<HHHHB", r, c, 15, len(text), 1) + text.encode("utf-16-le")
                )
    width = max((len(r) for r in rows), default=0)
    sheet = (
        bof(0x0010)
        + record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, width, 0))
        + cells
        + record(0x000A, b"")
    )
    name = "Sheet1"
    globals_ = [bof(0x0005), record(0x0042, struct.pack("<H", 1200)), *[font] * 5, *[xf] * 16]

    def boundsheet(offset: int) -> bytes:
        return record(
            0x0085, struct.pack("<IBBBB", offset, 0, 0, len(name), 1) + name.encode("utf-16-le")
        )

    # The sheet starts after the globals, this record and the globals' EOF (4 bytes).
    offset = sum(len(g) for g in globals_) + len(boundsheet(0)) + 4
    stream = b"".join(globals_) + boundsheet(offset) + record(0x000A, b"") + sheet
    # Padded to ≥ 4096 bytes (smaller streams would belong in the mini stream) with one
    # filler record, so a reader walking the records ends exactly at the stream's end.
    target = max(4096, -(-(len(stream) + 4) // 512) * 512)
    stream += record(0x0000, b"\x00" * (target - len(stream) - 4))
    size = len(stream)
    n = len(stream) // 512
    end, free, fat_sect = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    fat = (
        [fat_sect] + [i + 2 for i in range(n - 1)] + [end] + [end]
    )  # FAT, stream 1..n, directory n+1
    fat += [free] * (128 - len(fat))

    def entry(name: str, kind: int, start: int, length: int, child: int = free) -> bytes:
        raw = name.encode("utf-16-le") + b"\x00\x00"
        return (
            raw.ljust(64, b"\x00")
            + struct.pack("<HBB", len(raw), kind, 1)
            + struct.pack("<III", free, free, child)
            + b"\x00" * 16
            + b"\x00" * 4
            + b"\x00" * 16
            + struct.pack("<III", start, length, 0)
        )

    directory = (
        entry("Root Entry", 5, end, 0, child=1) + entry("Workbook", 2, 1, size) + b"\x00" * 256
    )
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\x00" * 6
        + struct.pack("<IIIIIIIII", 0, 1, n + 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", free) * 108
    )
    path.write_bytes(header + struct.pack("<128I", *fat) + stream + directory)
    return path


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """The text of a PDF as ``pdftotext`` (poppler-utils) extracts it: what a reader can
    copy. In CI a missing pdftotext is a failure; elsewhere the test is skipped, loudly."""
    import os
    import shutil
    import subprocess

    import pytest

    if shutil.which("pdftotext") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI 环境缺少 pdftotext（poppler-utils）")
        pytest.skip("未安装 poppler-utils：apt-get install poppler-utils")
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout.decode("utf-8")


def pdf_text_flat(pdf: bytes, tmp_path: Path) -> str:
    """``pdf_text`` without any whitespace: Chinese lines wrap anywhere, so a phrase is
    looked for in the flattened text."""
    return "".join(pdf_text(pdf, tmp_path).split())


def image(fmt: str = "PNG", size: tuple[int, int] = (120, 40)) -> bytes:
    """A real picture (Pillow) in ``fmt``: PNG, JPEG, GIF …"""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (179, 38, 30)).save(buf, fmt)
    return buf.getvalue()
