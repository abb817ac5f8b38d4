"""Published data for the portal tests, written directly with the ORM (the publication
service is another module's): a dispatched scene whose visits have a published result
(Result + ResultVersion PUBLISHED + PublishedResult with realistic public fields), one
result corrected (the old row superseded, kept), an answered objection and a pending one.

Test modules using it must ``from tests.factories.ceremony import var_dir  # noqa: F401``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from django.utils import timezone

from shuangsuiji.catalog.models import Item
from shuangsuiji.common.ids import make_id_number
from shuangsuiji.disclosure.choices import ObjectionDecision, ObjectionStatus
from shuangsuiji.disclosure.models import Objection, PublishedResult
from shuangsuiji.inspection.choices import (
    Conclusion,
    FollowUpKind,
    VersionKind,
    VersionStatus,
    VisitStatus,
)
from shuangsuiji.inspection.models import FollowUp, Result, ResultVersion, Visit
from shuangsuiji.planning.choices import PlanStatus
from shuangsuiji.planning.models import Plan, PlanRow
from shuangsuiji.registry.models import Inspector
from tests import factories
from tests.factories.ceremony import Crew
from tests.factories.inspection import Scene, dispatched_scene

_n = itertools.count(1)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
OBJECTION_APPLICANT = "异议申请人王某某"
OBJECTION_CONTACT = "13700001111"
PENDING_CONTACT = "021-57681234"


class PortalCrew(Crew):
    """A crew whose inspectors carry 执法证号 that do not look like mobile numbers (the
    default test ones, 1308…, are 11 digits starting 13) and known personal numbers."""

    def inspectors(self, count: int) -> list[Inspector]:
        out = []
        for _ in range(count):
            n = next(_n)
            out.append(
                factories.inspector(
                    department=self.dept,
                    cert_no=f"3117{n:07d}",
                    name=f"执法员{n}",
                    mobile=f"1390000{n:04d}",
                    id_number=make_id_number(factories.rng),
                )
            )
        return out


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def _inspectors_text(visit: Visit) -> str:
    members = visit.members.select_related("inspector").order_by("-is_leader", "id")
    return "、".join(f"{m.inspector.name}（执法证号 {m.inspector.cert_no}）" for m in members)


def publish_visit(
    visit: Visit,
    *,
    scene: Scene,
    conclusion: str = Conclusion.NO_PROBLEM,
    inspected_on: dt.date = dt.date(2024, 4, 8),
    published_at: dt.datetime | None = None,
    summary: str = "现场检查安全生产责任制、特种作业人员持证上岗和临时用电情况。",
    followup: str = "",
) -> PublishedResult:
    """A published first version of the visit's result and its public row."""
    published_at = published_at or at(inspected_on + dt.timedelta(days=10))
    crew = scene.crew
    visit.status = VisitStatus.FORMED
    visit.save(update_fields=["status"])
    result = Result.objects.create(
        visit=visit, formed_at=published_at - dt.timedelta(days=2), first_published_at=published_at
    )
    version = ResultVersion.objects.create(
        result=result,
        number=1,
        status=VersionStatus.PUBLISHED,
        inspected_on=inspected_on,
        conclusion=conclusion,
        summary=summary,
        created_by=crew.operator,
        reviewed_by=crew.reviewer,
        reviewed_at=published_at - dt.timedelta(days=2),
        published_at=published_at,
    )
    if followup:
        FollowUp.objects.create(
            version=version,
            kind=FollowUpKind.RECTIFY,
            detail=followup,
            rectify_deadline=inspected_on + dt.timedelta(days=30),
        )
    result.current = version
    result.save(update_fields=["current"])
    tasks = [
        vt.task
        for vt in visit.visit_tasks.select_related("task", "task__department").order_by("id")
    ]
    items = list(
        Item.objects.filter(tasks__in=tasks).select_related("current").distinct().order_by("code")
    )
    return PublishedResult.objects.create(
        version=version,
        result=result,
        department=tasks[0].department,
        department_names="、".join(dict.fromkeys(t.department.name for t in tasks)),
        entity_name=visit.entity.name,
        credit_code=visit.entity.uscc,
        year=inspected_on.year,
        task_codes="、".join(t.code for t in tasks),
        task_titles="、".join(t.title for t in tasks),
        item_codes=[i.code for i in items],
        item_names="、".join(i.current.name for i in items),
        inspected_on=inspected_on,
        conclusion=conclusion,
        summary=summary,
        followup_text=followup,
        inspectors=_inspectors_text(visit),
        version_number=1,
        published_at=published_at,
    )


