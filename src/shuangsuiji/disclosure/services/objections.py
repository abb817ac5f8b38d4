"""异议 of an inspected entity (002 第二十八条 第三款): 被检查对象对检查结果有异议的，任务执行单位
在接到申请材料之日起20个工作日内进行复核，经复查确有错误的予以更正。复核情况自作出复核结果后
15个工作日内向被检查对象反馈.

The public files an objection on the portal (``portal_services.objection_file``). Staff
review it here — UPHELD goes with a correction (created in the same call, or an existing
one linked), REJECTED keeps the result — and then answer it (ANSWERED).
"""

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from shuangsuiji.audit.services import event_record
from shuangsuiji.common.errors import Conflict, ValidationFailed
from shuangsuiji.disclosure.choices import ObjectionDecision, ObjectionStatus
from shuangsuiji.disclosure.models import Objection
from shuangsuiji.disclosure.services._common import (
    PRINCIPALS,
    PUBLISHERS,
    lead_department,
    locked_result,
    require_role,
)
from shuangsuiji.disclosure.services.corrections import correction_create_locked
from shuangsuiji.inspection.choices import VersionKind, VersionStatus
from shuangsuiji.inspection.models import ResultVersion
from shuangsuiji.notices.models import NoticeKind
from shuangsuiji.notices.services import notices_settle

_EDIT_KEYS = frozenset({"conclusion", "summary", "problems", "non_cooperation", "followups"})


def _locked_objection(objection: Objection) -> Objection:
    return (
        Objection.objects.select_for_update(of=("self",))
        .select_related(
            "result__visit__entity", "result__visit__lead_task__department", "published"
        )
        .get(pk=objection.pk)
    )


def objection_review(
    *,
    objection: Objection,
    decision: str,
    note: str,
    actor: Any,
    correction: ResultVersion | None = None,
    edits: Mapping[str, Any] | None = None,
) -> Objection:
    """复核 by the lead department's 审核负责人: RECEIVED → UPHELD or REJECTED.

    UPHELD (确有错误) needs a correction: ``edits`` (conclusion, summary, problems,
    non_cooperation, followups) create one in this same transaction, linked through
    ``ResultVersion.objection`` and waiting for the principal's signature; or
    ``correction`` links one already proposed for this result. REJECTED keeps the
    result and takes neither."""
    require_role(
        actor=actor, department=lead_department(objection.result), roles=PRINCIPALS, what="复核异议"
    )
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if decision not in ObjectionDecision.values:
        errors["decision"] = ["请选择复核结论：确有错误予以更正，或检查结果无误予以维持"]
    if not note:
        errors["note"] = ["请填写复核意见"]
    if edits is not None and set(edits) - _EDIT_KEYS:
        errors["edits"] = [f"无法更正的字段：{'、'.join(sorted(set(edits) - _EDIT_KEYS))}"]
    has_edits = edits is not None and any(v is not None for v in edits.values())
    if decision == ObjectionDecision.UPHELD and correction is None and not has_edits:
        errors["correction"] = [
            "复核确有错误的须予以更正（002 第二十八条）：请填写更正内容，或选择已提出的更正"
        ]
    if decision == ObjectionDecision.UPHELD and correction is not None and has_edits:
        errors["correction"] = ["请只选择一种方式：新的更正内容，或已提出的更正"]
    if decision == ObjectionDecision.REJECTED and (correction is not None or has_edits):
        errors["correction"] = ["复核结论为维持原结果时不应提出更正"]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    with transaction.atomic():
        # Two reviewers deciding the same objection at once: the row is locked and its
        # status read under the lock, so the second decision is refused.
        objection = _locked_objection(objection)
        if objection.status != ObjectionStatus.RECEIVED:
            raise Conflict(
                f"异议{objection.number}已复核（{objection.get_status_display()}），不能再次复核",
                field="decision",
            )
        now = timezone.now()
        linked = None
        if decision == ObjectionDecision.UPHELD:
            if correction is not None:
                # Version before result, the order of correction_sign: the other order
                # could deadlock with the principal signing this correction meanwhile.
                linked = ResultVersion.objects.select_for_update().get(pk=correction.pk)
            # The result row lock of correction_create: a correction proposed at the same
            # moment by a colleague would otherwise take the same version number.
            result = locked_result(objection.result_id)
            if linked is not None:
                if (
                    linked.result_id != result.pk
                    or linked.kind != VersionKind.CORRECTION
                    or linked.status not in (VersionStatus.REVIEW, VersionStatus.PUBLISHED)
                ):
                    raise ValidationFailed(
                        "所选更正不是这份检查结果待签字或已公示的更正", field="correction"
                    )
                if linked.objection_id not in (None, objection.pk):
                    raise Conflict(
                        f"所选更正（第{linked.number}版）已用于另一项异议", field="correction"
                    )
                ResultVersion.objects.filter(pk=linked.pk).update(objection=objection)
            else:
                linked = correction_create_locked(
                    result=result,
                    objection=objection,
                    actor=actor,
                    reason=f"异议{objection.number}复核确有错误：{note}",
                    edits=edits,
                )
        status = (
            ObjectionStatus.UPHELD
            if decision == ObjectionDecision.UPHELD
            else ObjectionStatus.REJECTED
        )
        Objection.objects.filter(pk=objection.pk).update(
            status=status, decision=decision, review_note=note, reviewed_by=actor, reviewed_at=now
        )
        objection.status, objection.decision, objection.review_note = status, decision, note
        objection.reviewed_by, objection.reviewed_at = actor, now
        event_record(
            actor=actor,
            action="objection.review",
            obj=objection,
            department=lead_department(objection.result),
            before={"status": ObjectionStatus.RECEIVED},
            after={
                "status": status,
                "decision": decision,
                "note": note,
                "correction_version": linked.number if linked else None,
            },
        )
        notices_settle(
            kind=NoticeKind.OBJECTION, url=reverse("disclosure:objection", args=[objection.pk])
        )
    return objection


