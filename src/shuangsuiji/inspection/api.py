"""API of inspection (/api/v1/inspection/): my visits, the staff list, a visit with its
findings, versions and evidence metadata; start, findings, draft, evidence upload
(multipart), submit, sign, withdraw, approve, return, follow-up.

Handlers only translate: states, roles and rules are in inspection/services, whose errors
become the error envelope (common/api.py). A visit nobody may read is a 404.
"""

import datetime as dt

from django.http import FileResponse
from django.urls import reverse
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile

from shuangsuiji.common.api import READ_ERRORS, WRITE_ERRORS, ErrorOut
from shuangsuiji.common.errors import NotFound
from shuangsuiji.inspection import selectors, services
from shuangsuiji.inspection.models import Evidence, FollowUp, ResultVersion, Visit, VisitMember

router = Router(tags=["检查实施"])

LIST_ERRORS = {401: ErrorOut, 422: ErrorOut}


# --- schemas -----------------------------------------------------------------------------


class TaskRefOut(Schema):
    code: str
    title: str
    department: str = Field(description="牵头部门")
    lead: bool = Field(description="牵头任务（其组长带队）")


class VisitMemberOut(Schema):
    id: int
    name: str
    cert_no: str = Field(description="执法证号")
    leader: bool = Field(description="组长")
    has_account: bool = Field(description="有登录账号（无账号的成员纸质签字，由组长或操作员代录）")


class VisitOut(Schema):
    id: int
    target_id: str = Field(description="对象标识（统一社会信用代码）")
    entity_name: str
    window_start: dt.date
    window_end: dt.date
    status: str = Field(
        description="pending 待检查 / in_progress 检查中 / signing 待签字确认 / review 待审核 / "
        "formed 已形成结果"
    )
    started_at: dt.datetime | None
    tasks: list[TaskRefOut] = Field(description="合并的任务（进一次门、查多项事）")
    team: list[VisitMemberOut] = Field(description="检查组，组长在前")

    @staticmethod
    def resolve_entity_name(obj: Visit) -> str:
        return obj.entity.name

    @staticmethod
    def resolve_tasks(obj: Visit) -> list[dict]:
        return [
            {
                "code": vt.task.code,
                "title": vt.task.title,
                "department": vt.task.department.name,
                "lead": vt.task_id == obj.lead_task_id,
            }
            for vt in obj.visit_tasks.all()
        ]

    @staticmethod
    def resolve_team(obj: Visit) -> list[dict]:
        return [_member(m) for m in obj.members.all()]


def _member(m: VisitMember) -> dict:
    return {
        "id": m.pk,
        "name": m.inspector.name,
        "cert_no": m.inspector.cert_no,
        "leader": m.is_leader,
        "has_account": m.inspector.user_id is not None,
    }


class VisitEntityOut(Schema):
    name: str
    uscc: str = Field(description="统一社会信用代码")
    address: str
    region: str
    industry: str


class FindingOut(Schema):
    item_id: int
    item_code: str
    item_version: int = Field(description="检查表单所依据的事项版本号（开始检查之日有效的版本）")
    point: int = Field(description="要点序号")
    point_text: str
    outcome: str = Field(
        description="unchecked 未检查 / compliant 符合 / problem 发现问题 / not_applicable 不适用"
    )
    note: str


class SignatureOut(Schema):
    member_id: int
    name: str
    cert_no: str
    on_paper: bool = Field(description="纸质签字代录")
    signed_at: dt.datetime


class VisitFollowUpOut(Schema):
    id: int
    kind: str = Field(
        description="rectify 责令改正 / case 立案查处 / transfer 移交有关部门 / police 移送公安机关"
    )
    status: str = Field(description="open 办理中 / done 已办结 / failed 复查未整改")
    detail: str
    rectify_deadline: dt.date | None
    recheck_on: dt.date | None
    recheck_note: str
    recipient: str
    case_no: str
    penalty_decided_on: dt.date | None


