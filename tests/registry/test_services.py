import datetime as dt

import pytest
from django.utils import timezone

from shuangsuiji.audit.models import Event, RecordChange
from shuangsuiji.audit.services import event_record
from shuangsuiji.common.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from shuangsuiji.common.ids import make_id_number, uscc_check_digit
from shuangsuiji.registry import selectors
from shuangsuiji.registry.models import Conflict as ConflictDeclaration
from shuangsuiji.registry.models import Entity, Inspector, Tag
from shuangsuiji.registry.services import (
    conflict_declare,
    conflict_withdraw,
    entity_create,
    entity_tags_set,
    entity_update,
    inspector_create,
    inspector_update,
    tag_create,
)
from tests import factories

pytestmark = pytest.mark.django_db


def _code(first: str = "9") -> str:
    body = f"{first}1310117MA1G{factories.rng.randint(10000, 99999)}"
    return body + uscc_check_digit(body)


# --- entities --------------------------------------------------------------------------------


def test_entity_create_saves_all_fields_tags_and_one_audit_event(trio):
    tag = tag_create(actor=trio["owner"], department=trio["dept"], name="燃气企业", kind="sub")
    code = _code()
    entity = entity_create(
        actor=trio["owner"],
        department=trio["dept"],
        tags=[tag.id],
        fields={
            "name": "上海松江燃气有限公司",
            "uscc": code.lower(),
            "contact_phone": "13812345678",
            "region": "松江区",
            "street": "方松街道",
            "industry": "燃气",
            "scale": "medium",
            "risk_class": "C",
            "risk_date": "2024-06-30",
            "risk_source": "市场监管信用风险分类",
            "status": "active",
        },
    )
    entity.refresh_from_db()
    assert entity.uscc == code and entity.key == code  # key follows the credit code
    assert entity.risk_date == dt.date(2024, 6, 30)
    assert list(entity.tags.all()) == [tag]
    event = Event.objects.get(action="entity.create")
    assert event.object_id == str(entity.pk) and event.department_id == trio["dept"].id
    assert event.after["tags"] == ["燃气企业"]
    # 联系电话 is stored masked in the audit trail, never in full.
    assert event.after["contact_phone"] == "138****5678"
    assert "13812345678" not in str(event.after)


@pytest.mark.parametrize("first", ["1", "5", "9", "A", "N", "Y"])
def test_entity_create_accepts_credit_codes_of_every_registration_authority(trio, first):
    code = _code(first)
    entity = entity_create(
        actor=trio["owner"], department=trio["dept"], fields={"name": "甲", "uscc": code}
    )
    assert entity.uscc == code


def test_entity_create_names_every_bad_field_and_writes_nothing(trio):
    bad = "91310117MA1G000000"
    with pytest.raises(ValidationFailed) as err:
        entity_create(
            actor=trio["owner"],
            department=trio["dept"],
            fields={
                "name": " ",
                "uscc": bad,
                "contact_phone": "12345",
                "risk_class": "B",
                "status": "倒闭",
            },
        )
    errors = err.value.errors
    assert set(errors) >= {"name", "uscc", "contact_phone", "risk_date", "risk_source", "status"}
    assert "名称不能为空" in errors["name"]
    assert "统一社会信用代码校验位错误" in errors["uscc"][0]
    assert "联系电话" in errors["contact_phone"][0]
    assert "登记状态" in errors["status"][0]
    assert not Entity.objects.exists() and not Event.objects.exists()


def test_entity_without_a_code_needs_a_registry_key(trio):
    with pytest.raises(ValidationFailed) as err:
        entity_create(
            actor=trio["owner"],
            department=trio["dept"],
            fields={"name": "某项目", "subject_kind": "project"},
        )
    assert "名录编号" in err.value.errors["key"][0]
    project = entity_create(
        actor=trio["owner"],
        department=trio["dept"],
        fields={
            "name": "某项目",
            "subject_kind": "project",
            "key": "XM-2024-001",
            "contact_phone": "021-57821234",
        },
    )
    assert project.key == "XM-2024-001" and project.uscc == ""


