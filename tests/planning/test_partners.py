"""部门联合抽查 (issue 14 第 1 项): the partners answer before the lead can seal the draw."""

import pytest

from shuangsuiji.audit.models import Event
from shuangsuiji.common.errors import Conflict, NotAllowed, ValidationFailed
from shuangsuiji.draw import services as draw_services
from shuangsuiji.planning.models import PartnerResponse
from shuangsuiji.planning.services import task_partner_respond
from tests import factories
from tests.factories.catalog import make_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def joint(trio, make_task):
    partner_item = make_item(department=trio["other"], code="MH-LH-01")
    for _ in range(3):
        factories.entity(department=trio["dept"])
    for _ in range(2):
        factories.inspector(department=trio["dept"])
        factories.inspector(department=trio["other"])
    task = make_task(partners=[trio["other"]])
    operator = factories.user(department=trio["dept"], role="operator")
    trio["partner_op"] = factories.user(department=trio["other"], role="operator", username="p_op")
    return task, partner_item, operator


def test_a_partners_refusal_blocks_sealing_until_it_takes_part(client, trio, joint):
    task, partner_item, operator = joint
    with pytest.raises(Conflict) as exc:  # not answered yet
        draw_services.draw_commit(task=task, actor=operator)
    assert "尚未答复" in exc.value.message
    with pytest.raises(ValidationFailed):  # a refusal needs its reason
        task_partner_respond(
            task=task, department=trio["other"], actor=trio["partner_op"], accept=False
        )
    task_partner_respond(
        task=task,
        department=trio["other"],
        actor=trio["partner_op"],
        accept=False,
        reason="本季度人手不足",
    )
    with pytest.raises(Conflict) as exc:
        draw_services.draw_commit(task=task, actor=operator)
    assert "不参加（理由：本季度人手不足）" in exc.value.message
    task.refresh_from_db()
    assert task.status == "draft" and not task.draws.exists()
    # It changes its mind: takes part with its own item, which joins the task.
    task_partner_respond(
        task=task,
        department=trio["other"],
        actor=trio["partner_op"],
        accept=True,
        items=[partner_item],
    )
    assert partner_item in task.items.all()
    draw = draw_services.draw_commit(task=task, actor=operator)
    assert draw.state == "committed"
    assert [
        e.action for e in Event.objects.filter(action__startswith="task.partner_").order_by("seq")
    ] == [
        "task.partner_decline",
        "task.partner_accept",
    ]
    with pytest.raises(Conflict):  # sealed: the answer is final
        task_partner_respond(
            task=task, department=trio["other"], actor=trio["partner_op"], accept=False, reason="x"
        )


def test_only_the_partners_planners_answer_with_their_own_items(trio, joint):
    task, partner_item, operator = joint
    lead_item = task.items.first()
    with pytest.raises(NotAllowed):  # the lead cannot answer for the partner
        task_partner_respond(
            task=task, department=trio["other"], actor=operator, accept=True, items=[partner_item]
        )
    with pytest.raises(ValidationFailed) as exc:  # not one of the partner's items
        task_partner_respond(
            task=task,
            department=trio["other"],
            actor=trio["partner_op"],
            accept=True,
            items=[lead_item],
        )
    assert "不是本部门清单中的有效事项" in exc.value.message
    with pytest.raises(ValidationFailed):  # taking part names at least one item
        task_partner_respond(
            task=task, department=trio["other"], actor=trio["partner_op"], accept=True
        )
    stranger = factories.department("XX", name="无关部门")
    with pytest.raises(NotAllowed):
        task_partner_respond(
            task=task,
            department=stranger,
            actor=factories.user(department=stranger, role="operator"),
            accept=False,
            reason="x",
        )
    assert not PartnerResponse.objects.exists()


def test_the_partner_answers_on_the_task_page(client, trio, joint):
    task, partner_item, _operator = joint
    client.force_login(trio["partner_op"])
    page = client.get(f"/planning/tasks/{task.pk}/").content.decode()
    assert "联合抽查：配合部门的答复" in page and "尚未答复" in page and "MH-LH-01" in page
    client.post(
        f"/planning/tasks/{task.pk}/partner/",
        {"department": trio["other"].code, "answer": "accept", "items": [partner_item.pk]},
    )
    answer = PartnerResponse.objects.get()
    assert answer.accepted and list(answer.items.all()) == [partner_item]
    client.force_login(trio["colleague"])  # the lead sees the answer, has no form
    page = client.get(f"/planning/tasks/{task.pk}/").content.decode()
    assert "参加（" in page and 'name="answer"' not in page
    assert (
        client.post(
            f"/planning/tasks/{task.pk}/partner/",
            {"department": trio["other"].code, "answer": "accept"},
        ).status_code
        == 403
    )


