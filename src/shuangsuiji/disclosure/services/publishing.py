"""公示: a formed result becomes public (002 第二十八条, 000 三(六)), or is withheld by law.

除依法依规不予公开的情形外，在抽查检查任务结束后20个工作日内……通过公示系统公示
(002 第二十八条). ``result_publish`` writes the public copy (``PublishedResult``) once,
with public fields only; ``result_withhold`` records the legal basis for not publishing.
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from shuangsuiji.audit.services import event_record
from shuangsuiji.catalog.models import Item
from shuangsuiji.common.errors import Conflict, ValidationFailed
from shuangsuiji.common.masking import mask_personal_numbers
from shuangsuiji.disclosure.models import PublishedResult
from shuangsuiji.disclosure.services._common import (
    PRINCIPALS,
    PUBLISHERS,
    lead_department,
    locked_result,
    locked_version,
    require_role,
    version_label,
)
from shuangsuiji.disclosure.services.guard import version_assert_unpublished
from shuangsuiji.inspection.choices import FollowUpKind, NonCooperation, VersionKind, VersionStatus
from shuangsuiji.inspection.models import Result, ResultVersion, VisitMember, VisitTask

NAME_SEPARATOR = "、"


# --- the public copy ---------------------------------------------------------------------


def public_summary(*, version: ResultVersion) -> str:
    """检查情况 as published: the summary, the 不予配合 circumstance (002 第二十七条) and the
    problems found. The problems are part of 抽查情况及查处结果 the public is told about
    (001 一, 002 第二十六条 "发现问题……"); free text may still hold a mobile or 身份证号
    typed by mistake, so those are masked (common/masking.py)."""
    parts = [version.summary.strip()]
    if version.non_cooperation:
        parts.append(f"不予配合情形：{NonCooperation(version.non_cooperation).label}")
    if version.problems.strip():
        parts.append(f"发现的问题：{version.problems.strip()}")
    return mask_personal_numbers("\n".join(p for p in parts if p))


def public_followups(*, version: ResultVersion) -> str:
    """后续处理 by kind, with 整改期限 and the receiving unit only: details, case numbers and
    re-check notes stay internal (they may name people)."""
    lines = []
    for f in version.followups.order_by("id"):
        text = str(FollowUpKind(f.kind).label)
        if f.kind == FollowUpKind.RECTIFY and f.rectify_deadline:
            d = f.rectify_deadline
            text += f"，整改期限{d.year}年{d.month}月{d.day}日"
        if f.kind in (FollowUpKind.TRANSFER, FollowUpKind.POLICE) and f.recipient.strip():
            text += f"：{mask_personal_numbers(f.recipient.strip())}"
        lines.append(text)
    return "；".join(lines)


def public_inspectors(*, version: ResultVersion) -> str:
    """行政执法公示: each member by name and 执法证号 only, 组长 first."""
    members = (
        VisitMember.objects.filter(visit_id=version.result.visit_id)
        .select_related("inspector")
        .order_by("-is_leader", "id")
    )
    return NAME_SEPARATOR.join(
        f"{m.inspector.name}（执法证号 {m.inspector.cert_no}）" for m in members
    )


def _tasks_of(result: Result) -> list:
    visit = result.visit
    tasks = [
        vt.task
        for vt in VisitTask.objects.filter(visit_id=visit.pk)
        .select_related("task__department")
        .prefetch_related("task__partners")
        .order_by("id")
    ]
    tasks.sort(key=lambda t: t.pk != visit.lead_task_id)  # the lead task first, then join order
    return tasks


def public_fields(*, version: ResultVersion) -> dict[str, Any]:
    """The public fields of ``version`` (entity, departments, tasks, items, conclusion…)."""
    # published_write refuses a version without one first (_check_publishable_content).
    if version.inspected_on is None:
        raise ValidationFailed("检查日期未填写", field="inspected_on")
    result = version.result
    visit = result.visit
    entity = visit.entity
    tasks = _tasks_of(result)
    lead = lead_department(result)
    # 部门联合抽查: the lead department first, then every other merged task's department
    # and each task's partners, once each.
    departments = {lead.pk: lead.name}
    for task in tasks:
        departments.setdefault(task.department_id, task.department.name)
        for partner in sorted(task.partners.all(), key=lambda d: d.code):
            departments.setdefault(partner.pk, partner.name)
    items = (
        Item.objects.filter(tasks__in=[t.pk for t in tasks])
        .select_related("current")
        .distinct()
        .order_by("code")
    )
    return {
        "result": result,
        "department": lead,
        "department_names": NAME_SEPARATOR.join(departments.values())[:500],
        "entity_name": entity.name,
        "credit_code": entity.uscc or visit.target_id,
        "year": version.inspected_on.year,
        "task_codes": NAME_SEPARATOR.join(t.code for t in tasks)[:500],
        "task_titles": "；".join(t.title for t in tasks),
        "item_codes": [i.code for i in items],
        "item_names": NAME_SEPARATOR.join(
            i.current.name if i.current is not None else i.code for i in items
        ),
        "inspected_on": version.inspected_on,
        "conclusion": version.conclusion,
        "summary": public_summary(version=version),
        "followup_text": public_followups(version=version),
        "inspectors": public_inspectors(version=version),
        "version_number": version.number,
    }


def _check_publishable_content(version: ResultVersion) -> None:
    errors: dict[str, list[str]] = {}
    if version.inspected_on is None:
        errors["inspected_on"] = ["检查日期未填写"]
    if not version.conclusion:
        errors["conclusion"] = ["检查结论未填写"]
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(f"{version_label(version)}不完整，不能公示：{first}", errors=errors)


def published_write(
    *,
    version: ResultVersion,
    now: dt.datetime,
    is_correction: bool = False,
    correction_reason: str = "",
) -> PublishedResult:
    """Writes the public copy and marks ``version`` published. For callers holding the
    version's and the result's row locks (``result_publish``, ``correction_sign``)."""
    _check_publishable_content(version)
    row = PublishedResult.objects.create(
        version=version,
        published_at=now,
        is_correction=is_correction,
        correction_reason=correction_reason,
        **public_fields(version=version),
    )
    ResultVersion.objects.filter(pk=version.pk).update(
        status=VersionStatus.PUBLISHED, published_at=now
    )
    version.status, version.published_at = VersionStatus.PUBLISHED, now
    return row


# --- publish -----------------------------------------------------------------------------


def _publish_locked(*, version: ResultVersion, actor: Any, now: dt.datetime) -> PublishedResult:
    # Two clicks (or two colleagues) publishing the same result: the version row is locked
    # before its state is read, so the second one sees PUBLISHED and is refused instead
    # of writing a second public copy.
    version = locked_version(version)
    result = locked_result(version.result_id)
    version.result = result
    label = version_label(version)
    version_assert_unpublished(version=version, what="再次公示")
    if version.status != VersionStatus.FORMED:
        raise Conflict(
            f"{label}的状态为“{version.get_status_display()}”，只有已形成的检查结果可以公示",
            field="version",
        )
    if result.current_id != version.pk or version.kind != VersionKind.ORIGINAL:
        raise Conflict(f"{label}不是该检查结果的现行版本，不能公示", field="version")
    row = published_write(version=version, now=now)
    before = {"status": VersionStatus.FORMED, "first_published_at": result.first_published_at}
    if result.first_published_at is None:
        Result.objects.filter(pk=result.pk).update(first_published_at=now)
        result.first_published_at = now
    event_record(
        actor=actor,
        action="result.publish",
        obj=version,
        department=lead_department(result),
        before=before,
        after={
            "status": VersionStatus.PUBLISHED,
            "published_result": row.pk,
            "first_published_at": result.first_published_at,
            "entity": row.entity_name,
            "credit_code": row.credit_code,
            "conclusion": row.conclusion,
        },
    )
    return row


def result_publish(*, version: ResultVersion, actor: Any) -> PublishedResult:
    """公示 one formed result: FORMED → PUBLISHED, writes its ``PublishedResult``.

    Allowed to the lead department's 抽查操作员 or 审核负责人 (or a department above it)."""
    require_role(
        actor=actor,
        department=lead_department(version.result),
        roles=PUBLISHERS,
        what="公示检查结果",
        allow_cli=True,
    )
    with transaction.atomic():
        return _publish_locked(version=version, actor=actor, now=timezone.now())


