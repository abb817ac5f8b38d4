"""Rows with chosen dates for the deadline tests, written directly with the ORM (the
services that normally write them are tested elsewhere): a formed, published or withheld
result, a penalty decision, an objection at each stage.

Test modules using ``scene`` must ``from tests.factories.ceremony import var_dir  # noqa: F401``."""

import datetime as dt
import itertools

from django.utils import timezone

from shuangsuiji.accounts.models import Department
from shuangsuiji.disclosure.choices import ObjectionDecision, ObjectionStatus
from shuangsuiji.disclosure.models import Objection, PublishedResult
from shuangsuiji.inspection.choices import Conclusion, FollowUpKind, VersionStatus, VisitStatus
from shuangsuiji.inspection.models import FollowUp, Result, ResultVersion, Visit
from shuangsuiji.planning.choices import TaskStatus
from shuangsuiji.planning.models import Task
from tests.factories.ceremony import Crew
from tests.factories.inspection import Scene, dispatched_scene

_n = itertools.count(1)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """A moment on ``day`` in Asia/Shanghai (the day a deadline counts from)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def scene(
    *,
    start: dt.date,
    end: dt.date,
    targets: int = 2,
    crew: Crew | None = None,
    publish_workdays: int | None = None,
) -> Scene:
    """A dispatched task with ``targets`` pending visits over the window ``start``–``end``."""
    s = dispatched_scene(targets=targets, start=start, end=end, crew=crew)
    if publish_workdays is not None:
        Department.objects.filter(pk=s.crew.dept.pk).update(
            publish_deadline_workdays=publish_workdays
        )
        s.crew.dept.refresh_from_db()
    return s


def result_formed(visit: Visit, *, formed_on: dt.date, by) -> Result:
    """A result approved (形成) on ``formed_on``, not yet published."""
    result = Result.objects.create(visit=visit, formed_at=at(formed_on))
    version = ResultVersion.objects.create(
        result=result,
        number=1,
        status=VersionStatus.FORMED,
        inspected_on=visit.window_start,
        conclusion=Conclusion.NO_PROBLEM,
        summary="未发现问题",
        created_by=by,
        reviewed_by=by,
        reviewed_at=at(formed_on),
    )
    result.current = version
    result.save(update_fields=["current"])
    Visit.objects.filter(pk=visit.pk).update(status=VisitStatus.FORMED)
    return result


def result_published(visit: Visit, *, formed_on: dt.date, published_on: dt.date, by) -> Result:
    result = result_formed(visit, formed_on=formed_on, by=by)
    ResultVersion.objects.filter(pk=result.current_id).update(
        status=VersionStatus.PUBLISHED, published_at=at(published_on)
    )
    result.first_published_at = at(published_on)
    result.save(update_fields=["first_published_at"])
    result.current.refresh_from_db()
    return result


def result_withheld(visit: Visit, *, formed_on: dt.date, by) -> Result:
    """依法不予公开: the version is closed without publication."""
    result = result_formed(visit, formed_on=formed_on, by=by)
    ResultVersion.objects.filter(pk=result.current_id).update(
        status=VersionStatus.WITHHELD, withheld_reason="涉及国家秘密（测试）"
    )
    return result


def penalty(
    visit: Visit, *, decided_on: dt.date, published_on: dt.date | None = None, by
) -> FollowUp:
    """立案查处 with a penalty decision, on a result published the day it was formed."""
    result = result_published(
        visit,
        formed_on=decided_on - dt.timedelta(days=30),
        published_on=decided_on - dt.timedelta(days=30),
        by=by,
    )
    return FollowUp.objects.create(
        version=result.current,
        kind=FollowUpKind.CASE,
        case_no=f"案-{next(_n)}",
        penalty_decided_on=decided_on,
        penalty_published_on=published_on,
    )


def _published_copy(result: Result) -> PublishedResult:
    visit, version = result.visit, result.current
    return PublishedResult.objects.create(
        version=version,
        result=result,
        department=visit.lead_task.department,
        department_names=visit.lead_task.department.name,
        entity_name=visit.entity.name,
        credit_code=visit.entity.uscc,
        year=version.inspected_on.year,
        task_codes=visit.lead_task.code,
        task_titles=visit.lead_task.title,
        item_names="建筑施工安全检查",
        inspected_on=version.inspected_on,
        conclusion=version.conclusion,
        inspectors="检查员（执法证号 13080000001）",
        version_number=version.number,
        published_at=result.first_published_at,
    )


def objection(
    visit: Visit,
    *,
    received_on: dt.date,
    reviewed_on: dt.date | None = None,
    answered_on: dt.date | None = None,
    by,
) -> Objection:
    """An objection to the visit's published result, received, reviewed and answered on the
    days given (None: not yet)."""
    day = received_on - dt.timedelta(days=10)
    result = result_published(visit, formed_on=day, published_on=day, by=by)
    status = ObjectionStatus.RECEIVED
    if reviewed_on is not None:
        status = ObjectionStatus.REJECTED
    if answered_on is not None:
        status = ObjectionStatus.ANSWERED
    return Objection.objects.create(
        result=result,
        published=_published_copy(result),
        number=f"YY{received_on:%Y%m%d}{next(_n):04d}",
        credit_code=visit.entity.uscc,
        applicant="申请人",
        contact="13812345678",
        content="对检查结论有异议",
        status=status,
        received_on=received_on,
        decision=ObjectionDecision.REJECTED if reviewed_on else "",
        reviewed_by=by if reviewed_on else None,
        reviewed_at=at(reviewed_on) if reviewed_on else None,
        answered_by=by if answered_on else None,
        answered_at=at(answered_on) if answered_on else None,
        answer="复核无误，维持原结果" if answered_on else "",
    )


def task(department: Department, *, end: dt.date, status: str = TaskStatus.DRAFT) -> Task:
    """A task of ``department`` that was never drawn (or only as far as ``status``)."""
    return Task.objects.create(
        code=f"RW-{next(_n)}",
        title="燃气经营单位安全检查",
        department=department,
        window_start=end - dt.timedelta(days=30),
        window_end=end,
        status=status,
    )
