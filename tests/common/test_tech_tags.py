"""``{% load tech %}``: short fingerprints in the text, full values in one 技术细节 section."""

import pytest
from django.template import Context, Template, TemplateSyntaxError

DIGEST = "1c5504d7a10f259c27b0f15b209d7640a30e6658e617294d6a590005728d5bee"


def render(text: str, **context) -> str:
    return Template("{% load tech %}" + text).render(Context(context))


def test_short_hash_is_the_first_8_characters():
    assert render("{{ c|short_hash }}", c=DIGEST) == "1c5504d7"
    assert render("{{ c|short_hash }}", c=None) == ""


def test_techdetails_folds_its_content_under_one_summary():
    html = render("{% techdetails %}<b>{{ c }}</b>{% endtechdetails %}", c=DIGEST)
    assert html.strip().startswith('<details class="tech"><summary>技术细节</summary>')
    assert f"<b>{DIGEST}</b>" in html and " open" not in html


def test_techdetails_takes_a_summary_and_an_id_and_escapes_the_content():
    html = render(
        '{% techdetails summary="自行验证" id="self-verify" %}{{ cmd }}{% endtechdetails %}',
        cmd="diff a b > c",
    )
    assert '<details class="tech" id="self-verify"><summary>自行验证</summary>' in html
    assert "diff a b &gt; c" in html


def test_techdetails_refuses_an_unknown_option():
    with pytest.raises(TemplateSyntaxError):
        render('{% techdetails colour="red" %}x{% endtechdetails %}')
