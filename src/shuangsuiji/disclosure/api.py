"""JSON API of 一公开, staff side (/api/v1/disclosure/): publish, withhold, corrections,
objections, and the published results of one 统一社会信用代码. Handlers only translate:
the states, roles and rules are in disclosure/services/, whose ServiceErrors become the
error envelope (common/api.py). A result the user cannot see is reported as not found."""

import datetime as dt

from ninja import Field, Query, Router, Schema, Status

from shuangsuiji.common.api import READ_ERRORS, WRITE_ERRORS, ErrorOut
from shuangsuiji.common.errors import NotFound
from shuangsuiji.common.masking import mask_mobile
from shuangsuiji.disclosure import selectors, services
from shuangsuiji.disclosure.models import Objection, PublishedResult
from shuangsuiji.inspection.models import ResultVersion

router = Router(tags=["结果公示"])

LIST_ERRORS = {401: ErrorOut, 422: ErrorOut}


# --- schemas -----------------------------------------------------------------------------


class PublishedOut(Schema):
    id: int
    version_id: int
    result_id: int
    entity_name: str = Field(description="检查对象名称")
    credit_code: str = Field(description="统一社会信用代码")
    department: str = Field(description="检查实施机关（牵头部门）")
    department_names: str = Field(description="检查实施机关（含联合抽查部门，牵头在前）")
    year: int
    task_codes: str
    task_titles: str
    item_codes: list[str]
    item_names: str
    inspected_on: dt.date
    conclusion: str
    conclusion_label: str = Field(description="检查结论（002 第二十六条）")
    summary: str = Field(description="检查情况（含发现的问题）")
    followup_text: str = Field(description="后续处理（处理方式、整改期限、移交单位）")
    inspectors: str = Field(description="执法检查人员：姓名（执法证号）")
    version_number: int
    is_correction: bool
    correction_reason: str
    published_at: dt.datetime
    superseded_by_id: int | None = Field(description="被哪一条更正公示替代；为空表示现行")
    superseded_at: dt.datetime | None

    @staticmethod
    def resolve_department(obj: PublishedResult) -> str:
        return obj.department.name

    @staticmethod
    def resolve_conclusion_label(obj: PublishedResult) -> str:
        return obj.get_conclusion_display()


class FollowUpOut(Schema):
    kind: str
    status: str
    detail: str
    rectify_deadline: dt.date | None
    recipient: str
    case_no: str


class VersionOut(Schema):
    id: int
    result_id: int
    number: int
    kind: str = Field(description="original 检查结果 / correction 更正")
    status: str = Field(
        description="formed 待公示 / published 已公示 / superseded 已被更正 / withheld 依法不予公开 / "
        "review 待主要负责人签字（更正） / returned 已作废（更正）…"
    )
    inspected_on: dt.date | None
    conclusion: str
    non_cooperation: str
    summary: str
    problems: str
    reason: str = Field(description="更正理由")
    objection_id: int | None
    principal_signed_by: str | None
    principal_signed_at: dt.datetime | None
    published_at: dt.datetime | None
    superseded_at: dt.datetime | None
    withheld_reason: str
    review_note: str
    followups: list[FollowUpOut]

    @staticmethod
    def resolve_principal_signed_by(obj: ResultVersion) -> str | None:
        return str(obj.principal_signed_by) if obj.principal_signed_by_id else None

    @staticmethod
    def resolve_followups(obj: ResultVersion) -> list:
        return list(obj.followups.order_by("id"))


class DueOut(Schema):
    date: dt.date | None
    error: str = Field(
        description="尚无起算日时的原因（如检查结果尚未形成、尚未复核），此时 date 为空"
    )
    days_left: int | None = Field(description="距期限的工作日数，负数为逾期")
    provisional: bool = Field(
        description="期限涉及尚未录入节假日安排的年份，暂按双休日推算；录入后自动更正"
    )
    note: str = Field(
        description="暂定期限的说明，例如“暂按双休日推算，待2027年节假日安排录入后自动更正”"
    )


class PendingOut(Schema):
    version: VersionOut
    entity_name: str
    credit_code: str
    formed_at: dt.datetime | None
    deadline: DueOut


