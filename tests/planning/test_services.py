import datetime as dt
from decimal import Decimal

import pytest

from shuangsuiji.audit.models import Event
from shuangsuiji.common.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from shuangsuiji.planning import selectors, services
from shuangsuiji.planning.choices import ClassMode, PlanStatus, TaskKind, TaskStatus
from shuangsuiji.planning.models import Plan, PlanRow, Task
from shuangsuiji.planning.services import ClassInput
from tests import factories
from tests.factories.planning import make_item, task_spec

ROW = {
    "seq": 1,
    "field": "燃气经营监督执法检查",
    "target_desc": "燃气经营企业",
    "items_text": "燃气经营监督执法检查",
    "schedule_text": "1月、4月、6月、9月、12月",
    "ratio": "0.2%",
    "estimated_count": "10",
    "lead_unit": "燃气所",
}


# --- plans -------------------------------------------------------------------------------


def test_an_operator_creates_a_plan_and_it_is_audited(trio):
    plan = services.plan_create(department=trio["dept"], year=2024, actor=trio["colleague"])
    assert plan.status == PlanStatus.DRAFT
    assert "2024" in plan.title
    assert Event.objects.filter(action="plan.create", object_id=str(plan.pk)).exists()


def test_a_department_admin_is_not_a_planner(trio):
    with pytest.raises(NotAllowed, match="抽查操作员"):
        services.plan_create(department=trio["dept"], year=2024, actor=trio["owner"])
    assert not Plan.objects.exists()


def test_a_second_plan_for_the_same_year_is_refused(dept):
    services.plan_create(department=dept, year=2024, actor=None)
    with pytest.raises(Conflict, match="2024"):
        services.plan_create(department=dept, year=2024, actor=None)
    assert Plan.objects.count() == 1


def test_a_row_parses_months_rounds_and_ratio(plan, item):
    row = services.plan_row_add(plan=plan, data=ROW, items=[item], actor=None)
    row.refresh_from_db()
    assert row.months == [1, 4, 6, 9, 12]
    assert row.rounds == 5
    assert row.ratio == Decimal("0.2")
    assert row.estimated_count == 10
    assert list(row.items.all()) == [item]
    assert Event.objects.filter(action="plan.row_add").count() == 1


@pytest.mark.parametrize(
    ("text", "months", "rounds"),
    [
        ("10月", [10], 1),
        ("以季度抽查和日常检查相结合方式开展，原则上每季度不少于一次", [], 4),
        ("每年三至四次", [], 3),
        ("5月底前", [], 1),  # a deadline (004 四 计划完成时间), not a month of inspection
        ("每两个月一次", [], 6),
        ("9-10月", [9, 10], 1),
    ],
)
def test_schedule_text_is_read_into_months_and_rounds(plan, text, months, rounds):
    row = services.plan_row_add(plan=plan, data={**ROW, "schedule_text": text}, actor=None)
    assert (row.months, row.rounds) == (months, rounds)


def test_a_bad_ratio_names_the_column_and_changes_nothing(plan):
    with pytest.raises(ValidationFailed) as exc:
        services.plan_row_add(plan=plan, data={**ROW, "ratio": "约三成"}, actor=None)
    assert "抽查比例" in exc.value.errors["ratio"][0]
    assert not PlanRow.objects.exists()


def test_a_duplicate_seq_is_refused(plan):
    services.plan_row_add(plan=plan, data=ROW, actor=None)
    with pytest.raises(Conflict, match="序号 1"):
        services.plan_row_add(plan=plan, data=ROW, actor=None)


def test_rows_are_editable_only_while_the_plan_is_a_draft(plan):
    row = services.plan_row_add(plan=plan, data=ROW, actor=None)
    services.plan_row_update(row=row, data={**ROW, "ratio": "6%"}, actor=None)
    row.refresh_from_db()
    assert row.ratio == Decimal("6")
    services.plan_file(plan=plan, filed_to="上级主管部门", actor=None)
    with pytest.raises(Conflict, match="已备案"):
        services.plan_row_update(row=row, data={**ROW, "ratio": "9%"}, actor=None)
    with pytest.raises(Conflict):
        services.plan_row_remove(row=row, actor=None)
    row.refresh_from_db()
    assert row.ratio == Decimal("6")


