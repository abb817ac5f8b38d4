"""Reads of 一公开 (staff side and the few the portal shares).

Scoping: a result is visible to the departments of every task its visit carries and to
their joint partners (部门联合抽查 is visible to lead and partners); only the lead
department acts on it (services/_common.py). Deadlines are counted in working days on
the Chinese calendar (workdays/services.py); a year without calendar data gives its error
text instead of a date — never a guess.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, CharField, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import User
from shuangsuiji.accounts.selectors import readable_department_ids, user_has_role
from shuangsuiji.common.errors import NotFound
from shuangsuiji.common.masking import mask_personal_numbers
from shuangsuiji.disclosure.choices import ObjectionDecision, ObjectionStatus
from shuangsuiji.disclosure.models import Objection, PublishedResult
from shuangsuiji.inspection.choices import VersionKind, VersionStatus
from shuangsuiji.inspection.models import Result, ResultVersion, VisitTask
from shuangsuiji.workdays.services import (
    deadline_provisional,
    provisional_note,
    workdays_between_provisional,
)

# 接到申请材料之日起20个工作日内进行复核……自作出复核结果后15个工作日内反馈 (002 第二十八条)
OBJECTION_REVIEW_WORKDAYS = 20
OBJECTION_ANSWER_WORKDAYS = 15


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


# --- scope -------------------------------------------------------------------------------


def _visible_visit_ids(*, user: User):
    ids = readable_department_ids(user=user)
    return VisitTask.objects.filter(
        Q(task__department_id__in=ids) | Q(task__partners__id__in=ids)
    ).values("visit_id")


def results_visible(*, user: User) -> QuerySet[Result]:
    return Result.objects.filter(visit_id__in=_visible_visit_ids(user=user)).select_related(
        "visit__entity", "visit__lead_task__department", "current"
    )


def result_get(*, user: User, pk: int) -> Result:
    result = results_visible(user=user).filter(pk=pk).first()
    if result is None:
        raise NotFound("检查结果不存在或您无权查看")
    return result


def version_get(*, user: User, pk: int) -> ResultVersion:
    version = (
        ResultVersion.objects.filter(pk=pk, result__visit_id__in=_visible_visit_ids(user=user))
        .select_related(
            "result__visit__entity", "result__visit__lead_task__department", "result__current"
        )
        .first()
    )
    if version is None:
        raise NotFound("检查结果版本不存在或您无权查看")
    return version


def versions_by_ids(*, user: User, ids: list[int]) -> list[ResultVersion]:
    """The versions behind a bulk request; an id the user cannot see is NotFound (named)."""
    wanted = list(dict.fromkeys(int(i) for i in ids))
    found = {
        v.pk: v
        for v in ResultVersion.objects.filter(
            pk__in=wanted, result__visit_id__in=_visible_visit_ids(user=user)
        ).select_related("result__visit__entity", "result__visit__lead_task__department")
    }
    missing = [i for i in wanted if i not in found]
    if missing:
        raise NotFound(
            f"检查结果版本不存在或您无权查看：{'、'.join(map(str, missing[:20]))}",
            field="version_ids",
        )
    return [found[i] for i in wanted]


def _lead(result: Result):
    return result.visit.lead_task.department


def user_can_publish(*, user: User, result: Result) -> bool:
    return any(
        user_has_role(user=user, role=r, department=_lead(result))
        for r in (Role.OPERATOR, Role.REVIEWER)
    )


def user_is_principal(*, user: User, result: Result) -> bool:
    """审核负责人 of the lead department: signs corrections, withholds, reviews objections."""
    return user_has_role(user=user, role=Role.REVIEWER, department=_lead(result))


# --- deadlines ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """A deadline in working days. ``date`` is None only when there is nothing to count
    from yet (``error`` says why: not formed, not reviewed). ``note`` is set while the date
    is provisional — counted on weekends only over a year without calendar data — and
    never on work already done, where the date is history, not a warning."""

    date: dt.date | None
    error: str = ""
    days_left: int | None = None  # working days from today to the date; negative when overdue
    note: str = ""

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0

    @property
    def provisional(self) -> bool:
        return bool(self.note)


def _due(*, start: dt.date | dt.datetime, n: int, today: dt.date | None, done: bool = False) -> Due:
    deadline = deadline_provisional(start=start, n=n)
    if done:
        return Due(deadline.date)
    left, assumed = workdays_between_provisional(start=_today(today), end=deadline.date)
    years = set(deadline.assumed_years) | set(assumed)
    return Due(deadline.date, days_left=left, note=provisional_note(years=years) if years else "")


def result_publish_workdays(*, result: Result) -> int:
    """The result's 公示时限; a result formed before the rules existed has none of its own and
    keeps its department's setting."""
    return result.publish_workdays or _lead(result).publish_deadline_workdays


