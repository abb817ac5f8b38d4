"""更正 of a published result (002 第二十八条 第二款): 检查结果……一经公示，不得擅自更改。
但事后发现检查结果确有错误的，经任务执行单位主要负责人签字确认后及时更改.

A correction is a new ``ResultVersion`` (kind CORRECTION, number + 1) holding the current
content with the edits and the reason; it waits for the principal (status REVIEW). When
the principal signs it is published at once; the previous public copy stays visible,
marked superseded. Nothing published is ever edited in place.
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, cast

from django.db import transaction
from django.db.models import Field, Max
from django.utils import timezone

from shuangsuiji.audit.services import event_record
from shuangsuiji.common.errors import Conflict, ValidationFailed
from shuangsuiji.disclosure.choices import ObjectionStatus
from shuangsuiji.disclosure.models import Objection, PublishedResult
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
from shuangsuiji.disclosure.services.publishing import published_write
from shuangsuiji.inspection.choices import (
    Conclusion,
    FollowUpKind,
    FollowUpStatus,
    NonCooperation,
    VersionKind,
    VersionStatus,
)
from shuangsuiji.inspection.models import FollowUp, Result, ResultVersion

FOLLOWUP_FIELDS = (
    "kind",
    "status",
    "detail",
    "rectify_deadline",
    "recheck_on",
    "recheck_note",
    "recipient",
    "case_no",
    "penalty_decided_on",
    "penalty_published_on",
)
_TEXT_LIMITS = {"recipient": 200, "case_no": 100}


# --- input -------------------------------------------------------------------------------


def _followup_label(name: str) -> str:
    # Only FollowUp's own columns are named (the loops below), never a reverse relation.
    return str(cast(Field, FollowUp._meta.get_field(name)).verbose_name)


def _as_date(value: Any, *, label: str, errors: list[str], where: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors.append(f"{where}的{label}不是有效日期：{value}")
        return None


def followups_clean(*, followups: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """后续处理 rows from a form or the API: 责令改正 needs its 整改期限, 移交/移送 the
    receiving unit [000 三(五), 003 附件3 第十二条]. Errors name the row."""
    errors: list[str] = []
    rows = []
    for n, raw in enumerate(followups, start=1):
        where = f"第{n}项后续处理"
        kind = str(raw.get("kind") or "").strip()
        if kind not in FollowUpKind.values:
            errors.append(f"{where}的处理方式无效：{kind or '（空）'}")
            continue
        row: dict[str, Any] = {"kind": kind}
        status = str(raw.get("status") or FollowUpStatus.OPEN)
        if status not in FollowUpStatus.values:
            errors.append(f"{where}的状态无效：{status}")
        row["status"] = status
        for name in ("detail", "recheck_note", "recipient", "case_no"):
            text = str(raw.get(name) or "").strip()
            if name in _TEXT_LIMITS and len(text) > _TEXT_LIMITS[name]:
                errors.append(f"{where}的{_followup_label(name)}过长（最多{_TEXT_LIMITS[name]}字）")
            row[name] = text
        for name in (
            "rectify_deadline",
            "recheck_on",
            "penalty_decided_on",
            "penalty_published_on",
        ):
            row[name] = _as_date(
                raw.get(name),
                label=_followup_label(name),
                errors=errors,
                where=where,
            )
        if kind == FollowUpKind.RECTIFY and raw.get("rectify_deadline") in (None, ""):
            errors.append(f"{where}（责令改正）须填写整改期限")
        if kind in (FollowUpKind.TRANSFER, FollowUpKind.POLICE) and not row["recipient"]:
            errors.append(f"{where}（{FollowUpKind(kind).label}）须填写移交/移送单位")
        rows.append(row)
    if errors:
        raise ValidationFailed("后续处理有误：" + "；".join(errors), errors={"followups": errors})
    return rows


def _followups_of(version: ResultVersion) -> list[dict[str, Any]]:
    return [
        {name: getattr(f, name) for name in FOLLOWUP_FIELDS}
        for f in version.followups.order_by("id")
    ]


def _content_of(version: ResultVersion) -> dict[str, Any]:
    return {
        "conclusion": version.conclusion,
        "non_cooperation": version.non_cooperation,
        "summary": version.summary,
        "problems": version.problems,
        "followups": _followups_of(version),
    }


def correction_content(
    *,
    current: ResultVersion,
    conclusion: str | None = None,
    summary: str | None = None,
    problems: str | None = None,
    non_cooperation: str | None = None,
    followups: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The corrected content: ``current`` with the given edits (``None`` = unchanged).
    Raises ``ValidationFailed`` with every mistake, or when nothing changes."""
    content = _content_of(current)
    errors: dict[str, list[str]] = {}
    if conclusion is not None:
        content["conclusion"] = str(conclusion).strip()
    if content["conclusion"] not in Conclusion.values:
        errors["conclusion"] = ["请选择检查结论（002 第二十六条 八种结论之一）"]
    if non_cooperation is not None:
        content["non_cooperation"] = str(non_cooperation).strip()
    if content["conclusion"] == Conclusion.UNCOOPERATIVE:
        if content["non_cooperation"] not in NonCooperation.values:
            errors["non_cooperation"] = [
                "结论为“不予配合情节严重”时须选择不予配合的情形（002 第二十七条）"
            ]
    elif content["non_cooperation"]:
        if non_cooperation:  # typed for another conclusion: a mistake worth saying
            errors["non_cooperation"] = ["只有结论为“不予配合情节严重”时才填写不予配合情形"]
        content["non_cooperation"] = ""
    for name in ("summary", "problems"):
        value = {"summary": summary, "problems": problems}[name]
        if value is not None:
            content[name] = str(value).replace("\r\n", "\n").strip()
    if followups is not None:
        try:
            content["followups"] = followups_clean(followups=followups)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(f"更正内容有误：{first}", errors=errors)
    if _comparable(content) == _comparable(_content_of(current)):
        raise ValidationFailed("更正内容与现行版本相同：请修改需要更正的内容", field="summary")
    return content


