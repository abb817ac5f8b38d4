"""issue 14 第 2 项: the 公示时限 per item, with an effective date (000 三(六): 20个工作日;
003 附件3 第十一条: 10个工作日). It is read on the day a result is formed and kept on the
result: a later change of the rule does not move a deadline already running."""

import datetime as dt

import pytest
from django.utils import timezone

from shuangsuiji.audit.models import Event
from shuangsuiji.catalog.rules import supervision_rule_set
from shuangsuiji.common.errors import ValidationFailed
from shuangsuiji.disclosure import deadlines
from shuangsuiji.disclosure.selectors import publish_deadline
from shuangsuiji.workdays.services import deadline_provisional
from tests.factories.inspection import dispatched_scene, formed

pytestmark = pytest.mark.django_db


def test_a_result_keeps_the_publication_deadline_of_its_items_rule_when_formed():
    scene = dispatched_scene(targets=2)
    today = timezone.localdate()
    supervision_rule_set(
        department=scene.crew.dept,
        actor=scene.admin,
        item=scene.items[0],
        effective_from=today - dt.timedelta(days=30),
        publish_workdays=10,
        note="003 附件3 第十一条",
    )
    first, second = scene.visits
    visit, _ = formed(scene, first)
    result = visit.result
    result.refresh_from_db()
    assert result.publish_workdays == 10
    due = publish_deadline(result=result)
    assert due.date == deadline_provisional(start=result.formed_at, n=10).date
    event = Event.objects.filter(action="result.approve").latest("id")
    assert event.after["publish_workdays"] == 10

    # A new rule from today: the running deadline stays; the next result takes the new one.
    supervision_rule_set(
        department=scene.crew.dept,
        actor=scene.admin,
        item=scene.items[0],
        effective_from=today,
        publish_workdays=15,
    )
    assert publish_deadline(result=result).date == due.date
    visit2, _ = formed(scene, second)
    visit2.result.refresh_from_db()
    assert visit2.result.publish_workdays == 15

    # 期限督办 counts each result by its own period.
    late = due.date + dt.timedelta(days=1)  # past 10 working days, within 15
    rows = deadlines.overdue_items(departments=[scene.crew.dept.pk], today=late, kinds=["publish"])
    assert [r.result_id for r in rows] == [result.pk]


@pytest.mark.parametrize("value", ["0", "61", "十", "9" * 5000])
def test_a_publication_deadline_out_of_range_is_refused(value):
    scene = dispatched_scene(targets=1)
    with pytest.raises(ValidationFailed) as err:
        supervision_rule_set(
            department=scene.crew.dept,
            actor=scene.admin,
            effective_from=dt.date(2024, 1, 1),
            publish_workdays=value,
        )
    assert "结果公示时限" in err.value.message
    assert not Event.objects.filter(action="rule.set").exists()