def test_entity_create_refuses_a_duplicate_key_in_the_department_only(trio):
    code = factories.uscc()
    entity_create(actor=trio["owner"], department=trio["dept"], fields={"name": "甲", "uscc": code})
    with pytest.raises(Conflict) as err:
        entity_create(
            actor=trio["owner"], department=trio["dept"], fields={"name": "乙", "uscc": code}
        )
    assert "uscc" in err.value.errors
    # Another department keeps its own library: the same code is allowed there.
    entity_create(
        actor=trio["outsider"], department=trio["other"], fields={"name": "甲", "uscc": code}
    )
    assert Entity.objects.filter(uscc=code).count() == 2


def test_only_the_department_admin_writes_the_library(trio):
    for actor in (trio["colleague"], trio["outsider"]):
        with pytest.raises(NotAllowed):
            entity_create(
                actor=actor,
                department=trio["dept"],
                fields={"name": "甲", "uscc": factories.uscc()},
            )
    entity = factories.entity(department=trio["dept"])
    with pytest.raises(NotAllowed):
        entity_update(actor=trio["colleague"], entity=entity, fields={"name": "改名"})
    entity.refresh_from_db()
    assert entity.name != "改名" and not Event.objects.exists()


def test_entity_update_audits_only_the_changed_fields(trio):
    entity = factories.entity(department=trio["dept"], name="旧名称", contact_phone="13900001111")
    entity_update(
        actor=trio["owner"],
        entity=entity,
        fields={"name": "新名称", "region": "松江区", "contact_phone": "13900002222"},
    )
    event = Event.objects.get(action="entity.update")
    assert event.before == {"name": "旧名称", "region": "", "contact_phone": "139****1111"}
    assert event.after == {"name": "新名称", "region": "松江区", "contact_phone": "139****2222"}
    entity.refresh_from_db()
    assert entity.contact_phone == "13900002222"
    # Saving the same values again is not a change and leaves no event.
    entity_update(actor=trio["owner"], entity=entity, fields={"name": "新名称"})
    assert Event.objects.filter(action="entity.update").count() == 1


def test_entity_update_refuses_a_stale_edit(trio):
    entity = factories.entity(department=trio["dept"], name="原名")
    seen = selectors.entity_fingerprint(entity=entity)
    entity_update(
        actor=trio["owner"], entity=entity, fields={"name": "甲改"}, expected_fingerprint=seen
    )
    with pytest.raises(Conflict, match="已被他人修改"):
        entity_update(
            actor=trio["owner"], entity=entity, fields={"name": "乙改"}, expected_fingerprint=seen
        )
    entity.refresh_from_db()
    assert entity.name == "甲改"


def test_entity_update_bad_input_changes_nothing(trio):
    entity = factories.entity(department=trio["dept"], name="原名")
    with pytest.raises(ValidationFailed) as err:
        entity_update(
            actor=trio["owner"], entity=entity, fields={"name": "新名", "risk_class": "E"}
        )
    assert "信用风险分类" in err.value.errors["risk_class"][0]
    entity.refresh_from_db()
    assert entity.name == "原名" and not Event.objects.exists()


def test_correcting_the_code_moves_the_key_with_it(trio):
    entity = factories.entity(department=trio["dept"])
    new_code = factories.uscc()
    entity_update(actor=trio["owner"], entity=entity, fields={"uscc": new_code})
    entity.refresh_from_db()
    assert entity.key == new_code