def correct(
    old: PublishedResult,
    *,
    scene: Scene,
    conclusion: str,
    reason: str,
    published_at: dt.datetime,
    objection: Objection | None = None,
) -> PublishedResult:
    """A correction (更正) published over ``old``: a new version, the old row superseded."""
    previous = old.version
    version = ResultVersion.objects.create(
        result=old.result,
        number=previous.number + 1,
        kind=VersionKind.CORRECTION,
        status=VersionStatus.PUBLISHED,
        inspected_on=old.inspected_on,
        conclusion=conclusion,
        summary=old.summary,
        reason=reason,
        objection=objection,
        principal_signed_by=scene.admin,
        principal_signed_at=published_at,
        created_by=scene.crew.operator,
        published_at=published_at,
    )
    previous.status, previous.superseded_at = VersionStatus.SUPERSEDED, published_at
    previous.save(update_fields=["status", "superseded_at"])
    Result.objects.filter(pk=old.result_id).update(current=version)
    new = PublishedResult.objects.create(
        version=version,
        result=old.result,
        department=old.department,
        department_names=old.department_names,
        entity_name=old.entity_name,
        credit_code=old.credit_code,
        year=old.year,
        task_codes=old.task_codes,
        task_titles=old.task_titles,
        item_codes=old.item_codes,
        item_names=old.item_names,
        inspected_on=old.inspected_on,
        conclusion=conclusion,
        summary=old.summary,
        followup_text="",
        inspectors=old.inspectors,
        version_number=old.version_number + 1,
        is_correction=True,
        correction_reason=reason,
        published_at=published_at,
    )
    old.superseded_by, old.superseded_at = new, published_at
    old.save(update_fields=["superseded_by", "superseded_at"])
    return new


def objection(
    published: PublishedResult,
    *,
    number: str,
    answered: bool,
    contact: str = OBJECTION_CONTACT,
    applicant: str = OBJECTION_APPLICANT,
    received_on: dt.date = dt.date(2024, 5, 6),
    decision: str = ObjectionDecision.UPHELD,
    reviewer=None,
    answer: str = "经复核，检查记录中临时用电一项填写有误，已予更正。",
) -> Objection:
    fields = {}
    if answered:
        done = at(received_on + dt.timedelta(days=14))
        fields = dict(
            status=ObjectionStatus.ANSWERED,
            decision=decision,
            review_note="核对现场照片与检查表",
            reviewed_by=reviewer,
            reviewed_at=done,
            answer=answer,
            answered_by=reviewer,
            answered_at=done,
        )
    return Objection.objects.create(
        result=published.result,
        published=published,
        number=number,
        credit_code=published.credit_code,
        applicant=applicant,
        contact=contact,
        content="临时用电检查结论与现场实际不符，现场已整改完毕。",
        received_on=received_on,
        **fields,
    )


@dataclass
class Published:
    scene: Scene
    rows: list[PublishedResult]  # the current row of each visit
    superseded: PublishedResult
    correction: PublishedResult
    answered: Objection
    pending: Objection
    extra: dict = field(default_factory=dict)

    @property
    def all_rows(self) -> list[PublishedResult]:
        return [self.superseded, *self.rows]


