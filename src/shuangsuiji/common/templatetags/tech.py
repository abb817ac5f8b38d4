"""``{% load tech %}``: technical values in their place.

People read names and dates; a SHA-256, the draw's hex scores, C and K are for whoever
checks the work. Pages show a short fingerprint (``{{ value|short_hash }}``: the first 8
hex characters, as ``git`` shows a commit) and keep the full values in one collapsible
section, written once in ``templates/_tech_details.html``::

    {% techdetails %}<dl class="detail"><dt>名单摘要 C</dt><dd class="digest">…</dd></dl>{% endtechdetails %}
    {% techdetails summary="自行验证" id="self-verify" %}…{% endtechdetails %}
"""

from __future__ import annotations

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token, token_kwargs
from django.template.context import Context
from django.utils.safestring import mark_safe

register = template.Library()

SHORT_HASH_LENGTH = 8
DEFAULT_SUMMARY = "技术细节"


@register.filter
def short_hash(value: object) -> str:
    """The first 8 characters of a hex digest (``""`` for none): enough to tell two
    commitments apart by eye and to find the full value in 技术细节."""
    return str(value or "")[:SHORT_HASH_LENGTH]


class TechDetailsNode(template.Node):
    def __init__(self, nodelist: NodeList, options: dict[str, FilterExpression]) -> None:
        self.nodelist = nodelist
        self.options = options

    def render(self, context: Context) -> str:
        body = self.nodelist.render(context)
        values = {name: expr.resolve(context) for name, expr in self.options.items()}
        assert context.template is not None
        inner = context.template.engine.get_template("_tech_details.html")
        with context.push(
            tech_body=mark_safe(body),  # already rendered (and escaped) by the page's template
            tech_summary=values.get("summary") or DEFAULT_SUMMARY,
            tech_id=values.get("id") or "",
            tech_open=bool(values.get("open")),
        ):
            return inner.render(context)


@register.tag("techdetails")
def techdetails(parser: Parser, token: Token) -> TechDetailsNode:
    """``{% techdetails [summary="…"] [id="…"] [open=flag] %}…{% endtechdetails %}``."""
    bits = token.split_contents()[1:]
    options = token_kwargs(bits, parser, support_legacy=False)
    if bits:
        raise template.TemplateSyntaxError(
            f"techdetails takes only summary=, id= and open=; got {' '.join(bits)!r}"
        )
    unknown = set(options) - {"summary", "id", "open"}
    if unknown:
        raise template.TemplateSyntaxError(f"techdetails: unknown option {sorted(unknown)}")
    nodelist = parser.parse(("endtechdetails",))
    parser.delete_first_token()
    return TechDetailsNode(nodelist, options)