class ResultVersionOut(Schema):
    id: int
    number: int
    kind: str
    status: str = Field(
        description="draft 草稿 / signing 待签字确认 / review 待审核 / returned 已退回 / "
        "formed 已形成 / published 已公示 / superseded 已被更正 / withheld 不予公开"
    )
    inspected_on: dt.date | None
    conclusion: str = Field(description="002 第二十六条的八种结论之一")
    non_cooperation: str = Field(description="不予配合情形（002 第二十七条）")
    summary: str
    problems: str
    submitted_at: dt.datetime | None
    reviewed_at: dt.datetime | None
    review_note: str
    signatures: list[SignatureOut]
    followups: list[VisitFollowUpOut]

    @staticmethod
    def resolve_signatures(obj: ResultVersion) -> list[dict]:
        return [
            {
                "member_id": s.member_id,
                "name": s.member.inspector.name,
                "cert_no": s.member.inspector.cert_no,
                "on_paper": s.on_paper,
                "signed_at": s.signed_at,
            }
            for s in obj.signatures.select_related("member__inspector").order_by("signed_at", "id")
        ]

    @staticmethod
    def resolve_followups(obj: ResultVersion) -> list[FollowUp]:
        return list(obj.followups.order_by("id"))


class EvidenceOut(Schema):
    id: int
    kind: str = Field(description="photo 照片 / video 视频 / audio 录音 / document 文书材料")
    original_name: str
    content_type: str
    size: int
    sha256: str
    description: str
    uploaded_at: dt.datetime
    download: str = Field(description="下载地址（API，需认证）")

    @staticmethod
    def resolve_download(obj: Evidence) -> str:
        return reverse("api:inspection_evidence_file", args=[obj.pk])


class HistoryOut(Schema):
    inspected_on: dt.date | None
    department: str
    conclusion: str
    status: str


class PenaltyOut(Schema):
    case_no: str
    penalty_decided_on: dt.date
    department: str


class VisitDetailOut(VisitOut):
    entity: VisitEntityOut
    findings: list[FindingOut]
    versions: list[ResultVersionOut] = Field(description="检查结果各版本，新版本在前")
    evidence: list[EvidenceOut]
    history: list[HistoryOut] = Field(description="既往检查结果（000 三(五)）")
    penalties: list[PenaltyOut] = Field(description="既往行政处罚")

    @staticmethod
    def resolve_entity(obj: Visit) -> dict:
        e = obj.entity
        return {
            "name": e.name,
            "uscc": e.uscc or obj.target_id,
            "address": e.address,
            "region": e.region,
            "industry": e.industry,
        }

    @staticmethod
    def resolve_findings(obj: Visit) -> list[dict]:
        return [
            {
                "item_id": f.item_id,
                "item_code": g.item.code,
                "item_version": f.item_version.number,
                "point": f.point,
                "point_text": f.point_text,
                "outcome": f.outcome,
                "note": f.note,
            }
            for g in selectors.visit_checklist(visit=obj)
            for f in g.findings
        ]

    @staticmethod
    def resolve_versions(obj: Visit) -> list[ResultVersion]:
        return selectors.result_versions(visit=obj)

    @staticmethod
    def resolve_evidence(obj: Visit) -> list[Evidence]:
        return list(selectors.visit_evidence(visit=obj))

    @staticmethod
    def resolve_history(obj: Visit) -> list[dict]:
        return [
            {
                "inspected_on": r.current.inspected_on,
                "department": r.visit.lead_task.department.name,
                "conclusion": r.current.conclusion,
                "status": r.current.status,
            }
            for r in selectors.visit_history(visit=obj)[:50]
        ]

    @staticmethod
    def resolve_penalties(obj: Visit) -> list[dict]:
        return [
            {
                "case_no": p.case_no,
                "penalty_decided_on": p.penalty_decided_on,
                "department": p.version.result.visit.lead_task.department.name,
            }
            for p in selectors.visit_penalties(visit=obj)[:50]
        ]


