"""Writes to 检查对象名录库 and 执法检查人员名录库 (single entry; bulk import is importing.py).

Every write: the actor must keep the record's department (部门管理员, 谁管理、谁维护
[002 第十一条]); input is validated field by field before anything is written, errors name
the field in Chinese; the change and its audit event commit in one transaction. Personal
numbers (联系电话, 手机号码, 身份证号) go into the audit trail masked only.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.db.models import Field, Model
from django.utils import timezone

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import Department, Membership, User
from shuangsuiji.audit.services import event_record
from shuangsuiji.common.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from shuangsuiji.common.masking import mask_id_number, mask_mobile
from shuangsuiji.registry import rules, selectors
from shuangsuiji.registry.choices import (
    TagKind,
)
from shuangsuiji.registry.models import Conflict as ConflictDeclaration
from shuangsuiji.registry.models import Entity, Inspector, Tag

_STALE = "该记录在您打开编辑页面后已被他人修改，请刷新页面后重新填写"


# --- helpers -----------------------------------------------------------------------------------


def _field(model: type[Model], name: str) -> Field:
    # Only ever a field of the model's own table (what a form or an import fills in), never
    # a reverse relation: get_field's ForeignObjectRel case does not arise here.
    return cast(Field, model._meta.get_field(name))


def _label(model: type[Model], name: str) -> str:
    return str(_field(model, name).verbose_name)


def _require_writable(*, actor: User, department_id: int, what: str) -> None:
    if not selectors.can_write_department(user=actor, department_id=department_id):
        raise NotAllowed(f"只有本部门的部门管理员可以维护{what}（谁管理、谁维护）")


def _clean_text(model: type[Model], name: str, value: Any, errors: dict[str, list[str]]) -> str:
    text = "" if value is None else " ".join(str(value).split())
    limit = _field(model, name).max_length
    if limit and len(text) > limit:
        errors.setdefault(name, []).append(
            f"{_label(model, name)}最长{limit}个字，实际{len(text)}个字"
        )
    return text


def _clean_choice(
    model: type[Model], name: str, value: Any, choices, errors: dict[str, list[str]]
) -> str:
    text = "" if value is None else str(value).strip()
    if text in choices.values:
        return text
    # Accept the Chinese label too (what a person types or an old spreadsheet holds).
    for val, label in choices.choices:
        if text and text == str(label):
            return val
    allowed = "、".join(str(label) for _, label in choices.choices)
    errors.setdefault(name, []).append(f"{_label(model, name)}“{text}”无效，可选：{allowed}")
    return text


def _defaults(model: type[Model], names: Iterable[str]) -> dict[str, Any]:
    """The model's defaults for fields a create call leaves out (e.g. 登记状态 = 存续)."""
    out = {}
    for name in names:
        f = _field(model, name)
        if f.has_default():
            out[name] = f.get_default()
    return out


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationFailed(
            "；".join(m for msgs in errors.values() for m in msgs), errors=errors
        )


def _audit_value(name: str, value: Any) -> Any:
    """What the audit trail may hold of a field: personal numbers masked (issue 2 item 3)."""
    if name in ("contact_phone", "mobile"):
        return mask_mobile(value)
    if name == "id_number":
        return mask_id_number(value)
    return value


def _diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict, dict]:
    changed = [k for k in after if before.get(k) != after[k]]
    return (
        {k: _audit_value(k, before.get(k)) for k in changed},
        {k: _audit_value(k, after[k]) for k in changed},
    )