def publish_deadline(*, result: Result, today: dt.date | None = None) -> Due:
    """公示期限: working days after the result was formed (20 by default — 10 in 漳平), from
    the items' rules on the day it was formed (``Result.publish_workdays``) [000 三(六),
    002 第二十八条, 003 附件3 第十一条]."""
    if result.formed_at is None:
        return Due(None, "检查结果尚未形成")
    return _due(
        start=result.formed_at,
        n=result_publish_workdays(result=result),
        today=today,
        done=result.first_published_at is not None,
    )


@dataclass(frozen=True)
class PendingRow:
    version: ResultVersion
    deadline: Due


def results_to_publish(*, user: User | None, q: str = "") -> QuerySet[ResultVersion]:
    """待公示: formed original versions that are the current one of their result, oldest
    first (the most urgent deadline on top). ``user=None``: every department (the shell)."""
    qs = ResultVersion.objects.filter(
        status=VersionStatus.FORMED, kind=VersionKind.ORIGINAL, result__current_id=F("pk")
    ).select_related("result__visit__entity", "result__visit__lead_task__department")
    if user is not None:
        qs = qs.filter(result__visit_id__in=_visible_visit_ids(user=user))
    if q := (q or "").strip():
        qs = qs.filter(
            Q(result__visit__entity__name__icontains=q)
            | Q(result__visit__target_id=q.upper())
            | Q(result__visit__lead_task__code__icontains=q)
        )
    return qs.order_by("result__formed_at", "pk")


def pending_rows(*, versions, today: dt.date | None = None) -> list[PendingRow]:
    """The deadline of each row of a (paged) list of versions to publish."""
    return [PendingRow(v, publish_deadline(result=v.result, today=today)) for v in versions]


# --- published ---------------------------------------------------------------------------


def published_list(
    *,
    user: User,
    q: str = "",
    year: int | None = None,
    conclusion: str = "",
    current_only: bool = False,
) -> QuerySet[PublishedResult]:
    """已公示 of the user's departments (joint tasks included), newest first; ``q`` matches
    the entity name, the 统一社会信用代码 or a task code."""
    qs = PublishedResult.objects.filter(
        result__visit_id__in=_visible_visit_ids(user=user)
    ).select_related("department", "superseded_by")
    if q := (q or "").strip():
        qs = qs.filter(
            Q(entity_name__icontains=q) | Q(credit_code=q.upper()) | Q(task_codes__icontains=q)
        )
    if year:
        qs = qs.filter(year=year)
    if conclusion:
        qs = qs.filter(conclusion=conclusion)
    if current_only:
        qs = qs.filter(superseded_by__isnull=True)
    return qs.order_by("-published_at", "-id")


def published_results_for_code(
    *, code: str, current_only: bool = False
) -> QuerySet[PublishedResult]:
    """Every published result of one 统一社会信用代码, newest first — superseded copies too,
    marked by ``superseded_by`` (a correction keeps the old version visible).

    One query on the ``pubresult_code`` index (credit_code, -published_at): the filter is
    its prefix and the order its second column, so no sort over the table."""
    qs = PublishedResult.objects.filter(credit_code=(code or "").strip().upper())
    if current_only:
        qs = qs.filter(superseded_by__isnull=True)
    return qs.order_by("-published_at")


