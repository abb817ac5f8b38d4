"""公示 (002 第二十八条, 000 三(六)): FORMED → PUBLISHED with a public copy of public fields
only; 依法不予公开 → WITHHELD; bulk publication; who may do it."""

import datetime as dt

import pytest

from shuangsuiji.accounts.choices import Role
from shuangsuiji.audit.models import Event
from shuangsuiji.common.errors import Conflict, NotAllowed, ValidationFailed
from shuangsuiji.disclosure import selectors
from shuangsuiji.disclosure.models import PublishedResult
from shuangsuiji.disclosure.services import result_publish, result_withhold, results_publish
from shuangsuiji.inspection.choices import Conclusion, FollowUpKind, NonCooperation, VersionStatus
from shuangsuiji.inspection.models import VisitTask
from tests import factories
from tests.factories.ceremony import Crew
from tests.factories.disclosure import formed_result, formed_scene
from tests.factories.inspection import dispatched_scene

pytestmark = pytest.mark.django_db


def test_publishing_writes_the_public_copy_with_public_fields_only():
    f = formed_scene(
        targets=1,
        followups=[
            {
                "kind": FollowUpKind.RECTIFY,
                "rectify_deadline": dt.date(2024, 4, 5),
                "detail": "联系人 13912345678",
                "case_no": "松建罚〔2024〕1号",
            },
            {
                "kind": FollowUpKind.TRANSFER,
                "recipient": "松江区市场监督管理局",
                "detail": "内部说明",
            },
        ],
    )
    version = f.version
    visit = version.result.visit
    row = result_publish(version=version, actor=f.operator)

    version.refresh_from_db()
    version.result.refresh_from_db()
    assert version.status == VersionStatus.PUBLISHED and version.published_at == row.published_at
    assert version.result.first_published_at == row.published_at
    assert row.version == version and row.result == version.result and row.version_number == 1
    assert (
        row.entity_name == visit.entity.name
        and row.credit_code == visit.entity.uscc == visit.target_id
    )
    assert row.department == f.dept and row.department_names == f.dept.name
    assert row.year == 2024 and row.inspected_on == dt.date(2024, 3, 15)
    assert row.task_codes == f.scene.task.code and row.task_titles == f.scene.task.title
    items = sorted(f.scene.items, key=lambda i: i.code)
    assert row.item_codes == [i.code for i in items]
    assert row.item_names == "、".join(i.current.name for i in items)
    assert row.conclusion == Conclusion.RECTIFIED and not row.is_correction
    # The problems are public (抽查情况及查处结果); details and case numbers of follow-ups are not.
    assert (
        row.summary
        == "现场检查安全生产责任制落实情况，临时用电不规范。\n发现的问题：配电箱未设置漏电保护器。"
    )
    assert row.followup_text == "责令改正，整改期限2024年4月5日；移交有关部门：松江区市场监督管理局"
    members = list(visit.members.select_related("inspector").order_by("-is_leader", "id"))
    assert row.inspectors == "、".join(
        f"{m.inspector.name}（执法证号 {m.inspector.cert_no}）" for m in members
    )
    public_text = " ".join(
        str(getattr(row, fld.attname)) for fld in PublishedResult._meta.concrete_fields
    )
    for m in members:
        assert m.inspector.mobile not in public_text or not m.inspector.mobile
        assert m.inspector.id_number not in public_text or not m.inspector.id_number
    assert (
        "13912345678" not in public_text
        and "松建罚" not in public_text
        and "内部说明" not in public_text
    )
    event = Event.objects.get(action="result.publish")
    assert event.object_id == str(version.pk) and event.after["published_result"] == row.pk


def test_personal_numbers_typed_into_the_summary_are_masked_on_the_public_copy():
    f = formed_scene(
        targets=1,
        summary="负责人王五（13912345678，身份证350881199001011234）在场",
        conclusion=Conclusion.UNCOOPERATIVE,
        non_cooperation=NonCooperation.REFUSE_ENTRY,
        problems="",
    )
    row = result_publish(version=f.version, actor=f.operator)
    assert "13912345678" not in row.summary and "350881199001011234" not in row.summary
    assert "139****5678" in row.summary
    assert "不予配合情形：拒绝检查人员或其委托的专业机构进入被检查场所" in row.summary


