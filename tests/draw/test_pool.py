import datetime as dt
import time
from decimal import Decimal

import pytest
from django.utils import timezone

from shuangsuiji.draw.choices import DrawState
from shuangsuiji.draw.models import Draw, Selection, YearlyDrawCount
from shuangsuiji.draw.pool import task_pool, task_pool_preview
from shuangsuiji.planning.choices import ClassMode
from shuangsuiji.planning.models import Task
from shuangsuiji.planning.parsing import draw_count
from shuangsuiji.planning.services import ClassInput
from shuangsuiji.registry.models import Conflict, Entity, Tag
from tests import factories

TODAY = dt.date(2024, 8, 1)


# --- the count rule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratio", "pool", "expected"),
    [
        # 松江 2024 plan [000 附件]: 抽查比例 and 预估抽查数 fit ceil(ratio × pool) for these pools.
        ("3", 20, 1),
        ("6", 30, 2),
        ("0.2", 5000, 10),
        ("3.4", 290, 10),
        ("50", 23, 12),
        ("5", 241, 13),
        ("20", 116, 24),
        ("0.2", 3, 1),  # at least 1 for a non-empty pool
        ("100", 7, 7),
    ],
)
def test_count_is_the_ceiling_of_ratio_times_pool(ratio, pool, expected):
    assert draw_count(pool_size=pool, ratio=Decimal(ratio)) == expected


def test_an_empty_pool_draws_nothing_and_a_count_is_capped_at_the_pool():
    assert draw_count(pool_size=0, ratio=Decimal("50")) == 0
    assert draw_count(pool_size=3, count=10) == 3


# --- strata and filters --------------------------------------------------------------------


def _entities(dept, n, **fields):
    return [factories.entity(department=dept, **fields) for _ in range(n)]


def test_an_undirected_class_takes_the_whole_library_with_ceil_count(dept, make_task):
    made = _entities(dept, 30)
    pool = task_pool(
        task=make_task(classes=[ClassInput(code="all", name="全部", ratio=Decimal("6"))]),
        today=TODAY,
    )
    [stratum] = pool.strata
    assert stratum.name == "all" and stratum.n == 2
    assert sorted(pk for _, pk in stratum.targets) == sorted(e.pk for e in made)
    assert {tid for tid, _ in stratum.targets} == {e.uscc for e in made}


def test_a_sub_library_is_a_tag(dept, make_task):
    tag = Tag.objects.create(department=dept, name="燃气经营企业")
    tagged = _entities(dept, 3)
    _entities(dept, 4)
    for e in tagged:
        e.tags.add(tag)
    pool = task_pool(
        task=make_task(classes=[ClassInput(code="gas", name="燃气", sublibrary=tag, count=2)]),
        today=TODAY,
    )
    assert {pk for _, pk in pool.strata[0].targets} == {e.pk for e in tagged}
    assert pool.strata[0].n == 2


def test_directed_filters_narrow_the_pool(dept, make_task):
    keep = factories.entity(
        department=dept, scale="small", region="松江区", industry="燃气生产和供应业"
    )
    factories.entity(department=dept, scale="large", region="松江区", industry="燃气生产和供应业")
    factories.entity(department=dept, scale="small", region="闵行区", industry="燃气生产和供应业")
    factories.entity(department=dept, scale="small", region="松江区", industry="房地产业")
    tag = Tag.objects.create(department=dept, name="重点检查库", kind="key")
    tagged = factories.entity(
        department=dept, scale="small", region="松江区", industry="燃气生产和供应业"
    )
    tagged.tags.add(tag)
    base = {"scale": ["small"], "region": ["松江区"], "industry": ["燃气生产和供应业"]}
    cls = ClassInput(code="d", name="定向", mode=ClassMode.DIRECTED, ratio="50", filters=base)
    pool = task_pool(task=make_task(classes=[cls]), today=TODAY)
    assert {pk for _, pk in pool.strata[0].targets} == {keep.pk, tagged.pk}
    cls = ClassInput(
        code="d",
        name="定向",
        mode=ClassMode.DIRECTED,
        ratio="50",
        filters={**base, "tags": [tag.pk]},
    )
    pool = task_pool(task=make_task(classes=[cls]), today=TODAY)
    assert {pk for _, pk in pool.strata[0].targets} == {tagged.pk}


