"""One style for the small things (issue 16 第 3 项): per cents without trailing zeros,
dates as 2024年9月13日, in every template without a {% load %}."""

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import timezone

from shuangsuiji.common.templatetags.formatting import cn_date, cn_datetime, percent


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("3.400"), "3.4%"),
        (Decimal("5"), "5%"),
        (Decimal("10.000"), "10%"),
        (Decimal("0.200"), "0.2%"),
        ("30", "30%"),
        ("12.50%", "12.5%"),
        (None, ""),
        ("约三成", "约三成"),
    ],
)
def test_percent(value, shown):
    assert percent(value) == shown


def test_dates_in_one_format():
    assert cn_date(dt.date(2024, 9, 3)) == "2024年9月3日"
    moment = timezone.make_aware(dt.datetime(2024, 9, 13, 1, 5), dt.UTC)
    assert cn_datetime(moment) == "2024年9月13日 09:05"  # Asia/Shanghai
    assert cn_date(None) == "" and cn_datetime("") == ""


def test_the_filters_are_built_in():
    text = Template("{{ r|percent }} {{ d|cn_date }}").render(
        Context({"r": Decimal("3.400"), "d": dt.date(2024, 7, 15)})
    )
    assert text == "3.4% 2024年7月15日"