def test_a_joint_visit_names_the_lead_department_first_then_merged_tasks_and_partners():
    f = formed_scene(targets=1)
    visit = f.version.result.visit
    partner = factories.department("PARTNER", name="区市场监督管理局")
    f.scene.task.partners.add(partner)
    other = Crew()
    other_task = other.task(code="T-MERGED")
    other_task.items.add(*f.scene.items)
    VisitTask.objects.create(
        visit=visit, task=other_task, selection=visit.visit_tasks.first().selection
    )
    row = result_publish(version=f.version, actor=f.operator)
    assert row.department == f.dept
    assert row.department_names == f"{f.dept.name}、区市场监督管理局、{other.dept.name}"
    assert row.task_codes == f"{f.scene.task.code}、T-MERGED"


def test_publishing_twice_is_refused_and_leaves_one_public_copy():
    f = formed_scene(targets=1)
    result_publish(version=f.version, actor=f.operator)
    with pytest.raises(Conflict) as err:
        result_publish(version=f.version, actor=f.reviewer)
    assert "一经公示，不得擅自更改" in err.value.message
    assert PublishedResult.objects.filter(version=f.version).count() == 1
    assert Event.objects.filter(action="result.publish").count() == 1


@pytest.mark.parametrize(
    "status",
    [
        VersionStatus.DRAFT,
        VersionStatus.SIGNING,
        VersionStatus.REVIEW,
        VersionStatus.RETURNED,
        VersionStatus.WITHHELD,
    ],
)
def test_only_a_formed_result_can_be_published(status):
    f = formed_scene(targets=1)
    f.version.status = status
    f.version.save(update_fields=["status"])
    with pytest.raises(Conflict):
        result_publish(version=f.version, actor=f.operator)
    assert not PublishedResult.objects.exists()
    f.version.refresh_from_db()
    assert f.version.status == status


def test_an_incomplete_version_is_not_published():
    f = formed_scene(targets=1)
    f.version.conclusion = ""
    f.version.save(update_fields=["conclusion"])
    with pytest.raises(ValidationFailed) as err:
        result_publish(version=f.version, actor=f.operator)
    assert "检查结论未填写" in err.value.message
    f.version.refresh_from_db()
    assert f.version.status == VersionStatus.FORMED and not PublishedResult.objects.exists()


def test_publish_permission_owner_colleague_outsider():
    f = formed_scene(targets=1)
    colleague = factories.user(
        department=f.dept, role=Role.WITNESS
    )  # same department, not a publisher
    outsider = factories.user(department=factories.department(), role=Role.OPERATOR)
    for actor in (colleague, outsider, f.scene.admin, f.scene.inspector_users[0]):
        with pytest.raises(NotAllowed):
            result_publish(version=f.version, actor=actor)
    assert not PublishedResult.objects.exists()
    result_publish(version=f.version, actor=f.reviewer)  # owner: the reviewer may publish too
    assert PublishedResult.objects.count() == 1


def test_an_operator_of_a_department_above_may_publish():
    parent = factories.department("WEI", name="建设和管理委员会")
    crew = Crew()
    crew.dept.parent = parent
    crew.dept.save()
    scene = dispatched_scene(targets=1, crew=crew)
    version = formed_result(scene)
    above = factories.user(department=parent, role=Role.OPERATOR)
    row = result_publish(version=version, actor=above)
    assert row.department == crew.dept


def test_bulk_publish_publishes_all_in_one_transaction_each_with_its_event():
    f = formed_scene(targets=3)
    rows = results_publish(versions=f.versions, actor=f.operator)
    assert len(rows) == 3 and PublishedResult.objects.count() == 3
    assert Event.objects.filter(action="result.publish").count() == 3
    assert {r.published_at for r in rows} == {rows[0].published_at}


