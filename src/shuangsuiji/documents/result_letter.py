"""抽查检查结果告知书 (issue 13 第 2 项): the entity is told its result — the conclusion, what
was found, what follows — and its right to object, with the working-day deadlines of
002 第二十八条 counted by the holiday calendar. Numbered on the result's current version:
a correction gets a letter of its own. Free text written by staff (检查情况, problems, the
follow-ups) is printed with phone and ID numbers masked, as on every staff page."""

from __future__ import annotations

from django.db.models import Model

from shuangsuiji.common.errors import NotFound
from shuangsuiji.common.masking import mask_personal_numbers
from shuangsuiji.disclosure.portal_services import objection_deadlines
from shuangsuiji.documents.choices import DocumentKind
from shuangsuiji.documents.layout import Document, Grid, Heading, Para, cn_date
from shuangsuiji.documents.models import IssuedDocument
from shuangsuiji.documents.visit_docs import Organ, VisitDoc, letter, register
from shuangsuiji.inspection.choices import VersionKind, VersionStatus
from shuangsuiji.inspection.models import FollowUp, ResultVersion, Visit

FORMED = (VersionStatus.FORMED, VersionStatus.PUBLISHED, VersionStatus.WITHHELD)


def current_version(visit: Visit) -> ResultVersion:
    result = getattr(visit, "result", None)
    version = result.current if result is not None and result.formed_at else None
    if version is None or version.status not in FORMED:
        raise NotFound("检查结果尚未形成，还不能出具结果告知书")
    return version


def followup_line(f: FollowUp) -> str:
    text = f.get_kind_display()
    if f.rectify_deadline:
        text += f"，整改期限至{cn_date(f.rectify_deadline)}"
    if f.recipient:
        text += f"（{f.recipient}）"
    if f.detail:
        text += f"：{mask_personal_numbers(f.detail)}"
    return text


def _build(visit: Visit, obj: Model, issued: IssuedDocument, organ: Organ) -> Document:
    version = obj
    assert isinstance(version, ResultVersion)
    task = visit.lead_task
    deadlines = objection_deadlines(received_on=issued.issued_on)
    body: list = [
        Para(
            f"本机关于{cn_date(version.inspected_on) if version.inspected_on else '检查期间'}对你单位开展了"
            f"“双随机、一公开”抽查（{task.title}，任务编号 {task.code}），现将检查结果告知如下。"
            + ("本结果为更正后的检查结果。" if version.kind == VersionKind.CORRECTION else "")
        ),
        Heading("一、检查结果"),
        Grid(
            ["项目", "内容"],
            [
                ["检查结论", version.get_conclusion_display()],
                ["检查情况", mask_personal_numbers(version.summary) or "—"],
                ["发现的问题", mask_personal_numbers(version.problems) or "无"],
            ],
            [35, 125],
        ),
    ]
    followups = list(version.followups.order_by("id"))
    if followups:
        body += [Heading("二、后续处理"), *[Para(followup_line(f)) for f in followups]]
    n = "三" if followups else "二"
    publish = (
        "本检查结果依法不予公开。"
        if version.status == VersionStatus.WITHHELD
        else "本检查结果将按规定通过国家企业信用信息公示系统等渠道向社会公示，一经公示不得擅自更改。"
    )
    body += [
        Heading(f"{n}、结果公示"),
        Para(publish),
        Heading(f"{'四' if followups else '三'}、异议"),
        Para(
            "你单位对检查结果有异议的，可以向本机关提出复核申请并提供有关材料。本机关自收到申请材料之日起"
            "20个工作日内进行复核，经复核确有错误的予以更正；复核情况自作出复核结果后15个工作日内向你单位"
            "反馈（《“双随机、一公开”抽查工作指引》第二十八条）。"
            f"如于本告知书成文之日（{cn_date(issued.issued_on)}）收到你单位的申请，复核最迟于"
            f"{cn_date(deadlines.review_by)}完成，复核情况最迟于{cn_date(deadlines.answer_by)}反馈"
            "（按工作日计算，法定节假日不计）。"
            # A printed letter cannot correct itself when the holiday arrangement is entered:
            # it says the dates were counted without it.
            + (
                "（有关年度的法定节假日安排尚未公布，以上日期暂按周六、周日休息推算，"
                "如遇法定节假日依法顺延。）"
                if deadlines.note
                else ""
            )
        ),
    ]
    return letter(visit, issued, organ, title="抽查检查结果告知书", body=body)


RESULT_LETTER = register(
    VisitDoc(
        slug="result-letter",
        kind=DocumentKind.RESULT_LETTER,
        title="抽查检查结果告知书",
        target=current_version,
        build=_build,
    )
)
