"""Template filters of the public portal."""

from django import template

from shuangsuiji.common.masking import mask_personal_numbers

register = template.Library()


@register.filter
def mask_numbers(text: str | None) -> str:
    """Free text written by staff (检查情况, 后续处理, 反馈内容) shown on the portal: a mobile or
    身份证号 typed into it is masked — those numbers never appear on public pages."""
    return mask_personal_numbers(str(text or ""))