def test_bulk_publish_with_one_refused_row_publishes_none():
    f = formed_scene(targets=3)
    result_publish(version=f.versions[1], actor=f.operator)
    with pytest.raises(Conflict) as err:
        results_publish(versions=f.versions, actor=f.operator)
    assert "第1版已公示" in err.value.message
    assert PublishedResult.objects.count() == 1
    for v in (f.versions[0], f.versions[2]):
        v.refresh_from_db()
        assert v.status == VersionStatus.FORMED


def test_bulk_publish_needs_a_selection():
    f = formed_scene(targets=1)
    with pytest.raises(ValidationFailed):
        results_publish(versions=[], actor=f.operator)


def test_withholding_records_the_legal_basis_reviewer_only():
    f = formed_scene(targets=1)
    with pytest.raises(NotAllowed):
        result_withhold(version=f.version, reason="涉及国家秘密", actor=f.operator)
    with pytest.raises(ValidationFailed):
        result_withhold(version=f.version, reason="  ", actor=f.reviewer)
    f.version.refresh_from_db()
    assert f.version.status == VersionStatus.FORMED
    result_withhold(
        version=f.version, reason="《政府信息公开条例》第十四条：涉及国家秘密", actor=f.reviewer
    )
    f.version.refresh_from_db()
    assert f.version.status == VersionStatus.WITHHELD
    assert f.version.withheld_reason.startswith("《政府信息公开条例》")
    assert not PublishedResult.objects.exists()
    assert Event.objects.get(action="result.withhold").after["status"] == VersionStatus.WITHHELD
    with pytest.raises(Conflict):
        result_publish(version=f.version, actor=f.operator)


def test_a_published_result_cannot_be_withheld():
    f = formed_scene(targets=1)
    result_publish(version=f.version, actor=f.operator)
    with pytest.raises(Conflict) as err:
        result_withhold(version=f.version, reason="理由", actor=f.reviewer)
    assert "不得擅自更改" in err.value.message
    f.version.refresh_from_db()
    assert f.version.status == VersionStatus.PUBLISHED and not f.version.withheld_reason


def test_pending_list_shows_formed_unpublished_with_their_deadline():
    f = formed_scene(targets=2)
    result_publish(version=f.versions[0], actor=f.operator)
    pending = list(selectors.results_to_publish(user=f.operator))
    assert pending == [f.versions[1]]
    [row] = selectors.pending_rows(versions=pending, today=dt.date(2024, 4, 17))
    # formed Wed 2024-03-20; 清明 4–6 April off, Sunday 7 April worked: 20th working day is 18 April
    assert (
        row.deadline.date == dt.date(2024, 4, 18)
        and row.deadline.days_left == 1
        and not row.deadline.overdue
    )
    [late] = selectors.pending_rows(versions=pending, today=dt.date(2024, 4, 19))
    assert late.deadline.overdue
    outsider = factories.user(department=factories.department(), role=Role.OPERATOR)
    assert not selectors.results_to_publish(user=outsider).exists()


def test_the_deadline_follows_the_department_setting():
    f = formed_scene(targets=1)
    f.dept.publish_deadline_workdays = 10  # 漳平 [003 附件3 第十一条]
    f.dept.save()
    due = selectors.publish_deadline(result=f.version.result, today=dt.date(2024, 3, 20))
    assert due.date == dt.date(2024, 4, 3)


def test_a_deadline_in_a_year_without_calendar_is_provisional_and_says_so():
    f = formed_scene(targets=1, formed_at=dt.datetime(2099, 12, 1, 10, tzinfo=dt.UTC))
    result = f.version.result
    due = selectors.publish_deadline(result=result, today=dt.date(2099, 12, 2))
    assert (due.date, due.days_left, due.error) == (dt.date(2099, 12, 29), 19, "")
    assert due.provisional and due.note == "暂按双休日推算，待2099年节假日安排录入后自动更正"


