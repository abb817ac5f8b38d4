"""Reading the free text of a plan table: 抽查时间 → months and rounds, 抽查比例 → percent.

The tables of [000 附件] and [004 四] write the schedule as people speak it:
"1月、4月、6月、9月、12月", "10月", "以季度抽查和日常检查相结合方式开展，原则上每季度不少于一次",
"每年三至四次", "5月底前". We keep the text verbatim and derive what we can: the months
(for the "could merge" warning [001 三(四)]) and the rounds per year (for the "at least 2
rounds" warning [003 附件3 第九条]). Anything we cannot read is kept as text, never refused.
"""

import calendar
import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}


def cn_number(text: str) -> int | None:
    """1–99 in Arabic or Chinese numerals ("3", "三", "十二", "二十"); ``None`` otherwise."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if not text or any(ch not in _CN_DIGITS for ch in text):
        return None
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    return _CN_DIGITS[text] if len(text) == 1 else None


_NUM = r"(\d{1,2}|[一二两三四五六七八九十]{1,3})"
_MONTH_RANGE = re.compile(_NUM + r"\s*[-—–~～至到]\s*" + _NUM + r"\s*月")
_MONTH = re.compile(_NUM + r"\s*月")
_PER_YEAR = re.compile(
    r"(?:每年|全年|年度)[^，,；;。]{0,6}?" + _NUM + r"(?:\s*[-—–~～至到]\s*" + _NUM + r")?\s*次"
)
_QUARTERS = {
    "一": (1, 2, 3),
    "二": (4, 5, 6),
    "三": (7, 8, 9),
    "四": (10, 11, 12),
    "1": (1, 2, 3),
    "2": (4, 5, 6),
    "3": (7, 8, 9),
    "4": (10, 11, 12),
}


@dataclass(frozen=True)
class Schedule:
    months: list[int] = field(default_factory=list)
    rounds: int | None = None


def parse_schedule(text: str) -> Schedule:
    """Months (1–12, sorted) and rounds per year, as far as the text says.

    Frequency words win over counted months: "每季度不少于一次" is 4 rounds, "每年三至四次"
    the lower bound 3, "每两个月一次" 6, "每月" 12 (months 1–12), "每周" 52. Otherwise each
    named month ("1月、4月", "9-10月", "5月底前", "第三季度", "上半年") is one round.
    """
    value = unicodedata.normalize("NFKC", text or "").replace(" ", "")
    # "5月底前" is when the round must be finished, not when it is inspected (004 四's
    # 计划完成时间): read by ``parse_due``, it names no month here.
    stripped = _DUE.sub("", value)
    if not stripped:
        return Schedule(rounds=1 if value else None)  # one round, finished by that day
    value = stripped
    months: set[int] = set()
    periods = 0  # each month, range of months, quarter or half-year named is one round
    for match in _MONTH_RANGE.finditer(value):
        start, end = cn_number(match.group(1)), cn_number(match.group(2))
        if start and end and 1 <= start <= end <= 12:
            months.update(range(start, end + 1))
            periods += 1
    for match in _MONTH.finditer(_MONTH_RANGE.sub("", value)):
        # "两个月" / "三个月" is a length, not a month name.
        if match.start() > 0 and value[match.start() - 1 : match.start()] == "每":
            continue
        number = cn_number(match.group(1))
        if number and 1 <= number <= 12:
            months.add(number)
            periods += 1
    for quarter, span in _QUARTERS.items():
        if f"第{quarter}季度" in value:
            months.update(span)
            periods += 1
    for half, span in (("上半年", range(1, 7)), ("下半年", range(7, 13))):
        if half in value:
            months.update(span)
            periods += 1
    rounds = _rounds_from_words(value)
    if rounds == 12 and not months:
        months = set(range(1, 13))
    if rounds is None and periods:
        rounds = periods
    return Schedule(sorted(months), rounds)


_DUE = re.compile(
    r"(?:"
    + _NUM
    + r"\s*月\s*(?:"
    + _NUM
    + r"\s*[日号])?\s*(?:底|末|中旬|上旬|下旬|份)?\s*(?:之|以)?前"
    r"|(?:年底|年末|年内|年前)(?:之|以)?前?"
    r"|(?:上|下)半年(?:之|以)?前)"
)
_DUE_MONTH = re.compile(
    _NUM
    + r"\s*月\s*(?:("
    + r"\d{1,2}|[一二三四五六七八九十]{1,3}"
    + r")\s*[日号])?\s*(底|末|中旬|上旬|下旬|份)?\s*(?:之|以)?(前)?"
)


def parse_due(text: str, *, year: int) -> dt.date | None:
    """计划完成时间 as a date of the plan's year: "5月底前" → 31 May, "5月15日前" → 15 May,
    "5月前" → 30 April (before May), "10月" / "10月份" → 31 October (within October),
    "上半年" → 30 June, "下半年" / "年底前" → 31 December, "第三季度" → 30 September,
    "9-10月" → 31 October. ``None`` when the text names no time we can read."""
    value = unicodedata.normalize("NFKC", text or "").replace(" ", "")
    if not value:
        return None

    def month_end(m: int) -> dt.date:
        return dt.date(year, m, calendar.monthrange(year, m)[1])

    if re.search(r"年底|年末|年内|下半年", value):
        return dt.date(year, 12, 31)
    if "上半年" in value:
        return dt.date(year, 6, 30)
    for quarter, span in _QUARTERS.items():
        if f"第{quarter}季度" in value:
            return month_end(span[-1])
    ranged = _MONTH_RANGE.search(value)
    if ranged:
        end = cn_number(ranged.group(2))
        if end and 1 <= end <= 12:
            return month_end(end)
    matches = list(_DUE_MONTH.finditer(value))
    if not matches:
        return None
    # "1月、4月、6月、9月、12月": the year's rounds end with the last one named.
    found = max(matches, key=lambda m: cn_number(m.group(1)) or 0)
    month = cn_number(found.group(1))
    if not month or not 1 <= month <= 12:
        return None
    day_text, part, before = found.group(2), found.group(3), found.group(4)
    if day_text:
        day = cn_number(day_text)
        last = calendar.monthrange(year, month)[1]
        return dt.date(year, month, min(max(day or 1, 1), last))
    if before and not part:  # "5月前": before May begins
        return dt.date(year, month, 1) - dt.timedelta(days=1) if month > 1 else None
    if part in ("上旬",):
        return dt.date(year, month, 10)
    if part in ("中旬",):
        return dt.date(year, month, 20)
    return month_end(month)


def _rounds_from_words(value: str) -> int | None:
    if "每周" in value:
        return 52
    if "每月" in value or "每个月" in value:
        return 12
    if "每季" in value:
        return 4
    every_n_months = re.search(r"每" + _NUM + r"个月", value)
    if every_n_months:
        n = cn_number(every_n_months.group(1))
        if n:
            return max(1, 12 // n)
    if "每半年" in value:
        return 2
    per_year = _PER_YEAR.search(value)
    if per_year:
        # "三至四次": plan for the lower bound, the warning must not be silenced by optimism.
        return cn_number(per_year.group(1))
    return None


class RatioError(ValueError):
    """A 抽查比例 that is not a percentage; the message is in Chinese."""


_RATIO_TEXT = re.compile(r"^(\d+(?:\.\d+)?)\s*%?$")


def parse_ratio(value: Any) -> Decimal | None:
    """抽查比例 as a percentage: "3%" → 3, "0.2%" → 0.2, "3" → 3; empty → ``None``.

    A spreadsheet cell formatted as a percentage arrives as a fraction (3 % → 0.03): a
    *number* cell of at most 1 is read that way; text is always read as percent, with or
    without the % sign. Raises ``RatioError`` for anything else or a value above 100 %.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise RatioError("抽查比例应为百分比，如 5%")
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(str(value))
        if isinstance(value, float) and 0 < number <= 1:
            number = (number * 100).normalize()
    else:
        text = unicodedata.normalize("NFKC", str(value)).replace(" ", "").strip()
        if not text:
            return None
        match = _RATIO_TEXT.match(text)
        if not match:
            raise RatioError(f"抽查比例“{text}”无法识别，应为百分比，如 5% 或 0.2%")
        try:
            number = Decimal(match.group(1))
        except InvalidOperation:  # pragma: no cover - the pattern guarantees digits
            raise RatioError(f"抽查比例“{text}”无法识别") from None
    if number <= 0 or number > 100:
        raise RatioError(f"抽查比例应大于0且不超过100%（现为{number}%）")
    quantised = number.quantize(Decimal("0.001"))
    if quantised != number:
        raise RatioError(f"抽查比例最多保留3位小数（现为{number}%）")
    return quantised


def draw_count(*, pool_size: int, ratio: Decimal | None = None, count: int | None = None) -> int:
    """How many to draw from a pool: ceil(ratio × pool), at least 1 when the pool is not
    empty (the Songjiang table [000 附件] matches this: 0.2 % of 4,800 → 10); or a fixed
    count, capped at the pool size."""
    if pool_size <= 0:
        return 0
    if count is not None:
        return min(count, pool_size)
    if ratio is None:
        return 0
    # Decimal arithmetic: 3.4 % of 290 must be 10, not 9.86 rounded by binary floats.
    n = math.ceil(Decimal(ratio) * pool_size / Decimal(100))
    return min(max(n, 1), pool_size)
