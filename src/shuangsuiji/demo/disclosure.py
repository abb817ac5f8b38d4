"""Demo 一公开 (``ssj demo``, called by ``inspection.demo`` for each finished demo visit):
publication, one correction signed by the principal, and objections filed on the portal.

Everything goes through the real services — ``result_publish``, ``correction_create`` /
``correction_sign``, the portal's ``objection_file``, ``objection_review`` /
``objection_answer`` — by the demo users who hold the roles the rules require. The
caller runs each visit in one transaction and never twice (it only takes pending
visits), so nothing here checks for an earlier run.
"""

import datetime as dt

from django.utils import timezone

from shuangsuiji.accounts.models import User
from shuangsuiji.demo.timeline import Timeline
from shuangsuiji.disclosure.choices import ObjectionDecision
from shuangsuiji.disclosure.models import Objection, PublishedResult
from shuangsuiji.disclosure.portal_services import client_key, objection_file
from shuangsuiji.disclosure.services import (
    correction_create,
    correction_sign,
    objection_answer,
    objection_review,
    result_publish,
)
from shuangsuiji.inspection.models import ResultVersion, Visit

# 申请人的联系电话 on the objection form: the departments' own area codes, a landline of
# the company (the form takes a mobile or a landline; the portal never shows either).
CONTACTS = {"SJJW": "021-57682316", "ZPZJ": "0597-7582316"}


def publish(*, version: ResultVersion, actor: User) -> PublishedResult:
    """公示 by the lead department's 抽查操作员 (002 第二十八条)."""
    return result_publish(version=version, actor=actor)


def correct(
    *, row: PublishedResult, wrong: str, right: str, actor: User, principal: User
) -> PublishedResult:
    """更正: the published 检查情况 said ``wrong`` where the record says ``right``. Proposed by
    the operator, signed by the principal (经任务执行单位主要负责人签字确认后及时更改, 002
    第二十八条); the first public copy stays, marked superseded."""
    current = row.version
    reason = (
        f"原公示的检查情况中“{wrong}”系录入错误，与现场检查记录不符；"
        f"经核对检查记录及检查组成员签字的纸质记录，更正为“{right}”"
    )
    correction = correction_create(
        result=row.result, reason=reason, actor=actor, summary=current.summary.replace(wrong, right)
    )
    return correction_sign(version=correction, actor=principal)


def _file(*, row: PublishedResult, visit: Visit, content: str) -> Objection:
    # Filed on the day of publication (the earliest it can be): received_on is what the
    # 20 + 15 working days of 002 第二十八条 count from. One client per company, as if each
    # filed from its own office.
    return objection_file(
        published=row,
        credit_code=row.credit_code,
        applicant=row.entity_name,
        contact=CONTACTS.get(visit.lead_task.department.code, CONTACTS["SJJW"]),
        content=content,
        client=client_key(address=f"demo:{row.credit_code}"),
        today=timezone.localdate(row.published_at),
    )


def objection_answered(
    *,
    row: PublishedResult,
    visit: Visit,
    inspected_on: dt.date,
    reviewer: User,
    actor: User,
    tl: Timeline,
) -> Objection:
    """An objection to a 未按规定公示 result, reviewed (the result stands) and answered: the
    outcome then shows on the result's public page and under 异议处理结果."""
    filed_on = timezone.localdate(row.published_at)
    with tl.at(filed_on, 15, 0):
        objection = _file(
            row=row,
            visit=visit,
            content=(
                "我单位已在企业信用信息公示系统公示了相关信息，检查结果认定“未按规定公示应当公示的信息”"
                "与事实不符，特申请复核。附：公示页面截图。"
            ),
        )
    reviewed_on = tl.add(filed_on, 5)
    if not tl.past(reviewed_on, 10, 0):
        return objection
    with tl.at(reviewed_on, 10, 0):
        objection = objection_review(
            objection=objection,
            decision=ObjectionDecision.REJECTED,
            actor=reviewer,
            note=(
                f"经调取公示系统记录复核：检查当日（{inspected_on:%Y年%m月%d日}）该单位未公示相关信息，"
                "申请人提供的截图所示公示时间晚于检查日期。原检查结果无误，予以维持。"
            ),
        )
    answered_on = tl.add(reviewed_on, 1)
    if not tl.past(answered_on, 10, 0):
        return objection
    with tl.at(answered_on, 10, 0):
        return objection_answer(
            objection=objection,
            actor=actor,
            answer=(
                f"贵单位提出的异议（受理编号{objection.number}）已复核：检查当日相关信息尚未公示，"
                "原检查结果无误，予以维持。贵单位已补充公示，请今后按规定及时公示。"
                "如对复核结果不服，可依法申请行政复议或者提起行政诉讼。"
            ),
        )


def objection_under_review(*, row: PublishedResult, visit: Visit) -> Objection:
    """An objection filed and not yet reviewed: it waits on the department's desk (and in
    the oversight view once its 20 working days run out)."""
    return _file(
        row=row,
        visit=visit,
        content=(
            "我单位公示的信息真实、准确，检查组认定“隐瞒真实情况、弄虚作假”依据不足，"
            "部分材料因档案整理未能当场提供，现已补齐，特申请复核。"
        ),
    )
