import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from shuangsuiji.audit.models import Event
from shuangsuiji.audit.services import chain_verify
from shuangsuiji.catalog.choices import ChangeKind
from shuangsuiji.catalog.models import Item, ItemVersion
from shuangsuiji.catalog.services import item_copy, item_create, item_repeal, item_revise
from shuangsuiji.common.errors import Conflict, NotAllowed, ValidationFailed
from tests import factories
from tests.factories.catalog import content, make_item

pytestmark = pytest.mark.django_db

D1, D2, D3 = dt.date(2024, 1, 1), dt.date(2024, 7, 1), dt.date(2025, 1, 1)


def test_create_writes_version_one_and_its_audit_event(trio):
    item = make_item(department=trio["dept"], actor=trio["owner"])
    v = item.current
    assert (v.number, v.change_kind, v.effective_date) == (1, ChangeKind.CREATE, D1)
    assert v.methods == ["on_site", "document"] and v.default_ratio == Decimal("6")
    assert v.checklist == ["燃气经营许可证是否在有效期内", "是否向无证单位供气"]
    assert v.created_by == trio["owner"] and v.change_reason == "新增抽查事项"
    event = Event.objects.get(action="item.create")
    assert event.object_id == str(item.pk) and event.department_id == trio["dept"].id
    assert event.after["name"] == "燃气经营监督执法检查" and event.after["number"] == 1
    assert chain_verify().ok


def test_create_names_every_bad_field_and_writes_nothing(trio):
    bad = content(
        name=" ",
        target_type="",
        content="",
        basis="",
        subject="",
        responsible_unit="",
        methods=["telepathy"],
        default_ratio="150",
        category="urgent",
    )
    with pytest.raises(ValidationFailed) as err:
        item_create(department=trio["dept"], code="X-1", data=bad, actor=trio["owner"])
    errors = err.value.errors
    assert set(errors) == {
        "name",
        "target_type",
        "content",
        "basis",
        "subject",
        "methods",
        "default_ratio",
        "category",
    }
    assert errors["name"] == ["事项名称不能为空"]
    assert "检查方式无效：telepathy" in errors["methods"]
    assert "抽查比例应在0到100之间（百分比）" in errors["default_ratio"]
    assert (
        not Item.objects.exists()
        and not ItemVersion.objects.exists()
        and not Event.objects.exists()
    )


def test_create_accepts_the_chinese_names_percent_signs_and_full_width_digits(trio):
    item = make_item(
        department=trio["dept"],
        actor=trio["owner"],
        category="重点检查事项",
        methods="现场检查、书面检查、现场检查",
        default_ratio="０.２％",
        checklist="查看台账；核对证照\n  \n现场查看消防通道",
    )
    v = item.current
    assert v.category == "key" and v.methods == ["on_site", "document"]
    assert v.default_ratio == Decimal("0.2")
    assert v.checklist == ["查看台账", "核对证照", "现场查看消防通道"]


def test_an_item_that_cannot_be_random_checked_needs_a_written_reason(trio):
    # 对无法进行双随机抽查的事项提出充分的理由 [003 附件2 一]
    with pytest.raises(ValidationFailed) as err:
        make_item(
            department=trio["dept"], actor=trio["owner"], random_exempt=True, exempt_reason="  "
        )
    assert err.value.errors == {"exempt_reason": ["不适用随机抽查的事项必须写明理由"]}
    item = make_item(
        department=trio["dept"],
        actor=trio["owner"],
        random_exempt=True,
        exempt_reason="涉及国家秘密，只能由专人实施检查",
    )
    assert item.current.random_exempt and item.current.exempt_reason.startswith("涉及国家秘密")


def test_a_reason_without_the_exemption_is_dropped(trio):
    item = make_item(department=trio["dept"], actor=trio["owner"], exempt_reason="无关说明")
    assert item.current.exempt_reason == ""