class VisitFilters(Schema):
    status: str = ""
    department: str = Field("", description="部门代码（牵头或配合）")
    q: str = Field("", description="检查对象名称或统一社会信用代码")
    offset: int = Field(0, ge=0)
    limit: int = Field(100, ge=1, le=1000)


class FindingIn(Schema):
    item_id: int
    point: int
    outcome: str
    note: str = ""


class FindingsIn(Schema):
    entries: list[FindingIn]


class VisitFollowUpIn(Schema):
    kind: str
    detail: str = ""
    rectify_deadline: dt.date | None = None
    recipient: str = ""
    case_no: str = ""


class DraftIn(Schema):
    inspected_on: dt.date | None = None
    conclusion: str = ""
    non_cooperation: str = ""
    summary: str = ""
    problems: str = ""
    followups: list[VisitFollowUpIn] | None = Field(
        None, description="省略则保留草稿现有的后续处理；[] 清空"
    )


class NoteIn(Schema):
    note: str = ""


class ReturnReasonIn(Schema):
    reason: str = ""


class RecheckIn(Schema):
    recheck_on: dt.date | None = None
    recheck_note: str = ""
    status: str = Field(description="done 已整改（办结）/ failed 复查未整改")


class PenaltyIn(Schema):
    case_no: str = ""
    penalty_decided_on: dt.date | None = None


# --- helpers -----------------------------------------------------------------------------


def _visit(request, visit_id: int) -> Visit:
    selectors.visit_get(user=request.user, pk=visit_id)
    return _detail(visit_id)


def _detail(visit_id: int) -> Visit:
    return (
        Visit.objects.select_related("entity", "lead_task")
        .prefetch_related("visit_tasks__task__department", "members__inspector")
        .get(pk=visit_id)
    )


def _version(request, version_id: int) -> ResultVersion:
    version = ResultVersion.objects.select_related("result").filter(pk=version_id).first()
    if version is None:
        raise NotFound("检查结果不存在或您无权查看")
    selectors.visit_get(user=request.user, pk=version.result.visit_id)
    return version


def _followup(request, followup_id: int) -> FollowUp:
    f = FollowUp.objects.select_related("version__result").filter(pk=followup_id).first()
    if f is None:
        raise NotFound("后续处理不存在或您无权查看")
    selectors.visit_get(user=request.user, pk=f.version.result.visit_id)
    return f


def _fu_input(p: VisitFollowUpIn) -> services.FollowUpInput:
    return services.FollowUpInput(
        kind=p.kind,
        detail=p.detail,
        rectify_deadline=p.rectify_deadline,
        recipient=p.recipient,
        case_no=p.case_no,
    )


# --- reads -------------------------------------------------------------------------------


@router.get(
    "/visits/mine",
    response={200: list[VisitOut], **LIST_ERRORS},
    summary="我的检查（本人所在检查组）",
)
def my_visits(request):
    return list(selectors.visits_mine(user=request.user))


@router.get(
    "/visits",
    response={200: list[VisitOut], **LIST_ERRORS},
    summary="检查列表（牵头、配合部门的管理员、操作员、审核负责人）",
)
def list_visits(request, filters: Query[VisitFilters]):
    qs = selectors.visits_for_staff(
        user=request.user, status=filters.status, department=filters.department, q=filters.q
    )
    return list(qs[filters.offset : filters.offset + filters.limit])


@router.get(
    "/visits/{visit_id}",
    response={200: VisitDetailOut, **READ_ERRORS},
    summary="检查详情（检查要点、结果各版本、证据材料摘要、既往检查和处罚）",
)
def get_visit(request, visit_id: int):
    return _visit(request, visit_id)