def test_remove_a_row(plan):
    row = services.plan_row_add(plan=plan, data=ROW, actor=None)
    services.plan_row_remove(row=row, actor=None)
    assert not PlanRow.objects.exists()
    assert Event.objects.filter(action="plan.row_remove").exists()


def test_a_plan_is_filed_with_its_authority_then_published(plan):
    services.plan_row_add(plan=plan, data=ROW, actor=None)
    with pytest.raises(Conflict, match="先备案"):
        services.plan_publish(plan=plan, actor=None)
    with pytest.raises(ValidationFailed, match="备案机关"):
        services.plan_file(plan=plan, filed_to=" ", actor=None)
    services.plan_file(plan=plan, filed_to="区市场监管局", actor=None)
    services.plan_publish(plan=plan, actor=None)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PUBLISHED
    assert plan.filed_to == "区市场监管局"
    assert plan.filed_at and plan.published_at
    assert list(
        Event.objects.filter(object_id=str(plan.pk), action__in=["plan.file", "plan.publish"])
        .values_list("action", flat=True)
        .order_by("seq")
    ) == ["plan.file", "plan.publish"]


def test_an_empty_plan_cannot_be_filed(plan):
    with pytest.raises(ValidationFailed, match="没有任何计划事项"):
        services.plan_file(plan=plan, filed_to="区市场监管局", actor=None)


# --- warnings ----------------------------------------------------------------------------


def test_an_active_item_without_a_row_is_warned_about(plan, dept):
    make_item(dept, "RQ-09", name="未列入计划的事项")
    warnings = selectors.plan_warnings(plan=plan)
    assert any("RQ-09" in w and "未列入计划的事项" in w for w in warnings)


def test_repealed_and_exempt_items_are_not_expected_in_the_plan(plan, dept):
    from shuangsuiji.catalog.services import item_repeal

    old = make_item(dept, "RQ-08")
    item_repeal(item=old, change_reason="法规废止", effective_date=dt.date(2024, 1, 2), actor=None)
    assert not any("RQ-08" in w for w in selectors.plan_warnings(plan=plan))


def test_low_ratio_and_few_rounds_are_warned_only_where_the_item_is_silent(plan, dept):
    silent = make_item(dept, "A-01")
    ruled = make_item(dept, "A-02", ratio="3", frequency="每年1次")
    services.plan_row_add(
        plan=plan,
        data={**ROW, "seq": 1, "ratio": "3%", "schedule_text": "10月"},
        items=[silent],
        actor=None,
    )
    services.plan_row_add(
        plan=plan,
        data={**ROW, "seq": 2, "ratio": "3%", "schedule_text": "10月", "target_desc": "其他"},
        items=[ruled],
        actor=None,
    )
    warnings = selectors.plan_warnings(plan=plan)
    assert any("第1行" in w and "低于5%" in w for w in warnings)
    assert any("A-01" in w and "只安排1次" in w for w in warnings)
    assert not any("A-02" in w for w in warnings)


def test_rounds_add_up_over_the_rows_of_one_item(plan, dept):
    item = make_item(dept, "MH-01")
    for seq, when in ((1, "5月底前"), (2, "7月底前")):
        services.plan_row_add(
            plan=plan,
            data={
                **ROW,
                "seq": seq,
                "ratio": "10",
                "schedule_text": when,
                "target_desc": f"对象{seq}",
            },
            items=[item],
            actor=None,
        )
    assert not any("只安排" in w for w in selectors.plan_warnings(plan=plan))


def test_rows_with_the_same_target_type_and_overlapping_months_could_merge(plan):
    services.plan_row_add(plan=plan, data={**ROW, "seq": 1, "schedule_text": "9月"}, actor=None)
    services.plan_row_add(plan=plan, data={**ROW, "seq": 2, "schedule_text": "9-10月"}, actor=None)
    services.plan_row_add(plan=plan, data={**ROW, "seq": 3, "schedule_text": "3月"}, actor=None)
    warnings = [w for w in selectors.plan_warnings(plan=plan) if "合并" in w]
    assert len(warnings) == 1
    assert "第1行与第2行" in warnings[0] and "9月" in warnings[0]