def _comparable(content: dict[str, Any]) -> tuple:
    follow = tuple(
        tuple(
            (k, row.get(k)) for k in ("kind", "detail", "rectify_deadline", "recipient", "case_no")
        )
        for row in content["followups"]
    )
    return (
        content["conclusion"],
        content["non_cooperation"],
        content["summary"],
        content["problems"],
        follow,
    )


# --- create ------------------------------------------------------------------------------


def pending_correction(*, result: Result) -> ResultVersion | None:
    return (
        ResultVersion.objects.filter(
            result=result, kind=VersionKind.CORRECTION, status=VersionStatus.REVIEW
        )
        .order_by("-number")
        .first()
    )


def correction_create_locked(
    *,
    result: Result,
    reason: str,
    actor: Any,
    content: Mapping[str, Any] | None = None,
    objection: Objection | None = None,
    edits: Mapping[str, Any] | None = None,
) -> ResultVersion:
    """The body of ``correction_create`` for callers already inside a transaction holding
    the result's row lock (``objection_review`` creates its correction this way)."""
    current = result.current
    if current is None or current.status != VersionStatus.PUBLISHED:
        state = current.get_status_display() if current is not None else "尚无结果"
        raise Conflict(
            f"“{result.visit.entity.name}”的检查结果当前为“{state}”：只有已公示的检查结果需要更正；"
            "尚未公示的结果请退回检查组修改",
            field="result",
        )
    waiting = pending_correction(result=result)
    if waiting is not None:
        raise Conflict(
            f"该检查结果已有一份待主要负责人签字的更正（第{waiting.number}版），"
            "请先签字或作废该更正",
            field="result",
        )
    if objection is not None:
        if objection.result_id != result.pk:
            raise ValidationFailed(
                f"异议{objection.number}针对的不是这份检查结果", field="objection"
            )
        if objection.status not in (ObjectionStatus.RECEIVED, ObjectionStatus.UPHELD):
            raise Conflict(
                f"异议{objection.number}的状态为“{objection.get_status_display()}”，不能再为其提出更正",
                field="objection",
            )
    if content is None:
        content = correction_content(current=current, **(edits or {}))
    now = timezone.now()
    number = (ResultVersion.objects.filter(result=result).aggregate(m=Max("number"))["m"] or 0) + 1
    version = ResultVersion.objects.create(
        result=result,
        number=number,
        kind=VersionKind.CORRECTION,
        status=VersionStatus.REVIEW,
        inspected_on=current.inspected_on,
        conclusion=content["conclusion"],
        non_cooperation=content["non_cooperation"],
        summary=content["summary"],
        problems=content["problems"],
        reason=reason,
        objection=objection,
        created_by=actor,
        submitted_at=now,
    )
    FollowUp.objects.bulk_create([FollowUp(version=version, **row) for row in content["followups"]])
    event_record(
        actor=actor,
        action="result.correction_create",
        obj=version,
        department=lead_department(result),
        before={"version": current.number, **_content_of(current)},
        after={
            "version": number,
            "status": VersionStatus.REVIEW,
            "reason": reason,
            "objection": objection.number if objection else None,
            **dict(content),
        },
    )
    return version


def correction_create(
    *,
    result: Result,
    reason: str,
    actor: Any,
    conclusion: str | None = None,
    summary: str | None = None,
    problems: str | None = None,
    non_cooperation: str | None = None,
    followups: Sequence[Mapping[str, Any]] | None = None,
    objection: Objection | None = None,
) -> ResultVersion:
    """提出更正: a new version (kind CORRECTION, number + 1) copying the current content with
    the given edits (``None`` = unchanged), status REVIEW until the principal signs.
    ``reason`` is required. The lead department's 抽查操作员 or 审核负责人."""
    require_role(
        actor=actor, department=lead_department(result), roles=PUBLISHERS, what="提出检查结果更正"
    )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写更正理由（发现的错误及依据）", field="reason")
    with transaction.atomic():
        # Two corrections proposed at once would both take number + 1 from the same
        # current version: the result row lock serialises them (the second sees the first
        # waiting for signature and is refused).
        # Lock order objection → result, as in objection_review (the other order deadlocks).
        if objection is not None:
            objection = Objection.objects.select_for_update().get(pk=objection.pk)
        result = locked_result(result)
        return correction_create_locked(
            result=result,
            reason=reason,
            actor=actor,
            objection=objection,
            edits={
                "conclusion": conclusion,
                "summary": summary,
                "problems": problems,
                "non_cooperation": non_cooperation,
                "followups": followups,
            },
        )