def test_credit_flags_and_complaints_make_classes_as_of_the_draw_day(dept, make_task):
    """issue 14 第 3 项, 003 第九条: 对投诉较多的或有严重违法违规迹象的市场主体要加大抽查力度 —
    a class of entities listed on the draw day, and one of complaint-heavy entities."""
    from shuangsuiji.registry.models import ComplaintCount, CreditFlag

    listed, removed, later, plain = _entities(dept, 4)
    flag = {"department": dept, "kind": "serious", "source": "市局"}
    CreditFlag.objects.create(uscc=listed.uscc, listed_on=dt.date(2024, 1, 5), **flag)
    CreditFlag.objects.create(
        uscc=removed.uscc, listed_on=dt.date(2023, 1, 5), removed_on=dt.date(2024, 7, 1), **flag
    )
    CreditFlag.objects.create(uscc=later.uscc, listed_on=dt.date(2024, 9, 1), **flag)
    # Another kind of list does not count for this class.
    CreditFlag.objects.create(
        department=dept, uscc=plain.uscc, kind="abnormal", listed_on=dt.date(2024, 1, 1)
    )
    cls = ClassInput(
        code="sx",
        name="严重违法失信",
        mode=ClassMode.DIRECTED,
        ratio="100",
        filters={"flags": ["serious"]},
    )
    pool = task_pool(task=make_task(classes=[cls]), today=TODAY)
    assert {pk for _, pk in pool.strata[0].targets} == {listed.pk}
    # On a day after the removal of the first and the listing of the third, the class follows.
    pool = task_pool(task=make_task(classes=[cls]), today=dt.date(2024, 9, 2))
    assert {pk for _, pk in pool.strata[0].targets} == {listed.pk, later.pk}

    def complaints(entity, start, end, n):
        ComplaintCount.objects.create(
            department=dept, uscc=entity.uscc, period_start=start, period_end=end, count=n
        )

    complaints(listed, dt.date(2024, 3, 1), dt.date(2024, 3, 31), 2)
    complaints(listed, dt.date(2024, 6, 1), dt.date(2024, 6, 30), 1)  # 3 within 12 months
    complaints(removed, dt.date(2023, 6, 1), dt.date(2023, 6, 30), 5)  # too long ago
    complaints(plain, dt.date(2024, 7, 1), dt.date(2024, 7, 31), 2)  # too few
    heavy = ClassInput(
        code="ts",
        name="投诉较多",
        mode=ClassMode.DIRECTED,
        ratio="30",
        filters={"complaints_min": 3, "complaints_months": 12},
    )
    pool = task_pool(task=make_task(classes=[heavy]), today=TODAY)
    assert {pk for _, pk in pool.strata[0].targets} == {listed.pk}


def test_an_entity_out_of_business_is_excluded_with_the_date_and_reason(dept, make_task):
    gone = factories.entity(
        department=dept,
        status="deregistered",
        status_date=dt.date(2024, 5, 20),
        status_reason="决议解散",
    )
    kept = factories.entity(department=dept)
    pool = task_pool(
        task=make_task(classes=[ClassInput(code="all", name="全部", ratio="100")]), today=TODAY
    )
    assert {pk for _, pk in pool.strata[0].targets} == {kept.pk}
    [out] = [e for e in pool.excluded if e.entity_id == gone.pk]
    assert "登记状态为“注销”（2024年5月20日，决议解散），不可抽取" == out.reason


def test_credit_conditions_are_checked_when_the_task_is_saved(dept, make_task):
    from shuangsuiji.common.errors import ValidationFailed

    for filters, message in [
        ({"flags": ["blacklist"]}, "信用标记"),
        ({"complaints_min": 0}, "投诉件数不少于应为"),
        ({"complaints_min": "x"}, "投诉件数不少于应为"),
        ({"complaints_months": 6}, "没有填写投诉件数下限"),
    ]:
        cls = ClassInput(code="c", name="c", mode=ClassMode.DIRECTED, ratio="5", filters=filters)
        with pytest.raises(ValidationFailed) as err:
            make_task(classes=[cls])
        assert message in str(err.value.errors or err.value.message), filters