def test_draft_tasks_of_the_plan_year_that_could_merge_are_warned_about(plan, make_task):
    make_task()
    make_task(window_start=dt.date(2024, 9, 15), window_end=dt.date(2024, 10, 15))
    warnings = [w for w in selectors.plan_warnings(plan=plan) if "任务" in w]
    assert len(warnings) == 1


# --- tasks -------------------------------------------------------------------------------


def test_an_ad_hoc_task_gets_a_code_classes_and_an_audit_event(make_task, item):
    task = make_task()
    assert task.code == "SJJW-2024-001"
    assert task.kind == TaskKind.AD_HOC and task.status == TaskStatus.DRAFT
    assert list(task.items.all()) == [item]
    assert task.classes.get().ratio == Decimal("10")
    event = Event.objects.get(action="task.create")
    assert event.after["classes"][0]["code"] == "all"


def test_an_ad_hoc_task_needs_its_reason(make_task):
    with pytest.raises(ValidationFailed) as exc:
        make_task(description="")
    assert "事由" in exc.value.errors["description"][0]
    assert not Task.objects.exists()


def test_a_planned_task_comes_from_a_plan_row_of_its_year(plan, item, make_task):
    row = services.plan_row_add(plan=plan, data=ROW, items=[item], actor=None)
    spec = services.task_input_from_row(row=row)
    assert spec.window_start == dt.date(2024, 1, 1) and spec.window_end == dt.date(2024, 12, 31)
    task = services.task_create(department=plan.department, spec=spec, plan_row=row, actor=None)
    assert task.plan_row == row and task.kind == TaskKind.PLANNED
    assert task.classes.get().ratio == Decimal("0.2")
    with pytest.raises(ValidationFailed, match="计划年度"):
        make_task(
            kind="planned",
            plan_row=row,
            window_start=dt.date(2025, 1, 1),
            window_end=dt.date(2025, 2, 1),
        )


def test_team_size_below_two_is_refused(make_task):
    with pytest.raises(ValidationFailed) as exc:
        make_task(team_size=1)
    assert "不少于2名" in exc.value.errors["team_size"][0]


@pytest.mark.parametrize(
    ("cls", "message"),
    [
        (ClassInput(code="a.b", name="x", ratio="5"), "类别代码"),
        (ClassInput(code="a", name="x"), "比例或抽查数量"),
        (ClassInput(code="a", name="x", ratio="5", count=3), "按数量抽取"),
        (ClassInput(code="a", name="x", mode=ClassMode.DIRECTED, ratio="5"), "至少设置一个条件"),
        (ClassInput(code="a", name="x", ratio="5", filters={"scale": ["small"]}), "不定向"),
        (
            ClassInput(
                code="a", name="x", mode=ClassMode.DIRECTED, ratio="5", filters={"scale": ["huge"]}
            ),
            "规模",
        ),
        (ClassInput(code="a", name="x", risk_ratios={"E": "5"}), "信用风险分类"),
    ],
)
def test_bad_target_classes_are_refused_with_the_class_named(make_task, cls, message):
    with pytest.raises(ValidationFailed) as exc:
        make_task(classes=[cls])
    assert message in exc.value.errors["classes.1"][0]
    assert "第1类" in exc.value.errors["classes.1"][0]
    assert not Task.objects.exists()


def test_a_joint_task_is_visible_to_partners_but_edited_by_the_lead(trio, make_task):
    partner_user = factories.user(department=trio["other"], role="operator")
    task = make_task(partners=[trio["other"]])
    assert selectors.task_get(user=partner_user, pk=task.pk) == task
    assert not selectors.task_can_write(user=partner_user, task=task)
    assert selectors.task_can_write(user=trio["colleague"], task=task)
    with pytest.raises(NotAllowed):
        services.task_update(
            task=task, spec=task_spec(list(task.items.all()), title="改名"), actor=partner_user
        )


def test_task_scope_owner_colleague_outsider(trio, make_task):
    task = make_task()
    assert selectors.task_get(user=trio["owner"], pk=task.pk) == task
    assert selectors.task_get(user=trio["colleague"], pk=task.pk) == task
    with pytest.raises(NotFound):
        selectors.task_get(user=trio["outsider"], pk=task.pk)