def test_codes_are_unique_per_department_only(trio):
    make_item(department=trio["dept"], actor=trio["owner"], code="RQ-001")
    with pytest.raises(Conflict, match="已有事项编码 RQ-001"):
        make_item(
            department=trio["dept"], actor=trio["owner"], code="ＲＱ-001"
        )  # 全角 is the same code
    make_item(department=trio["other"], actor=trio["outsider"], code="RQ-001")
    assert Item.objects.filter(code="RQ-001").count() == 2
    assert Event.objects.filter(action="item.create").count() == 2


def test_revise_adds_a_version_and_leaves_the_old_one_as_it_was(item, trio):
    v1 = item.current
    v2 = item_revise(
        item=item,
        data=content(default_ratio="10", checklist=["新的检查要点"]),
        change_reason="《城镇燃气管理条例》修订",
        effective_date=D2,
        actor=trio["owner"],
    )
    item.refresh_from_db()
    assert item.current == v2 and v2.number == 2 and v2.change_kind == ChangeKind.AMEND
    old = ItemVersion.objects.get(pk=v1.pk)
    assert (
        old.default_ratio == Decimal("6")
        and old.checklist == v1.checklist
        and old.change_reason == "新增抽查事项"
    )
    event = Event.objects.get(action="item.revise")
    assert event.before["default_ratio"] == "6" and event.after["default_ratio"] == "10"
    assert event.after["change_reason"] == "《城镇燃气管理条例》修订"


@pytest.mark.parametrize(
    ("reason", "date", "field"),
    [
        ("", D2, "change_reason"),
        ("法规修订", None, "effective_date"),
        ("法规修订", "2024-13-01", "effective_date"),
    ],
)
def test_revise_requires_a_reason_and_an_effective_date(item, trio, reason, date, field):
    with pytest.raises(ValidationFailed) as err:
        item_revise(
            item=item,
            data=content(name="新名称"),
            change_reason=reason,
            effective_date=date,
            actor=trio["owner"],
        )
    assert field in err.value.errors
    assert item.versions.count() == 1 and not Event.objects.filter(action="item.revise").exists()


def test_an_amendment_must_change_something_but_an_interpretation_need_not(item, trio):
    with pytest.raises(ValidationFailed, match="内容与现行版本相同"):
        item_revise(
            item=item,
            data=content(),
            change_reason="无变化",
            effective_date=D2,
            actor=trio["owner"],
        )
    v2 = item_revise(
        item=item,
        data=content(),
        change_kind=ChangeKind.INTERPRET,
        change_reason="住建部对第十五条作出解释",
        effective_date=D2,
        actor=trio["owner"],
    )
    assert v2.change_kind == ChangeKind.INTERPRET and v2.number == 2


def test_revise_refuses_other_change_kinds(item, trio):
    with pytest.raises(ValidationFailed, match="变更类型"):
        item_revise(
            item=item,
            data=content(name="新"),
            change_kind=ChangeKind.REPEAL,
            change_reason="x",
            effective_date=D2,
            actor=trio["owner"],
        )


def test_a_new_version_cannot_take_effect_before_the_current_one(item, trio):
    with pytest.raises(ValidationFailed, match="不能早于现行版本的生效日期（2024-01-01）"):
        item_revise(
            item=item,
            data=content(name="新"),
            change_reason="x",
            effective_date=dt.date(2023, 12, 31),
            actor=trio["owner"],
        )


def test_a_revision_based_on_a_stale_version_is_refused(item, trio):
    # Two admins open the revise form on version 1; the first saves, the second must not
    # overwrite the first one's change without seeing it.
    item_revise(
        item=item,
        data=content(name="甲的修改"),
        change_reason="甲",
        effective_date=D2,
        actor=trio["owner"],
        expected_number=1,
    )
    with pytest.raises(Conflict, match="已被他人修订为第2版"):
        item_revise(
            item=item,
            data=content(name="乙的修改"),
            change_reason="乙",
            effective_date=D2,
            actor=trio["owner"],
            expected_number=1,
        )
    assert item.versions.count() == 2


