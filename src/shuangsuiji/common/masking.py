"""Masking of personal numbers (身份证号, 手机号) outside admin views and in logs.

Accounts are real-name [000 三(四)], but those numbers never leave an admin's screen:
lists show ``350881********1234`` and ``138****5362``.
"""

import datetime as dt
import logging
import re

from shuangsuiji.common.errors import ValidationFailed

# Detection runs on a copy with full-width digits, plus sign, dash and space folded to ASCII
# (one character for one, so positions stay those of the original text).
_FOLD = str.maketrans(
    {**{chr(0xFF10 + i): str(i) for i in range(10)}, "＋": "+", "－": "-", "\u3000": " "}
)
_SEP = r"[ \-.\u00a0]?"  # one space, dash or dot between digits, as people type them
# Boundaries are ASCII letters and digits only: Chinese text runs straight into numbers
# ("手机13810005362"). A decimal part after the number makes it an amount.
_NOT_BEFORE = r"(?<![0-9A-Za-z+])"
_NOT_AFTER = r"(?![0-9A-Za-z])(?![.,]\d)"
_MOBILE = re.compile(
    rf"{_NOT_BEFORE}(?:(?:\+|00)?86{_SEP})?(1[3-9]\d(?:{_SEP}\d){{8}}){_NOT_AFTER}"
)
_ID18 = re.compile(rf"{_NOT_BEFORE}(\d(?:{_SEP}\d){{16}}{_SEP}[\dXx]){_NOT_AFTER}")
_ID15 = re.compile(rf"{_NOT_BEFORE}(\d{{15}}){_NOT_AFTER}")
# A number right after these words is an official number, not a person's: 执法证号 look like
# mobiles (13080716005), document numbers and credit codes are printed on purpose.
_OFFICIAL_BEFORE = re.compile(r"(执法证件?编?号?|证书编号|文号|编号|代码|注册号)[:：\s]*$")


def _digits(text: str) -> str:
    return re.sub(r"[^\dXx]", "", text)


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _looks_like_id18(number: str) -> bool:
    return 1900 <= int(number[6:10]) <= 2099 and _valid_date(
        int(number[6:10]), int(number[10:12]), int(number[12:14])
    )


def _looks_like_id15(number: str) -> bool:
    # The pre-1999 form: 6 area digits, YYMMDD, 3 sequence digits.
    return _valid_date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))


def _official(text: str, start: int) -> bool:
    return bool(_OFFICIAL_BEFORE.search(text[max(0, start - 8) : start]))


def mask_id_number(number: str | None) -> str:
    if not number:
        return ""
    if len(number) < 10:
        return "*" * len(number)
    return f"{number[:6]}{'*' * (len(number) - 10)}{number[-4:]}"


def mask_mobile(number: str | None) -> str:
    if not number:
        return ""
    if len(number) != 11:
        return number[:3] + "*" * max(len(number) - 3, 0)
    return f"{number[:3]}****{number[-4:]}"


def personal_numbers(text: str) -> list[tuple[int, int, str]]:
    """(start, end, masked form) of every 身份证号 (18-digit, or the old 15-digit form) and
    mobile number in ``text``, in the spellings people type: spaces, dashes or dots between
    digits, +86 / 0086 / 86 in front, full-width digits. Numbers after 证号/编号/文号/代码
    (执法证号, document numbers, credit codes) are left alone, as are dates and amounts."""
    folded = text.translate(_FOLD)
    found: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in taken)

    for m in _ID18.finditer(folded):
        number = _digits(m.group(1))
        if len(number) == 18 and _looks_like_id18(number) and not _official(folded, m.start()):
            found.append((m.start(), m.end(), f"{number[:6]}********{number[-4:]}"))
            taken.append(m.span())
    for m in _ID15.finditer(folded):
        if free(*m.span()) and _looks_like_id15(m.group(1)) and not _official(folded, m.start()):
            found.append((m.start(), m.end(), f"{m.group(1)[:6]}*****{m.group(1)[-4:]}"))
            taken.append(m.span())
    for m in _MOBILE.finditer(folded):
        number = _digits(m.group(1))
        if free(*m.span()) and not _official(folded, m.start()):
            found.append((m.start(), m.end(), f"{number[:3]}****{number[-4:]}"))
            taken.append(m.span())
    return sorted(found)


def mask_personal_numbers(text: str) -> str:
    """Masks every 身份证号 and mobile number found inside free text (``personal_numbers``):
    the one rule for every published text and the logs."""
    if not text:
        return text
    spans = personal_numbers(text)
    if not spans:
        return text
    out, last = [], 0
    for start, end, masked in spans:
        out += [text[last:start], masked]
        last = end
    out.append(text[last:])
    return "".join(out)


def refuse_personal_numbers(*, text: str, field: str, label: str) -> None:
    """For a field published verbatim (a draw's seed sources and witnesses: the verification
    needs them exactly as typed, so they cannot be masked later): a mobile or ID number in it
    is refused at input, naming what was found (masked)."""
    spans = personal_numbers(text or "")
    if spans:
        raise ValidationFailed(
            f"{label}将原样公开，不能包含手机号或身份证号（发现“{spans[0][2]}”），请删除后重新提交",
            field=field,
        )


class MaskPersonalNumbersFilter(logging.Filter):
    """Keeps 身份证号 and mobile numbers out of the logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_personal_numbers(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