def test_plan_scope_owner_colleague_outsider(trio, plan):
    assert selectors.plan_get(user=trio["owner"], pk=plan.pk) == plan
    assert selectors.plan_can_write(user=trio["colleague"], plan=plan)
    assert not selectors.plan_can_write(user=trio["owner"], plan=plan)
    with pytest.raises(NotFound):
        selectors.plan_get(user=trio["outsider"], pk=plan.pk)
    with pytest.raises(NotAllowed):
        services.plan_row_add(plan=plan, data=ROW, actor=trio["outsider"])


def test_a_task_is_editable_only_in_draft(make_task, item):
    task = make_task()
    services.task_update(task=task, spec=task_spec([item], title="新名称", team_size=3), actor=None)
    task.refresh_from_db()
    assert (task.title, task.team_size) == ("新名称", 3)
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.COMMITTED)
    with pytest.raises(Conflict, match="不能再修改"):
        services.task_update(task=task, spec=task_spec([item], title="再改"), actor=None)
    task.refresh_from_db()
    assert task.title == "新名称"


def test_a_draft_task_can_be_cancelled_with_a_reason(make_task):
    task = make_task()
    with pytest.raises(ValidationFailed):
        services.task_cancel(task=task, reason="", actor=None)
    services.task_cancel(task=task, reason="任务重复", actor=None)
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED


def test_items_of_unrelated_departments_are_refused(trio, make_task):
    foreign = make_item(trio["other"], "MH-99")
    with pytest.raises(ValidationFailed, match="MH-99"):
        services.task_create(department=trio["dept"], spec=task_spec([foreign]), actor=None)


def test_neighbour_inspectors_need_neighbour_departments(make_task):
    with pytest.raises(ValidationFailed) as exc:
        make_task(include_neighbour_inspectors=True)
    assert "相邻区域" in exc.value.errors["neighbour_departments"][0]


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("5月底前", dt.date(2024, 5, 31)),
        ("5月15日前", dt.date(2024, 5, 15)),
        ("5月前", dt.date(2024, 4, 30)),
        ("10月", dt.date(2024, 10, 31)),
        ("十月份", dt.date(2024, 10, 31)),
        ("上半年", dt.date(2024, 6, 30)),
        ("年底前", dt.date(2024, 12, 31)),
        ("第三季度", dt.date(2024, 9, 30)),
        ("9-10月", dt.date(2024, 10, 31)),
        ("1月、4月、6月、9月、12月", dt.date(2024, 12, 31)),
        ("每季度不少于一次", None),
        ("视情况而定", None),
    ],
)
def test_a_completion_time_is_read_as_a_deadline_of_the_plan_year(text, due):
    """issue 14 第 6 项: 004 四's 计划完成时间 ("5月底前") is a deadline, not "inspected in May"."""
    from shuangsuiji.planning.parsing import parse_due

    assert parse_due(text, year=2024) == due


def test_an_unreadable_completion_time_is_refused_with_the_reason(plan):
    with pytest.raises(ValidationFailed) as exc:
        services.plan_row_add(plan=plan, data={**ROW, "due_text": "尽快"}, actor=None)
    assert "无法识别计划完成时间" in exc.value.errors["due_text"][0]
    row = services.plan_row_add(plan=plan, data={**ROW, "due_text": "7月底前"}, actor=None)
    assert row.due_date == dt.date(plan.year, 7, 31)


def test_a_published_plan_is_adjusted_into_a_new_version_and_the_old_stays_public(client, plan):
    """002 第十二条 (动态调整 … 备案，并向社会公开): the published version stays public while
    the next is drafted; once published, both are listed, the new one with its reason."""
    services.plan_row_add(
        plan=plan, data={**ROW, "seq": 1, "target_desc": "燃气经营企业"}, actor=None
    )
    with pytest.raises(Conflict):  # a draft is simply edited
        services.plan_adjust(plan=plan, reason="x", actor=None)
    services.plan_file(plan=plan, filed_to="上级主管部门", actor=None)
    services.plan_publish(plan=plan, actor=None)
    url = f"/public/plans/{plan.pk}/"
    assert "燃气经营企业" in client.get(url).content.decode()
    with pytest.raises(ValidationFailed):
        services.plan_adjust(plan=plan, reason=" ", actor=None)
    services.plan_adjust(plan=plan, reason="新增瓶装燃气专项检查", actor=None)
    plan.refresh_from_db()
    assert (plan.status, plan.version, plan.published_at) == ("draft", 2, None)
    page = client.get(url).content.decode()  # still public: the first version
    assert "本计划正在调整（调整理由：新增瓶装燃气专项检查）" in page and "燃气经营企业" in page
    services.plan_row_add(
        plan=plan, data={**ROW, "seq": 2, "target_desc": "瓶装燃气供应站"}, actor=None
    )
    services.plan_file(plan=plan, filed_to="上级主管部门", actor=None)
    services.plan_publish(plan=plan, actor=None)
    page = client.get(url).content.decode()
    assert "第2版" in page and "本版调整理由" in page and "瓶装燃气供应站" in page
    first = client.get(url + "?version=1").content.decode()
    assert "瓶装燃气供应站" not in first and "燃气经营企业" in first
    assert Event.objects.filter(action="plan.adjust").count() == 1