# --- sign / discard ----------------------------------------------------------------------


def _locked_pending(
    version: ResultVersion, what: str, *, lock_current: bool = False
) -> tuple[ResultVersion, Result]:
    """The correction and its result, locked in the order versions → result (the order of
    every service here); with ``lock_current`` the current version too, before the result."""
    version = locked_version(version)
    if lock_current:
        current_id = (
            Result.objects.filter(pk=version.result_id).values_list("current_id", flat=True).get()
        )
        current = (
            ResultVersion.objects.select_for_update().get(pk=current_id) if current_id else None
        )
    result = locked_result(version.result_id)
    if lock_current:
        if result.current_id != current_id:  # replaced between the two reads: let the user retry
            raise Conflict("该检查结果的现行版本刚刚发生变化，请刷新后重试", field="version")
        result.current = current
    version.result = result
    version_assert_unpublished(version=version, what=what)
    if version.kind != VersionKind.CORRECTION or version.status != VersionStatus.REVIEW:
        raise Conflict(
            f"{version_label(version)}不是待主要负责人签字的更正（当前状态：{version.get_status_display()}）",
            field="version",
        )
    return version, result


def correction_sign(*, version: ResultVersion, actor: Any) -> PublishedResult:
    """主要负责人签字确认 (002 第二十八条): signs the correction and publishes it at once.
    The previous public copy is kept and marked superseded; the previous version becomes
    SUPERSEDED; the correction becomes the result's current version."""
    require_role(
        actor=actor,
        department=lead_department(version.result),
        roles=PRINCIPALS,
        what="签字确认检查结果更正（任务执行单位主要负责人）",
    )
    with transaction.atomic():
        # Two signatures at once (a double click) would publish the correction twice and
        # supersede the old copy twice: the version and result rows are locked first.
        version, result = _locked_pending(version, "再次签字", lock_current=True)
        previous = result.current
        if previous is None or previous.status != VersionStatus.PUBLISHED:
            if previous is None:
                raise Conflict("该检查结果没有现行版本，不能以更正替换", field="version")
            raise Conflict(
                f"现行版本（第{previous.number}版）的状态为“{previous.get_status_display()}”，"
                "不能以此更正替换",
                field="version",
            )
        old_row = PublishedResult.objects.select_for_update().filter(version=previous).first()
        now = timezone.now()
        ResultVersion.objects.filter(pk=version.pk).update(
            principal_signed_by=actor, principal_signed_at=now
        )
        version.principal_signed_by, version.principal_signed_at = actor, now
        row = published_write(
            version=version, now=now, is_correction=True, correction_reason=version.reason
        )
        if old_row is not None:
            # The only change ever made to a public copy: marking it superseded.
            PublishedResult.objects.filter(pk=old_row.pk).update(
                superseded_by=row, superseded_at=now
            )
        ResultVersion.objects.filter(pk=previous.pk).update(
            status=VersionStatus.SUPERSEDED, superseded_at=now
        )
        Result.objects.filter(pk=result.pk).update(current=version, updated_at=now)
        result.current = version
        event_record(
            actor=actor,
            action="result.correction_sign",
            obj=version,
            department=lead_department(result),
            before={
                "current_version": previous.number,
                "status": VersionStatus.REVIEW,
                "published_result": old_row.pk if old_row else None,
            },
            after={
                "current_version": version.number,
                "status": VersionStatus.PUBLISHED,
                "published_result": row.pk,
                "superseded_version": previous.number,
                "reason": version.reason,
                "objection": version.objection_id,
            },
        )
    return row


def correction_discard(*, version: ResultVersion, reason: str, actor: Any) -> ResultVersion:
    """作废 a correction not yet signed: it stays in the history as returned, with why."""
    require_role(
        actor=actor,
        department=lead_department(version.result),
        roles=PUBLISHERS,
        what="作废检查结果更正",
    )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写作废理由", field="reason")
    with transaction.atomic():
        # A discard racing the principal's signature: whichever locks first wins, the other
        # sees the new state and is refused.
        version, result = _locked_pending(version, "作废")
        now = timezone.now()
        ResultVersion.objects.filter(pk=version.pk).update(
            status=VersionStatus.RETURNED, reviewed_by=actor, reviewed_at=now, review_note=reason
        )
        version.status, version.reviewed_by, version.reviewed_at, version.review_note = (
            VersionStatus.RETURNED,
            actor,
            now,
            reason,
        )
        event_record(
            actor=actor,
            action="result.correction_discard",
            obj=version,
            department=lead_department(result),
            before={"status": VersionStatus.REVIEW},
            after={"status": VersionStatus.RETURNED, "reason": reason},
        )
    return version
