"""双告知 services (004 一: 加强“双告知”信息接收及反馈工作).

A notice is received (imported or pushed through the API) for an 审批事项 the department
supervises — one of its 抽查事项, by code, by name, or by the department's own 对应 table;
a licence for anything else is refused with the reason. The department answers (反馈)
within its working days (``LicenceSetting.ack_workdays``, counted on the holiday calendar):
认领 puts the licensee into the library (created, or tagged when already there — the tag
is the 抽查事项's name, so the licensee lands in that sub-library), 退回 says why it is not
the department's. Every step is one transaction with its audit event; the notice row is
locked so two answers cannot both land.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from shuangsuiji.accounts.models import Department, User
from shuangsuiji.accounts.selectors import department_subtree_ids_of, writable_department_ids
from shuangsuiji.audit.services import event_record
from shuangsuiji.catalog.models import Item
from shuangsuiji.common.errors import Conflict, NotAllowed, ValidationFailed
from shuangsuiji.common.text import cn_date
from shuangsuiji.imports import tabular
from shuangsuiji.licences.choices import NoticeSource, NoticeStatus
from shuangsuiji.licences.models import (
    DEFAULT_ACK_WORKDAYS,
    LicenceItemMap,
    LicenceNotice,
    LicenceSetting,
)
from shuangsuiji.registry import services as registry
from shuangsuiji.registry.choices import TagKind
from shuangsuiji.registry.models import Entity, Tag
from shuangsuiji.registry.rules import parse_uscc
from shuangsuiji.workdays.services import Deadline, deadline_provisional

ACK_MAX = 60
FIELDS = {
    "licence_item": "审批事项",
    "item_code": "抽查事项编码",
    "licensee": "被许可人名称",
    "uscc": "统一社会信用代码",
    "licence_no": "许可证号",
    "licence_date": "许可日期",
    "issuing_office": "许可机关",
    "address": "地址",
}
LIMITS = {
    "licence_item": 200,
    "licensee": 200,
    "licence_no": 100,
    "issuing_office": 200,
    "address": 255,
}


def _require_writer(*, actor: User | str, department: Department, what: str) -> None:
    if isinstance(actor, str):  # the command line
        return
    if department.pk not in writable_department_ids(user=actor):
        raise NotAllowed(f"只有本部门的部门管理员可以{what}（谁管理、谁维护）")


def ack_workdays(*, department: Department) -> int:
    setting = LicenceSetting.objects.filter(department=department).first()
    return setting.ack_workdays if setting else DEFAULT_ACK_WORKDAYS


def notice_due(*, notice: LicenceNotice, workdays: int | None = None) -> Deadline:
    """The day by which the notice must be answered (provisional in a year without
    calendar data, and said so)."""
    n = workdays if workdays is not None else ack_workdays(department=notice.department)
    return deadline_provisional(start=notice.received_on, n=n)


class ItemResolver:
    """审批事项 → the department's 抽查事项 (loaded once for an import of many rows)."""

    def __init__(self, department: Department):
        # The library is often kept by the 委/局 while its items belong to its sections
        # (燃气所): the items of the department and those below it.
        items = list(
            Item.objects.filter(
                department_id__in=department_subtree_ids_of(department=department),
                is_repealed=False,
            ).select_related("current")
        )
        self.by_code = {i.code.upper(): i for i in items}
        self.by_name = {tabular.header_key(i.current.name): i for i in items if i.current}
        by_pk = {i.pk: i for i in items}
        self.by_map = {
            tabular.header_key(m.licence_item): by_pk[m.item_id]
            for m in LicenceItemMap.objects.filter(department=department)
            if m.item_id in by_pk
        }

    def find(self, *, licence_item: str, item_code: str = "") -> Item | None:
        if item_code:
            return self.by_code.get(item_code.strip().upper())
        key = tabular.header_key(licence_item)
        return self.by_map.get(key) or self.by_name.get(key)