def test_the_plan_warnings_use_the_departments_minimum_ratio_and_rounds(plan, dept):
    """issue 14 第 2 项: the thresholds of 003 第九条 (5%, twice) are the default; a
    department sets its own, in force from a date."""
    from shuangsuiji.catalog.rules import supervision_rule_set

    item = make_item(dept, "ZP-01")
    services.plan_row_add(
        plan=plan,
        data={**ROW, "seq": 1, "ratio": "4", "schedule_text": "5月", "target_desc": "对象"},
        items=[item],
        actor=None,
    )
    warnings = selectors.plan_warnings(plan=plan)
    assert any("低于5%" in w for w in warnings) and any("只安排1次" in w for w in warnings)
    supervision_rule_set(
        department=dept,
        actor=None,
        effective_from=dt.date(2024, 1, 1),
        min_ratio="3",
        min_rounds=1,
        note="本局规定",
    )
    warnings = selectors.plan_warnings(plan=plan)
    assert not any("低于" in w for w in warnings) and not any("只安排" in w for w in warnings)


def test_the_sections_plans_roll_up_under_the_bureaus_plan(client, dept):
    """003 附件2 三: the sections' plans of the year, read-only under the bureau's plan, with
    the warnings across sections; a section without a plan is named."""
    gas = factories.department("SJJW-RQ", name="燃气所", parent=dept)
    factories.department("SJJW-JG", name="建管科", parent=dept)
    bureau = services.plan_create(department=dept, year=2024, actor=None)
    section = services.plan_create(department=gas, year=2024, actor=None)
    services.plan_row_add(
        plan=bureau,
        data={**ROW, "seq": 1, "target_desc": "燃气经营企业", "schedule_text": "9月"},
        actor=None,
    )
    services.plan_row_add(
        plan=section,
        data={**ROW, "seq": 3, "target_desc": "燃气经营企业", "schedule_text": "9-10月"},
        actor=None,
    )
    rollup = selectors.section_rollup(plan=bureau)
    assert [p.department.name for p in rollup.plans] == ["燃气所"]
    assert [d.name for d in rollup.missing] == ["建管科"]
    [warning] = rollup.warnings
    assert "第1行与燃气所第3行" in warning and "9月" in warning
    admin = factories.user(department=dept, role="operator")
    client.force_login(admin)
    page = client.get(f"/planning/plans/{bureau.pk}/").content.decode()
    assert "各股室、单位的计划（汇总，只读）" in page and "本年度尚无计划：建管科" in page


def test_the_users_punctuation_is_kept_as_typed(make_task, plan):
    """issue 16 第 3 项: full-width punctuation in titles and texts is not rewritten to ASCII;
    codes and numbers are still folded (全角 digits from Word tables)."""
    from shuangsuiji.planning.services import plan_row_add

    task = make_task(title="燃气（瓶装）安全：专项检查，第一轮", code="ＲＱ－２０２４－０１")
    task.refresh_from_db()
    assert task.title == "燃气（瓶装）安全：专项检查，第一轮"
    assert task.code == "RQ-2024-01"
    row = plan_row_add(
        plan=plan,
        actor=None,
        data={"seq": "１", "field": "城镇燃气（瓶装）", "target_desc": "燃气经营企业：全部"},
    )
    assert (row.seq, row.field, row.target_desc) == (1, "城镇燃气（瓶装）", "燃气经营企业：全部")