def _unknown_fields(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationFailed(
            f"不能修改这些字段：{'、'.join(unknown)}",
            errors={k: ["不可修改的字段"] for k in unknown},
        )


# --- entities (检查对象名录库) ------------------------------------------------------------


def _labels(model: type[Model], names: Iterable[str]) -> dict[str, str]:
    return {name: _label(model, name) for name in names}


def _entity_clean(*, values: dict[str, Any]) -> dict[str, Any]:
    """Validates a full set of entity fields by the rules the importer uses (registry/rules.py);
    raises ValidationFailed naming every bad field."""
    return rules.entity_clean(
        values=values, labels=_labels(Entity, selectors.ENTITY_FIELDS), today=timezone.localdate()
    )


def _tags_for(*, department_id: int, tags: Iterable[Any]) -> list[Tag]:
    ids = []
    for t in tags:
        ids.append(t.pk if isinstance(t, Tag) else t)
    try:
        ids = sorted({int(i) for i in ids})
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("标签编号无效", field="tags") from exc
    found = list(Tag.objects.filter(id__in=ids, department_id=department_id))
    if len(found) != len(ids):
        raise ValidationFailed("所选标签不属于该对象的管理部门（子库由本部门维护）", field="tags")
    return found


def _entity_state(entity: Entity) -> dict[str, Any]:
    return {f: getattr(entity, f) for f in selectors.ENTITY_FIELDS}


def _tag_names(tags: Iterable[Tag]) -> list[str]:
    return sorted(t.name for t in tags)


def entity_create(
    *,
    actor: User,
    department: Department,
    fields: Mapping[str, Any],
    tags: Iterable[Any] = (),
) -> Entity:
    """单个录入 of a 检查对象 into the department's library."""
    _require_writable(actor=actor, department_id=department.id, what="检查对象名录库")
    _unknown_fields(fields, selectors.ENTITY_FIELDS)
    values = _entity_clean(values={**_defaults(Entity, selectors.ENTITY_FIELDS), **fields})
    tag_rows = _tags_for(department_id=department.id, tags=tags)
    with transaction.atomic():
        if Entity.objects.filter(department=department, key=values["key"]).exists():
            raise Conflict(
                f"本部门名录库中已有编号为 {values['key']} 的检查对象",
                field="uscc" if values["uscc"] else "key",
            )
        try:
            # A savepoint: a concurrent insert of the same key is caught by the unique
            # constraint and reported, leaving the outer transaction usable.
            with transaction.atomic():
                entity = Entity.objects.create(department=department, **values)
        except IntegrityError as exc:
            raise Conflict(
                f"本部门名录库中已有编号为 {values['key']} 的检查对象", field="key"
            ) from exc
        entity.tags.set(tag_rows)
        after = {k: _audit_value(k, v) for k, v in values.items() if v not in ("", None)}
        after["tags"] = _tag_names(tag_rows)
        event_record(
            actor=actor, action="entity.create", obj=entity, department=department, after=after
        )
    return entity


def entity_update(
    *,
    actor: User,
    entity: Entity,
    fields: Mapping[str, Any],
    tags: Iterable[Any] | None = None,
    expected_fingerprint: str | None = None,
) -> Entity:
    """Changes some fields (and, when ``tags`` is given, the tags) of one entity.

    ``expected_fingerprint`` is the ``entity_fingerprint`` the editor saw; when the stored
    record no longer matches it the save is refused instead of overwriting the other edit.
    """
    _require_writable(actor=actor, department_id=entity.department_id, what="检查对象名录库")
    _unknown_fields(fields, selectors.ENTITY_FIELDS)
    with transaction.atomic():
        # Race: two admins edit the same entity (or an import updates it) at once. Lock the
        # row, compare with what the editor saw, then write — the later save cannot
        # silently undo the earlier one.
        locked = Entity.objects.select_for_update().get(pk=entity.pk)
        if (
            expected_fingerprint
            and selectors.entity_fingerprint(entity=locked) != expected_fingerprint
        ):
            raise Conflict(_STALE)
        before = _entity_state(locked)
        merged = {**before, **fields}
        if "uscc" in fields and "key" not in fields and before["key"] == before["uscc"]:
            # The key followed the credit code: a corrected code moves the key with it.
            merged["key"] = ""
        values = _entity_clean(values=merged)
        old_tags = list(locked.tags.all())
        new_tags = (
            _tags_for(department_id=locked.department_id, tags=tags)
            if tags is not None
            else old_tags
        )
        if (
            values["key"] != before["key"]
            and Entity.objects.filter(department_id=locked.department_id, key=values["key"])
            .exclude(pk=locked.pk)
            .exists()
        ):
            raise Conflict(
                f"本部门名录库中已有编号为 {values['key']} 的检查对象",
                field="uscc" if values["uscc"] else "key",
            )
        before_audit, after_audit = _diff(before, values)
        if {t.id for t in old_tags} != {t.id for t in new_tags}:
            before_audit["tags"], after_audit["tags"] = _tag_names(old_tags), _tag_names(new_tags)
        if not after_audit:
            return locked
        for name, value in values.items():
            setattr(locked, name, value)
        # A hand edit makes the record differ from any imported row: clear the import digest
        # so re-importing the original file restores it instead of reporting "unchanged".
        locked.row_digest = ""
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError as exc:
            raise Conflict(
                f"本部门名录库中已有编号为 {values['key']} 的检查对象", field="key"
            ) from exc
        if tags is not None:
            locked.tags.set(new_tags)
        event_record(
            actor=actor,
            action="entity.update",
            obj=locked,
            department=locked.department_id,
            before=before_audit,
            after=after_audit,
        )
    return locked


def entity_tags_set(*, actor: User, entity: Entity, tags: Iterable[Any]) -> Entity:
    """分类标注: puts the entity into exactly these sub-libraries / 重点检查库 / 专项整治库."""
    _require_writable(actor=actor, department_id=entity.department_id, what="检查对象名录库")
    new_tags = _tags_for(department_id=entity.department_id, tags=tags)
    with transaction.atomic():
        # Race: two admins re-tag the same entity; the row lock orders them so each audit
        # event's "before" is the state the other one left.
        locked = Entity.objects.select_for_update().get(pk=entity.pk)
        old_tags = list(locked.tags.all())
        if {t.id for t in old_tags} == {t.id for t in new_tags}:
            return locked
        locked.tags.set(new_tags)
        Entity.objects.filter(pk=locked.pk).update(row_digest="")  # tags are imported too
        event_record(
            actor=actor,
            action="entity.tags_set",
            obj=locked,
            department=locked.department_id,
            before={"tags": _tag_names(old_tags)},
            after={"tags": _tag_names(new_tags)},
        )
    return locked


# --- tags (子库 / 重点检查库 / 专项整治库) ----------------------------------------------------


def tag_create(
    *,
    actor: User,
    department: Department,
    name: str,
    kind: str = TagKind.SUBLIBRARY,
    description: str = "",
) -> Tag:
    _require_writable(actor=actor, department_id=department.id, what="子库标签")
    errors: dict[str, list[str]] = {}
    name = _clean_text(Tag, "name", name, errors)
    description = _clean_text(Tag, "description", description, errors)
    kind = _clean_choice(Tag, "kind", kind or TagKind.SUBLIBRARY, TagKind, errors)
    if not name:
        errors.setdefault("name", []).append("名称不能为空")
    _raise(errors)
    with transaction.atomic():
        if Tag.objects.filter(department=department, name=name).exists():
            raise Conflict(f"本部门已有名为“{name}”的标签", field="name")
        try:
            with transaction.atomic():
                tag = Tag.objects.create(
                    department=department, name=name, kind=kind, description=description
                )
        except IntegrityError as exc:
            raise Conflict(f"本部门已有名为“{name}”的标签", field="name") from exc
        event_record(
            actor=actor,
            action="tag.create",
            obj=tag,
            department=department,
            after={"name": name, "kind": kind, "description": description},
        )
    return tag


# --- inspectors (执法检查人员名录库) ---------------------------------------------------------


def _inspector_clean(*, values: dict[str, Any]) -> dict[str, Any]:
    """Validates a full set of inspector fields by the importer's rules (registry/rules.py)."""
    return rules.inspector_clean(
        values=values, labels=_labels(Inspector, selectors.INSPECTOR_FIELDS)
    )


def _inspector_state(inspector: Inspector) -> dict[str, Any]:
    return {f: getattr(inspector, f) for f in selectors.INSPECTOR_FIELDS}


def _cert_taken(cert_no: str) -> Conflict:
    # 执法证号 is unique across the deployment: one certificate, one person. The message
    # does not say which department holds it (no leak across departments).
    return Conflict(f"执法证号 {cert_no} 已登记在名录库中", field="cert_no")


def inspector_create(
    *, actor: User, department: Department, fields: Mapping[str, Any]
) -> Inspector:
    _require_writable(actor=actor, department_id=department.id, what="执法检查人员名录库")
    _unknown_fields(fields, selectors.INSPECTOR_FIELDS)
    values = _inspector_clean(values={**_defaults(Inspector, selectors.INSPECTOR_FIELDS), **fields})
    with transaction.atomic():
        if Inspector.objects.filter(cert_no=values["cert_no"]).exists():
            raise _cert_taken(values["cert_no"])
        try:
            with transaction.atomic():
                inspector = Inspector.objects.create(department=department, **values)
        except IntegrityError as exc:
            raise _cert_taken(values["cert_no"]) from exc
        after = {k: _audit_value(k, v) for k, v in values.items() if v not in ("", None)}
        event_record(
            actor=actor,
            action="inspector.create",
            obj=inspector,
            department=department,
            after=after,
        )
    return inspector


def inspector_update(
    *,
    actor: User,
    inspector: Inspector,
    fields: Mapping[str, Any],
    expected_fingerprint: str | None = None,
) -> Inspector:
    _require_writable(actor=actor, department_id=inspector.department_id, what="执法检查人员名录库")
    _unknown_fields(fields, selectors.INSPECTOR_FIELDS)
    with transaction.atomic():
        # Race: two admins edit the same person at once — lock, compare, write.
        locked = Inspector.objects.select_for_update().get(pk=inspector.pk)
        if (
            expected_fingerprint
            and selectors.inspector_fingerprint(inspector=locked) != expected_fingerprint
        ):
            raise Conflict(_STALE)
        before = _inspector_state(locked)
        values = _inspector_clean(values={**before, **fields})
        if (
            values["cert_no"] != before["cert_no"]
            and Inspector.objects.filter(cert_no=values["cert_no"]).exclude(pk=locked.pk).exists()
        ):
            raise _cert_taken(values["cert_no"])
        before_audit, after_audit = _diff(before, values)
        if not after_audit:
            return locked
        for name, value in values.items():
            setattr(locked, name, value)
        # A hand edit makes the record differ from any imported row: clear the import digest
        # so re-importing the original file restores it instead of reporting "unchanged".
        locked.row_digest = ""
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError as exc:
            raise _cert_taken(values["cert_no"]) from exc
        event_record(
            actor=actor,
            action="inspector.update",
            obj=locked,
            department=locked.department_id,
            before=before_audit,
            after=after_audit,
        )
    return locked


def inspector_numbers_reveal(*, actor: User, inspector: Inspector) -> Inspector:
    """A department admin opens the full 手机号码/身份证号 on the edit form of his own record;
    who looked at whose personal numbers is itself recorded (全程留痕 [002 第六条])."""
    _require_writable(actor=actor, department_id=inspector.department_id, what="执法检查人员名录库")
    with transaction.atomic():
        event_record(
            actor=actor,
            action="inspector.reveal",
            obj=inspector,
            department=inspector.department_id,
            after={"fields": ["mobile", "id_number"]},
        )
    return inspector


def inspector_account_link(*, actor: User, inspector: Inspector, user: User | None) -> Inspector:
    """Links the login account ``user`` to ``inspector`` (``None`` unlinks). Linked, the
    person sees the visits of his team under 我的检查 and signs results as himself (002
    第二十五条). The department admin does it (谁管理、谁维护 [002 第十一条])."""

    _require_writable(actor=actor, department_id=inspector.department_id, what="执法检查人员名录库")
    with transaction.atomic():
        # Race: two admins link one account to two people at once — the inspector row is
        # locked and the other holder is looked up inside the transaction; the one-to-one
        # constraint is the last word.
        locked = Inspector.objects.select_for_update().get(pk=inspector.pk)
        before = locked.user.username if locked.user is not None else None
        if (user.pk if user else None) == locked.user_id:
            return locked
        if user is not None:
            if not user.is_active:
                raise ValidationFailed(f"账号 {user.username} 已停用，不能关联", field="user")
            if not Membership.objects.filter(
                user=user, department_id=locked.department_id, role=Role.INSPECTOR
            ).exists():
                raise ValidationFailed(
                    f"账号 {user.username} 在{locked.department.name}没有“执法检查人员”角色，不能关联；"
                    "请系统管理员先为该账号设置角色",
                    field="user",
                )
            other = (
                Inspector.objects.select_for_update()
                .filter(user=user)
                .exclude(pk=locked.pk)
                .first()
            )
            if other is not None:
                # Another department's roster is not shown to this admin (no leak of its
                # people), and he cannot unlink it there either.
                if other.department_id != locked.department_id:
                    raise Conflict("该账号已关联其他执法检查人员", field="user")
                raise Conflict(
                    f"账号 {user.username} 已关联“{other.name}”（执法证号 {other.cert_no}），请先解除",
                    field="user",
                )
        locked.user = user
        try:
            with transaction.atomic():
                locked.save(update_fields=["user", "updated_at"])
        except IntegrityError as exc:
            raise Conflict(
                f"账号 {user.username if user else ''} 已关联其他执法检查人员", field="user"
            ) from exc
        event_record(
            actor=actor,
            action="inspector.account",
            obj=locked,
            department=locked.department_id,
            before={"user": before},
            after={"user": user.username if user else None},
        )
    return locked


def entity_numbers_reveal(*, actor: User, entity: Entity) -> Entity:
    _require_writable(actor=actor, department_id=entity.department_id, what="检查对象名录库")
    with transaction.atomic():
        event_record(
            actor=actor,
            action="entity.reveal",
            obj=entity,
            department=entity.department_id,
            after={"fields": ["contact_phone"]},
        )
    return entity


# --- conflicts of interest (利害关系申报) ---------------------------------------------------


def conflict_declare(
    *,
    actor: User,
    inspector: Inspector,
    entity: Entity,
    reason: str,
    declared_on: dt.date | None = None,
) -> ConflictDeclaration:
    """利害关系: this inspector must recuse himself from this target [002 第二十二条,
    003 附件3 第八条]; a draw skips the pair while the declaration is active."""
    if not (
        selectors.can_write_department(user=actor, department_id=inspector.department_id)
        and selectors.can_write_department(user=actor, department_id=entity.department_id)
    ):
        raise NotAllowed("申报利害关系需要您同时维护该人员和该检查对象所在部门的名录库")
    errors: dict[str, list[str]] = {}
    reason = _clean_text(ConflictDeclaration, "reason", reason, errors)
    if not reason:
        errors.setdefault("reason", []).append("请填写回避事由（如：近亲属在该单位任职）")
    declared_on = declared_on or timezone.localdate()
    if declared_on > timezone.localdate():
        errors.setdefault("declared_on", []).append("申报日期不能晚于今天")
    _raise(errors)
    duplicate = f"{inspector.name}与{entity.name}已有有效的利害关系申报"
    with transaction.atomic():
        if ConflictDeclaration.objects.filter(
            inspector=inspector, entity=entity, is_active=True
        ).exists():
            raise Conflict(duplicate, field="entity")
        try:
            # Race: two admins declare the same pair at once; the partial unique constraint
            # (one active declaration per pair) lets only one in.
            with transaction.atomic():
                row = ConflictDeclaration.objects.create(
                    inspector=inspector,
                    entity=entity,
                    reason=reason,
                    declared_on=declared_on,
                    declared_by=actor,
                )
        except IntegrityError as exc:
            raise Conflict(duplicate, field="entity") from exc
        event_record(
            actor=actor,
            action="conflict.declare",
            obj=row,
            department=inspector.department_id,
            after={
                "inspector": inspector.cert_no,
                "entity": entity.key,
                "reason": reason,
                "declared_on": declared_on,
            },
        )
    return row


def conflict_withdraw(
    *, actor: User, conflict: ConflictDeclaration, reason: str
) -> ConflictDeclaration:
    """Ends a declaration; the row stays (with who, when and why) for the record."""
    if not selectors.can_write_department(
        user=actor, department_id=conflict.inspector.department_id
    ):
        raise NotAllowed("只有该人员所在部门的部门管理员可以撤销利害关系申报")
    errors: dict[str, list[str]] = {}
    reason = _clean_text(ConflictDeclaration, "withdraw_reason", reason, errors)
    if not reason:
        errors.setdefault("withdraw_reason", []).append("请填写撤销理由")
    _raise(errors)
    with transaction.atomic():
        # Race: two admins withdraw the same declaration; the lock makes the second one see
        # it already withdrawn instead of overwriting the first one's reason.
        locked = ConflictDeclaration.objects.select_for_update().filter(pk=conflict.pk).first()
        if locked is None:
            raise NotFound("利害关系申报不存在")
        if not locked.is_active:
            raise Conflict("该利害关系申报已撤销")
        locked.is_active = False
        locked.withdrawn_at = timezone.now()
        locked.withdrawn_by = actor
        locked.withdraw_reason = reason
        locked.save(
            update_fields=[
                "is_active",
                "withdrawn_at",
                "withdrawn_by",
                "withdraw_reason",
                "updated_at",
            ]
        )
        event_record(
            actor=actor,
            action="conflict.withdraw",
            obj=locked,
            department=conflict.inspector.department_id,
            before={"is_active": True},
            after={"is_active": False, "withdraw_reason": reason},
        )
    return locked