def test_per_risk_ratios_make_one_stratum_per_risk_class(dept, make_task):
    _entities(dept, 10, risk_class="A")
    _entities(dept, 4, risk_class="D")
    _entities(dept, 2, risk_class="")
    cls = ClassInput(code="gas", name="燃气企业", ratio="10", risk_ratios={"A": "5", "D": "50"})
    pool = task_pool(task=make_task(classes=[cls]), today=TODAY)
    by_name = {s.name: s for s in pool.strata}
    assert list(by_name) == ["gas.A", "gas.D", "gas.U"]
    assert (by_name["gas.A"].n, len(by_name["gas.A"].targets)) == (1, 10)
    assert (by_name["gas.D"].n, len(by_name["gas.D"].targets)) == (2, 4)
    assert by_name["gas.U"].n == 1  # the class ratio covers the unclassified
    assert "D 高风险" in by_name["gas.D"].label


def test_risk_classes_without_any_ratio_stay_out_with_a_warning(dept, make_task):
    _entities(dept, 3, risk_class="A")
    _entities(dept, 2, risk_class="B")
    pool = task_pool(
        task=make_task(classes=[ClassInput(code="g", name="g", risk_ratios={"A": "50"})]),
        today=TODAY,
    )
    assert [s.name for s in pool.strata] == ["g.A"]
    assert any("B 一般风险" in w and "2个对象" in w for w in pool.warnings)


def test_an_entity_in_two_classes_is_listed_once(dept, make_task):
    _entities(dept, 3)
    classes = [
        ClassInput(code="a", name="a", ratio="10"),
        ClassInput(code="b", name="b", ratio="10"),
    ]
    pool = task_pool(task=make_task(classes=classes), today=TODAY)
    assert [s.name for s in pool.strata] == ["a"]
    assert any("多个类别" in w for w in pool.warnings)


def test_the_library_of_a_section_includes_its_commission(dept, item):
    from shuangsuiji.planning import services
    from tests.factories.planning import task_spec

    section = factories.department("SJJW-RQS", parent=dept)
    sibling = factories.department("SJJW-ZAJ", parent=dept)
    top = factories.entity(department=dept)
    own = factories.entity(department=section)
    factories.entity(department=sibling)
    task = services.task_create(department=section, spec=task_spec([item]), actor=None)
    pool = task_pool(task=task, today=TODAY)
    assert {pk for _, pk in pool.strata[0].targets} == {top.pk, own.pk}


# --- exclusions ----------------------------------------------------------------------------


def _confirmed_selection(task: Task, entity: Entity, *, number: int = 1) -> None:
    draw = Draw.objects.create(
        task=task,
        number=number,
        state=DrawState.CONFIRMED,
        manifest_path="x",
        manifest_sha256="0" * 64,
        committed_at=timezone.now(),
    )
    Selection.objects.create(
        draw=draw, rank=1, entity=entity, target_id=entity.uscc, stratum="all", score="0"
    )


def test_every_exclusion_reason_is_listed(dept, make_task):
    ok = factories.entity(department=dept, name="正常企业")
    gone = factories.entity(department=dept, name="注销企业", status="deregistered")
    revoked = factories.entity(department=dept, name="吊销企业", status="revoked")
    capped = factories.entity(department=dept, name="已抽两次企业")
    recent = factories.entity(department=dept, name="刚检查企业")
    YearlyDrawCount.objects.create(target_id=capped.uscc, year=2024, count=2)
    YearlyDrawCount.objects.create(target_id=ok.uscc, year=2024, count=1)
    YearlyDrawCount.objects.create(target_id=recent.uscc, year=2023, count=5)
    earlier = make_task(window_start=dt.date(2024, 7, 1), window_end=dt.date(2024, 7, 31))
    _confirmed_selection(earlier, recent)
    task = make_task(exclude_recent_days=60)
    pool = task_pool(task=task, today=TODAY)
    assert {pk for _, pk in pool.strata[0].targets} == {ok.pk}
    reasons = {e.name: e.reason for e in pool.excluded}
    assert reasons["注销企业"] == "登记状态为“注销”，不可抽取"
    assert "吊销" in reasons["吊销企业"]
    assert reasons["已抽两次企业"] == "本年度已被抽中2次（上限2次）"
    assert reasons["刚检查企业"] == f"近60天内已被抽中检查（任务 {earlier.code}）"
    assert {e.entity_id for e in pool.excluded} == {gone.pk, revoked.pk, capped.pk, recent.pk}
    preview = task_pool_preview(task=task, today=TODAY)
    assert preview.excluded_by_reason == {"status": 2, "cap": 1, "recent": 1}
    assert preview.strata[0].pool_size == 1 and preview.to_draw == 1


