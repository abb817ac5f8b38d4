"""One way to write an xlsx of plain tables (统计分析, 审计日志): text stays text (a value
beginning with "=" never becomes a formula), empty figures show as “—”."""

from __future__ import annotations

import io


def book_open(buf: io.BytesIO):
    """An xlsxwriter workbook in memory in which text stays text: a cell beginning with "="
    never becomes a formula, a URL or a number."""
    import xlsxwriter

    return xlsxwriter.Workbook(
        buf,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )


def book_open_file(out):
    """An xlsxwriter workbook written to ``out`` (a file object) row by row, in constant
    memory (a list export of 100,000 rows), with the same text-stays-text options."""
    import xlsxwriter

    return xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )


def workbook(sheets: list[tuple[str, list[str], list[list]]]) -> bytes:
    """xlsx with one sheet per table: (name, headers, rows). Text stays text."""
    buf = io.BytesIO()
    book = book_open(buf)
    head = book.add_format({"bold": True, "bg_color": "#eef1f4", "border": 1})
    for name, headers, rows in sheets:
        sheet = book.add_worksheet(name[:31])
        for col, title in enumerate(headers):
            sheet.write(0, col, title, head)
            sheet.set_column(col, col, 18 if col else 28)
        for r, row in enumerate(rows, start=1):
            for col, value in enumerate(row):
                if value is None:
                    sheet.write_string(r, col, "—")
                else:
                    sheet.write(r, col, value)
    book.close()
    return buf.getvalue()
