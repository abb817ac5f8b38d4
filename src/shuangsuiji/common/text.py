"""Characters no input may carry (issue 11 item 3).

NUL crashes PostgreSQL's text type (and SQLite stores it silently, so an export carries it);
the other C0/C1 control characters break CSV, xlsx and the PDF fonts; bidirectional
overrides and isolates make text display in another order than it is stored (a name that
reads differently from what a search finds: "Trojan Source"); an unpaired surrogate cannot
be encoded at all. Tab, line feed and carriage return stay allowed (multi-line fields).
One rule, used by the request middleware (forms, search, API) and the table reader.
"""

import re

FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _kind(ch: str) -> str:
    code = ord(ch)
    if 0xD800 <= code <= 0xDFFF:
        return "不成对的代理字符"
    if 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
        return "文字方向控制符"
    return "空字符" if code == 0 else "控制字符"


def text_problem(value: str) -> str | None:
    """``None`` when ``value`` is clean, else a Chinese phrase naming the first bad character."""
    found = FORBIDDEN.search(value)
    if found is None:
        return None
    ch = found.group()
    return f"含有不允许的字符 U+{ord(ch):04X}（{_kind(ch)}），请删除后重新提交"


def cn_date(value) -> str:
    """A date as the platform shows it everywhere (issue 16 第 3 项): 2024年9月13日."""
    if not value:
        return ""
    return f"{value.year}年{value.month}月{value.day}日"
