"""``ssj calendar``: working days from the shell.

* ``ssj calendar add-workdays DATE N`` — the date N working days after DATE;
* ``ssj calendar import-year YEAR FILE --source TEXT`` — enter a year's notice from a table
  with the columns 日期, 类型 (放假/上班), 名称;
* ``ssj calendar show YEAR`` — the arrangement used for a year.
"""

import argparse
import datetime as dt
import re

from shuangsuiji.common.errors import ValidationFailed

CLI_ACTOR = "命令行"

# The file format, with the 2026 notice as the example (docs/examples/holidays-2026.csv).
IMPORT_YEAR_FORMAT = """\
文件格式（xlsx、xls、ods 或 CSV，第一行为表头）：
  日期        类型  名称
  2026-01-01  放假  元旦
  2026-01-04  上班  元旦      ← 调休上班日（周六或周日）
  2026-02-15  放假  春节
  …
每个放假日（含假期中的周六、周日）和每个调休上班日各占一行；“类型”写“放假”或“上班”。
完整示例（国务院办公厅关于2026年部分节假日安排的通知）：docs/examples/holidays-2026.csv

  ssj calendar import-year 2027 2027年节假日.xlsx \\
      --source "国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕X号）"

录入后，涉及该年的暂定期限（暂按双休日推算）自动按录入的安排更正，并记入审计日志。
也可在网页“系统管理 → 节假日安排”中录入。"""
_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")


def date_arg(text: str) -> dt.date:
    match = _DATE.match(text.strip())
    if not match:
        raise ValidationFailed(f"日期格式无法识别：{text}（应如 2024-09-30 或 2024/9/30）")
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        raise ValidationFailed(f"日期不存在：{text}") from None


def _int(text: str, *, label: str, minimum: int = 0) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValidationFailed(f"{label}必须是整数：{text}") from None
    if value < minimum:
        raise ValidationFailed(f"{label}不能小于{minimum}：{text}")
    return value


def _add_workdays(args: argparse.Namespace) -> int:
    from shuangsuiji.workdays.services import workdays_add

    start = date_arg(args.date)
    n = _int(args.n, label="工作日天数")
    print(workdays_add(start=start, n=n).isoformat())
    return 0


def _import_year(args: argparse.Namespace) -> int:
    from shuangsuiji.workdays.services import calendar_year_import

    year = _int(args.year, label="年份", minimum=1)
    calendar_year = calendar_year_import(
        year=year, path=args.file, source=args.source, actor=CLI_ACTOR
    )
    days = list(calendar_year.days.all())
    holidays = sum(1 for d in days if d.kind == "holiday")
    print(
        f"已录入{year}年节假日安排：放假{holidays}天，调休上班{len(days) - holidays}天。依据：{calendar_year.source}"
    )
    return 0


def _show(args: argparse.Namespace) -> int:
    from shuangsuiji.workdays.services import calendar_year_describe

    year = _int(args.year, label="年份", minimum=1)
    info = calendar_year_describe(year=year)
    if info.entered is not None:
        state = "已完整录入" if info.entered.complete else "未完整录入（仅作更正）"
        who = f"，{info.entered.entered_by}" if info.entered.entered_by else ""
        when = f"，{info.entered.entered_at:%Y-%m-%d %H:%M}" if info.entered.entered_at else ""
        print(f"{year}年：录入数据（{state}{who}{when}）依据：{info.entered.source}")
    if info.builtin:
        print(f"{year}年：chinesecalendar 内置数据（录入的日期优先）")
    if not info.known:
        print(
            f"{year}年的节假日安排尚未录入，无法计算工作日（请系统管理员在“节假日安排”中录入国务院通知）"
        )
        return 1
    for day in info.days:
        print(
            f"{day.date.isoformat()}  {day.weekday_label}  {day.kind_label}  {day.name}  [{day.origin}]"
        )
    print(f"全年工作日：{info.workday_count}天")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calendar", help="工作日与节假日安排")
    calendar_sub = p.add_subparsers(dest="calendar_command", metavar="子命令")
    p.set_defaults(handler=lambda args: (p.print_help(), 2)[1])

    q = calendar_sub.add_parser("add-workdays", help="DATE 之后第 N 个工作日（起算日不计入）")
    q.add_argument("date", metavar="DATE", help="起算日，如 2024-09-30 或 2024/9/30")
    q.add_argument("n", metavar="N", help="工作日天数")
    q.set_defaults(handler=_add_workdays)

    q = calendar_sub.add_parser(
        "import-year",
        help="从表格录入某年的国务院节假日安排（列：日期、类型（放假/上班）、名称）",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=IMPORT_YEAR_FORMAT,
    )
    q.add_argument("year", metavar="YEAR")
    q.add_argument("file", metavar="FILE", help="xlsx、xls、ods 或 csv 文件")
    q.add_argument(
        "--source",
        required=True,
        metavar="TEXT",
        help="依据，如：国务院办公厅关于2027年部分节假日安排的通知 国办发明电〔2026〕X号",
    )
    q.set_defaults(handler=_import_year)

    q = calendar_sub.add_parser("show", help="显示某年的节假日安排")
    q.add_argument("year", metavar="YEAR")
    q.set_defaults(handler=_show)