class ObjectionOut(Schema):
    id: int
    number: str = Field(description="受理编号")
    result_id: int
    published_id: int
    credit_code: str
    entity_name: str
    applicant: str
    contact: str = Field(description="联系电话（脱敏）")
    content: str
    status: str = Field(
        description="received 已受理 / upheld 复核有误已更正 / rejected 维持 / answered 已反馈"
    )
    received_on: dt.date
    decision: str
    review_note: str
    reviewed_at: dt.datetime | None
    answer: str
    answered_at: dt.datetime | None
    correction_ids: list[int] = Field(description="因此异议提出的更正版本")
    review_due: DueOut = Field(description="复核期限：收到后20个工作日")
    answer_due: DueOut = Field(description="反馈期限：复核后15个工作日")

    @staticmethod
    def resolve_entity_name(obj: Objection) -> str:
        return obj.published.entity_name

    @staticmethod
    def resolve_contact(obj: Objection) -> str:
        return mask_mobile(obj.contact)

    @staticmethod
    def resolve_correction_ids(obj: Objection) -> list[int]:
        return list(obj.corrections.order_by("number").values_list("pk", flat=True))

    @staticmethod
    def resolve_review_due(obj: Objection) -> selectors.Due:
        return selectors.objection_due_dates(objection=obj).review

    @staticmethod
    def resolve_answer_due(obj: Objection) -> selectors.Due:
        return selectors.objection_due_dates(objection=obj).answer


class ReasonIn(Schema):
    reason: str


class BulkIn(Schema):
    version_ids: list[int] = Field(description="要公示的检查结果版本；任何一份不能公示时全部不公示")


class FollowUpIn(Schema):
    kind: str = Field(
        description="rectify 责令改正 / case 立案查处 / transfer 移交有关部门 / police 移送公安机关"
    )
    rectify_deadline: dt.date | None = None
    recipient: str = ""
    detail: str = ""
    case_no: str = ""


class EditsIn(Schema):
    """更正内容；省略的字段沿用现行版本。"""

    conclusion: str | None = None
    non_cooperation: str | None = None
    summary: str | None = None
    problems: str | None = None
    followups: list[FollowUpIn] | None = Field(None, description="给出即整体替换后续处理")

    def as_edits(self) -> dict:
        data = self.model_dump()
        return {
            k: data[k]
            for k in ("conclusion", "non_cooperation", "summary", "problems", "followups")
        }


class CorrectionIn(EditsIn):
    reason: str = Field(description="更正理由（必填）")
    objection_id: int | None = Field(None, description="因异议复核提出时的异议")


class ReviewIn(Schema):
    decision: str = Field(description="upheld 确有错误予以更正 / rejected 检查结果无误予以维持")
    note: str = Field(description="复核意见")
    correction_id: int | None = Field(None, description="确有错误时：使用已提出的更正")
    correction: EditsIn | None = Field(None, description="确有错误时：在复核的同时提出更正")


class AnswerIn(Schema):
    answer: str


class ObjectionFilters(Schema):
    status: str = ""
    q: str = ""
    offset: int = Field(0, ge=0)
    limit: int = Field(100, ge=1, le=1000)


class CodeQuery(Schema):
    code: str = Field(description="统一社会信用代码")
    current_only: bool = Field(False, description="只要现行的（不含已被更正的）")


# --- helpers -----------------------------------------------------------------------------


def _objection(request, objection_id: int) -> Objection:
    return selectors.objection_get(user=request.user, pk=objection_id)


def _version_out(version: ResultVersion) -> ResultVersion:
    return ResultVersion.objects.select_related("principal_signed_by").get(pk=version.pk)


# --- publication -------------------------------------------------------------------------


@router.get(
    "/pending",
    response={200: list[PendingOut], **LIST_ERRORS},
    summary="待公示的检查结果（含公示期限）",
)
def pending(request, q: str = ""):
    rows = selectors.pending_rows(
        versions=selectors.results_to_publish(user=request.user, q=q)[:1000]
    )
    return [
        {
            "version": r.version,
            "entity_name": r.version.result.visit.entity.name,
            "credit_code": r.version.result.visit.target_id,
            "formed_at": r.version.result.formed_at,
            "deadline": r.deadline,
        }
        for r in rows
    ]


@router.post(
    "/versions/{version_id}/publish",
    response={201: PublishedOut, **WRITE_ERRORS},
    summary="公示一份已形成的检查结果",
)
def publish(request, version_id: int):
    version = selectors.version_get(user=request.user, pk=version_id)
    return Status(201, services.result_publish(version=version, actor=request.user))