def test_version_numbers_come_from_the_locked_row_not_the_callers_copy(item, trio):
    stale = Item.objects.get(pk=item.pk)  # loaded while version 1 was current
    item_revise(
        item=item,
        data=content(name="第二版"),
        change_reason="a",
        effective_date=D2,
        actor=trio["owner"],
    )
    v3 = item_revise(
        item=stale,
        data=content(name="第三版"),
        change_reason="b",
        effective_date=D2,
        actor=trio["owner"],
    )
    assert v3.number == 3
    assert list(item.versions.order_by("number").values_list("number", flat=True)) == [1, 2, 3]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_revisions_get_distinct_version_numbers(trio):
    if connection.vendor != "postgresql":
        pytest.skip("需要 PostgreSQL 的行锁（SQLite 整库串行写入）")
    item = make_item(department=trio["dept"], actor=trio["owner"])
    barrier, results, errors = threading.Barrier(2), [], []

    def revise(name: str) -> None:
        try:
            barrier.wait()
            v = item_revise(
                item=Item.objects.get(pk=item.pk),
                data=content(name=name),
                change_reason=name,
                effective_date=D2,
                actor=None,
            )
            results.append(v.number)
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=revise, args=(n,)) for n in ("甲", "乙")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(results) == [2, 3]
    item.refresh_from_db()
    assert item.current.number == 3 and item.versions.count() == 3


def test_repeal_adds_a_final_version_and_blocks_further_changes(item, trio):
    v = item_repeal(
        item=item, change_reason="依据的规章已废止", effective_date=D2, actor=trio["owner"]
    )
    item.refresh_from_db()
    assert (
        item.is_repealed
        and item.current == v
        and v.change_kind == ChangeKind.REPEAL
        and v.number == 2
    )
    assert v.name == "燃气经营监督执法检查"  # the last content stays readable
    event = Event.objects.get(action="item.repeal")
    assert event.after["change_reason"] == "依据的规章已废止"
    with pytest.raises(Conflict, match="已废止"):
        item_revise(
            item=item,
            data=content(name="复活"),
            change_reason="x",
            effective_date=D3,
            actor=trio["owner"],
        )
    with pytest.raises(Conflict, match="已废止"):
        item_repeal(item=item, change_reason="再废止", effective_date=D3, actor=trio["owner"])
    assert item.versions.count() == 2


def test_repeal_requires_a_reason_and_a_date(item, trio):
    with pytest.raises(ValidationFailed) as err:
        item_repeal(item=item, change_reason="", effective_date=D2, actor=trio["owner"])
    assert "change_reason" in err.value.errors
    with pytest.raises(ValidationFailed) as err:
        item_repeal(item=item, change_reason="法规废止", effective_date=None, actor=trio["owner"])
    assert "effective_date" in err.value.errors
    item.refresh_from_db()
    assert not item.is_repealed


@pytest.fixture
def tree(trio):
    """委 (dept) → 燃气所 (child) → 一站 (grandchild); plus a sibling 科室 and the outsider's 局."""
    child = factories.department("SJJW-RQS", name="燃气所", parent=trio["dept"])
    grandchild = factories.department("SJJW-RQS-1", name="燃气所一站", parent=child)
    sibling = factories.department("SJJW-ZG", name="综管中心", parent=trio["dept"])
    child_admin = factories.user(department=child, role="dept_admin", username="child_admin")
    return {
        **trio,
        "child": child,
        "grandchild": grandchild,
        "sibling": sibling,
        "child_admin": child_admin,
    }


def test_copy_from_an_ancestor_keeps_the_code_content_and_origin(tree):
    a = make_item(department=tree["dept"], actor=tree["owner"], code="RQ-001")
    b = make_item(
        department=tree["dept"], actor=tree["owner"], code="RQ-002", name="瓶装燃气综合监管"
    )
    copies = item_copy(
        department=tree["grandchild"], items=[a, b], actor=tree["child_admin"], effective_date=D2
    )
    assert [c.code for c in copies] == ["RQ-001", "RQ-002"]
    first = copies[0]
    assert first.department == tree["grandchild"] and first.copied_from == a
    assert first.current.change_kind == ChangeKind.COPY and first.current.number == 1
    assert first.current.name == a.current.name and first.current.checklist == a.current.checklist
    assert "松江区建设和管理委员会" in first.current.change_reason
    assert Event.objects.filter(action="item.copy").count() == 2
    assert Event.objects.filter(action="item.copy").first().after["copied_from"]["id"] == a.pk