def test_tags_are_kept_per_department_and_audited(trio):
    mine = tag_create(actor=trio["owner"], department=trio["dept"], name="重点", kind="key")
    theirs = tag_create(actor=trio["outsider"], department=trio["other"], name="他部门")
    entity = factories.entity(department=trio["dept"])
    with pytest.raises(ValidationFailed) as err:
        entity_tags_set(actor=trio["owner"], entity=entity, tags=[theirs.id])
    assert "tags" in err.value.errors
    entity_tags_set(actor=trio["owner"], entity=entity, tags=[mine])
    assert list(entity.tags.all()) == [mine]
    event = Event.objects.get(action="entity.tags_set")
    assert event.before == {"tags": []} and event.after == {"tags": ["重点"]}


def test_tag_create_validates_kind_and_duplicates(trio):
    with pytest.raises(ValidationFailed) as err:
        tag_create(actor=trio["owner"], department=trio["dept"], name="x", kind="bogus")
    assert "类别" in err.value.errors["kind"][0]
    tag_create(actor=trio["owner"], department=trio["dept"], name="专项整治2024", kind="campaign")
    with pytest.raises(Conflict):
        tag_create(
            actor=trio["owner"], department=trio["dept"], name="专项整治2024", kind="campaign"
        )
    with pytest.raises(NotAllowed):
        tag_create(actor=trio["colleague"], department=trio["dept"], name="y")
    assert Tag.objects.count() == 1


# --- inspectors --------------------------------------------------------------------------------


def test_inspector_create_validates_numbers_and_masks_them_in_the_audit(trio):
    idn = make_id_number(factories.rng)
    with pytest.raises(ValidationFailed) as err:
        inspector_create(
            actor=trio["owner"],
            department=trio["dept"],
            fields={
                "name": "",
                "cert_no": "",
                "mobile": "2345",
                "id_number": idn[:17] + ("0" if idn[17] != "0" else "1"),
                "kind": "boss",
                "cert_valid_until": "2024-13-01",
            },
        )
    assert set(err.value.errors) == {
        "name",
        "cert_no",
        "mobile",
        "id_number",
        "kind",
        "cert_valid_until",
    }
    assert "身份证号" in err.value.errors["id_number"][0]
    assert "证件有效期" in err.value.errors["cert_valid_until"][0]
    assert not Inspector.objects.exists()

    ins = inspector_create(
        actor=trio["owner"],
        department=trio["dept"],
        fields={
            "name": "陈志明",
            "cert_no": "１３０８００１",
            "mobile": "13905971234",
            "id_number": idn,
            "kind": "执法人员",
            "cert_valid_until": dt.date(2027, 12, 31),
            "expertise": "建筑施工安全",
            "post": "科长",
        },
    )
    assert ins.cert_no == "1308001" and ins.kind == "officer"
    event = Event.objects.get(action="inspector.create")
    assert idn not in str(event.after) and "13905971234" not in str(event.after)
    assert event.after["mobile"] == "139****1234"


def test_cert_no_is_unique_across_departments(trio):
    inspector_create(
        actor=trio["owner"], department=trio["dept"], fields={"name": "甲", "cert_no": "A-1"}
    )
    with pytest.raises(Conflict) as err:
        inspector_create(
            actor=trio["outsider"],
            department=trio["other"],
            fields={"name": "乙", "cert_no": "a-1"},
        )
    assert "执法证号" in err.value.message and "cert_no" in err.value.errors


def test_inspector_update_audits_changes_and_rejects_stale_edits(trio):
    ins = factories.inspector(department=trio["dept"], status="on_duty")
    seen = selectors.inspector_fingerprint(inspector=ins)
    inspector_update(
        actor=trio["owner"],
        inspector=ins,
        fields={"status": "away", "expertise": "燃气"},
        expected_fingerprint=seen,
    )
    event = Event.objects.get(action="inspector.update")
    assert event.before == {"status": "on_duty", "expertise": ""}
    assert event.after == {"status": "away", "expertise": "燃气"}
    with pytest.raises(Conflict):
        inspector_update(
            actor=trio["owner"],
            inspector=ins,
            fields={"status": "retired"},
            expected_fingerprint=seen,
        )
    with pytest.raises(NotAllowed):
        inspector_update(actor=trio["outsider"], inspector=ins, fields={"status": "retired"})
    ins.refresh_from_db()
    assert ins.status == "away"