@router.post(
    "/publish",
    response={201: list[PublishedOut], **WRITE_ERRORS},
    summary="批量公示（一次事务，逐份记入审计日志）",
)
def publish_bulk(request, payload: BulkIn):
    versions = selectors.versions_by_ids(user=request.user, ids=payload.version_ids)
    return Status(201, services.results_publish(versions=versions, actor=request.user))


@router.post(
    "/versions/{version_id}/withhold",
    response={200: VersionOut, **WRITE_ERRORS},
    summary="依法不予公开（审核负责人，须写明法律依据）",
)
def withhold(request, version_id: int, payload: ReasonIn):
    version = selectors.version_get(user=request.user, pk=version_id)
    return _version_out(
        services.result_withhold(version=version, reason=payload.reason, actor=request.user)
    )


@router.get(
    "/published",
    response={200: list[PublishedOut], **READ_ERRORS, 422: ErrorOut},
    summary="某统一社会信用代码的全部公示结果（新在前，含已被更正的版本）",
)
def published_for_code(request, query: Query[CodeQuery]):
    return list(
        selectors.published_results_for_code(
            code=query.code, current_only=query.current_only
        ).select_related("department")
    )


# --- corrections -------------------------------------------------------------------------


@router.post(
    "/results/{result_id}/corrections",
    response={201: VersionOut, **WRITE_ERRORS},
    summary="提出更正（新版本，待主要负责人签字）",
)
def correction_create(request, result_id: int, payload: CorrectionIn):
    result = selectors.result_get(user=request.user, pk=result_id)
    objection = None
    if payload.objection_id is not None:
        objection = Objection.objects.filter(pk=payload.objection_id, result=result).first()
        if objection is None:
            raise NotFound("该检查结果没有这项异议", field="objection_id")
    version = services.correction_create(
        result=result,
        reason=payload.reason,
        actor=request.user,
        objection=objection,
        **payload.as_edits(),
    )
    return Status(201, _version_out(version))


@router.post(
    "/versions/{version_id}/sign",
    response={201: PublishedOut, **WRITE_ERRORS},
    summary="主要负责人签字确认更正并公示（原公示保留，标注已被更正）",
)
def correction_sign(request, version_id: int):
    version = selectors.version_get(user=request.user, pk=version_id)
    return Status(201, services.correction_sign(version=version, actor=request.user))


@router.post(
    "/versions/{version_id}/discard",
    response={200: VersionOut, **WRITE_ERRORS},
    summary="作废尚未签字的更正",
)
def correction_discard(request, version_id: int, payload: ReasonIn):
    version = selectors.version_get(user=request.user, pk=version_id)
    return _version_out(
        services.correction_discard(version=version, reason=payload.reason, actor=request.user)
    )


# --- objections --------------------------------------------------------------------------


@router.get(
    "/objections",
    response={200: list[ObjectionOut], **LIST_ERRORS},
    summary="异议列表（含复核、反馈期限）",
)
def objections(request, filters: Query[ObjectionFilters]):
    qs = selectors.objections_list(user=request.user, status=filters.status, q=filters.q)
    return list(qs[filters.offset : filters.offset + filters.limit])


@router.get(
    "/objections/{objection_id}", response={200: ObjectionOut, **READ_ERRORS}, summary="异议详情"
)
def objection(request, objection_id: int):
    return _objection(request, objection_id)


@router.post(
    "/objections/{objection_id}/review",
    response={200: ObjectionOut, **WRITE_ERRORS},
    summary="复核异议（审核负责人；确有错误的同时提出或关联更正）",
)
def objection_review(request, objection_id: int, payload: ReviewIn):
    obj = _objection(request, objection_id)
    correction = None
    if payload.correction_id is not None:
        correction = ResultVersion.objects.filter(
            pk=payload.correction_id, result_id=obj.result_id
        ).first()
        if correction is None:
            raise NotFound("该检查结果没有这一更正版本", field="correction_id")
    services.objection_review(
        objection=obj,
        decision=payload.decision,
        note=payload.note,
        actor=request.user,
        correction=correction,
        edits=payload.correction.as_edits() if payload.correction is not None else None,
    )
    return _objection(request, objection_id)


@router.post(
    "/objections/{objection_id}/answer",
    response={200: ObjectionOut, **WRITE_ERRORS},
    summary="反馈复核情况",
)
def objection_answer(request, objection_id: int, payload: AnswerIn):
    services.objection_answer(
        objection=_objection(request, objection_id), answer=payload.answer, actor=request.user
    )
    return _objection(request, objection_id)
