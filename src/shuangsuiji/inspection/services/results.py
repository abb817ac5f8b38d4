"""检查结果: draft → 全体成员签字确认 (002 第二十五条) → 审核 → 形成.

A version's content is edited only while it is a draft. Withdrawing (组长, while signing)
or returning (审核负责人) keeps that version with its signatures, marked 已退回, and opens
a new draft (number + 1) with a copy of its content and follow-ups.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields

from django.core.files import File
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import User
from shuangsuiji.accounts.selectors import role_holders
from shuangsuiji.audit.services import event_record
from shuangsuiji.catalog.models import Item
from shuangsuiji.catalog.rules import publish_workdays_for
from shuangsuiji.common.errors import Conflict, NotAllowed, ValidationFailed
from shuangsuiji.common.text import cn_date
from shuangsuiji.inspection import selectors
from shuangsuiji.inspection.choices import (
    EVIDENCE_ONLY_CONCLUSIONS,
    Conclusion,
    FindingOutcome,
    FollowUpKind,
    NonCooperation,
    VersionKind,
    VersionStatus,
    VisitStatus,
)
from shuangsuiji.inspection.models import (
    Evidence,
    Finding,
    FollowUp,
    Result,
    ResultVersion,
    Signature,
    Visit,
    VisitMember,
)
from shuangsuiji.inspection.services._common import (
    locked_version,
    locked_visit,
    locked_working_version,
    require_editable,
    require_login,
    require_recorder,
    require_reviewer,
)
from shuangsuiji.inspection.services.evidence import (
    evidence_check,
    evidence_files_undo,
    evidence_store,
)
from shuangsuiji.notices.models import NoticeKind
from shuangsuiji.notices.services import notice_send, notices_settle

RECIPIENT_MAX, CASE_NO_MAX = 200, 100
CONTENT_FIELDS = ("inspected_on", "conclusion", "non_cooperation", "summary", "problems")


@dataclass(frozen=True)
class FollowUpInput:
    """后续处理 [000 三(五)]: 责令改正 (with its deadline), 立案查处, 移交, 移送公安机关."""

    kind: str
    detail: str = ""
    rectify_deadline: dt.date | None = None
    recipient: str = ""
    case_no: str = ""


@dataclass(frozen=True)
class DraftInput:
    inspected_on: dt.date | None = None
    conclusion: str = ""
    non_cooperation: str = ""
    summary: str = ""
    problems: str = ""
    followups: tuple[FollowUpInput, ...] | None = None  # None keeps the draft's follow-ups


def _label(conclusion: str) -> str:
    return str(Conclusion(conclusion).label)


# --- validation --------------------------------------------------------------------------------


def followup_errors(
    fu: FollowUpInput, *, prefix: str, inspected_on: dt.date | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if fu.kind not in FollowUpKind.values:
        return {f"{prefix}.kind": ["请选择处理方式"]}
    if fu.kind == FollowUpKind.RECTIFY:
        if fu.rectify_deadline is None:
            errors[f"{prefix}.rectify_deadline"] = ["责令改正须填写整改期限"]
        elif inspected_on is not None and fu.rectify_deadline < inspected_on:
            errors[f"{prefix}.rectify_deadline"] = [
                f"整改期限不能早于检查日期（{cn_date(inspected_on)}）"
            ]
    if fu.kind in (FollowUpKind.TRANSFER, FollowUpKind.POLICE):
        if not fu.recipient.strip():
            errors[f"{prefix}.recipient"] = [
                "请填写移交/移送的单位"
                if fu.kind == FollowUpKind.TRANSFER
                else "请填写移送的公安机关"
            ]
        elif len(fu.recipient.strip()) > RECIPIENT_MAX:
            errors[f"{prefix}.recipient"] = [f"移交/移送单位不超过{RECIPIENT_MAX}字"]
    if len(fu.case_no.strip()) > CASE_NO_MAX:
        errors[f"{prefix}.case_no"] = [f"案件编号不超过{CASE_NO_MAX}字"]
    return errors


def _field_errors(*, visit: Visit, data: DraftInput, today: dt.date) -> dict[str, list[str]]:
    """Rules every draft keeps, complete or not."""
    errors: dict[str, list[str]] = {}
    if data.inspected_on is not None:
        if data.inspected_on < visit.window_start:
            errors["inspected_on"] = [
                f"检查日期不能早于检查期间的开始日期（{cn_date(visit.window_start)}）"
            ]
        elif data.inspected_on > today:
            errors["inspected_on"] = ["检查日期不能晚于今天"]
    if data.conclusion and data.conclusion not in Conclusion.values:
        errors["conclusion"] = ["检查结论无效：只能是002 第二十六条所列的八种结论之一"]
    if data.non_cooperation and data.non_cooperation not in NonCooperation.values:
        errors["non_cooperation"] = ["不予配合情形无效"]
    elif data.conclusion == Conclusion.UNCOOPERATIVE and not data.non_cooperation:
        errors["non_cooperation"] = [
            "结论为“不予配合情节严重”时，须选择不予配合的情形（002 第二十七条）"
        ]
    elif data.non_cooperation and data.conclusion != Conclusion.UNCOOPERATIVE:
        errors["non_cooperation"] = ["只有结论为“不予配合情节严重”时才选择不予配合情形"]
    for i, fu in enumerate(data.followups or ()):
        errors.update(followup_errors(fu, prefix=f"followups.{i}", inspected_on=data.inspected_on))
    return errors


def _submit_errors(*, visit: Visit, version: ResultVersion, today: dt.date) -> dict[str, list[str]]:
    """What a version needs before the team is asked to sign it (002 第二十五–二十九条)."""
    followups = [
        FollowUpInput(
            kind=f.kind,
            detail=f.detail,
            rectify_deadline=f.rectify_deadline,
            recipient=f.recipient,
            case_no=f.case_no,
        )
        for f in version.followups.order_by("id")
    ]
    data = DraftInput(
        **{n: getattr(version, n) for n in CONTENT_FIELDS}, followups=tuple(followups)
    )
    errors = _field_errors(visit=visit, data=data, today=today)
    if data.inspected_on is None:
        errors.setdefault("inspected_on", ["请填写检查日期"])
    if not data.conclusion:
        errors.setdefault("conclusion", ["请选择检查结论"])
    if not data.summary.strip():
        errors.setdefault("summary", ["请填写检查情况"])
    findings = list(
        Finding.objects.filter(visit=visit)
        .select_related("item_version")
        .order_by("item_id", "point")
    )
    problems = [f for f in findings if f.outcome == FindingOutcome.PROBLEM]
    if data.conclusion in EVIDENCE_ONLY_CONCLUSIONS:
        # 取得相关证据后直接形成相应的检查结果 (002 第二十九条): no point-by-point check, but evidence.
        if not Evidence.objects.filter(visit=visit).exists():
            errors["evidence"] = [
                f"结论为“{_label(data.conclusion)}”时可不逐项检查，但须上传取得的证据材料"
                "（至少1份，002 第二十九条）"
            ]
    else:
        unchecked = [f for f in findings if f.outcome == FindingOutcome.UNCHECKED]
        if unchecked:
            shown = "、".join(
                f"{f.item_version.name}第{f.point}项“{f.point_text[:20]}”" for f in unchecked[:10]
            )
            more = f"等{len(unchecked)}项" if len(unchecked) > 10 else ""
            errors["findings"] = [
                f"以下检查要点尚未检查（002 第二十五条 依照检查表单开展检查）：{shown}{more}"
            ]
    if data.conclusion == Conclusion.NO_PROBLEM and problems:
        shown = "、".join(f"{f.item_version.name}第{f.point}项" for f in problems[:10])
        errors.setdefault("conclusion", []).append(
            f"检查要点中有“发现问题”的记录（{shown}），结论不能为“未发现问题”"
        )
    if problems and not data.problems.strip():
        errors.setdefault("problems", []).append("检查要点中有“发现问题”的记录，请填写发现的问题")
    if data.conclusion == Conclusion.RECTIFIED and not any(
        f.kind == FollowUpKind.RECTIFY for f in followups
    ):
        errors.setdefault("followups", []).append(
            "结论为“发现问题已责令改正”，须填写“责令改正”的后续处理及整改期限"
        )
    if data.conclusion == Conclusion.PENDING_FOLLOWUP and not followups:
        errors.setdefault("followups", []).append(
            "结论为“发现问题待后续处理”，须至少填写一项后续处理"
        )
    return errors


def _refuse(errors: dict[str, list[str]], what: str) -> None:
    if errors:
        messages = [m for msgs in errors.values() for m in msgs]
        raise ValidationFailed(f"{what}：" + "；".join(messages), errors=errors)


# --- draft -------------------------------------------------------------------------------------


def _followups_replace(version: ResultVersion, followups: Sequence[FollowUpInput]) -> None:
    version.followups.all().delete()
    FollowUp.objects.bulk_create(
        [
            FollowUp(
                version=version,
                kind=fu.kind,
                detail=fu.detail.strip(),
                rectify_deadline=fu.rectify_deadline if fu.kind == FollowUpKind.RECTIFY else None,
                recipient=fu.recipient.strip()
                if fu.kind in (FollowUpKind.TRANSFER, FollowUpKind.POLICE)
                else "",
                case_no=fu.case_no.strip(),
            )
            for fu in followups
        ]
    )


def _snapshot(version: ResultVersion) -> dict:
    return {
        **{n: getattr(version, n) for n in CONTENT_FIELDS},
        "followups": [
            {
                "kind": f.kind,
                "detail": f.detail,
                "rectify_deadline": f.rectify_deadline,
                "recipient": f.recipient,
                "case_no": f.case_no,
            }
            for f in version.followups.order_by("id")
        ],
    }


def result_draft_save(
    *, visit: Visit, data: DraftInput, actor: User, today: dt.date | None = None
) -> ResultVersion:
    """Saves the working draft. An incomplete draft is fine; what is there must be right
    (dates, the 第二十七条 情形, follow-up fields). Completeness is checked on submit."""
    today = today or timezone.localdate()
    require_recorder(actor, visit, "填写检查结果")
    _refuse(_field_errors(visit=visit, data=data, today=today), "检查结果有误")
    with transaction.atomic():
        # Race with result_submit (a draft changed after the team was asked to sign it):
        # visit then version locked, the state re-read under the lock.
        visit = locked_visit(visit)
        version = locked_working_version(visit)
        require_editable(visit, version)
        assert version is not None  # require_editable refuses a visit without one
        before = _snapshot(version)
        version.inspected_on, version.conclusion = data.inspected_on, data.conclusion
        version.non_cooperation = data.non_cooperation
        version.summary, version.problems = data.summary.strip(), data.problems.strip()
        version.save(update_fields=list(CONTENT_FIELDS))
        if data.followups is not None:
            _followups_replace(version, data.followups)
        event_record(
            actor=actor,
            action="result.draft_save",
            obj=version,
            department=visit.lead_task.department,
            before=before,
            after=_snapshot(version),
        )
    return version


def _new_draft(version: ResultVersion, actor: User) -> ResultVersion:
    draft = ResultVersion.objects.create(
        result_id=version.result_id,
        number=version.number + 1,
        kind=version.kind,
        status=VersionStatus.DRAFT,
        created_by=actor,
        **{n: getattr(version, n) for n in CONTENT_FIELDS},
    )
    FollowUp.objects.bulk_create(
        [
            FollowUp(
                version=draft,
                kind=f.kind,
                detail=f.detail,
                rectify_deadline=f.rectify_deadline,
                recipient=f.recipient,
                case_no=f.case_no,
            )
            for f in version.followups.order_by("id")
        ]
    )
    return draft


# --- signing -----------------------------------------------------------------------------------


def _locked_pair(version: ResultVersion) -> tuple[Visit, ResultVersion]:
    visit_id = Result.objects.filter(pk=version.result_id).values_list("visit_id", flat=True).get()
    visit = locked_visit(Visit(pk=visit_id))
    return visit, locked_version(version)


def result_submit(
    *, version: ResultVersion, actor: User, today: dt.date | None = None
) -> ResultVersion:
    """提交签字确认: draft → signing (visit too). Every rule of 002 第二十五–二十九条 is
    checked here; a version that fails them stays a draft and nothing changes."""
    today = today or timezone.localdate()
    visit = version.result.visit
    require_recorder(actor, visit, "提交检查结果")
    with transaction.atomic():
        # Race with a draft save or a second submit: both rows locked before the state is read.
        visit, version = _locked_pair(version)
        if version.status != VersionStatus.DRAFT or visit.status != VisitStatus.IN_PROGRESS:
            raise Conflict(f"检查结果{version.get_status_display()}，只有草稿可以提交签字确认")
        _refuse(_submit_errors(visit=visit, version=version, today=today), "检查结果不能提交签字")
        version.status, version.submitted_at = VersionStatus.SIGNING, timezone.now()
        version.save(update_fields=["status", "submitted_at"])
        visit.status = VisitStatus.SIGNING
        visit.save(update_fields=["status", "updated_at"])
        event_record(
            actor=actor,
            action="result.submit",
            obj=version,
            department=visit.lead_task.department,
            before={"status": VersionStatus.DRAFT},
            after={"status": VersionStatus.SIGNING, **_snapshot(version)},
        )
    return version


def _sign(
    *,
    visit: Visit,
    version: ResultVersion,
    member: VisitMember,
    actor: User,
    on_paper: bool,
    scan: Evidence | None = None,
) -> Signature:
    if version.status != VersionStatus.SIGNING:
        raise Conflict(f"检查结果{version.get_status_display()}，不在签字确认阶段")
    if Signature.objects.filter(version=version, member=member).exists():
        raise Conflict(f"{member.inspector.name}已签字确认")
    sig = Signature.objects.create(
        version=version, member=member, signed_by=actor, on_paper=on_paper, scan=scan
    )
    # 检查组全体成员签字确认 (002 第二十五条): the last signature sends it to review. Counted
    # under the visit lock, so two last signers cannot both miss (or both make) the move.
    # (Counted before the audit events: their chain-head lock must not be what orders us.)
    members = VisitMember.objects.filter(visit=visit).count()
    complete = Signature.objects.filter(version=version).count() >= members
    if complete:
        version.status = VersionStatus.REVIEW
        version.save(update_fields=["status"])
        visit.status = VisitStatus.REVIEW
        visit.save(update_fields=["status", "updated_at"])
    event_record(
        actor=actor,
        action="result.sign",
        obj=version,
        department=visit.lead_task.department,
        after={
            "member": member.inspector.cert_no,
            "on_paper": on_paper,
            **({"scan": scan.sha256} if scan is not None else {}),
        },
    )
    if complete:
        event_record(
            actor=actor,
            action="result.signed_all",
            obj=version,
            department=visit.lead_task.department,
            before={"status": VersionStatus.SIGNING},
            after={"status": VersionStatus.REVIEW, "signatures": members},
        )
        lead = visit.lead_task
        notice_send(
            users=role_holders(department=lead.department, roles=[Role.REVIEWER]),
            kind=NoticeKind.SIGNED,
            title=f"检查结果待审核：{visit.entity.name}",
            body=f"任务{lead.code}，检查组全体成员已签字确认。",
            url=reverse("inspection:visit", args=[visit.pk]),
        )
    return sig


def result_sign(*, version: ResultVersion, actor: User) -> Signature:
    """签字确认 by a team member, for himself."""
    require_login(actor, "签字确认")
    with transaction.atomic():
        # Race: the last two members signing at once must make exactly one move to review.
        visit, version = _locked_pair(version)
        member = (
            VisitMember.objects.select_related("inspector")
            .filter(visit=visit, inspector__user=actor)
            .first()
        )
        if member is None:
            raise NotAllowed("只有检查组成员本人可以签字确认")
        return _sign(visit=visit, version=version, member=member, actor=actor, on_paper=False)


# The signed paper page, photographed or scanned: a picture or a PDF.
SCAN_FORMATS = {"photo": ("jpg", "jpeg", "png"), "document": ("pdf",)}
SCAN_WHAT = "签字页扫描件"
SCAN_REQUIRED = "代录纸质签字须上传该成员签字的纸质页扫描件（JPG、PNG 图片或 PDF），未代录"


def result_sign_on_paper(
    *, version: ResultVersion, member: VisitMember, actor: User, scan: File | None
) -> Signature:
    """纸质签字代录: a member without a login account signed the paper record; the 组长 or
    the lead department's operator records it. The scan of the signed page is what the
    record rests on (002 第二十五条 全体成员签字确认; 第三十条 归档保管): without it nothing
    is recorded; with it the scan is stored as the visit's evidence, in the same
    transaction, and the signature points to it."""
    require_login(actor, "代录纸质签字")
    if scan is None or not (scan.name or "").strip():
        raise ValidationFailed(SCAN_REQUIRED, field="scan")
    checked = evidence_check(upload=scan, allowed=SCAN_FORMATS, what=SCAN_WHAT, field="scan")
    stored: list[str] = []
    try:
        with transaction.atomic():
            visit, version = _locked_pair(version)
            is_leader = VisitMember.objects.filter(
                visit=visit, inspector__user=actor, is_leader=True
            ).exists()
            if not (is_leader or selectors.visit_is_lead_operator(user=actor, visit=visit)):
                raise NotAllowed("只有组长或牵头部门的抽查操作员可以代录纸质签字")
            found = (
                VisitMember.objects.select_related("inspector")
                .filter(pk=member.pk, visit=visit)
                .first()
            )
            if found is None:
                raise ValidationFailed("该人员不是本次检查的检查组成员", field="member")
            member = found
            if member.inspector.user_id is not None:
                raise ValidationFailed(
                    f"{member.inspector.name}有登录账号，须本人签字确认", field="member"
                )
            if version.status != VersionStatus.SIGNING:  # before the file is stored
                raise Conflict(f"检查结果{version.get_status_display()}，不在签字确认阶段")
            evidence = evidence_store(
                visit=visit,
                checked=checked,
                description=(
                    f"{member.inspector.name}（{member.inspector.cert_no}）纸质签字页扫描件，"
                    f"检查结果第{version.number}版"
                ),
                actor=actor,
                stored=stored,
                after={"paper_signature": member.inspector.cert_no},
            )
            return _sign(
                visit=visit,
                version=version,
                member=member,
                actor=actor,
                on_paper=True,
                scan=evidence,
            )
    except BaseException:
        evidence_files_undo(stored)
        raise


def result_withdraw(*, version: ResultVersion, actor: User, reason: str = "") -> ResultVersion:
    """组长撤回 while signing: this version becomes 已退回 (its signatures stay with it) and
    a new draft copies its content. Returns the new draft."""
    require_login(actor, "撤回检查结果")
    with transaction.atomic():
        visit, version = _locked_pair(version)
        if not VisitMember.objects.filter(
            visit=visit, inspector__user=actor, is_leader=True
        ).exists():
            raise NotAllowed("只有组长可以撤回正在签字确认的检查结果")
        if version.status != VersionStatus.SIGNING:
            raise Conflict(f"检查结果{version.get_status_display()}，只有签字确认中的结果可以撤回")
        version.status = VersionStatus.RETURNED
        version.save(update_fields=["status"])
        draft = _new_draft(version, actor)
        visit.status = VisitStatus.IN_PROGRESS
        visit.save(update_fields=["status", "updated_at"])
        event_record(
            actor=actor,
            action="result.withdraw",
            obj=version,
            department=visit.lead_task.department,
            before={"status": VersionStatus.SIGNING},
            after={
                "status": VersionStatus.RETURNED,
                "reason": reason.strip(),
                "new_draft": draft.number,
            },
        )
    return draft


# --- review ------------------------------------------------------------------------------------


def result_approve(*, version: ResultVersion, actor: User, note: str = "") -> ResultVersion:
    """审核通过: the result is formed (形成). The publication deadline (20 working days,
    002 第二十八条) counts from ``result.formed_at``."""
    visit = version.result.visit
    require_reviewer(actor, visit, "审核检查结果")
    with transaction.atomic():
        # Race with a return of the same version, or a withdrawal: rows locked, state re-read.
        visit, version = _locked_pair(version)
        if version.status != VersionStatus.REVIEW:
            raise Conflict(f"检查结果{version.get_status_display()}，只有待审核的结果可以审核")
        if version.kind == VersionKind.CORRECTION:
            # 更正须经任务执行单位主要负责人签字确认 (002 第二十八条): a correction goes through
            # disclosure.correction_sign, never through the team's review.
            raise Conflict("这是更正版本，须由主要负责人在“结果公示”中签字确认或撤销，不能在此审核")
        now = timezone.now()
        version.status, version.reviewed_by, version.reviewed_at = VersionStatus.FORMED, actor, now
        version.review_note = note.strip()
        version.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        result = Result.objects.select_for_update().get(pk=version.result_id)
        result.current = version
        if result.formed_at is None:
            result.formed_at = now
            # The 公示时限 of the items' rules in force today (issue 14 第 2 项), kept on the
            # result: a later change of a rule does not move this deadline.
            result.publish_workdays = publish_workdays_for(
                items=Item.objects.filter(tasks__visits=visit)
                .select_related("department")
                .distinct(),
                lead=visit.lead_task.department,
                on=timezone.localdate(now),
            )
        result.save(update_fields=["current", "formed_at", "publish_workdays", "updated_at"])
        visit.status = VisitStatus.FORMED
        visit.save(update_fields=["status", "updated_at"])
        event_record(
            actor=actor,
            action="result.approve",
            obj=version,
            department=visit.lead_task.department,
            before={"status": VersionStatus.REVIEW},
            after={
                "status": VersionStatus.FORMED,
                "formed_at": result.formed_at,
                "publish_workdays": result.publish_workdays,
                "note": version.review_note,
            },
        )
        notices_settle(kind=NoticeKind.SIGNED, url=reverse("inspection:visit", args=[visit.pk]))
    return version


def result_return(*, version: ResultVersion, actor: User, note: str) -> ResultVersion:
    """审核退回 with the reviewer's note: 已退回 + a new draft copy; the visit is back in
    progress. Returns the new draft."""
    visit = version.result.visit
    require_reviewer(actor, visit, "退回检查结果")
    note = (note or "").strip()
    if not note:
        raise ValidationFailed("退回检查结果须填写审核意见（退回理由）", field="note")
    with transaction.atomic():
        visit, version = _locked_pair(version)
        if version.status != VersionStatus.REVIEW:
            raise Conflict(f"检查结果{version.get_status_display()}，只有待审核的结果可以退回")
        if version.kind == VersionKind.CORRECTION:
            # 更正须经任务执行单位主要负责人签字确认 (002 第二十八条): a correction goes through
            # disclosure.correction_sign, never through the team's review.
            raise Conflict("这是更正版本，须由主要负责人在“结果公示”中签字确认或撤销，不能在此退回")
        version.status, version.reviewed_by, version.reviewed_at = (
            VersionStatus.RETURNED,
            actor,
            timezone.now(),
        )
        version.review_note = note
        version.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        draft = _new_draft(version, actor)
        visit.status = VisitStatus.IN_PROGRESS
        visit.save(update_fields=["status", "updated_at"])
        event_record(
            actor=actor,
            action="result.return",
            obj=version,
            department=visit.lead_task.department,
            before={"status": VersionStatus.REVIEW},
            after={"status": VersionStatus.RETURNED, "note": note, "new_draft": draft.number},
        )
        notices_settle(kind=NoticeKind.SIGNED, url=reverse("inspection:visit", args=[visit.pk]))
    return draft


def draft_input_from(version: ResultVersion) -> DraftInput:
    """The version's content as input (forms and the API start from it)."""
    return DraftInput(
        **{f.name: getattr(version, f.name) for f in fields(DraftInput) if f.name != "followups"},
        followups=tuple(
            FollowUpInput(
                kind=f.kind,
                detail=f.detail,
                rectify_deadline=f.rectify_deadline,
                recipient=f.recipient,
                case_no=f.case_no,
            )
            for f in version.followups.order_by("id")
        ),
    )
