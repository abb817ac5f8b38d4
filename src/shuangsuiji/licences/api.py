"""API of 双告知 (/api/v1/licences/): the approving office's system pushes a notice; the
department's answer is given on the page or here."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from shuangsuiji.accounts.models import Department
from shuangsuiji.accounts.selectors import readable_department_ids
from shuangsuiji.common.api import READ_ERRORS, WRITE_ERRORS
from shuangsuiji.common.errors import ValidationFailed
from shuangsuiji.licences import selectors, services

router = Router(tags=["双告知"])


class LicenceNoticeIn(Schema):
    department: str = Field(description="接收部门代码（监管部门）")
    licence_item: str = Field(description="审批事项（须对应本部门的抽查事项）", max_length=200)
    item_code: str = Field("", description="抽查事项编码（可选，填写时按编码对应）", max_length=64)
    licensee: str = Field(description="被许可人名称", max_length=200)
    uscc: str = Field(description="统一社会信用代码", max_length=40)
    licence_no: str = Field(description="许可证号（许可决定文号）", max_length=100)
    licence_date: str = Field(description="许可日期，如 2026-03-05", max_length=20)
    issuing_office: str = Field(description="许可机关", max_length=200)
    address: str = Field("", description="地址", max_length=255)


class LicenceNoticeOut(Schema):
    id: int
    department: str
    licence_item: str
    item_code: str
    licensee: str
    uscc: str
    licence_no: str
    licence_date: dt.date
    received_on: dt.date
    due_on: dt.date = Field(description="反馈期限（按节假日安排计算）")
    due_provisional: str = Field(description="反馈期限为推算时的说明，否则为空")
    status: str = Field(description="pending 待反馈 / accepted 已认领 / returned 已退回")
    acted_on: dt.date | None
    return_reason: str
    entity_id: int | None


class LicenceAnswerIn(Schema):
    action: str = Field(description="accept 认领（纳入名录库）或 return 退回")
    reason: str = Field("", description="退回理由", max_length=500)


def _out(notice) -> LicenceNoticeOut:
    [due] = selectors.with_due([notice], today=timezone.localdate())
    return LicenceNoticeOut(
        id=notice.pk,
        department=notice.department.code,
        licence_item=notice.licence_item,
        item_code=notice.item.code,
        licensee=notice.licensee,
        uscc=notice.uscc,
        licence_no=notice.licence_no,
        licence_date=notice.licence_date,
        received_on=notice.received_on,
        due_on=due.due,
        due_provisional=due.note,
        status=notice.status,
        acted_on=notice.acted_on,
        return_reason=notice.return_reason,
        entity_id=notice.entity_id,
    )


@router.post(
    "/notices", response={201: LicenceNoticeOut, **WRITE_ERRORS}, summary="接收一条双告知信息"
)
def receive(request: HttpRequest, payload: LicenceNoticeIn):
    dept = Department.objects.filter(code=payload.department.strip()).first()
    if dept is None or dept.id not in readable_department_ids(user=request.user):
        raise ValidationFailed(
            f"部门代码 {payload.department} 不存在或您无权访问", field="department"
        )
    data = payload.dict()
    data.pop("department")
    notice = services.notice_receive(
        department=dept, actor=request.user, values=data, today=timezone.localdate()
    )
    return Status(201, _out(selectors.notice_get(user=request.user, pk=notice.pk)))


@router.get(
    "/notices/{notice_id}",
    response={200: LicenceNoticeOut, **READ_ERRORS},
    summary="一条双告知信息",
)
def detail(request: HttpRequest, notice_id: int):
    return _out(selectors.notice_get(user=request.user, pk=notice_id))


@router.post(
    "/notices/{notice_id}/answer",
    response={200: LicenceNoticeOut, **WRITE_ERRORS},
    summary="反馈：认领或退回",
)
def answer(request: HttpRequest, notice_id: int, payload: LicenceAnswerIn):
    notice = selectors.notice_get(user=request.user, pk=notice_id)
    today = timezone.localdate()
    if payload.action == "accept":
        services.notice_accept(notice=notice, actor=request.user, today=today)
    elif payload.action == "return":
        services.notice_return(
            notice=notice, actor=request.user, reason=payload.reason, today=today
        )
    else:
        raise ValidationFailed("action 应为 accept（认领）或 return（退回）", field="action")
    return _out(selectors.notice_get(user=request.user, pk=notice_id))
