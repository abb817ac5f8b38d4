"""Masking of personal numbers (身份证号, 手机号) outside admin views and in logs.

Accounts are real-name [000 三(四)], but those numbers never leave an admin's screen:
lists show ``350881********1234`` and ``138****5362``.
"""

import logging
import re

_ID_IN_TEXT = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


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


def mask_personal_numbers(text: str) -> str:
    """Masks every 身份证号 and mobile number found inside free text."""
    text = _ID_IN_TEXT.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)
    return _MOBILE_IN_TEXT.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)


class MaskPersonalNumbersFilter(logging.Filter):
    """Keeps 身份证号 and mobile numbers out of the logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_personal_numbers(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
