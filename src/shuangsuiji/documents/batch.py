"""Batch printing (issue 13 第 4 项): all 检查通知书 of a dispatched task in one PDF, in the
order the draw selected the targets; likewise the 结果告知书 of its published results.
Numbers are given in that order in one transaction — a batch takes consecutive numbers —
and each document keeps its own page numbers (第 x 页 共 y 页 of that document)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import IO

from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery

from shuangsuiji.accounts.models import User
from shuangsuiji.common.errors import NotAllowed, ValidationFailed
from shuangsuiji.documents import visit_docs
from shuangsuiji.documents.layout import documents_pdf
from shuangsuiji.documents.models import IssuedDocument
from shuangsuiji.documents.services import document_number
from shuangsuiji.inspection.choices import VersionStatus
from shuangsuiji.inspection.models import Visit, VisitTask
from shuangsuiji.planning.models import Task

BATCHES = {"notice": "检查通知书", "result-letter": "抽查检查结果告知书"}


def batch_visits(*, task: Task, slug: str) -> QuerySet[Visit]:
    """The visits the task leads, in the draw's selection order (rank); for result letters
    only those whose current result is published."""
    if slug not in BATCHES:
        raise ValidationFailed(
            f"不能批量打印这种文书：{slug}（可选 notice、result-letter）", field="kind"
        )
    rank = VisitTask.objects.filter(visit=OuterRef("pk"), task=task).values("selection__rank")[:1]
    qs = (
        Visit.objects.filter(lead_task=task)
        .select_related("entity", "lead_task__department", "result__current")
        .annotate(_rank=Subquery(rank))
        .order_by("_rank", "target_id", "pk")
    )
    if slug == "result-letter":
        qs = qs.filter(result__current__status=VersionStatus.PUBLISHED)
    return qs


def batch_issue(
    *, task: Task, slug: str, actor: User | str, today: dt.date
) -> list[IssuedDocument]:
    """Numbers every document of the batch not numbered yet, in order, in one transaction."""
    doc = visit_docs.doc_for(slug)
    visits = list(batch_visits(task=task, slug=slug))
    if isinstance(actor, User) and visits and not visit_docs.can_issue(user=actor, visit=visits[0]):
        raise NotAllowed(f"只有牵头部门的抽查操作员、审核负责人或部门管理员可以签发{doc.title}")
    with transaction.atomic():
        return [
            document_number(
                kind=doc.kind,
                obj=doc.target(v),
                department=v.lead_task.department,
                actor=actor,
                today=today,
            )
            for v in visits
        ]


def batch_pending(*, task: Task, slug: str) -> int:
    """How many documents of the batch have no number yet."""
    doc = visit_docs.doc_for(slug)
    return sum(
        1
        for v in batch_visits(task=task, slug=slug)
        if visit_docs.issued(doc=doc, obj=doc.target(v)) is None
    )


def batch_pdf(
    *,
    task: Task,
    slug: str,
    out: IO[bytes] | None = None,
    progress: Callable[[int], None] | None = None,
) -> bytes | None:
    """The numbered documents of the batch in one PDF (unnumbered ones are left out)."""
    doc = visit_docs.doc_for(slug)
    docs = []
    for v in batch_visits(task=task, slug=slug):
        if visit_docs.issued(doc=doc, obj=doc.target(v)) is not None:
            docs.append(visit_docs.document(doc=doc, visit=v))
    if not docs:
        raise ValidationFailed(f"任务{task.code}还没有已签发的{doc.title}")
    return documents_pdf(
        docs, out=out, title=f"{task.code} {doc.title}（{len(docs)}份）", progress=progress
    )
