"""The small things in one style (issue 16 第 3 项), built into every template
(settings.TEMPLATES ``builtins``): ``{{ ratio|percent }}`` — 3.400 → "3.4%", 5 → "5%";
``{{ day|cn_date }}`` — 2024年9月13日; ``{{ moment|cn_datetime }}`` — 2024年9月13日 14:05
(in Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import template
from django.utils import timezone

from shuangsuiji.common.text import cn_date as text_cn_date

register = template.Library()


@register.filter
def percent(value) -> str:
    """A ratio in per cent without trailing zeros; empty for none, as typed for text."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value).strip().rstrip("%"))
    except InvalidOperation:
        return str(value)
    text = f"{number.normalize():f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


@register.filter
def cn_date(value) -> str:
    if not value:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    return text_cn_date(value)


@register.filter
def cn_datetime(value) -> str:
    if not value:
        return ""
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{cn_date(local.date())} {local:%H:%M}"
    return cn_date(value)
