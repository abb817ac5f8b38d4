"""Checks for the identifiers the documents use: 统一社会信用代码, 身份证号, 手机号.

Each check returns a Chinese reason when the value is wrong, or ``None`` when it is right,
so import and forms can show the reason beside the row and column.

We use python-stdnum's check-digit functions, not its ``validate()``:
``stdnum.cn.uscc.validate`` rejects valid codes that start with A, N or Y, and
``stdnum.cn.ric.validate`` rejects many valid ID numbers on its place-code lookup.
"""

import datetime as dt
import re
import unicodedata

from stdnum.cn import ric as _ric
from stdnum.cn import uscc as _uscc

# GB 32100-2015: 登记管理部门码 is 1-9, A (中央编办), N (其他) or Y (工商); the code
# alphabet leaves out I, O, S, V and Z.
_USCC_RE = re.compile(r"^[1-9ANY][0-9A-HJ-NP-RTUWXY]{17}$")
_RIC_RE = re.compile(r"^[1-9]\d{5}(\d{4})(\d{2})(\d{2})\d{3}[\dX]$")
# 中国大陆手机号：1 开头 11 位，第二位 3-9。
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def normalize_code(value: str) -> str:
    """Full-width to half-width, spaces removed, upper case (codes are often typed in 全角)."""
    return unicodedata.normalize("NFKC", value or "").replace(" ", "").strip().upper()


def uscc_error(code: str) -> str | None:
    if len(code) != 18:
        return f"统一社会信用代码应为18位，实际为{len(code)}位"
    if not _USCC_RE.match(code):
        return "统一社会信用代码含有不允许的字符（首位应为1-9、A、N、Y，不含I、O、S、V、Z）"
    expected = _uscc.calc_check_digit(code[:17])
    if code[17] != expected:
        return f"统一社会信用代码校验位错误（应为{expected}）"
    return None


def uscc_check_digit(first17: str) -> str:
    return _uscc.calc_check_digit(first17)


def id_number_error(number: str, *, today: dt.date | None = None) -> str | None:
    match = _RIC_RE.match(number)
    if not match:
        return "身份证号应为18位数字（末位可为X）"
    year, month, day = (int(g) for g in match.groups())
    try:
        born = dt.date(year, month, day)
    except ValueError:
        return "身份证号中的出生日期无效"
    if born.year < 1900 or born > (today or dt.date.today()):
        return "身份证号中的出生日期不在合理范围"
    expected = _ric.calc_check_digit(number[:17])
    if number[17] != expected:
        return f"身份证号校验位错误（应为{expected}）"
    return None


def id_number_check_digit(first17: str) -> str:
    return _ric.calc_check_digit(first17)


def mobile_error(number: str) -> str | None:
    if not _MOBILE_RE.match(number):
        return "手机号码应为1开头的11位数字"
    return None


_USCC_BODY_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_uscc(rng, *, region: str = "310117", first: str = "9", kind: str = "1") -> str:
    """A synthetic but valid 统一社会信用代码 (for demo data, tests and benchmarks)."""
    body = "".join(rng.choice(_USCC_BODY_ALPHABET) for _ in range(9))
    first17 = f"{first}{kind}{region}{body}"
    return first17 + _uscc.calc_check_digit(first17)


def make_id_number(rng, *, region: str = "350881", year: int = 1985) -> str:
    """A synthetic but valid 身份证号 (demo and tests only)."""
    first17 = f"{region}{year:04d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return first17 + _ric.calc_check_digit(first17)
