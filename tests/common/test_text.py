"""The characters no input may carry (common/text.py)."""

import pytest

from shuangsuiji.common.text import text_problem


@pytest.mark.parametrize(
    ("text", "code", "kind"),
    [
        ("a\x00b", "U+0000", "空字符"),
        ("a\x1bb", "U+001B", "控制字符"),
        ("a\x7fb", "U+007F", "控制字符"),
        ("a\x85b", "U+0085", "控制字符"),
        ("某某公司\u202e司公", "U+202E", "文字方向控制符"),
        ("x\u2066y", "U+2066", "文字方向控制符"),
        ("x\ud800y", "U+D800", "不成对的代理字符"),
    ],
)
def test_what_is_refused_is_named(text, code, kind):
    assert text_problem(text) == f"含有不允许的字符 {code}（{kind}），请删除后重新提交"


@pytest.mark.parametrize(
    "text",
    [
        "第一行\n第二行\r\n\t缩进",
        "松建管〔2024〕第12号",
        "全角：ＡＢＣ１２３，空格\u3000和不换行空格\u00a0",
        "émoji 👍 和 𠀀（扩展B区汉字，成对的代理）",
        "\u200e从左到右标记本身不改变显示顺序",
    ],
)
def test_ordinary_text_passes(text):
    assert text_problem(text) is None
