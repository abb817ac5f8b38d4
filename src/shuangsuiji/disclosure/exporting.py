"""Export of published results (公示的抽查检查结果) for 信用公示 systems, as CSV or xlsx.

Only public columns, all read from ``PublishedResult`` (the public copy: no mobile or
身份证号 is ever copied there); free texts written by staff (后续处理) are passed through
``mask_personal_numbers`` as well, so a number typed into them cannot leak. Superseded
rows are exported too, marked 已被更正 (一经公示，不得擅自更改；更正保留原版本 002 第二十八条).

Both writers stream: the CSV is a generator of byte chunks (a million rows never sit in
memory), the xlsx uses XlsxWriter's ``constant_memory`` mode. Text that a spreadsheet would
run as a formula is neutralised (``imports.tabular.neutralise``), as in the other exporters.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator, Sequence
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone

from shuangsuiji.common.masking import mask_personal_numbers
from shuangsuiji.disclosure.models import PublishedResult
from shuangsuiji.imports.tabular import neutralise
from shuangsuiji.inspection.choices import Conclusion

HEADERS = [
    "统一社会信用代码",
    "检查对象名称",
    "检查实施机关",
    "任务编号",
    "抽查任务",
    "抽查事项",
    "检查日期",
    "检查结论",
    "后续处理",
    "执法检查人员",
    "公示日期",
    "状态",
    "更正理由",
]
WIDTHS = [22, 32, 28, 18, 30, 36, 12, 24, 36, 36, 12, 10, 36]
STATUS_CURRENT, STATUS_SUPERSEDED = "现行", "已被更正"

_FIELDS = (
    "credit_code",
    "entity_name",
    "department_names",
    "task_codes",
    "task_titles",
    "item_names",
    "inspected_on",
    "conclusion",
    "followup_text",
    "inspectors",
    "published_at",
    "superseded_by_id",
    "is_correction",
    "correction_reason",
    "superseded_by__correction_reason",
)
_CONCLUSIONS = dict(Conclusion.choices)
CHUNK_ROWS = 2000


def published_result_rows(*, qs: QuerySet[PublishedResult]) -> Iterator[list[Any]]:
    """One list of cell values per row, in ``HEADERS`` order (dates as ``date``)."""
    values = qs.order_by("-published_at", "-id").values_list(*_FIELDS)
    for (
        code,
        name,
        depts,
        task_codes,
        task_titles,
        items,
        inspected_on,
        conclusion,
        followup,
        inspectors,
        published_at,
        superseded_by,
        is_correction,
        reason,
        superseding_reason,
    ) in values.iterator(chunk_size=CHUNK_ROWS):
        # 更正理由: on a superseded row, why it was corrected (the correction's reason); on a
        # correction still in force, its own reason.
        why = superseding_reason if superseded_by else (reason if is_correction else "")
        yield [
            code,
            name,
            depts,
            task_codes,
            task_titles,
            items,
            inspected_on,
            str(_CONCLUSIONS.get(conclusion, conclusion)),
            mask_personal_numbers(followup or ""),
            inspectors,
            timezone.localtime(published_at).date(),
            STATUS_SUPERSEDED if superseded_by else STATUS_CURRENT,
            mask_personal_numbers(why or ""),
        ]


# 国家企业信用信息公示系统 shows a company's 抽查检查结果信息 with these columns; the
# ``gsxt`` layout writes exactly them, current results only (a superseded copy is not a
# result of the company any more). 检查结果 is the conclusion's wording (002 第二十六条).
GSXT_HEADERS = ["统一社会信用代码", "企业名称", "检查实施机关", "类型", "检查日期", "检查结果"]
GSXT_WIDTHS = [22, 36, 32, 12, 12, 30]
GSXT_TYPE = "双随机抽查"
LAYOUTS = ("full", "gsxt")


def gsxt_rows(*, qs: QuerySet[PublishedResult]) -> Iterator[list[Any]]:
    values = (
        qs.filter(superseded_by__isnull=True)
        .order_by("-published_at", "-id")
        .values_list("credit_code", "entity_name", "department_names", "inspected_on", "conclusion")
    )
    for code, name, depts, inspected_on, conclusion in values.iterator(chunk_size=CHUNK_ROWS):
        yield [
            code,
            name,
            depts,
            GSXT_TYPE,
            inspected_on,
            str(_CONCLUSIONS.get(conclusion, conclusion)),
        ]


def _layout(layout: str):
    if layout == "gsxt":
        return GSXT_HEADERS, GSXT_WIDTHS, gsxt_rows
    return HEADERS, WIDTHS, published_result_rows


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def published_results_csv(
    *, qs: QuerySet[PublishedResult], layout: str = "full"
) -> Iterator[bytes]:
    """The CSV as a stream of UTF-8 byte chunks, the first one starting with the BOM (so
    Excel on Windows reads it as UTF-8); CRLF line ends."""
    headers, _widths, rows = _layout(layout)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    yield "\ufeff".encode() + buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    n = 0
    for row in rows(qs=qs):
        writer.writerow([_csv_cell(v) for v in row])
        n += 1
        if n % 500 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def published_results_xlsx(
    *,
    qs: QuerySet[PublishedResult],
    path_or_buffer: str | os.PathLike | IO[bytes],
    title: str | None = None,
    layout: str = "full",
) -> int:
    """Writes the xlsx to a path or a binary file object; returns the number of rows.
    ``constant_memory``: rows go to a temporary file as they are written."""
    import xlsxwriter

    target = (
        os.fspath(path_or_buffer)
        if isinstance(path_or_buffer, (str, os.PathLike))
        else path_or_buffer
    )
    book = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    try:
        sheet = book.add_worksheet("检查结果")
        date_format = book.add_format({"num_format": "yyyy-mm-dd"})
        head = book.add_format({"bold": True, "bg_color": "#EEF2F7", "border": 1})
        r = 0
        if title:
            sheet.write_string(
                0, 0, neutralise(title), book.add_format({"bold": True, "font_size": 14})
            )
            r = 1
        headers, widths, rows = _layout(layout)
        for col, (header, width) in enumerate(zip(headers, widths, strict=True)):
            sheet.set_column(col, col, width)
            sheet.write_string(r, col, header, head)
        sheet.freeze_panes(r + 1, 0)
        r += 1
        n = 0
        for row in rows(qs=qs):
            _xlsx_row(sheet, r, row, date_format)
            r += 1
            n += 1
    finally:
        book.close()
    return n


def _xlsx_row(sheet: Any, r: int, row: Sequence[Any], date_format: Any) -> None:
    for col, value in enumerate(row):
        if value is None or value == "":
            continue
        if isinstance(value, str):
            # Text stays text: a credit code or 执法证号 of digits keeps every digit.
            sheet.write_string(r, col, neutralise(value))
        else:
            sheet.write_datetime(r, col, value, date_format)