def result_versions(*, result: Result) -> list[ResultVersion]:
    """All versions, newest first, with their public copy (if any) and signatures."""
    return list(
        ResultVersion.objects.filter(result=result)
        .select_related(
            "created_by",
            "principal_signed_by",
            "reviewed_by",
            "objection",
            "published",
            "published__superseded_by",
        )
        .prefetch_related("signatures__member__inspector", "followups")
        .order_by("-number")
    )


def corrections_pending(*, user: User) -> QuerySet[ResultVersion]:
    """更正 waiting for the principal's signature, in the user's scope."""
    return (
        ResultVersion.objects.filter(
            kind=VersionKind.CORRECTION,
            status=VersionStatus.REVIEW,
            result__visit_id__in=_visible_visit_ids(user=user),
        )
        .select_related(
            "result__visit__entity",
            "result__visit__lead_task__department",
            "created_by",
            "objection",
        )
        .order_by("submitted_at", "pk")
    )


# --- objections --------------------------------------------------------------------------


# A filter value of the objection list besides the statuses: reviewed, feedback not yet given
# (the to-do card "已复核、待反馈", disclosure/todo.py).
TO_ANSWER = "to_answer"


def objections_list(*, user: User, status: str = "", q: str = "") -> QuerySet[Objection]:
    qs = Objection.objects.filter(
        result__visit_id__in=_visible_visit_ids(user=user)
    ).select_related("published", "result__visit__lead_task__department")
    if status == TO_ANSWER:
        qs = qs.filter(status__in=[ObjectionStatus.UPHELD, ObjectionStatus.REJECTED])
    elif status:
        qs = qs.filter(status=status)
    if q := (q or "").strip():
        qs = qs.filter(
            Q(number__icontains=q)
            | Q(published__entity_name__icontains=q)
            | Q(credit_code=q.upper())
        )
    return qs.order_by("received_on", "id")


def objection_get(*, user: User, pk: int) -> Objection:
    objection = (
        objections_list(user=user)
        .select_related("result__visit__entity", "reviewed_by", "answered_by")
        .filter(pk=pk)
        .first()
    )
    if objection is None:
        raise NotFound("异议不存在或您无权查看")
    return objection


@dataclass(frozen=True)
class ObjectionDue:
    review: Due  # 复核: 20 working days from receipt
    answer: Due  # 反馈: 15 working days from the review (None date until reviewed)


def objection_due_dates(*, objection: Objection, today: dt.date | None = None) -> ObjectionDue:
    """复核 due = 20 working days after ``received_on``; 反馈 due = 15 working days after
    the review, once reviewed (002 第二十八条)."""
    reviewed = objection.status != ObjectionStatus.RECEIVED
    review = _due(
        start=objection.received_on, n=OBJECTION_REVIEW_WORKDAYS, today=today, done=reviewed
    )
    if objection.reviewed_at is None:
        answer = Due(None, "复核后计算")
    else:
        answer = _due(
            start=objection.reviewed_at,
            n=OBJECTION_ANSWER_WORKDAYS,
            today=today,
            done=objection.status == ObjectionStatus.ANSWERED,
        )
    return ObjectionDue(review=review, answer=answer)


PUBLIC_OUTCOME_FIELDS = (
    "number",
    "entity_name",
    "credit_code",
    "published_id",
    "result_id",
    "version_number",
    "correction_published_id",
    "decision",
    "decision_label",
    "reviewed_on",
    "answer",
    "answered_on",
)