def objection_answer(*, objection: Objection, answer: str, actor: Any) -> Objection:
    """反馈 the review to the entity (within 15 working days of the review): UPHELD or
    REJECTED → ANSWERED. An upheld objection is answered once its correction is signed and
    public, so the answer can point to the corrected result."""
    require_role(
        actor=actor,
        department=lead_department(objection.result),
        roles=PUBLISHERS,
        what="反馈异议复核情况",
    )
    answer = (answer or "").strip()
    if not answer:
        raise ValidationFailed("请填写反馈内容", field="answer")
    with transaction.atomic():
        # Two answers at once: locked, the second sees ANSWERED and is refused.
        objection = _locked_objection(objection)
        if objection.status not in (ObjectionStatus.UPHELD, ObjectionStatus.REJECTED):
            what = "尚未复核" if objection.status == ObjectionStatus.RECEIVED else "已反馈"
            raise Conflict(f"异议{objection.number}{what}，不能反馈", field="answer")
        if (
            objection.status == ObjectionStatus.UPHELD
            and not objection.corrections.filter(
                status__in=(VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED)
            ).exists()
        ):
            raise Conflict(
                f"异议{objection.number}的更正尚未经主要负责人签字确认并公示，请签字后再反馈",
                field="answer",
            )
        before = {"status": objection.status}
        now = timezone.now()
        Objection.objects.filter(pk=objection.pk).update(
            status=ObjectionStatus.ANSWERED, answer=answer, answered_by=actor, answered_at=now
        )
        objection.status, objection.answer, objection.answered_by, objection.answered_at = (
            ObjectionStatus.ANSWERED,
            answer,
            actor,
            now,
        )
        event_record(
            actor=actor,
            action="objection.answer",
            obj=objection,
            department=lead_department(objection.result),
            before=before,
            after={"status": ObjectionStatus.ANSWERED, "answer": answer},
        )
    return objection


def objection_contact_reveal(*, objection: Objection, actor: Any) -> Objection:
    """显示完整号码: staff of the lead department open the applicant's full phone number;
    who looked is itself recorded (全程留痕 [002 第六条]), as in the libraries."""
    require_role(
        actor=actor,
        department=lead_department(objection.result),
        roles=PUBLISHERS,
        what="查看异议申请人的完整联系电话",
    )
    with transaction.atomic():
        event_record(
            actor=actor,
            action="objection.reveal",
            obj=objection,
            department=lead_department(objection.result),
            after={"fields": ["contact"]},
        )
    return objection