@router.get(
    "/evidence/{evidence_id}/file",
    response={200: None, **READ_ERRORS},
    url_name="inspection_evidence_file",
    summary="下载证据材料（附件形式；仅可查看该检查的人员；留痕）",
)
def evidence_file(request, evidence_id: int):
    ev = Evidence.objects.filter(pk=evidence_id).first()
    if ev is None:
        raise NotFound("证据材料不存在或您无权查看")
    selectors.visit_get(user=request.user, pk=ev.visit_id)
    response = FileResponse(
        services.evidence_open(evidence=ev, actor=request.user),
        as_attachment=True,
        filename=ev.original_name,
        content_type=ev.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- recording ---------------------------------------------------------------------------


@router.post(
    "/visits/{visit_id}/start", response={200: VisitDetailOut, **WRITE_ERRORS}, summary="开始检查"
)
def start(request, visit_id: int):
    visit = services.visit_start(visit=_visit(request, visit_id), actor=request.user)
    return _detail(visit.pk)


@router.post(
    "/visits/{visit_id}/findings",
    response={200: VisitDetailOut, **WRITE_ERRORS},
    summary="录入检查情况（按检查要点；发现问题须写说明）",
)
def record_findings(request, visit_id: int, payload: FindingsIn):
    visit = _visit(request, visit_id)
    services.findings_record(
        visit=visit,
        actor=request.user,
        entries=[
            services.FindingInput(item_id=e.item_id, point=e.point, outcome=e.outcome, note=e.note)
            for e in payload.entries
        ],
    )
    return _detail(visit.pk)


@router.put(
    "/visits/{visit_id}/draft",
    response={200: ResultVersionOut, **WRITE_ERRORS},
    summary="保存检查结果草稿",
)
def save_draft(request, visit_id: int, payload: DraftIn):
    visit = _visit(request, visit_id)
    data = services.DraftInput(
        inspected_on=payload.inspected_on,
        conclusion=payload.conclusion,
        non_cooperation=payload.non_cooperation,
        summary=payload.summary,
        problems=payload.problems,
        followups=None
        if payload.followups is None
        else tuple(_fu_input(f) for f in payload.followups),
    )
    return services.result_draft_save(visit=visit, data=data, actor=request.user)


@router.post(
    "/visits/{visit_id}/evidence",
    response={201: EvidenceOut, **WRITE_ERRORS},
    summary="上传证据材料（multipart：file、kind、description）",
)
def upload_evidence(
    request,
    visit_id: int,
    file: File[UploadedFile],
    kind: Form[str] = "",
    description: Form[str] = "",
):
    visit = _visit(request, visit_id)
    ev = services.evidence_upload(
        visit=visit, upload=file, kind=kind, description=description, actor=request.user
    )
    return Status(201, ev)


@router.delete(
    "/evidence/{evidence_id}",
    response={204: None, **WRITE_ERRORS},
    summary="删除证据材料（仅草稿阶段、尚未随结果提交签字的）",
)
def delete_evidence(request, evidence_id: int):
    ev = Evidence.objects.filter(pk=evidence_id).first()
    if ev is None:
        raise NotFound("证据材料不存在或您无权查看")
    selectors.visit_get(user=request.user, pk=ev.visit_id)
    services.evidence_delete(evidence=ev, actor=request.user)
    return Status(204, None)


# --- signing and review ------------------------------------------------------------------


@router.post(
    "/versions/{version_id}/submit",
    response={200: ResultVersionOut, **WRITE_ERRORS},
    summary="提交签字确认（检查全部规则：要点、结论一致性、证据、后续处理）",
)
def submit(request, version_id: int):
    return services.result_submit(version=_version(request, version_id), actor=request.user)


@router.post(
    "/versions/{version_id}/sign",
    response={200: ResultVersionOut, **WRITE_ERRORS},
    summary="签字确认（本人；全体签字后转待审核）",
)
def sign(request, version_id: int):
    version = _version(request, version_id)
    services.result_sign(version=version, actor=request.user)
    version.refresh_from_db()
    return version


@router.post(
    "/versions/{version_id}/sign-on-paper",
    response={200: ResultVersionOut, **WRITE_ERRORS},
    summary=(
        "代录纸质签字（组长或牵头部门操作员，为无账号成员；multipart：member_id，"
        "scan 为签字页扫描件 JPG/PNG/PDF，必须上传，保存为证据材料）"
    ),
)
def sign_on_paper(
    request,
    version_id: int,
    member_id: Form[int],
    scan: File[UploadedFile | None] = None,
):
    version = _version(request, version_id)
    member = VisitMember.objects.filter(pk=member_id, visit_id=version.result.visit_id).first()
    if member is None:
        raise NotFound("该人员不是本次检查的检查组成员")
    services.result_sign_on_paper(version=version, member=member, actor=request.user, scan=scan)
    version.refresh_from_db()
    return version


@router.post(
    "/versions/{version_id}/withdraw",
    response={200: ResultVersionOut, **WRITE_ERRORS},
    summary="组长撤回（签字确认中）；返回新的草稿",
)
def withdraw(request, version_id: int, payload: ReturnReasonIn):
    return services.result_withdraw(
        version=_version(request, version_id), actor=request.user, reason=payload.reason
    )


@router.post(
    "/versions/{version_id}/approve",
    response={200: ResultVersionOut, **WRITE_ERRORS},
    summary="审核通过，形成检查结果（审核负责人）",
)
def approve(request, version_id: int, payload: NoteIn):
    return services.result_approve(
        version=_version(request, version_id), actor=request.user, note=payload.note
    )


@router.post(
    "/versions/{version_id}/return",
    response={200: ResultVersionOut, **WRITE_ERRORS},
    summary="退回修改（须填写审核意见）；返回新的草稿",
)
def return_version(request, version_id: int, payload: NoteIn):
    return services.result_return(
        version=_version(request, version_id), actor=request.user, note=payload.note
    )


# --- follow-up ---------------------------------------------------------------------------


@router.post(
    "/versions/{version_id}/followups",
    response={201: VisitFollowUpOut, **WRITE_ERRORS},
    summary="追加后续处理（已形成的结果）",
)
def add_followup(request, version_id: int, payload: VisitFollowUpIn):
    f = services.followup_add(
        version=_version(request, version_id), data=_fu_input(payload), actor=request.user
    )
    return Status(201, f)


@router.post(
    "/followups/{followup_id}/recheck",
    response={200: VisitFollowUpOut, **WRITE_ERRORS},
    summary="登记复查情况（责令改正）",
)
def recheck(request, followup_id: int, payload: RecheckIn):
    return services.followup_recheck(
        followup=_followup(request, followup_id),
        recheck_on=payload.recheck_on,
        recheck_note=payload.recheck_note,
        status=payload.status,
        actor=request.user,
    )


@router.post(
    "/followups/{followup_id}/penalty",
    response={200: VisitFollowUpOut, **WRITE_ERRORS},
    summary="登记行政处罚决定（立案查处）",
)
def penalty(request, followup_id: int, payload: PenaltyIn):
    return services.followup_penalty(
        followup=_followup(request, followup_id),
        case_no=payload.case_no,
        penalty_decided_on=payload.penalty_decided_on,
        actor=request.user,
    )


class PenaltyPublishedIn(Schema):
    penalty_published_on: dt.date | None = None


@router.post(
    "/followups/{followup_id}/penalty-published",
    response={200: VisitFollowUpOut, **WRITE_ERRORS},
    summary="登记行政处罚信息公开日期（立案查处）",
)
def penalty_published(request, followup_id: int, payload: PenaltyPublishedIn):
    return services.followup_penalty_published(
        followup=_followup(request, followup_id),
        published_on=payload.penalty_published_on,
        actor=request.user,
    )


@router.post(
    "/followups/{followup_id}/close",
    response={200: VisitFollowUpOut, **WRITE_ERRORS},
    summary="办结（立案查处、移交、移送）",
)
def close(request, followup_id: int, payload: NoteIn):
    return services.followup_close(
        followup=_followup(request, followup_id), note=payload.note, actor=request.user
    )