class PublicOutcomes:
    """Answered objections for the portal: countable and sliceable (Django's ``Paginator``
    pages it), each row a dict of ``PUBLIC_OUTCOME_FIELDS``. The applicant's name and
    contact are read only to be blotted out of the answer text, then dropped; mobile and
    身份证号 typed into an answer are masked (they never reach a public page)."""

    ordered = True

    def __init__(self, qs: QuerySet):
        self._qs = qs

    @staticmethod
    def _clean(row: dict) -> dict:
        applicant, contact = row.pop("applicant"), row.pop("contact")
        answer = row["answer"]
        if applicant.strip():
            answer = answer.replace(applicant.strip(), "申请人")
        if contact.strip():
            answer = answer.replace(contact.strip(), "（联系电话）")
        row["answer"] = mask_personal_numbers(answer)
        return row

    def count(self) -> int:
        return self._qs.count()

    def __len__(self) -> int:
        return self.count()

    def __iter__(self):
        return (self._clean(r) for r in self._qs)

    def __getitem__(self, key):
        if isinstance(key, slice):
            return [self._clean(r) for r in self._qs[key]]
        return self._clean(self._qs[key])


def objection_outcomes_public(*, credit_code: str = "") -> PublicOutcomes:
    """复核反馈 the portal shows: answered objections, newest answer first — the 受理编号,
    the entity, links to the objected and the corrected public copy
    (``published_id``/``correction_published_id``), the decision, the review date and
    the answer. Never the applicant's name or contact."""
    correction = Subquery(
        PublishedResult.objects.filter(version__objection=OuterRef("pk"))
        .order_by("-published_at")
        .values("pk")[:1]
    )
    qs = Objection.objects.filter(status=ObjectionStatus.ANSWERED)
    if credit_code := (credit_code or "").strip():
        qs = qs.filter(credit_code=credit_code.upper())
    return PublicOutcomes(
        qs.annotate(
            entity_name=F("published__entity_name"),
            version_number=F("published__version_number"),
            correction_published_id=correction,
            decision_label=Case(
                *[
                    When(decision=value, then=Value(str(label)))
                    for value, label in ObjectionDecision.choices
                ],
                default=Value(""),
                output_field=CharField(),
            ),
            reviewed_on=TruncDate("reviewed_at"),
            answered_on=TruncDate("answered_at"),
        )
        .order_by("-answered_at", "-id")
        .values(*PUBLIC_OUTCOME_FIELDS, "applicant", "contact")
    )


# ---------------------------------------------------------------------------------------
# 信用监管档案 (issue 14 第 3 项; 003 第十一条: 纳入本系统市场主体诚信档案)
# ---------------------------------------------------------------------------------------


@dataclass
class CreditRecord:
    """Everything the platform knows of one entity's supervision, for staff: its class and
    flags (from the recorded imports), complaints, every inspection with its result, and
    every follow-up with re-checks and penalties — each with its date."""

    entity: object
    flags: list
    complaints: list
    visits: list
    followups: list
    published: list[PublishedResult]


def entity_credit_record(*, entity) -> CreditRecord:
    from shuangsuiji.inspection.models import FollowUp, Visit
    from shuangsuiji.registry.models import ComplaintCount, CreditFlag

    code = entity.uscc
    flags = (
        list(
            CreditFlag.objects.filter(department_id=entity.department_id, uscc=code).order_by(
                "-listed_on", "kind"
            )
        )
        if code
        else []
    )
    complaints = (
        list(
            ComplaintCount.objects.filter(department_id=entity.department_id, uscc=code).order_by(
                "-period_start"
            )
        )
        if code
        else []
    )
    visits = list(
        Visit.objects.filter(entity=entity)
        .select_related("lead_task__department", "result__current")
        .order_by("-window_start", "-id")
    )
    followups = list(
        FollowUp.objects.filter(version__result__visit__entity=entity)
        .select_related("version__result__visit__lead_task")
        .order_by("-id")
    )
    published = list(
        PublishedResult.objects.filter(result__visit__entity=entity).order_by("-published_at")
    )
    return CreditRecord(
        entity=entity,
        flags=flags,
        complaints=complaints,
        visits=visits,
        followups=followups,
        published=published,
    )


def entity_history_panel(*, entity, user):
    """The entity page's panel: the inspections, results and follow-ups of its 信用监管档案
    (the full record, with flags and complaints, is one link away)."""
    from shuangsuiji.registry.panels import Panel

    return Panel("disclosure/_entity_history.html", {"r": entity_credit_record(entity=entity)})