def notice_clean(
    *, values: Mapping[str, Any], resolver: ItemResolver, today: dt.date
) -> tuple[dict[str, Any], dict[str, str]]:
    """(clean values, {field: reason}) of one notice, as received."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for name, limit in LIMITS.items():
        text = tabular.cell_plain(values.get(name, "")).strip()
        if not text and name != "address":
            errors[name] = "不能为空"
        elif len(text) > limit:
            errors[name] = f"超过{limit}个字符"
        out[name] = text
    try:
        out["uscc"] = parse_uscc(values.get("uscc", ""))
        if not out["uscc"]:
            errors["uscc"] = "不能为空"
    except ValueError as exc:
        errors["uscc"] = str(exc)
    try:
        day = tabular.cell_date(values.get("licence_date", ""))
        if day is None:
            errors["licence_date"] = "不能为空"
        elif day > today:
            errors["licence_date"] = f"许可日期晚于今天（{cn_date(today)}）"
        out["licence_date"] = day
    except ValueError as exc:
        errors["licence_date"] = str(exc)
    item_code = tabular.cell_plain(values.get("item_code", "")).strip()
    if "licence_item" not in errors or item_code:
        item = resolver.find(licence_item=out["licence_item"], item_code=item_code)
        if item is None:
            field = "item_code" if item_code else "licence_item"
            shown = item_code or out["licence_item"]
            errors[field] = (
                f"「{shown}」不是本部门的抽查事项，本部门不监管此项许可"
                "（可在“双告知设置”中把审批事项对应到本部门的抽查事项）"
            )
        out["item"] = item
    return out, errors


def _state(n: LicenceNotice) -> dict[str, Any]:
    return {
        "licence_item": n.licence_item,
        "item": n.item.code,
        "licensee": n.licensee,
        "uscc": n.uscc,
        "licence_no": n.licence_no,
        "licence_date": n.licence_date.isoformat(),
        "issuing_office": n.issuing_office,
        "received_on": n.received_on.isoformat(),
        "status": n.status,
    }


def notice_receive(
    *,
    department: Department,
    actor: User | str,
    values: Mapping[str, Any],
    today: dt.date,
    source: str = NoticeSource.API,
) -> LicenceNotice:
    """One notice received (the API's push); a notice already received is a conflict."""
    _require_writer(actor=actor, department=department, what="接收双告知信息")
    clean, errors = notice_clean(values=values, resolver=ItemResolver(department), today=today)
    if errors:
        raise ValidationFailed(
            "双告知信息有误：" + "；".join(f"{FIELDS[k]}：{v}" for k, v in errors.items()),
            errors={k: [v] for k, v in errors.items()},
        )
    with transaction.atomic():
        if LicenceNotice.objects.filter(
            department=department,
            licence_no=clean["licence_no"],
            licence_item=clean["licence_item"],
        ).exists():
            raise Conflict(
                f"已接收过许可证号 {clean['licence_no']} 的双告知信息", field="licence_no"
            )
        notice = LicenceNotice.objects.create(
            department=department, received_on=today, source=source, **clean
        )
        event_record(
            actor=actor,
            action="licence.receive",
            obj=notice,
            department=department,
            after=_state(notice),
        )
    return notice


def _locked_pending(notice: LicenceNotice) -> LicenceNotice:
    # Only the notice's own row is locked (PostgreSQL refuses FOR UPDATE on the nullable
    # side of the outer join to the item's current version).
    locked = (
        LicenceNotice.objects.select_for_update(of=("self",))
        .select_related("department", "item__current")
        .get(pk=notice.pk)
    )
    if locked.status != NoticeStatus.PENDING:
        raise Conflict(f"该双告知信息{locked.get_status_display()}，不能再次反馈")
    return locked


def notice_accept(*, notice: LicenceNotice, actor: User, today: dt.date) -> LicenceNotice:
    """认领: the licensee enters the library (or, already there, gets the item's tag)."""
    _require_writer(actor=actor, department=notice.department, what="反馈双告知信息")
    with transaction.atomic():
        notice = _locked_pending(notice)
        department = notice.department
        # The sub-library of the item's 检查对象 (e.g. 燃气经营企业, the one tasks draw from),
        # else the item's name.
        current = notice.item.current
        tag_name = (current.target_type or current.name)[:64] if current else notice.item.code
        tag = Tag.objects.filter(department=department, name=tag_name).first()
        if tag is None:
            tag = registry.tag_create(
                actor=actor,
                department=department,
                name=tag_name,
                kind=TagKind.SUBLIBRARY,
                description=f"双告知：{notice.licence_item}",
            )
        entity = Entity.objects.filter(department=department, key=notice.uscc).first()
        if entity is None:
            entity = registry.entity_create(
                actor=actor,
                department=department,
                fields={
                    "key": notice.uscc,
                    "uscc": notice.uscc,
                    "name": notice.licensee,
                    "address": notice.address,
                    "remark": f"双告知：{notice.issuing_office} {notice.licence_no}"[:255],
                },
                tags=[tag.pk],
            )
            created = True
        else:
            tags = {t.pk for t in entity.tags.all()}
            if tag.pk not in tags:
                registry.entity_tags_set(actor=actor, entity=entity, tags=[*tags, tag.pk])
            created = False
        before = _state(notice)
        notice.status, notice.acted_on, notice.acted_by, notice.entity = (
            NoticeStatus.ACCEPTED,
            today,
            actor,
            entity,
        )
        notice.save(update_fields=["status", "acted_on", "acted_by", "entity", "updated_at"])
        event_record(
            actor=actor,
            action="licence.accept",
            obj=notice,
            department=department,
            before=before,
            after={
                **_state(notice),
                "acted_on": today.isoformat(),
                "entity": entity.pk,
                "entity_created": created,
                "tag": tag.name,
            },
        )
    return notice


def notice_return(
    *, notice: LicenceNotice, actor: User, reason: str, today: dt.date
) -> LicenceNotice:
    """退回: not this department's to supervise, with the reason (kept and shown)."""
    _require_writer(actor=actor, department=notice.department, what="反馈双告知信息")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写退回理由", field="reason")
    if len(reason) > 500:
        raise ValidationFailed("退回理由不超过500字", field="reason")
    with transaction.atomic():
        notice = _locked_pending(notice)
        before = _state(notice)
        notice.status, notice.acted_on, notice.acted_by, notice.return_reason = (
            NoticeStatus.RETURNED,
            today,
            actor,
            reason,
        )
        notice.save(update_fields=["status", "acted_on", "acted_by", "return_reason", "updated_at"])
        event_record(
            actor=actor,
            action="licence.return",
            obj=notice,
            department=notice.department,
            before=before,
            after={**_state(notice), "acted_on": today.isoformat(), "reason": reason},
        )
    return notice


def licence_setting_set(
    *,
    department: Department,
    actor: User,
    ack_workdays: int | str,
    maps: Mapping[str, str] | None = None,
) -> LicenceSetting:
    """The department's 反馈期限 and its 审批事项 → 抽查事项编码 table (replaced whole)."""
    _require_writer(actor=actor, department=department, what="设置双告知")
    try:
        days = int(str(ack_workdays).strip())
    except ValueError:
        days = 0
    if not 1 <= days <= ACK_MAX:
        raise ValidationFailed(f"反馈期限应为 1—{ACK_MAX} 个工作日", field="ack_workdays")
    items = {
        i.code.upper(): i
        for i in Item.objects.filter(
            department_id__in=department_subtree_ids_of(department=department)
        )
    }
    rows: list[tuple[str, Item]] = []
    errors = []
    for licence_item, code in (maps or {}).items():
        name, code = licence_item.strip(), (code or "").strip().upper()
        if not name and not code:
            continue
        if not name or len(name) > 200:
            errors.append(f"审批事项“{name[:20]}”应为1—200个字")
        elif code not in items:
            errors.append(f"“{name}”对应的抽查事项编码“{code}”不是本部门的抽查事项")
        else:
            rows.append((name, items[code]))
    if errors:
        raise ValidationFailed("；".join(errors), field="maps")
    with transaction.atomic():
        setting, _ = LicenceSetting.objects.select_for_update().get_or_create(department=department)
        before = {
            "ack_workdays": setting.ack_workdays,
            "maps": {
                m.licence_item: m.item.code
                for m in LicenceItemMap.objects.filter(department=department).select_related("item")
            },
        }
        setting.ack_workdays = days
        setting.save(update_fields=["ack_workdays", "updated_at"])
        LicenceItemMap.objects.filter(department=department).delete()
        LicenceItemMap.objects.bulk_create(
            [LicenceItemMap(department=department, licence_item=n, item=i) for n, i in rows]
        )
        event_record(
            actor=actor,
            action="licence.settings",
            obj=setting,
            department=department,
            before=before,
            after={"ack_workdays": days, "maps": {n: i.code for n, i in rows}},
        )
    return setting