# --- conflicts ---------------------------------------------------------------------------------


def test_conflict_declare_and_withdraw_keep_the_record(trio):
    ins = factories.inspector(department=trio["dept"])
    entity = factories.entity(department=trio["dept"])
    with pytest.raises(ValidationFailed) as err:
        conflict_declare(actor=trio["owner"], inspector=ins, entity=entity, reason=" ")
    assert "回避事由" in err.value.errors["reason"][0]
    row = conflict_declare(
        actor=trio["owner"], inspector=ins, entity=entity, reason="配偶在该公司任职"
    )
    with pytest.raises(Conflict, match="已有有效的利害关系申报"):
        conflict_declare(actor=trio["owner"], inspector=ins, entity=entity, reason="重复")
    with pytest.raises(ValidationFailed):
        conflict_withdraw(actor=trio["owner"], conflict=row, reason="")
    conflict_withdraw(actor=trio["owner"], conflict=row, reason="配偶已离职")
    row.refresh_from_db()
    assert (
        not row.is_active
        and row.withdraw_reason == "配偶已离职"
        and row.withdrawn_by == trio["owner"]
    )
    with pytest.raises(Conflict, match="已撤销"):
        conflict_withdraw(actor=trio["owner"], conflict=row, reason="再撤一次")
    # After a withdrawal a new declaration of the same pair is possible; both rows remain.
    conflict_declare(actor=trio["owner"], inspector=ins, entity=entity, reason="再次任职")
    assert ConflictDeclaration.objects.filter(inspector=ins, entity=entity).count() == 2
    assert list(
        Event.objects.filter(object_type="registry.conflict").values_list("action", flat=True)
    ) == ["conflict.declare", "conflict.withdraw", "conflict.declare"]


def test_conflict_needs_both_sides_in_departments_the_actor_keeps(trio):
    ins = factories.inspector(department=trio["dept"])
    foreign = factories.entity(department=trio["other"])
    with pytest.raises(NotAllowed):
        conflict_declare(actor=trio["owner"], inspector=ins, entity=foreign, reason="亲属")
    with pytest.raises(NotAllowed):
        conflict_declare(
            actor=trio["colleague"],
            inspector=ins,
            entity=factories.entity(department=trio["dept"]),
            reason="亲属",
        )
    with pytest.raises(ValidationFailed) as err:
        conflict_declare(
            actor=trio["owner"],
            inspector=ins,
            entity=factories.entity(department=trio["dept"]),
            reason="亲属",
            declared_on=timezone.localdate() + dt.timedelta(days=3),
        )
    assert "declared_on" in err.value.errors
    assert not ConflictDeclaration.objects.exists()


# --- selectors ---------------------------------------------------------------------------------


def test_selectors_scope_owner_colleague_outsider(trio):
    mine = factories.entity(department=trio["dept"])
    with pytest.raises(NotFound):
        selectors.entity_get(user=trio["outsider"], pk=mine.pk)
    assert selectors.entity_get(user=trio["colleague"], pk=mine.pk) == mine
    with pytest.raises(NotAllowed):
        selectors.entity_get_for_write(user=trio["colleague"], pk=mine.pk)
    assert selectors.entity_get_for_write(user=trio["owner"], pk=mine.pk) == mine
    page = selectors.entity_list(user=trio["outsider"], filters=selectors.EntityFilters())
    assert page.items == [] and page.count == 0


