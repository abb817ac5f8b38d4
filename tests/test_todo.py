"""待办 per role on the home page and as counts on the menu (issue 12 第 1 项; common/todo.py
and each app's todo.py). Every card's count is checked against the rows it counts, and the
list it links to shows that many."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from shuangsuiji.accounts.choices import Role
from shuangsuiji.audit.models import Event
from shuangsuiji.common.todo import todo_cards
from shuangsuiji.disclosure.choices import ObjectionStatus
from shuangsuiji.draw import services as draw_services
from shuangsuiji.inspection import services as inspection_services
from shuangsuiji.inspection.choices import FollowUpKind, VisitStatus
from shuangsuiji.inspection.models import FollowUp, VisitMember
from shuangsuiji.planning.choices import PlanStatus
from shuangsuiji.planning.models import Plan
from shuangsuiji.registry.services import entity_create
from tests import factories
from tests.factories import disclosure as fd
from tests.factories.ceremony import SEED, Crew, pool_for
from tests.factories.inspection import TODAY, dispatched_scene, in_review, submitted

pytestmark = pytest.mark.django_db


def cards(user, today=TODAY):
    return {c.key: c for c in todo_cards(user=user, today=today)}


def listed(client, user, url, pattern):
    """How many rows the linked list shows (rows matched by ``pattern``)."""
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return len(re.findall(pattern, response.content.decode()))


def test_a_sealed_draw_waits_for_the_witness_until_the_seed_is_entered(client, var_dir):
    crew = Crew()
    task = crew.task()
    ents, insp = crew.entities(3), crew.inspectors(4)
    assert "draw.witness" not in cards(crew.witness)
    draw = draw_services.draw_commit(
        task=task,
        actor=crew.operator,
        pool=pool_for(task, strata={"all": (2, ents)}, inspectors=insp),
    )
    card = cards(crew.witness)["draw.witness"]
    assert (card.count, card.group) == (1, "摇号见证")
    # The link lists exactly the sealed draws.
    assert listed(client, crew.witness, card.url, r'href="/draw/\d+/"') == 1
    assert "draw.witness" not in cards(crew.operator)  # the operator is not a witness
    draw_services.draw_seed(
        draw=draw, seed_text=SEED, sources="掷骰", witnesses=["王监督"], actor=crew.witness
    )
    assert "draw.witness" not in cards(crew.witness)
    # The operator's next step is now the confirmation.
    assert cards(crew.operator)["planning.task_drawn"].count == 1


def test_inspectors_see_visits_to_start_and_records_to_sign(client, var_dir):
    scene = dispatched_scene(targets=2, inspectors=4)
    for user in scene.inspector_users:
        mine = VisitMember.objects.filter(inspector__user=user).count()
        got = cards(user).get("inspection.start")
        assert (got.count if got else 0) == mine
    visit, version = submitted(scene)
    leader, member = scene.members_users(visit)
    assert cards(member)["inspection.sign"].count == 1
    assert cards(leader)["inspection.sign"].count == 1
    inspection_services.result_sign(version=version, actor=member)
    assert "inspection.sign" not in cards(member)
    assert cards(leader)["inspection.sign"].count == 1
    # The reviewer has nothing yet; once all signed, the result waits for him.
    assert "inspection.review" not in cards(scene.crew.reviewer)
    inspection_services.result_sign(version=version, actor=leader)
    card = cards(scene.crew.reviewer)["inspection.review"]
    assert card.count == 1
    assert listed(client, scene.crew.reviewer, card.url, r'href="/inspection/visits/\d+/"') == 1


def test_the_office_sees_results_to_publish_objections_and_penalties(client, var_dir):
    formed = fd.formed_scene(targets=2)
    operator, reviewer = formed.operator, formed.reviewer
    got = cards(operator)
    assert got["disclosure.publish"].count == 2
    # Penalties decided and not published: one visit.
    FollowUp.objects.create(
        version=formed.versions[1],
        kind=FollowUpKind.CASE,
        penalty_decided_on=dt.date(2024, 3, 25),
        detail="立案查处",
    )
    card = cards(operator)["inspection.penalty"]
    assert card.count == 1
    assert listed(client, operator, card.url, r'href="/inspection/visits/\d+/"') == 1
    # Objections: one received (the reviewer reviews), one reviewed (feedback is due).
    from shuangsuiji.disclosure.services import result_publish

    published = [result_publish(version=v, actor=operator) for v in formed.versions]
    first = fd.objection(published[0])
    second = fd.objection(published[1])
    second.status = ObjectionStatus.REJECTED
    second.save(update_fields=["status"])
    assert cards(reviewer)["disclosure.objection_review"].count == 1
    answer = cards(operator)["disclosure.objection_answer"]
    assert answer.count == 1
    assert listed(client, operator, answer.url, r"YY2024\d{5}") >= 1
    assert "disclosure.objection_review" not in cards(operator)  # reviewing is the reviewer's
    assert first.status == ObjectionStatus.RECEIVED


def test_the_department_admin_is_reminded_of_the_plan_in_the_first_quarter():
    crew = Crew()
    admin = factories.user(department=crew.dept, role=Role.DEPT_ADMIN, full_name="管理员")
    card = cards(admin, dt.date(2025, 2, 10))["planning.plan_to_file"]
    assert card.reminder and not card.urgent and "2025年度抽查计划" in card.title
    assert cards(admin, dt.date(2025, 4, 1))["planning.plan_to_file"].urgent
    Plan.objects.create(
        department=crew.dept, year=2025, title="2025年度抽查计划", status=PlanStatus.FILED
    )
    assert "planning.plan_to_file" not in cards(admin, dt.date(2025, 2, 10))
    assert "planning.plan_to_file" in cards(admin, dt.date(2026, 2, 10))
    assert "planning.plan_to_file" not in cards(crew.operator, dt.date(2025, 2, 10))


def test_the_library_revision_is_due_in_june_and_december_until_it_is_signed():
    """003 第六条: the card of the review month stays until the checklist is signed; it says
    which libraries have not changed this month."""
    from shuangsuiji.registry.review import CHECKS, library_review_sign

    crew = Crew()
    admin = factories.user(department=crew.dept, role=Role.DEPT_ADMIN, full_name="管理员")
    june = dt.date(2031, 6, 10)
    assert "registry.review" not in cards(admin, dt.date(2031, 5, 10))
    card = cards(admin, june)["registry.review"]
    assert card.reminder and "本月尚未更新名录库" in card.hint and card.url == "/registry/review/"
    assert "registry.review" in cards(admin, dt.date(2031, 12, 1))
    entity_create(
        department=crew.dept,
        actor=admin,
        fields={"uscc": factories.uscc(), "name": "新设立的建筑公司"},
    )
    # The event is dated by the clock; place it in the month the test looks at.
    Event.objects.filter(action="entity.create").update(
        created_at=dt.datetime(2031, 6, 3, 9, 0, tzinfo=dt.UTC)
    )
    card = cards(admin, june)["registry.review"]  # changed, but not signed yet
    assert "本月尚未更新名录库" not in card.hint and "尚未签署" in card.hint
    library_review_sign(
        department=crew.dept, actor=admin, checked=[k for k, _ in CHECKS], note="", today=june
    )
    assert "registry.review" not in cards(admin, june)
    assert "registry.review" in cards(admin, dt.date(2031, 12, 1))


def test_the_home_page_and_the_menu_show_the_counts(client, var_dir):
    scene = dispatched_scene(targets=2, inspectors=4)
    visit, _version = in_review(scene)
    reviewer = scene.crew.reviewer
    client.force_login(reviewer)
    html = client.get(reverse("home")).content.decode()
    assert 'id="todo-inspection.review"' in html and "待审核的检查结果" in html
    # The 检查 menu of a reviewer opens the department's list, with the count.
    assert re.search(r'href="/inspection/">检查 <span class="todo-count"[^>]*>1</span>', html)
    # An inspector with visits lands on his own cards.
    waiting = VisitMember.objects.filter(visit__status=VisitStatus.PENDING).first()
    client.force_login(waiting.inspector.user)
    html = client.get(reverse("home")).content.decode()
    assert 'id="todo-inspection.start"' in html
    assert f"#group-{VisitStatus.PENDING}" in html


def test_office_staff_learn_that_next_years_calendar_is_missing_from_november():
    from shuangsuiji.workdays.services import year_known

    # The built-in calendar ends with 2026 (README): 2027 is not entered in a fresh database.
    assert year_known(year=2026) and not year_known(year=2027)
    crew = Crew()
    card = cards(crew.operator, dt.date(2026, 11, 2))["workdays.calendar"]
    assert "2027年国务院节假日安排尚未录入" in card.title and card.reminder
    assert "workdays.calendar" not in cards(crew.operator, dt.date(2026, 6, 1))  # before November
    assert "workdays.calendar" not in cards(crew.witness, dt.date(2026, 11, 2))  # not his deadlines
