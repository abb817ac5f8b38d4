"""后续处理 after a result is formed [000 三(五), 003 附件3 第十二条]: 复查 of a 责令改正,
the penalty decision of a 立案查处 (published within 7 working days [000 三(六)] — the
disclosure side counts it), 办结 of a 移交 / 移送.

These are appended facts: the version's own text (检查情况, 结论) is never rewritten
(一经公示，不得擅自更改 [002 第二十八条]); each fact is an audit event.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from shuangsuiji.accounts.models import User
from shuangsuiji.audit.services import event_record
from shuangsuiji.common.errors import Conflict, ValidationFailed
from shuangsuiji.common.text import cn_date
from shuangsuiji.inspection.choices import FollowUpKind, FollowUpStatus, VersionStatus
from shuangsuiji.inspection.models import FollowUp, Result, ResultVersion, Visit
from shuangsuiji.inspection.services._common import locked_version, locked_visit, require_recorder
from shuangsuiji.inspection.services.results import FollowUpInput, followup_errors

NOTE_MAX = 2000
OPEN_TO_FOLLOWUP = (VersionStatus.FORMED, VersionStatus.PUBLISHED)


def _visit_of(version: ResultVersion) -> Visit:
    return Visit.objects.select_related("lead_task__department").get(result__pk=version.result_id)


def _require_formed(version: ResultVersion) -> None:
    current = Result.objects.filter(pk=version.result_id).values_list("current_id", flat=True).get()
    if version.status not in OPEN_TO_FOLLOWUP or current != version.pk:
        raise Conflict("只能对已形成（或已公示）的现行检查结果登记后续处理")


def _locked(followup: FollowUp) -> tuple[Visit, ResultVersion, FollowUp]:
    # Two people recording the same follow-up at once (a re-check and a close, say): the
    # follow-up row lock makes the second see the first's status.
    version = ResultVersion.objects.get(pk=followup.version_id)
    visit = locked_visit(_visit_of(version))
    version = locked_version(version)
    _require_formed(version)
    return visit, version, FollowUp.objects.select_for_update().get(pk=followup.pk)


def _fact_dict(f: FollowUp) -> dict:
    return {
        "kind": f.kind,
        "status": f.status,
        "recheck_on": f.recheck_on,
        "recheck_note": f.recheck_note,
        "case_no": f.case_no,
        "penalty_decided_on": f.penalty_decided_on,
        "detail": f.detail,
    }


def _date_errors(
    field: str, value: dt.date | None, *, version: ResultVersion, today: dt.date, label: str
) -> dict[str, list[str]]:
    if value is None:
        return {field: [f"请填写{label}"]}
    if version.inspected_on and value < version.inspected_on:
        return {field: [f"{label}不能早于检查日期（{cn_date(version.inspected_on)}）"]}
    if value > today:
        return {field: [f"{label}不能晚于今天"]}
    return {}


def followup_add(*, version: ResultVersion, data: FollowUpInput, actor: User) -> FollowUp:
    """Appends a follow-up to a formed result (e.g. 立案查处 after a failed 复查)."""
    visit = _visit_of(version)
    require_recorder(actor, visit, "登记后续处理")
    errors = followup_errors(data, prefix="followup", inspected_on=version.inspected_on)
    if errors:
        raise ValidationFailed(
            "后续处理有误：" + "；".join(m for ms in errors.values() for m in ms),
            errors={k.removeprefix("followup."): v for k, v in errors.items()},
        )
    with transaction.atomic():
        visit = locked_visit(visit)
        version = locked_version(version)
        _require_formed(version)
        f = FollowUp.objects.create(
            version=version,
            kind=data.kind,
            detail=data.detail.strip(),
            rectify_deadline=data.rectify_deadline if data.kind == FollowUpKind.RECTIFY else None,
            recipient=data.recipient.strip()
            if data.kind in (FollowUpKind.TRANSFER, FollowUpKind.POLICE)
            else "",
            case_no=data.case_no.strip(),
        )
        event_record(
            actor=actor,
            action="followup.add",
            obj=f,
            department=visit.lead_task.department,
            after={
                **_fact_dict(f),
                "rectify_deadline": f.rectify_deadline,
                "recipient": f.recipient,
            },
        )
    return f


def followup_recheck(
    *,
    followup: FollowUp,
    recheck_on: dt.date | None,
    recheck_note: str,
    status: str,
    actor: User,
    today: dt.date | None = None,
) -> FollowUp:
    """复查 of a 责令改正: 已办结 (rectified) or 复查未整改."""
    today = today or timezone.localdate()
    version = followup.version
    require_recorder(actor, _visit_of(version), "登记复查情况")
    if followup.kind != FollowUpKind.RECTIFY:
        raise ValidationFailed("只有“责令改正”需要登记复查情况", field="kind")
    errors = _date_errors("recheck_on", recheck_on, version=version, today=today, label="复查日期")
    if status not in (FollowUpStatus.DONE, FollowUpStatus.FAILED):
        errors["status"] = ["请选择复查结果：已整改（办结）或复查未整改"]
    recheck_note = (recheck_note or "").strip()
    if not recheck_note:
        errors["recheck_note"] = ["请填写复查情况"]
    elif len(recheck_note) > NOTE_MAX:
        errors["recheck_note"] = [f"复查情况不超过{NOTE_MAX}字"]
    if errors:
        raise ValidationFailed(
            "复查情况有误：" + "；".join(m for ms in errors.values() for m in ms), errors=errors
        )
    with transaction.atomic():
        visit, version, followup = _locked(followup)
        if followup.status != FollowUpStatus.OPEN:
            raise Conflict(f"该后续处理{followup.get_status_display()}，不能再次登记复查")
        before = _fact_dict(followup)
        followup.recheck_on, followup.recheck_note, followup.status = (
            recheck_on,
            recheck_note,
            status,
        )
        followup.save(update_fields=["recheck_on", "recheck_note", "status", "updated_at"])
        event_record(
            actor=actor,
            action="followup.recheck",
            obj=followup,
            department=visit.lead_task.department,
            before=before,
            after=_fact_dict(followup),
        )
    return followup


def followup_penalty(
    *,
    followup: FollowUp,
    case_no: str,
    penalty_decided_on: dt.date | None,
    actor: User,
    today: dt.date | None = None,
) -> FollowUp:
    """处罚决定 of a 立案查处: its case number and date (the 7-working-day publication of
    the penalty counts from that date [000 三(六)])."""
    today = today or timezone.localdate()
    version = followup.version
    require_recorder(actor, _visit_of(version), "登记行政处罚决定")
    if followup.kind != FollowUpKind.CASE:
        raise ValidationFailed("只有“立案查处”可以登记行政处罚决定", field="kind")
    errors = _date_errors(
        "penalty_decided_on", penalty_decided_on, version=version, today=today, label="处罚决定日期"
    )
    case_no = (case_no or "").strip() or followup.case_no
    if not case_no:
        errors["case_no"] = ["请填写案件编号"]
    elif len(case_no) > 100:
        errors["case_no"] = ["案件编号不超过100字"]
    if errors:
        raise ValidationFailed(
            "行政处罚决定有误：" + "；".join(m for ms in errors.values() for m in ms), errors=errors
        )
    with transaction.atomic():
        visit, version, followup = _locked(followup)
        if followup.penalty_decided_on is not None:
            raise Conflict(f"已登记{cn_date(followup.penalty_decided_on)}的处罚决定，不能改写")
        before = _fact_dict(followup)
        followup.case_no, followup.penalty_decided_on = case_no, penalty_decided_on
        followup.save(update_fields=["case_no", "penalty_decided_on", "updated_at"])
        event_record(
            actor=actor,
            action="followup.penalty",
            obj=followup,
            department=visit.lead_task.department,
            before=before,
            after=_fact_dict(followup),
        )
    return followup


def followup_penalty_published(
    *, followup: FollowUp, published_on: dt.date | None, actor: User, today: dt.date | None = None
) -> FollowUp:
    """行政处罚信息已公开: the date the penalty decision was published (within 7 working
    days of the decision [000 三(六)]); the oversight list stops flagging it."""
    today = today or timezone.localdate()
    require_recorder(actor, _visit_of(followup.version), "登记处罚信息公开日期")
    if followup.kind != FollowUpKind.CASE:
        raise ValidationFailed("只有“立案查处”有行政处罚信息公开", field="kind")
    with transaction.atomic():
        # Locked and re-read: the decision may have been entered since ``followup`` was
        # loaded, and a second entry must not overwrite the first date.
        visit, version, followup = _locked(followup)
        if followup.penalty_decided_on is None:
            raise ValidationFailed(
                "请先登记行政处罚决定，再登记其公开日期", field="penalty_published_on"
            )
        if followup.penalty_published_on is not None:
            raise Conflict(
                f"已登记处罚信息于{cn_date(followup.penalty_published_on)}公开，不能改写"
            )
        message = ""
        if published_on is None:
            message = "请填写处罚信息公开日期"
        elif published_on < followup.penalty_decided_on:
            message = f"公开日期不能早于处罚决定日期（{cn_date(followup.penalty_decided_on)}）"
        elif published_on > today:
            message = "公开日期不能晚于今天"
        if message:
            raise ValidationFailed(
                f"处罚信息公开日期有误：{message}", errors={"penalty_published_on": [message]}
            )
        before = _fact_dict(followup)
        followup.penalty_published_on = published_on
        followup.save(update_fields=["penalty_published_on", "updated_at"])
        event_record(
            actor=actor,
            action="followup.penalty_published",
            obj=followup,
            department=visit.lead_task.department,
            before=before,
            after={**_fact_dict(followup), "penalty_published_on": published_on},
        )
    return followup


def followup_close(
    *, followup: FollowUp, note: str, actor: User, today: dt.date | None = None
) -> FollowUp:
    """办结 of a 立案查处 / 移交 / 移送 with a note, appended to the follow-up's text (the
    earlier text stays). A 责令改正 closes through its 复查."""
    today = today or timezone.localdate()
    require_recorder(actor, _visit_of(followup.version), "办结后续处理")
    if followup.kind == FollowUpKind.RECTIFY:
        raise ValidationFailed("“责令改正”须通过登记复查情况办结", field="kind")
    note = (note or "").strip()
    if not note:
        raise ValidationFailed("请填写办结情况", field="note")
    if len(note) > NOTE_MAX:
        raise ValidationFailed(f"办结情况不超过{NOTE_MAX}字", field="note")
    with transaction.atomic():
        visit, version, followup = _locked(followup)
        if followup.status != FollowUpStatus.OPEN:
            raise Conflict(f"该后续处理{followup.get_status_display()}，不能再次办结")
        before = _fact_dict(followup)
        line = f"【{cn_date(today)} 办结】{note}"
        followup.detail = f"{followup.detail}\n{line}" if followup.detail else line
        followup.status = FollowUpStatus.DONE
        followup.save(update_fields=["detail", "status", "updated_at"])
        event_record(
            actor=actor,
            action="followup.close",
            obj=followup,
            department=visit.lead_task.department,
            before=before,
            after=_fact_dict(followup),
        )
    return followup