def test_the_cap_is_per_department_and_recent_exclusion_is_optional(dept, make_task):
    e = factories.entity(department=dept)
    YearlyDrawCount.objects.create(target_id=e.uscc, year=2024, count=2)
    dept.yearly_draw_cap = 3
    dept.save()
    earlier = make_task(window_start=dt.date(2024, 7, 1), window_end=dt.date(2024, 7, 31))
    _confirmed_selection(earlier, e)
    pool = task_pool(task=make_task(), today=TODAY)
    assert [pk for _, pk in pool.strata[0].targets] == [e.pk]
    assert pool.excluded == []


def test_void_draws_and_old_windows_do_not_count_as_recent(dept, make_task):
    e = factories.entity(department=dept)
    old = make_task(window_start=dt.date(2024, 1, 1), window_end=dt.date(2024, 1, 31))
    _confirmed_selection(old, e)
    pool = task_pool(task=make_task(exclude_recent_days=30), today=TODAY)
    assert pool.excluded == []


# --- inspectors ----------------------------------------------------------------------------


def test_only_certified_officers_on_duty_are_candidates(dept, make_task):
    good = factories.inspector(
        department=dept, cert_no="31170000001", cert_valid_until=dt.date(2026, 1, 1)
    )
    no_expiry = factories.inspector(department=dept, cert_no="31170000002")
    factories.inspector(
        department=dept, cert_no="31170000003", cert_valid_until=dt.date(2024, 8, 31)
    )
    factories.inspector(department=dept, cert_no="31170000004", status="away")
    factories.inspector(department=dept, cert_no="31170000005", kind="assistant")
    expert = factories.inspector(department=dept, cert_no="31170000006", kind="expert")
    odd = factories.inspector(department=dept, cert_no="沪执字 007")
    pool = task_pool(task=make_task(inspector_capacity=4), today=TODAY)
    assert [c.inspector_id for c in pool.inspectors] == [
        good.cert_no,
        no_expiry.cert_no,
        f"I{odd.pk}",
    ]
    assert {c.capacity for c in pool.inspectors} == {4}
    pool = task_pool(task=make_task(include_experts=True), today=TODAY)
    assert expert.pk in {c.pk for c in pool.inspectors}


def test_neighbour_and_partner_inspectors_join_only_when_asked(trio, make_task):
    own = factories.inspector(department=trio["dept"])
    neighbour = factories.inspector(department=trio["other"])
    assert {c.pk for c in task_pool(task=make_task(), today=TODAY).inspectors} == {own.pk}
    task = make_task(include_neighbour_inspectors=True, neighbour_departments=[trio["other"]])
    assert {c.pk for c in task_pool(task=task, today=TODAY).inspectors} == {own.pk, neighbour.pk}
    # A partner's staff are matched once the partner takes part (issue 14 第 1 项), and only
    # those of the 执法类别 it named.
    task = make_task(partners=[trio["other"]])
    assert {c.pk for c in task_pool(task=task, today=TODAY).inspectors} == {own.pk}
    other_kind = factories.inspector(department=trio["other"], category="城市管理")
    neighbour.category = "市场监管"
    neighbour.save(update_fields=["category"])
    from tests.factories.catalog import make_item

    partner_item = make_item(department=trio["other"], code="MH-01")
    from shuangsuiji.planning.services import task_partner_respond

    task_partner_respond(
        task=task,
        department=trio["other"],
        actor=factories.user(department=trio["other"], role="operator", username="p_op"),
        accept=True,
        items=[partner_item],
        inspector_category="市场监管",
    )
    # The lead's pool stays the lead's; the partner's staff (of the named 执法类别) are
    # matched in a draw of their own.
    assert {c.pk for c in task_pool(task=task, today=TODAY).inspectors} == {own.pk}
    from shuangsuiji.draw.pool import partner_inspector_pool

    theirs = partner_inspector_pool(task=task, partner=trio["other"], today=TODAY)
    assert {c.pk for c in theirs} == {neighbour.pk} and other_kind.pk not in {c.pk for c in theirs}


def test_conflicts_are_listed_only_for_pool_members(dept, make_task):
    a = factories.inspector(department=dept, cert_no="A1")
    away = factories.inspector(department=dept, cert_no="A2", status="away")
    member = factories.entity(department=dept)
    excluded = factories.entity(department=dept, status="deregistered")
    for inspector, entity in ((a, member), (a, excluded), (away, member)):
        Conflict.objects.create(
            inspector=inspector, entity=entity, reason="亲属", declared_on=TODAY
        )
    withdrawn = factories.entity(department=dept)
    Conflict.objects.create(
        inspector=a, entity=withdrawn, reason="曾任职", declared_on=TODAY, is_active=False
    )
    pool = task_pool(task=make_task(), today=TODAY)
    assert pool.conflicts == [("A1", member.uscc)]


