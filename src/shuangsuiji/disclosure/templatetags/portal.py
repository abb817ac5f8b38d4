"""Template filters of the public portal."""

import functools

from django import template
from django.urls import get_script_prefix, reverse

from shuangsuiji.common.templatetags.masking import mask_numbers

register = template.Library()
# The one masking filter (common/templatetags/masking.py), also under {% load portal %}.
register.filter("mask_numbers", mask_numbers)


@functools.lru_cache(maxsize=16_384)
def _reversed(prefix: str, name: str, args: tuple) -> str:
    return reverse(name, args=args)


@register.simple_tag
def purl(name: str, *args) -> str:
    """``{% url %}`` for the public pages, remembered: the result page is load-tested at
    ≥300 req/s and ``reverse`` was a sixth of its CPU (15 calls a page, the same few
    names). The key holds the script prefix, so a deployment under a sub-path stays right."""
    return _reversed(get_script_prefix(), name, tuple(str(a) for a in args))