def test_the_invitation_is_a_todo_of_the_partner_until_answered(trio, joint):
    import datetime as dt

    from shuangsuiji.common.todo import todo_cards

    task, partner_item, _operator = joint

    def count():
        cards = {c.key: c for c in todo_cards(user=trio["partner_op"], today=dt.date(2024, 8, 1))}
        card = cards.get("planning.partner_invitations")
        return card.count if card else 0

    assert count() == 1
    task_partner_respond(
        task=task,
        department=trio["other"],
        actor=trio["partner_op"],
        accept=True,
        items=[partner_item],
    )
    assert count() == 0


def test_the_partners_operators_get_a_message_once(trio, joint):
    from shuangsuiji.notices.models import Notice
    from shuangsuiji.planning import services as planning
    from tests.factories.planning import task_spec

    task, partner_item, operator = joint
    # The operator was created after the task: a later edit tells him, once.
    planning.task_update(
        task=task,
        spec=task_spec(list(task.items.all()), title="联合抽查（改名）", partners=[trio["other"]]),
        actor=None,
    )
    planning.task_update(
        task=task,
        spec=task_spec(list(task.items.all()), title="联合抽查（再改）", partners=[trio["other"]]),
        actor=None,
    )
    [notice] = Notice.objects.filter(user=trio["partner_op"])
    assert notice.kind == "invited" and task.code in notice.title
    assert notice.url == f"/planning/tasks/{task.pk}/"


def test_a_team_of_one_is_allowed_only_with_partners(make_task, trio):
    """指引第二十条: 不少于2名 — a joint task's lead team of 1 plus one per partner."""
    with pytest.raises(ValidationFailed) as exc:
        make_task(team_size=1)
    assert "不少于2名" in str(exc.value.errors)
    assert make_task(team_size=1, partners=[trio["other"]]).team_size == 1


def test_the_partner_answers_through_the_api(client, trio, joint):
    """The same answer through /api/v1/planning/tasks/{id}/partners/{code}: a bad item code is
    named and changes nothing; a refusal needs its reason; the task shows the answer."""
    import json

    from shuangsuiji.accounts.services import api_token_create

    task, partner_item, operator = joint
    _, secret = api_token_create(user=trio["partner_op"], name="测试")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    url = f"/api/v1/planning/tasks/{task.pk}/partners/{trio['other'].code}"

    def post(body, headers=auth, to=url):
        return client.post(to, data=json.dumps(body), content_type="application/json", **headers)

    r = post({"answer": "accept", "item_codes": ["NO-SUCH"]})
    assert r.status_code == 404 and "NO-SUCH" in r.json()["detail"]
    r = post({"answer": "decline"})
    assert r.status_code == 422 and "理由" in r.json()["detail"]
    r = post({"answer": "maybe"})
    assert r.status_code == 422
    assert not PartnerResponse.objects.exists()
    # Not a partner of the task; the lead's operator cannot answer for the partner.
    assert (
        post({"answer": "decline", "reason": "x"}, to=url[: url.rindex("/")] + "/XX").status_code
        == 404
    )
    _, lead_secret = api_token_create(user=operator, name="测试")
    r = post(
        {"answer": "accept", "item_codes": ["MH-LH-01"]},
        headers={"HTTP_AUTHORIZATION": f"Bearer {lead_secret}"},
    )
    assert r.status_code == 403 and not PartnerResponse.objects.exists()

    r = post({"answer": "accept", "item_codes": ["MH-LH-01"], "inspector_category": "住建"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (
        body["accepted"]
        and body["items"] == ["MH-LH-01"]
        and body["department"] == trio["other"].code
    )
    detail = client.get(f"/api/v1/planning/tasks/{task.pk}", **auth).json()
    assert [a["department"] for a in detail["partner_answers"]] == [trio["other"].code]
    assert partner_item in task.items.all()
    assert Event.objects.filter(action="task.partner_accept").count() == 1