def test_too_few_inspectors_or_too_little_capacity_is_warned_about(dept, make_task):
    _entities(dept, 10)
    factories.inspector(department=dept)
    pool = task_pool(task=make_task(), today=TODAY)
    assert any("少于每组2名" in w for w in pool.warnings)
    factories.inspector(department=dept)
    pool = task_pool(
        task=make_task(
            classes=[ClassInput(code="all", name="全部", count=10)], inspector_capacity=2
        ),
        today=TODAY,
    )
    assert any("超过人员总容量" in w for w in pool.warnings)


# --- speed ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=False)
def test_the_pool_of_twenty_thousand_entities_is_read_quickly(dept, make_task):
    rows = [
        Entity(department=dept, key=f"K{i}", uscc="", name=f"企业{i}", risk_class="ABCD"[i % 4])
        for i in range(20_000)
    ]
    Entity.objects.bulk_create(rows, batch_size=5000)
    task = make_task(
        classes=[
            ClassInput(
                code="all",
                name="全部",
                ratio="5",
                risk_ratios={"A": "2", "B": "5", "C": "10", "D": "20"},
            )
        ]
    )
    started = time.perf_counter()
    pool = task_pool(task=task, today=TODAY)
    elapsed = time.perf_counter() - started
    assert sum(len(s.targets) for s in pool.strata) == 20_000
    assert pool.strata[0].targets[0][0].startswith("E")
    assert elapsed < 2.0


def test_the_cap_follows_the_items_rule_from_its_effective_date(dept, make_task, item):
    """issue 14 第 2 项: a rule per item and effective date — off for a 日常巡查 item (004
    四: every object every month), 1 for another; the department's own otherwise."""
    from shuangsuiji.catalog.rules import rule_for, supervision_rule_set, task_cap

    e = factories.entity(department=dept, name="已抽两次企业")
    YearlyDrawCount.objects.create(target_id=e.uscc, year=2024, count=2)
    task = make_task()  # window September 2024
    assert task_cap(task=task).limit == 2 and task_pool(task=task, today=TODAY).excluded
    supervision_rule_set(
        department=dept,
        actor=None,
        item=item,
        effective_from=dt.date(2024, 10, 1),  # not yet in force for a September task
        cap_mode="off",
        note="日常巡查，每月全覆盖（004 四）",
    )
    assert task_cap(task=task).limit == 2
    supervision_rule_set(
        department=dept, actor=None, item=item, effective_from=dt.date(2024, 1, 1), cap_mode="off"
    )
    assert task_cap(task=task) is None
    pool = task_pool(task=task, today=TODAY)
    assert [pk for _, pk in pool.strata[0].targets] == [e.pk] and not pool.excluded
    # A department-wide rule of 1 does not override the item's own "off".
    supervision_rule_set(
        department=dept, actor=None, effective_from=dt.date(2024, 1, 1), cap_mode="yearly", cap=1
    )
    assert rule_for(department=dept, item=None, on=TODAY).cap == 1
    assert task_cap(task=task) is None
    from shuangsuiji.audit.models import Event

    assert Event.objects.filter(action="rule.set").count() == 3


def test_a_bad_rule_is_refused_with_the_reason(dept, item):
    from shuangsuiji.catalog.models import SupervisionRule
    from shuangsuiji.catalog.rules import supervision_rule_set
    from shuangsuiji.common.errors import ValidationFailed

    for kwargs, word in [
        ({"effective_from": None, "cap": 1, "cap_mode": "yearly"}, "生效日期"),
        ({"effective_from": TODAY, "cap_mode": "yearly", "cap": 0}, "至少为1"),
        ({"effective_from": TODAY, "min_ratio": "abc"}, "最低抽查比例"),
        ({"effective_from": TODAY, "min_ratio": "150"}, "最低抽查比例"),
        ({"effective_from": TODAY, "min_rounds": "99999"}, "最少抽查轮次"),
        ({"effective_from": TODAY}, "至少设置一项"),
    ]:
        with pytest.raises(ValidationFailed) as exc:
            supervision_rule_set(department=dept, actor=None, **kwargs)
        assert word in exc.value.message, kwargs
    assert not SupervisionRule.objects.exists()