def test_entity_list_filters_and_pages_by_keyset(trio):
    tag = Tag.objects.create(department=trio["dept"], name="子库甲")
    rows = [
        factories.entity(
            department=trio["dept"],
            name=f"企业{i:02d}",
            risk_class="ABCD"[i % 4],
            region="松江区" if i % 2 else "闵行区",
        )
        for i in range(7)
    ]
    rows[3].tags.add(tag)
    everyone = selectors.EntityFilters()
    first = selectors.entity_list(user=trio["owner"], filters=everyone, limit=3)
    assert [e.name for e in first.items] == ["企业06", "企业05", "企业04"]
    assert first.count == 7 and first.next_cursor == rows[4].id and first.prev_cursor is None
    second = selectors.entity_list(
        user=trio["owner"], filters=everyone, after=first.next_cursor, limit=3
    )
    assert [e.name for e in second.items] == ["企业03", "企业02", "企业01"]
    back = selectors.entity_list(
        user=trio["owner"], filters=everyone, before=second.prev_cursor, limit=3
    )
    assert [e.name for e in back.items] == ["企业06", "企业05", "企业04"] and back.is_first
    assert [
        e.name
        for e in selectors.entity_list(
            user=trio["owner"], filters=selectors.EntityFilters(risk_class="B", region="松江区")
        ).items
    ] == ["企业05", "企业01"]
    assert [
        e.id
        for e in selectors.entity_list(
            user=trio["owner"], filters=selectors.EntityFilters(tag=tag.id)
        ).items
    ] == [rows[3].id]
    assert [
        e.id
        for e in selectors.entity_list(
            user=trio["owner"], filters=selectors.EntityFilters(q=rows[2].uscc)
        ).items
    ] == [rows[2].id]
    assert [
        e.id
        for e in selectors.entity_list(
            user=trio["owner"], filters=selectors.EntityFilters(q="业04")
        ).items
    ] == [rows[4].id]


def test_entity_list_caps_the_count(trio, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    for _ in range(5):
        factories.entity(department=trio["dept"])
    page = selectors.entity_list(user=trio["owner"], filters=selectors.EntityFilters(), limit=2)
    assert page.count == 3 and page.count_capped


def test_inspector_list_filters_by_certificate_validity(trio):
    today = dt.date(2025, 1, 10)
    valid = factories.inspector(department=trio["dept"], cert_valid_until=dt.date(2026, 1, 1))
    expired = factories.inspector(department=trio["dept"], cert_valid_until=dt.date(2024, 12, 31))
    unknown = factories.inspector(department=trio["dept"], kind="expert")
    f = selectors.InspectorFilters
    assert list(
        selectors.inspector_list(user=trio["colleague"], filters=f(cert="valid"), today=today)
    ) == [valid]
    assert list(
        selectors.inspector_list(user=trio["colleague"], filters=f(cert="expired"), today=today)
    ) == [expired]
    assert list(
        selectors.inspector_list(user=trio["colleague"], filters=f(kind="expert"), today=today)
    ) == [unknown]
    assert selectors.inspector_cert_expired(inspector=expired, today=today)
    assert not selectors.inspector_list(user=trio["outsider"], filters=f()).exists()


def test_record_history_merges_events_and_import_changes_newest_first(trio):
    from django.db import transaction

    entity = entity_create(
        actor=trio["owner"],
        department=trio["dept"],
        fields={"name": "甲公司", "uscc": factories.uscc()},
    )
    with transaction.atomic():
        bulk = event_record(
            actor=trio["owner"],
            action="entity.import",
            department=trio["dept"],
            after={"updated": 1},
        )
        RecordChange.objects.create(
            event=bulk,
            object_type="registry.entity",
            object_id=str(entity.pk),
            changes={"region": ["", "松江区"], "contact_phone": ["", "13905971234"]},
        )
    entity_update(actor=trio["owner"], entity=entity, fields={"name": "乙公司"})
    history = selectors.record_history(obj=entity)
    assert [h.action for h in history] == ["entity.update", "entity.import", "entity.create"]
    assert history[1].bulk and history[1].changes[0].label == "所属区域"
    assert history[1].changes[0].after == "松江区"
    assert history[1].changes[1].after == "139****1234"  # never the full number
    assert history[0].changes[0].before == "甲公司" and history[0].changes[0].after == "乙公司"
