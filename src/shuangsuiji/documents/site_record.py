"""现场检查记录 (issue 13 第 2 项; 002 第二十五—三十条): the record of the visit as the team
made it — each check point's finding, the conclusion, the team's signatures and a place for
the entity's representative, and the evidence with short SHA-256 fingerprints (the full
ones are in the case file). Numbered on the visit once it has started."""

from __future__ import annotations

from django.db.models import Model
from django.utils import timezone

from shuangsuiji.common.errors import NotFound
from shuangsuiji.common.masking import mask_personal_numbers
from shuangsuiji.documents.choices import DocumentKind
from shuangsuiji.documents.layout import Document, Grid, Heading, Para, cn_date
from shuangsuiji.documents.models import IssuedDocument
from shuangsuiji.documents.visit_docs import Organ, VisitDoc, register
from shuangsuiji.inspection.choices import VisitStatus
from shuangsuiji.inspection.models import Evidence, Finding, Signature, Visit, VisitMember


def started_visit(visit: Visit) -> Visit:
    if visit.status == VisitStatus.PENDING:
        raise NotFound("检查尚未开始，还没有现场检查记录")
    return visit


def _build(visit: Visit, _obj: Model, issued: IssuedDocument, organ: Organ) -> Document:
    findings = list(
        Finding.objects.filter(visit=visit)
        .select_related("item__current")
        .order_by("item_id", "point")
    )
    members = list(
        VisitMember.objects.filter(visit=visit)
        .select_related("inspector")
        .order_by("-is_leader", "id")
    )
    result = getattr(visit, "result", None)
    version = result.current if result is not None else None
    if version is None and result is not None:
        version = result.versions.order_by("-number").first()
    signed = {}
    if version is not None:
        for s in Signature.objects.filter(version=version).select_related("member"):
            when = timezone.localtime(s.signed_at)
            signed[s.member_id] = (
                f"{cn_date(when.date())}{'（纸质签字代录）' if s.on_paper else ''}"
            )
    entity = visit.entity
    started = timezone.localtime(visit.started_at).date() if visit.started_at else None
    body: list = [
        Grid(
            ["项目", "内容"],
            [
                ["检查对象", entity.name],
                ["统一社会信用代码", entity.uscc or visit.target_id],
                ["地址", entity.address or "—"],
                ["抽查任务", f"{visit.lead_task.code} {visit.lead_task.title}"],
                [
                    "检查日期",
                    cn_date(version.inspected_on)
                    if version and version.inspected_on
                    else (cn_date(started) if started else "—"),
                ],
            ],
            [40, 120],
        ),
        Heading("一、检查要点及情况"),
        Grid(
            ["序号", "抽查事项", "检查要点", "检查情况", "说明"],
            [
                [
                    str(n),
                    (f.item.current.name if f.item.current else f.item.code),
                    f.point_text,
                    f.get_outcome_display(),
                    mask_personal_numbers(f.note) or "",
                ]
                for n, f in enumerate(findings, start=1)
            ],
            [10, 34, 56, 20, 40],
        ),
    ]
    if version is not None and version.conclusion:
        body += [
            Heading("二、检查结论"),
            Para(version.get_conclusion_display()),
            Para(mask_personal_numbers(version.summary) or ""),
        ]
        if version.problems:
            body.append(Para("发现的问题：" + mask_personal_numbers(version.problems)))
    evidence = list(Evidence.objects.filter(visit=visit).order_by("uploaded_at", "id"))
    body += [
        Heading("三、证据材料"),
        Grid(
            ["序号", "文件", "说明", "SHA-256（前8位）"],
            [
                [str(n), e.original_name, e.description or "—", e.sha256[:8]]
                for n, e in enumerate(evidence, start=1)
            ],
            [10, 60, 60, 30],
        )
        if evidence
        else Para("无"),
        Heading("四、签字"),
        Grid(
            ["检查人员", "执法证号", "职责", "签字"],
            [
                [
                    m.inspector.name,
                    m.inspector.cert_no,
                    "组长" if m.is_leader else "组员",
                    signed.get(m.pk, ""),
                ]
                for m in members
            ],
            [35, 45, 20, 60],
        ),
        Para(
            "被检查对象负责人（或在场人员）签字：＿＿＿＿＿＿＿＿　职务：＿＿＿＿＿＿　日期：＿＿＿＿年＿＿月＿＿日"
        ),
        Para("以上记录已经本人核对，与现场情况一致。"),
    ]
    # A record is dated the day it records (the inspection), not the day it was numbered.
    on = (version.inspected_on if version and version.inspected_on else None) or started
    return Document(
        organ=organ.name,
        title="现场检查记录",
        number=issued.number,
        issued_on=on or issued.issued_on,
        body=body,
    )


SITE_RECORD = register(
    VisitDoc(
        slug="site-record",
        kind=DocumentKind.SITE_RECORD,
        title="现场检查记录",
        target=started_visit,
        build=_build,
    )
)