def published_scene(*, targets: int = 3) -> Published:
    """``targets`` visits, each with a published result; the first one corrected after an
    upheld objection (answered), the second with a pending objection."""
    scene = dispatched_scene(targets=targets, inspectors=2 * targets, crew=PortalCrew())
    visits = scene.visits
    conclusions = [Conclusion.PENDING_FOLLOWUP, Conclusion.NO_PROBLEM, Conclusion.RECTIFIED]
    rows = []
    for k, visit in enumerate(visits):
        day = dt.date(2024, 4, 8) + dt.timedelta(days=k)
        conclusion = conclusions[k % len(conclusions)]
        followup = (
            "责令于2024年5月10日前改正临时用电问题，已复查。"
            if conclusion == Conclusion.RECTIFIED
            else ""
        )
        rows.append(
            publish_visit(
                visit,
                scene=scene,
                conclusion=conclusion,
                inspected_on=day,
                published_at=at(day + dt.timedelta(days=10), 9 + k),
                followup=followup,
            )
        )
    first = rows[0]
    answered = objection(first, number="YY-900001", answered=True, reviewer=scene.crew.reviewer)
    correction = correct(
        first,
        scene=scene,
        conclusion=Conclusion.NO_PROBLEM,
        reason="经异议复核，临时用电检查记录有误，予以更正",
        published_at=at(dt.date(2024, 5, 22), 15),
        objection=answered,
    )
    pending = objection(
        rows[1],
        number="YY-900002",
        answered=False,
        contact=PENDING_CONTACT,
        applicant="待复核申请人李某",
    )
    return Published(
        scene=scene,
        rows=[correction, *rows[1:]],
        superseded=first,
        correction=correction,
        answered=answered,
        pending=pending,
    )


def many_published(
    published: Published, *, n: int, start: dt.datetime | None = None, same_time_every: int = 3
) -> list[PublishedResult]:
    """``n`` more published rows (one visit each, bulk-created), newest last; every
    ``same_time_every`` rows share a timestamp, to exercise the keyset's tie-break on id."""
    scene = published.scene
    start = start or at(dt.date(2024, 6, 1))
    entity = scene.visits[0].entity
    task = scene.task
    visits = Visit.objects.bulk_create(
        [
            Visit(
                entity=entity,
                target_id=f"BULK{k:06d}",
                window_start=task.window_start,
                window_end=task.window_end,
                lead_task=task,
                status=VisitStatus.FORMED,
            )
            for k in range(n)
        ]
    )
    results = Result.objects.bulk_create([Result(visit=v) for v in visits])
    versions = ResultVersion.objects.bulk_create(
        [
            ResultVersion(
                result=r,
                number=1,
                status=VersionStatus.PUBLISHED,
                inspected_on=dt.date(2024, 5, 1),
                conclusion=Conclusion.NO_PROBLEM,
                created_by=scene.crew.operator,
            )
            for r in results
        ]
    )
    rows = PublishedResult.objects.bulk_create(
        [
            PublishedResult(
                version=v,
                result=v.result,
                department=task.department,
                department_names=task.department.name,
                entity_name=f"批量检查对象{k:04d}有限公司",
                credit_code=f"BULKCODE{k:010d}",
                year=2024,
                task_codes=task.code,
                task_titles=task.title,
                item_codes=[],
                item_names="",
                inspected_on=dt.date(2024, 5, 1),
                conclusion=Conclusion.NO_PROBLEM,
                inspectors="执法员",
                version_number=1,
                published_at=start + dt.timedelta(minutes=k // same_time_every),
            )
            for k, v in enumerate(versions)
        ]
    )
    return rows


def published_plan(
    *, department, year: int = 2024, status: str = PlanStatus.PUBLISHED, items=()
) -> Plan:
    plan = Plan.objects.create(
        department=department,
        year=year,
        title=f"{department.name}{year}年度抽查计划",
        status=status,
        published_at=timezone.now() if status == PlanStatus.PUBLISHED else None,
    )
    row = PlanRow.objects.create(
        plan=plan,
        seq=1,
        field="建筑施工",
        target_desc="在建工程施工企业",
        items_text="建筑施工安全检查",
        schedule_text="4-6月",
        months=[4, 5, 6],
        ratio=5,
        estimated_count=30,
        lead_unit=department.name,
        level="区级",
    )
    row.items.add(*items)
    return plan
