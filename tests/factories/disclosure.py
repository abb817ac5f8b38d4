"""Formed results built directly with the ORM on a dispatched scene (the inspection
services that form them are another issue's work): Result + ResultVersion (FORMED) +
every member's Signature + FollowUps, ``result.current``/``formed_at`` set, visit FORMED.

Test modules using these need ``from tests.factories.ceremony import var_dir  # noqa: F401``."""

import datetime as dt
import itertools
from dataclasses import dataclass

from django.utils import timezone

from shuangsuiji.disclosure.models import Objection, PublishedResult
from shuangsuiji.inspection.choices import (
    Conclusion,
    FollowUpKind,
    VersionKind,
    VersionStatus,
    VisitStatus,
)
from shuangsuiji.inspection.models import FollowUp, Result, ResultVersion, Signature, Visit
from tests.factories.inspection import Scene, dispatched_scene

_n = itertools.count(1)
TZ = dt.timezone(dt.timedelta(hours=8))
FORMED_AT = dt.datetime(2024, 3, 20, 10, 0, tzinfo=TZ)  # a Wednesday; +20 working days = 2024-04-18


def formed_result(
    scene: Scene,
    visit: Visit | None = None,
    *,
    conclusion: str = Conclusion.RECTIFIED,
    summary: str = "现场检查安全生产责任制落实情况，临时用电不规范。",
    problems: str = "配电箱未设置漏电保护器。",
    non_cooperation: str = "",
    inspected_on: dt.date = dt.date(2024, 3, 15),
    formed_at: dt.datetime = FORMED_AT,
    followups: list[dict] | None = None,
) -> ResultVersion:
    visit = visit or scene.visits[0]
    members = list(visit.members.select_related("inspector__user").order_by("-is_leader", "id"))
    leader_user = members[0].inspector.user
    result = Result.objects.create(visit=visit, formed_at=formed_at)
    version = ResultVersion.objects.create(
        result=result,
        number=1,
        kind=VersionKind.ORIGINAL,
        status=VersionStatus.FORMED,
        inspected_on=inspected_on,
        conclusion=conclusion,
        non_cooperation=non_cooperation,
        summary=summary,
        problems=problems,
        created_by=leader_user,
        submitted_at=formed_at,
        reviewed_by=scene.crew.reviewer,
        reviewed_at=formed_at,
    )
    for m in members:
        Signature.objects.create(version=version, member=m, signed_by=m.inspector.user)
    if followups is None:
        followups = [
            {
                "kind": FollowUpKind.RECTIFY,
                "rectify_deadline": dt.date(2024, 4, 15),
                "detail": "联系人张三 13912345678 负责整改",
            }
        ]
    for f in followups:
        FollowUp.objects.create(version=version, **f)
    result.current = version
    result.save(update_fields=["current"])
    Visit.objects.filter(pk=visit.pk).update(status=VisitStatus.FORMED)
    return version


@dataclass
class Formed:
    scene: Scene
    versions: list[ResultVersion]

    @property
    def version(self) -> ResultVersion:
        return self.versions[0]

    @property
    def operator(self):
        return self.scene.crew.operator

    @property
    def reviewer(self):
        return self.scene.crew.reviewer

    @property
    def dept(self):
        return self.scene.crew.dept


def formed_scene(*, targets: int = 2, **kwargs) -> Formed:
    scene = dispatched_scene(targets=targets)
    return Formed(scene=scene, versions=[formed_result(scene, v, **kwargs) for v in scene.visits])


def objection(
    published: PublishedResult,
    *,
    received_on: dt.date = dt.date(2024, 9, 27),
    applicant: str = "李四",
    contact: str = "13800138000",
    content: str = "检查当日配电箱已安装漏电保护器，检查结果有误。",
) -> Objection:
    return Objection.objects.create(
        result=published.result,
        published=published,
        number=f"YY2024{next(_n):05d}",
        credit_code=published.credit_code,
        applicant=applicant,
        contact=contact,
        content=content,
        received_on=received_on,
    )


def now() -> dt.datetime:
    return timezone.now()
