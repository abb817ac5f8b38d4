"""``{% load masking %}``: ``{{ text|mask_numbers }}`` for any free text shown to the public."""

from django import template

from shuangsuiji.common.masking import mask_personal_numbers

register = template.Library()


@register.filter
def mask_numbers(text: str | None) -> str:
    """Free text written by staff (检查情况, 后续处理, 反馈内容, 种子来源, 见证人) shown on a public
    page: a mobile or 身份证号 typed into it is masked — those numbers never appear there."""
    return mask_personal_numbers(str(text or ""))