@pytest.mark.parametrize("source_dept", ["sibling", "child", "grandchild"])
def test_copy_only_from_a_higher_level_department(tree, source_dept):
    # Items are made by the system (actor None); the copy is asked for the child department.
    source = make_item(department=tree[source_dept], code="X-1")
    with pytest.raises(NotAllowed, match="不是“燃气所”的上级部门"):
        item_copy(department=tree["child"], items=[source], actor=tree["child_admin"])
    assert not Item.objects.filter(copied_from=source).exists()


def test_copy_is_all_or_nothing(tree):
    a = make_item(department=tree["dept"], code="RQ-001")
    b = make_item(department=tree["dept"], code="RQ-002")
    make_item(department=tree["child"], code="RQ-002")
    with pytest.raises(Conflict, match="已有事项编码 RQ-002"):
        item_copy(department=tree["child"], items=[a, b], actor=tree["child_admin"])
    assert not Item.objects.filter(copied_from__isnull=False).exists()
    assert not Event.objects.filter(action="item.copy").exists()


def test_copy_refuses_repealed_items_and_an_empty_choice(tree):
    a = make_item(department=tree["dept"], code="RQ-001")
    item_repeal(item=a, change_reason="废止", effective_date=D2, actor=None)
    with pytest.raises(Conflict, match="已废止"):
        item_copy(department=tree["child"], items=[a], actor=tree["child_admin"])
    with pytest.raises(ValidationFailed, match="请选择"):
        item_copy(department=tree["child"], items=[], actor=tree["child_admin"])


def test_only_the_department_admin_writes_the_list(item, trio):
    # 谁管理、谁维护 [002 第十一条]: the operator reads, another department's admin does nothing.
    with pytest.raises(NotAllowed, match="部门管理员"):
        make_item(department=trio["dept"], actor=trio["colleague"], code="C-1")
    with pytest.raises(NotAllowed):
        make_item(department=trio["dept"], actor=trio["outsider"], code="C-2")
    with pytest.raises(NotAllowed):
        item_revise(
            item=item,
            data=content(name="外部修改"),
            change_reason="x",
            effective_date=D2,
            actor=trio["outsider"],
        )
    with pytest.raises(NotAllowed):
        item_repeal(item=item, change_reason="x", effective_date=D2, actor=trio["colleague"])
    assert Item.objects.count() == 1 and item.versions.count() == 1
    assert Event.objects.filter(action__startswith="item.").count() == 1


def test_the_admin_of_a_higher_department_writes_its_sub_departments_list(tree):
    item = make_item(department=tree["child"], actor=tree["owner"], code="RQ-9")
    v2 = item_revise(
        item=item,
        data=content(name="委里修订"),
        change_reason="统一口径",
        effective_date=D2,
        actor=tree["owner"],
    )
    assert v2.created_by == tree["owner"]
    with pytest.raises(NotAllowed):
        make_item(department=tree["dept"], actor=tree["child_admin"], code="UP-1")


def test_content_fields_may_also_be_passed_one_by_one(dept):
    # The demo loader and scripts write item_create(name=…, content=…) and act as “演示数据”.
    item = item_create(
        department=dept,
        code="SJ-1",
        actor="演示数据",
        name="地下空间安全使用执法检查",
        target_type="普通地下室",
        content="地下空间安全使用情况检查",
        methods=["on_site"],
        basis="《上海市民防条例》",
        responsible_unit="综管中心",
        default_ratio=Decimal("0.2"),
    )
    assert item.current.content == "地下空间安全使用情况检查" and item.current.created_by is None
    assert Event.objects.get(action="item.create").actor_name == "演示数据"
    with pytest.raises(TypeError):
        item_create(department=dept, code="SJ-2", actor=None, data=content(), colour="red")
