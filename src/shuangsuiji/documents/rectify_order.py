"""责令改正通知书 (issue 13 第 2 项): the rectification ordered with the result — what is
wrong, the deadline, the written report and the re-check (复查) that follows. Numbered on
the follow-up (责令改正)."""

from __future__ import annotations

from django.db.models import Model

from shuangsuiji.common.errors import NotFound
from shuangsuiji.common.masking import mask_personal_numbers
from shuangsuiji.documents.choices import DocumentKind
from shuangsuiji.documents.layout import Document, Heading, Para, cn_date
from shuangsuiji.documents.models import IssuedDocument
from shuangsuiji.documents.result_letter import current_version
from shuangsuiji.documents.visit_docs import Organ, VisitDoc, letter, register
from shuangsuiji.inspection.choices import FollowUpKind
from shuangsuiji.inspection.models import FollowUp, Visit


def rectify_followup(visit: Visit) -> FollowUp:
    try:
        version = current_version(visit)
    except NotFound:
        raise NotFound("检查结果尚未形成，还不能出具责令改正通知书") from None
    f = version.followups.filter(kind=FollowUpKind.RECTIFY).order_by("id").first()
    if f is None:
        raise NotFound("这次检查的结果没有责令改正，无需出具责令改正通知书")
    return f


def _build(visit: Visit, obj: Model, issued: IssuedDocument, organ: Organ) -> Document:
    f = obj
    assert isinstance(f, FollowUp)
    version = f.version
    task = visit.lead_task
    deadline = cn_date(f.rectify_deadline) if f.rectify_deadline else "本通知书规定的期限"
    body = [
        Para(
            f"本机关于{cn_date(version.inspected_on) if version.inspected_on else '检查期间'}在“双随机、一公开”"
            f"抽查（{task.title}，任务编号 {task.code}）中发现你单位存在下列问题："
        ),
        Para(mask_personal_numbers(version.problems or version.summary) or "（见检查记录）"),
        Heading("责令改正"),
        Para(
            f"现责令你单位于{deadline}前改正上述问题"
            + (f"（{mask_personal_numbers(f.detail)}）" if f.detail else "")
            + "，并将整改情况书面报送本机关。本机关将在整改期限届满后进行复查；逾期不改正或者整改不到位的，"
            "将依法处理，并记入你单位的信用记录。"
        ),
        Para("你单位对本通知有异议的，可以在收到本通知之日起向本机关提出书面陈述和申辩。"),
    ]
    if f.recheck_on:
        # The note often starts with its own “复查：”: said once.
        note = mask_personal_numbers(f.recheck_note).removeprefix("复查：").strip() or "已复查"
        body.append(Para(f"复查：{cn_date(f.recheck_on)}，{note}。"))
    return letter(visit, issued, organ, title="责令改正通知书", body=body)


RECTIFY_ORDER = register(
    VisitDoc(
        slug="rectify-order",
        kind=DocumentKind.RECTIFY_ORDER,
        title="责令改正通知书",
        target=rectify_followup,
        build=_build,
    )
)