def results_publish(*, versions: Iterable[ResultVersion], actor: Any) -> list[PublishedResult]:
    """批量公示: every version published in one transaction, each with its own audit event.
    One refusal (wrong state, no permission) publishes none; the message names the result."""
    versions = list({v.pk: v for v in versions}.values())
    if not versions:
        raise ValidationFailed("请选择要公示的检查结果", field="versions")
    for v in versions:
        require_role(
            actor=actor,
            department=lead_department(v.result),
            roles=PUBLISHERS,
            what=f"公示{version_label(v)}",
            allow_cli=True,
        )
    rows = []
    with transaction.atomic():
        now = timezone.now()
        # Locks are taken in primary-key order so that two overlapping batches cannot
        # deadlock each other.
        for v in sorted(versions, key=lambda x: x.pk):
            rows.append(_publish_locked(version=v, actor=actor, now=now))
    return rows


# --- withhold ----------------------------------------------------------------------------


def result_withhold(*, version: ResultVersion, reason: str, actor: Any) -> ResultVersion:
    """依法不予公开 (002 第二十八条 "除依法依规不予公开的情形外"): FORMED → WITHHELD with
    its legal basis. A decision of the lead department's 审核负责人."""
    require_role(
        actor=actor,
        department=lead_department(version.result),
        roles=PRINCIPALS,
        what="决定检查结果不予公开",
    )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写不予公开的法律依据和理由", field="reason")
    with transaction.atomic():
        # Same race as publishing: a colleague publishing this version at the same moment.
        version = locked_version(version)
        result = locked_result(version.result_id)
        version.result = result
        version_assert_unpublished(version=version, what="决定不予公开")
        if version.status != VersionStatus.FORMED or result.current_id != version.pk:
            raise Conflict(
                f"{version_label(version)}的状态为“{version.get_status_display()}”，"
                "只有已形成、尚未公示的检查结果可以决定不予公开",
                field="version",
            )
        ResultVersion.objects.filter(pk=version.pk).update(
            status=VersionStatus.WITHHELD, withheld_reason=reason
        )
        version.status, version.withheld_reason = VersionStatus.WITHHELD, reason
        event_record(
            actor=actor,
            action="result.withhold",
            obj=version,
            department=lead_department(result),
            before={"status": VersionStatus.FORMED},
            after={"status": VersionStatus.WITHHELD, "withheld_reason": reason},
        )
    return version
