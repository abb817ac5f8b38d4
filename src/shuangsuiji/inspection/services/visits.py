"""开始检查 and 检查情况 per check point (002 第二十五条: 严格依照适用的检查表单开展检查)."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from shuangsuiji.accounts.models import User
from shuangsuiji.audit.services import event_record
from shuangsuiji.common.errors import Conflict, NotAllowed, ValidationFailed
from shuangsuiji.common.text import cn_date
from shuangsuiji.inspection import selectors
from shuangsuiji.inspection.choices import FindingOutcome, VersionKind, VersionStatus, VisitStatus
from shuangsuiji.inspection.models import Finding, Result, ResultVersion, Visit, VisitMember
from shuangsuiji.inspection.selectors import visit_member_for
from shuangsuiji.inspection.services._common import (
    locked_visit,
    locked_working_version,
    require_editable,
    require_recorder,
)
from shuangsuiji.planning.selectors import family_ids

POINT_TEXT_MAX = 500


def visit_start(*, visit: Visit, actor: User, today: dt.date | None = None) -> Visit:
    """开始检查: pending → in progress. The checklist is frozen here: one Finding per check
    point of each item's version in force on the day (立改废释 may change it later, the
    visit keeps what applied), and the result's first draft is opened."""
    today = today or timezone.localdate()
    require_recorder(actor, visit, "开始检查")
    with transaction.atomic():
        # Two members pressing 开始检查 at once would both create the checklist and the
        # result: the visit row lock lets the second see "in progress" and stop.
        visit = locked_visit(visit)
        if visit.status != VisitStatus.PENDING:
            raise Conflict(f"该检查{visit.get_status_display()}，不能重复开始")
        if today < visit.window_start:
            raise Conflict(
                f"检查期间为{cn_date(visit.window_start)}至{cn_date(visit.window_end)}，尚未到开始日期"
            )
        rows: list[Finding] = []
        empty: list[str] = []
        for entry in selectors.visit_items_in_force(visit=visit, on=today):
            version = entry.version
            if version is None:
                empty.append(entry.item.code)
                continue
            # An item without a checklist is checked against its 检查内容 as one point.
            points = [p for p in (version.checklist or []) if str(p).strip()] or [
                version.content or version.name
            ]
            rows.extend(
                Finding(
                    visit=visit,
                    item=entry.item,
                    item_version=version,
                    point=i,
                    point_text=str(text).strip()[:POINT_TEXT_MAX],
                )
                for i, text in enumerate(points, start=1)
            )
        if empty:
            raise Conflict(f"以下抽查事项没有任何版本，无法确定检查表单：{'、'.join(empty)}")
        Finding.objects.bulk_create(rows)
        result, _ = Result.objects.get_or_create(visit=visit)
        if not result.versions.exists():
            ResultVersion.objects.create(
                result=result,
                number=1,
                kind=VersionKind.ORIGINAL,
                status=VersionStatus.DRAFT,
                created_by=actor,
            )
        visit.status, visit.started_at = VisitStatus.IN_PROGRESS, timezone.now()
        visit.save(update_fields=["status", "started_at", "updated_at"])
        event_record(
            actor=actor,
            action="visit.start",
            obj=visit,
            department=visit.lead_task.department,
            before={"status": VisitStatus.PENDING},
            after={
                "status": VisitStatus.IN_PROGRESS,
                "on": today,
                "points": len(rows),
                "item_versions": sorted({r.item_version_id for r in rows}),
            },
        )
    return visit


@dataclass(frozen=True)
class FindingInput:
    item_id: int
    point: int
    outcome: str
    note: str = ""


def _require_own_items(*, visit: Visit, actor: User, findings: Sequence[Finding]) -> None:
    """部门联合抽查 (issue 14 第 1 项): each department enters the findings of its own items.
    A team member may record an item's points when his inspector record belongs to the
    item's department (or its 委/局, or its sections); when no member of the team does, any
    member may (nothing is left without a recorder). The lead department's operator, who
    enters a paper record for the team, is not a member and is not limited."""
    member = visit_member_for(user=actor, visit=visit)
    if member is None:
        return
    depts = dict(
        VisitMember.objects.filter(visit=visit).values_list("id", "inspector__department_id")
    )
    refused = []
    for item in {f.item for f in findings}:
        family = family_ids(department=item.department)
        covered = {mid for mid, dept in depts.items() if dept in family}
        if covered and member.pk not in covered:
            refused.append(f"{item.code}（{item.department.name}）")
    if refused:
        raise NotAllowed(
            "联合检查中，各部门录入本部门抽查事项的检查情况："
            + "、".join(sorted(refused))
            + " 由该部门的检查人员录入"
        )


def findings_record(*, visit: Visit, entries: Sequence[FindingInput], actor: User) -> list[Finding]:
    """Records the outcome (符合 / 发现问题 / 不适用 / 未检查) and a note per check point.
    Only points of this visit's frozen checklist; a 发现问题 needs its note."""
    require_recorder(actor, visit, "录入检查情况")
    errors: dict[str, list[str]] = {}
    valid = set(FindingOutcome.values)
    for e in entries:
        key = f"{e.item_id}:{e.point}"
        if e.outcome not in valid:
            errors.setdefault(key, []).append(f"检查情况“{e.outcome}”无效")
        elif e.outcome == FindingOutcome.PROBLEM and not (e.note or "").strip():
            errors.setdefault(key, []).append("发现问题时请在说明中写明问题")
    if errors:
        raise ValidationFailed("检查情况有误，请按提示修改", errors=errors)
    with transaction.atomic():
        # Race with result_submit: findings changed while the team is being asked to sign
        # would not be what they sign. The visit lock orders them; the state check below
        # then refuses the late edit.
        visit = locked_visit(visit)
        require_editable(visit, locked_working_version(visit))
        current = {
            (f.item_id, f.point): f
            for f in Finding.objects.filter(visit=visit).select_related("item__department")
        }
        unknown = [f"{e.item_id}:{e.point}" for e in entries if (e.item_id, e.point) not in current]
        if unknown:
            raise ValidationFailed(
                "以下检查要点不属于本次检查的检查表单：" + "、".join(unknown),
                errors={k: ["不属于本次检查的检查表单"] for k in unknown},
            )
        _require_own_items(
            visit=visit, actor=actor, findings=[current[(e.item_id, e.point)] for e in entries]
        )
        before, after, changed = {}, {}, []
        for e in entries:
            f = current[(e.item_id, e.point)]
            note = (e.note or "").strip()
            if (f.outcome, f.note) == (e.outcome, note):
                continue
            key = f"{f.item.code}:{f.point}"
            before[key], after[key] = (
                {"outcome": f.outcome, "note": f.note},
                {"outcome": e.outcome, "note": note},
            )
            f.outcome, f.note, f.updated_by = e.outcome, note, actor
            changed.append(f)
        for f in changed:
            f.save(update_fields=["outcome", "note", "updated_by", "updated_at"])
        if changed:
            event_record(
                actor=actor,
                action="finding.record",
                obj=visit,
                department=visit.lead_task.department,
                before=before,
                after=after,
            )
    return changed
