"""检查通知书 (issue 13 第 2 项): sent to the entity before the visit — who inspects (the
team with their 执法证号: 亮证, 000 三(五)), what (the items and their basis), when (the
window), what to prepare, and whom to call (the office, never a person's mobile)."""

from __future__ import annotations

from django.db.models import Model

from shuangsuiji.documents.choices import DocumentKind
from shuangsuiji.documents.layout import Document, Grid, Heading, Para, cn_date
from shuangsuiji.documents.models import IssuedDocument
from shuangsuiji.documents.visit_docs import Organ, VisitDoc, letter, register
from shuangsuiji.inspection.models import Visit, VisitMember
from shuangsuiji.inspection.selectors import visit_items_in_force


def _build(visit: Visit, _obj: Model, issued: IssuedDocument, organ: Organ) -> Document:
    items = visit_items_in_force(visit=visit, on=visit.window_start)
    members = list(
        VisitMember.objects.filter(visit=visit)
        .select_related("inspector")
        .order_by("-is_leader", "id")
    )
    task = visit.lead_task
    points = [
        p for it in items if it.version for p in (it.version.checklist or []) if str(p).strip()
    ]
    body: list = [
        Para(
            f"根据“双随机、一公开”监管工作要求和本机关抽查任务“{task.title}”（任务编号 {task.code}），"
            f"你单位被随机抽取为检查对象。本机关定于{cn_date(visit.window_start)}至"
            f"{cn_date(visit.window_end)}期间对你单位开展现场检查，现将有关事项通知如下。"
        ),
        Heading("一、抽查事项及依据"),
        Grid(
            ["序号", "抽查事项", "检查内容", "检查依据"],
            [
                [
                    str(n),
                    (it.version.name if it.version else "") or it.item.code,
                    (it.version.content if it.version else "") or "—",
                    (it.version.basis if it.version else "") or "—",
                ]
                for n, it in enumerate(items, start=1)
            ],
            [12, 40, 52, 56],
        ),
        Heading("二、检查人员"),
        Para("检查时检查人员将主动出示行政执法证件（亮证检查），请核对姓名和执法证号。"),
        Grid(
            ["姓名", "执法证号", "职责"],
            [
                [m.inspector.name, m.inspector.cert_no, "组长" if m.is_leader else "组员"]
                for m in members
            ],
            [50, 70, 40],
        ),
        Heading("三、请准备的材料"),
        Para(
            "营业执照（登记证书）及与抽查事项有关的许可证件；"
            + (
                "与下列检查要点有关的制度、台账、记录和证明材料：" + "；".join(points) + "。"
                if points
                else "与抽查事项有关的制度、台账、记录和证明材料。"
            )
        ),
        Heading("四、有关事项"),
        Para(
            "请你单位指定熟悉情况的人员在场，如实提供有关情况和材料，配合检查。认为检查人员与你单位有利害关系、"
            "可能影响公正检查的，可以在检查前向本机关提出回避申请。"
            "检查结果将在形成之日起按规定时限通过国家企业信用信息公示系统等渠道向社会公示。"
        ),
    ]
    return letter(visit, issued, organ, title="检查通知书", body=body)


NOTICE = register(
    VisitDoc(
        slug="notice",
        kind=DocumentKind.INSPECTION_NOTICE,
        title="检查通知书",
        target=lambda visit: visit,
        build=_build,
    )
)
