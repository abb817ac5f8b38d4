"""Demo documents (issue 13: a fresh ``make demo`` shows every document): for this year's
joint task, the 检查通知书 of every visit issued the working day after the draw was
dispatched (in selection order, consecutive numbers), and for each visit carried through,
its 现场检查记录 on the inspection day, its 结果告知书 on the day of publication and its
责令改正通知书 with it — each issued by the operator on its own day (``demo.timeline``).
Loading twice changes nothing: a document keeps the number it was given."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from shuangsuiji.accounts.models import User
from shuangsuiji.common.errors import NotFound
from shuangsuiji.demo.draws import demo_codes
from shuangsuiji.demo.timeline import Timeline
from shuangsuiji.documents import visit_docs
from shuangsuiji.documents.batch import batch_issue
from shuangsuiji.documents.models import IssuedDocument
from shuangsuiji.inspection.models import Visit
from shuangsuiji.planning.models import Task


def demo_documents(*, timeline: Timeline) -> list[str]:
    tl = timeline
    task = Task.objects.filter(code=demo_codes(tl.today).joint).first()
    if task is None or IssuedDocument.objects.filter(department__code="SJJW").exists():
        return []
    operator = User.objects.get(username="sj_operator")
    draw = task.draws.filter(dispatched_at__isnull=False).first()
    if draw is None:
        return []
    sent = tl.add(timezone.localdate(draw.dispatched_at), 1)
    with transaction.atomic(), tl.at(sent, 9, 0):
        notices = batch_issue(task=task, slug="notice", actor=operator, today=min(sent, tl.today))
    made = len(notices)
    for visit in (
        Visit.objects.filter(lead_task=task).select_related("result__current").order_by("target_id")
    ):
        version = (
            visit.result.current if hasattr(visit, "result") and visit.result.current_id else None
        )
        if version is None:
            continue
        published = visit.result.first_published_at
        steps = [("site-record", version.inspected_on)]
        if published is not None:
            day = timezone.localdate(published)
            steps += [("result-letter", day), ("rectify-order", day)]
        for slug, day in steps:
            doc = visit_docs.doc_for(slug)
            try:
                doc.target(visit)
            except NotFound:
                continue  # no such document for this visit (no rectification ordered)
            if day is None or not tl.past(day, 16, 0):
                continue
            with transaction.atomic(), tl.at(day, 16, 0):
                visit_docs.issue(doc=doc, visit=visit, actor=operator, today=day)
            made += 1
    return [f"演示文书：{task.code} 签发检查通知书{len(notices)}份等，共{made}份（松建管文号）"]
