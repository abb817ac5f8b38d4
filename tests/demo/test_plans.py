import datetime as dt

import pytest
from django.utils import timezone

from shuangsuiji.demo.plans import demo_plans
from shuangsuiji.planning.models import Plan
from shuangsuiji.planning.selectors import plan_warnings

pytestmark = pytest.mark.django_db


def test_the_demo_plans_are_the_documents_tables_filed_and_published_once(demo):
    lines = [line for line in demo["first_lines"] if "已备案" in line]
    assert len(lines) == 3 and all("并公开" in line for line in lines)
    # Last year's and this year's (the suite runs in September: filed in March).
    year = timezone.localdate().year
    history = Plan.objects.get(department__code="SJJW", year=year - 1)
    songjiang = Plan.objects.get(department__code="SJJW", year=year)
    assert list(history.rows.values_list("seq", flat=True)) == [1, 2, 3, 4, 5, 11, 12]
    assert history.status == "published" and history.filed_at < songjiang.filed_at
    minhang = Plan.objects.get(department__code="MHLH", year=2021)
    assert songjiang.status == minhang.status == "published"
    assert list(songjiang.rows.values_list("seq", flat=True)) == [1, 2, 3, 4, 5, 11, 12]
    row3 = songjiang.rows.get(seq=3)
    assert (row3.months, row3.rounds, str(row3.ratio), row3.estimated_count) == (
        [1, 4, 6, 9, 12],
        5,
        "0.200",
        10,
    )
    assert songjiang.rows.get(seq=11).rounds == 4 and songjiang.rows.get(seq=12).rounds == 3
    assert minhang.rows.count() == 10
    row9 = minhang.rows.get(seq=9)  # 2021年9-10月…, 10月底前 (004 四)
    assert (row9.months, row9.due_text, row9.due_date) == (
        [9, 10],
        "10月底前",
        dt.date(2021, 10, 31),
    )
    # Every Songjiang item is planned and sets its own ratio and frequency: no warning.
    assert not [w for w in plan_warnings(plan=songjiang) if "未列入计划" in w or "低于5%" in w]
    assert demo_plans(actor="演示数据")[0].endswith("已存在（已公开，7行）")
    assert Plan.objects.count() == 3