def test_follow_up_outcomes_are_appended_to_the_public_result_without_changing_it(client):
    """issue 14 第 4 项 (003 附件4 五): a 复查 or a 处罚决定 recorded after publication shows on
    the public result page as a dated note; the published row itself is not touched."""
    from shuangsuiji.inspection import services as inspection
    from shuangsuiji.inspection.choices import FollowUpStatus

    f = formed_scene(
        targets=1,
        followups=[
            {"kind": FollowUpKind.RECTIFY, "rectify_deadline": dt.date(2024, 4, 5)},
            {"kind": FollowUpKind.CASE, "detail": "立案调查"},
        ],
    )
    row = result_publish(version=f.version, actor=f.operator)
    before = PublishedResult.objects.filter(pk=row.pk).values().get()
    url = f"/public/results/{row.pk}/"
    assert "后续处理进展" not in client.get(url).content.decode()
    fus = {x.kind: x for x in f.version.followups.all()}
    leader = f.scene.members_users(f.version.result.visit)[0]
    inspection.followup_recheck(
        followup=fus["rectify"],
        recheck_on=dt.date(2024, 4, 6),
        recheck_note="经复查，联系人 13912345678 确认已整改",
        status=FollowUpStatus.DONE,
        actor=leader,
        today=dt.date(2024, 4, 20),
    )
    inspection.followup_penalty(
        followup=fus["case"],
        case_no="松建罚〔2024〕12号",
        penalty_decided_on=dt.date(2024, 4, 18),
        actor=leader,
        today=dt.date(2024, 4, 20),
    )
    page = client.get(url).content.decode()
    assert "后续处理进展" in page
    assert "2024年4月6日</span> 复查：已整改到位" in page
    assert "2024年4月18日</span> 作出行政处罚决定（决定文号/案件编号：松建罚〔2024〕12号）" in page
    assert page.index("2024年4月6日") < page.index("2024年4月18日")
    assert "13912345678" not in page and "确认已整改" not in page  # the note stays internal
    assert PublishedResult.objects.filter(pk=row.pk).values().get() == before


def test_a_task_has_a_public_bulletin_of_its_results(client):
    """003 第十一条 一抽查一通报: the task's published results on one public page, counted by
    conclusion, those with problems listed with their follow-ups."""
    f = formed_scene(
        targets=2,
        followups=[{"kind": FollowUpKind.RECTIFY, "rectify_deadline": dt.date(2024, 4, 5)}],
    )
    code = f.scene.task.code
    assert client.get(f"/public/tasks/{code}/bulletin/").status_code == 404  # nothing yet
    rows = [result_publish(version=v, actor=f.operator) for v in f.versions]
    page = client.get(f"/public/tasks/{code}/bulletin/").content.decode()
    assert "抽查情况通报" in page and "已公示结果</dt><dd>2 户" in page
    assert "发现问题已责令改正 2 户" in page and "发现问题的检查对象（2 户）" in page
    assert all(r.entity_name in page for r in rows)
    assert "整改期限2024年4月5日" in page
    assert (
        f"/public/tasks/{code}/bulletin/"
        in client.get(f"/public/results/{rows[0].pk}/").content.decode()
    )
    assert client.get("/public/tasks/NOPE-1/bulletin/").status_code == 404


def test_the_credit_record_lists_the_entitys_inspections_and_follow_ups(client):
    f = formed_scene(
        targets=1,
        followups=[{"kind": FollowUpKind.RECTIFY, "rectify_deadline": dt.date(2024, 4, 5)}],
    )
    result_publish(version=f.version, actor=f.operator)
    visit = f.version.result.visit
    client.force_login(f.operator)
    page = client.get(f"/disclosure/entities/{visit.entity_id}/record/").content.decode()
    assert f.scene.task.code in page and "发现问题已责令改正" in page
    assert "责令改正" in page and '期限 <span class="nowrap">2024年4月5日' in page
    assert f"/public/entities/{visit.entity.uscc}/" in page  # the public summary
