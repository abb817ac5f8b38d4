"""Reads about visits (检查): lists, who may see and do what, the checklist, the entity's
past inspections and penalties, result versions and their follow-up.

The visit list shows which tasks each visit merges (进一次门、查多项事 [002 第十九条]).
Scope: a visit is read by its team and by the staff (部门管理员, 抽查操作员, 审核负责人) of
the lead and partner departments of its tasks (joint tasks are visible to all of them).
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TypeVar

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import Department, User
from shuangsuiji.accounts.selectors import (
    cached_on_user,
    department_ids_for,
    department_subtree_ids_of,
    readable_department_ids,
    user_has_role,
)
from shuangsuiji.catalog.models import Item, ItemVersion
from shuangsuiji.common.errors import NotFound
from shuangsuiji.common.masking import mask_personal_numbers
from shuangsuiji.common.text import cn_date
from shuangsuiji.inspection.choices import FollowUpKind, FollowUpStatus, VersionStatus, VisitStatus
from shuangsuiji.inspection.models import (
    Evidence,
    Finding,
    FollowUp,
    Result,
    ResultVersion,
    Signature,
    Visit,
    VisitMember,
    VisitTask,
)
from shuangsuiji.planning.models import Task

# Staff who read every visit of their departments' tasks; inspectors read only their own.
STAFF_ROLES = frozenset({Role.DEPT_ADMIN, Role.OPERATOR, Role.REVIEWER, Role.AUDITOR})
# A result that has been formed (approved) — and possibly published or corrected since.
FORMED_STATUSES = (
    VersionStatus.FORMED,
    VersionStatus.PUBLISHED,
    VersionStatus.SUPERSEDED,
    VersionStatus.WITHHELD,
)


def _with_tasks_and_team(qs: QuerySet[Visit]) -> QuerySet[Visit]:
    return qs.prefetch_related(
        Prefetch(
            "visit_tasks",
            queryset=VisitTask.objects.select_related("task", "task__department").order_by("id"),
        ),
        Prefetch(
            "members",
            queryset=VisitMember.objects.select_related("inspector", "task").order_by(
                "-is_leader", "id"
            ),
        ),
    )


_V = TypeVar("_V", bound=Visit)


def _in_departments(qs: QuerySet[_V], ids: set[int]) -> QuerySet[_V]:
    return qs.filter(
        Q(visit_tasks__task__department_id__in=ids) | Q(visit_tasks__task__partners__id__in=ids)
    )


def visits_list(
    *, user: User | None = None, task: Task | None = None, merged_only: bool = False
) -> QuerySet[Visit]:
    """Visits with their tasks (in join order) and members (组长 first); ``task_count``
    annotated. ``user`` scopes to visits of tasks his departments lead or partner."""
    qs = Visit.objects.select_related("entity", "lead_task", "lead_task__department").annotate(
        task_count=Count("visit_tasks", distinct=True)
    )
    if task is not None:
        qs = qs.filter(visit_tasks__task=task)
    if merged_only:
        qs = qs.filter(task_count__gt=1)
    if user is not None:
        qs = _in_departments(qs, readable_department_ids(user=user))
    return _with_tasks_and_team(qs.distinct()).order_by("window_start", "target_id", "id")


def visit_tasks(*, visit: Visit) -> list[Task]:
    """The tasks a visit carries, in the order they joined (the first is the lead task)."""
    return [vt.task for vt in visit.visit_tasks.select_related("task").order_by("id")]


def visit_items(*, visit: Visit) -> QuerySet[Item]:
    """抽查事项 of all merged tasks: one visit checks them all."""
    return Item.objects.filter(tasks__visit_tasks__visit=visit).distinct()


def visit_leader(*, visit: Visit) -> VisitMember | None:
    return visit.members.select_related("inspector").filter(is_leader=True).first()


# --- scope and permissions ---------------------------------------------------------------------


def staff_department_ids(*, user: User) -> set[int]:
    return cached_on_user(
        user, "_ssj_visit_staff", lambda: department_ids_for(user=user, roles=STAFF_ROLES)
    )


def visit_department_ids(*, visit: Visit) -> set[int]:
    """Lead and partner departments of every task the visit carries."""
    tasks = Task.objects.filter(visit_tasks__visit=visit)
    ids = set(tasks.values_list("department_id", flat=True))
    ids |= set(
        Task.partners.through.objects.filter(task__in=tasks).values_list("department_id", flat=True)
    )
    return ids


def visit_member_for(*, user: User, visit: Visit) -> VisitMember | None:
    """The user's own place in the team (through Inspector.user), if any."""
    if user is None or not user.is_authenticated:
        return None
    return visit.members.select_related("inspector").filter(inspector__user=user).first()


def visit_can_read(*, user: User, visit: Visit) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if visit_member_for(user=user, visit=visit) is not None:
        return True
    return bool(staff_department_ids(user=user) & visit_department_ids(visit=visit))


def visit_is_lead_operator(*, user: User, visit: Visit) -> bool:
    """抽查操作员 of the lead task's department (or of a department above it)."""
    return user_has_role(user=user, role=Role.OPERATOR, department=visit.lead_task.department)


def visit_can_record(*, user: User, visit: Visit) -> bool:
    """Findings, evidence and the draft: the team, and the lead department's operator (who
    enters a paper record for the team)."""
    if user is None or not user.is_authenticated:
        return False
    return visit_member_for(user=user, visit=visit) is not None or visit_is_lead_operator(
        user=user, visit=visit
    )


def visit_can_review(*, user: User, visit: Visit) -> bool:
    """审核负责人 of the lead task's department or a department above it."""
    return user_has_role(user=user, role=Role.REVIEWER, department=visit.lead_task.department)


def visit_get(*, user: User, pk: int) -> Visit:
    visit = (
        Visit.objects.select_related("entity", "lead_task", "lead_task__department")
        .filter(pk=pk)
        .first()
    )
    if visit is None or not visit_can_read(user=user, visit=visit):
        raise NotFound("检查不存在或您无权查看")
    return visit


# --- lists -------------------------------------------------------------------------------------


def visits_mine(*, user: User) -> QuerySet[Visit]:
    """我的检查: visits where the user is in the team (through his inspector record)."""
    qs = (
        Visit.objects.select_related("entity", "lead_task", "lead_task__department")
        .filter(members__inspector__user=user)
        .annotate(task_count=Count("visit_tasks", distinct=True))
    )
    return _with_tasks_and_team(qs.distinct()).order_by("window_start", "target_id", "id")


@dataclass
class StatusGroup:
    status: str
    label: str
    visits: list[Visit]


def visits_mine_grouped(*, user: User) -> list[StatusGroup]:
    """My visits by status, in the order of the work (待检查 first); empty groups left out."""
    by: dict[str, list[Visit]] = defaultdict(list)
    for v in visits_mine(user=user):
        by[v.status].append(v)
    return [
        StatusGroup(status=s.value, label=str(s.label), visits=by[s.value])
        for s in VisitStatus
        if by[s.value]
    ]


def visits_for_staff(
    *,
    user: User,
    status: str = "",
    department: str = "",
    q: str = "",
    penalty_unpublished: bool = False,
    year: int | None = None,
    conclusion: str = "",
    published: str = "",
    joint: str = "",
) -> QuerySet[Visit]:
    """The staff list: visits of tasks the user's departments lead or partner, as visits_list.
    ``penalty_unpublished``: only visits with a penalty decided and not yet published (the
    office's to-do, inspection/todo.py)."""
    qs = Visit.objects.select_related("entity", "lead_task", "lead_task__department").annotate(
        task_count=Count("visit_tasks", distinct=True)
    )
    qs = _in_departments(qs, staff_department_ids(user=user))
    if penalty_unpublished:
        qs = qs.filter(
            pk__in=FollowUp.objects.filter(
                kind=FollowUpKind.CASE,
                penalty_decided_on__isnull=False,
                penalty_published_on__isnull=True,
            ).values("version__result__visit_id")
        )
    return _visits_filtered(
        qs,
        status=status,
        department=department,
        q=q,
        year=year,
        conclusion=conclusion,
        published=published,
        joint=joint,
    )


def visits_search(*, status: str = "", department: str = "", q: str = "") -> QuerySet[Visit]:
    """Unscoped (the shell's ``ssj inspection list``)."""
    qs = Visit.objects.select_related("entity", "lead_task", "lead_task__department").annotate(
        task_count=Count("visit_tasks", distinct=True)
    )
    return _visits_filtered(qs, status=status, department=department, q=q)


def _visits_filtered(
    qs: QuerySet[Visit],
    *,
    status: str,
    department: str,
    q: str,
    year: int | None = None,
    conclusion: str = "",
    published: str = "",
    joint: str = "",
) -> QuerySet[Visit]:
    if status:
        qs = qs.filter(status=status)
    if department:
        # A department with its sub-units (a 委 and its 科室), as 统计分析 counts them.
        dept = Department.objects.filter(code=department).first()
        qs = _in_departments(qs, department_subtree_ids_of(department=dept)) if dept else qs.none()
    if year is not None:
        # The year of the lead task's execution period (the plan year; stats/figures.py).
        qs = qs.filter(lead_task__window_start__year=year)
    if conclusion:
        qs = qs.filter(result__formed_at__isnull=False, result__current__conclusion=conclusion)
    if published in ("yes", "no"):
        # As 统计分析 counts 已公示: formed, not withheld by law (依法不予公开), published.
        qs = qs.filter(result__formed_at__isnull=False).exclude(
            result__current__status=VersionStatus.WITHHELD
        )
        qs = qs.filter(result__first_published_at__isnull=(published == "no"))
    if joint == "yes":
        qs = qs.filter(tasks__partners__isnull=False)
    elif joint == "no":
        qs = qs.exclude(tasks__partners__isnull=False)
    if q := (q or "").strip():
        qs = qs.filter(Q(entity__name__icontains=q) | Q(target_id__icontains=q))
    return _with_tasks_and_team(qs.distinct()).order_by("window_start", "target_id", "id")


# --- checklist and findings --------------------------------------------------------------------


def item_version_in_force(*, item: Item, on: dt.date) -> ItemVersion | None:
    """The version in force on ``on`` (latest effective on or before it), else the latest:
    the checklist changes with the law (立改废释), the visit uses the one of its day."""
    versions = ItemVersion.objects.filter(item=item)
    return (
        versions.filter(effective_date__lte=on).order_by("-effective_date", "-number").first()
        or versions.order_by("-number").first()
    )


@dataclass
class ItemChecklist:
    item: Item
    version: ItemVersion
    findings: list[Finding]


def visit_checklist(*, visit: Visit) -> list[ItemChecklist]:
    """The visit's findings grouped by item (frozen at visit_start from the versions in force)."""
    groups: dict[int, ItemChecklist] = {}
    for f in (
        Finding.objects.filter(visit=visit)
        .select_related("item", "item_version", "updated_by")
        .order_by("item__code", "item_id", "point")
    ):
        g = groups.get(f.item_id)
        if g is None:
            g = groups[f.item_id] = ItemChecklist(item=f.item, version=f.item_version, findings=[])
        g.findings.append(f)
    return list(groups.values())


@dataclass
class ItemInForce:
    item: Item
    version: ItemVersion | None


def visit_items_in_force(*, visit: Visit, on: dt.date) -> list[ItemInForce]:
    return [
        ItemInForce(item=i, version=item_version_in_force(item=i, on=on))
        for i in visit_items(visit=visit).order_by("code", "id")
    ]


# --- 既往检查和行政处罚 [000 三(五)] ----------------------------------------------------------------


def _same_target(visit: Visit) -> QuerySet[Visit]:
    return Visit.objects.filter(
        Q(target_id=visit.target_id) | Q(entity_id=visit.entity_id)
    ).exclude(pk=visit.pk)


def visit_history(*, visit: Visit) -> QuerySet[Result]:
    """The entity's other visits whose result has been formed (formed, published or
    corrected): 检查前要及时了解检查对象既往监督检查情况 [000 三(五)]. All departments: the
    same company may be kept in several departments' libraries."""
    return (
        Result.objects.filter(visit__in=_same_target(visit), current__isnull=False)
        .select_related("visit", "visit__lead_task", "visit__lead_task__department", "current")
        .order_by("-current__inspected_on", "-id")
    )


def visit_penalties(*, visit: Visit) -> QuerySet[FollowUp]:
    """立案查处 with a penalty decision, on the current version of the entity's other
    results: 既往行政处罚情况 [000 三(五)]."""
    return (
        FollowUp.objects.filter(
            kind=FollowUpKind.CASE,
            penalty_decided_on__isnull=False,
            version__result__visit__in=_same_target(visit),
            version_id=F("version__result__current_id"),
        )
        .select_related("version__result__visit__lead_task__department")
        .order_by("-penalty_decided_on", "-id")
    )


# --- results -----------------------------------------------------------------------------------


def result_for(*, visit: Visit) -> Result | None:
    return Result.objects.filter(visit=visit).select_related("current").first()


def result_versions(*, visit: Visit) -> list[ResultVersion]:
    """All versions, newest first, with their signatures and follow-ups."""
    return list(
        ResultVersion.objects.filter(result__visit=visit)
        .select_related("created_by", "reviewed_by")
        .prefetch_related(
            Prefetch(
                "signatures",
                queryset=Signature.objects.select_related(
                    "member__inspector", "signed_by"
                ).order_by("signed_at", "id"),
            ),
            Prefetch("followups", queryset=FollowUp.objects.order_by("id")),
        )
        .order_by("-number")
    )


def result_working_version(*, visit: Visit) -> ResultVersion | None:
    """The latest version: the draft being written, or the one in signing/review/formed."""
    return ResultVersion.objects.filter(result__visit=visit).order_by("-number").first()


@dataclass
class MemberSign:
    member: VisitMember
    signature: Signature | None
    has_account: bool


def version_signing(*, version: ResultVersion) -> list[MemberSign]:
    """Each team member (组长 first) with his signature on ``version``, if any."""
    signed = {s.member_id: s for s in version.signatures.select_related("signed_by")}
    members = (
        VisitMember.objects.filter(visit_id=version.result.visit_id)
        .select_related("inspector__department")
        .order_by("-is_leader", "id")
    )
    return [
        MemberSign(
            member=m, signature=signed.get(m.pk), has_account=m.inspector.user_id is not None
        )
        for m in members
    ]


def last_submitted_at(*, visit: Visit) -> dt.datetime | None:
    """When a version of this visit was last submitted for signing: evidence uploaded
    before it is part of what the team signed, and frozen."""
    return (
        ResultVersion.objects.filter(result__visit=visit, submitted_at__isnull=False)
        .order_by("-submitted_at")
        .values_list("submitted_at", flat=True)
        .first()
    )


def visit_evidence(*, visit: Visit) -> QuerySet[Evidence]:
    return (
        Evidence.objects.filter(visit=visit)
        .select_related("uploaded_by")
        .annotate(is_paper_scan=Exists(Signature.objects.filter(scan=OuterRef("pk"))))
        .order_by("uploaded_at", "id")
    )


def evidence_is_frozen(*, evidence: Evidence, submitted_at: dt.datetime | None) -> bool:
    """Part of what the team signed (uploaded before the last submission), or the scan a
    paper signature rests on: either way it can no longer be deleted."""
    if getattr(evidence, "is_paper_scan", False):
        return True
    return submitted_at is not None and evidence.uploaded_at <= submitted_at


# --- follow-up facts (for 一公开) ---------------------------------------------------------------


@dataclass
class FollowUpFact:
    """One follow-up of a result, as facts the disclosure side can print."""

    id: int
    kind: str
    kind_label: str
    status: str
    status_label: str
    detail: str
    rectify_deadline: dt.date | None
    recheck_on: dt.date | None
    recheck_note: str
    recipient: str
    case_no: str
    penalty_decided_on: dt.date | None
    penalty_published_on: dt.date | None
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """One line in Chinese, personal numbers masked (free text may hold them)."""
        return mask_personal_numbers("；".join(self.parts))


def _fact(f: FollowUp) -> FollowUpFact:
    parts = [str(f.get_kind_display())]
    if f.kind == FollowUpKind.RECTIFY and f.rectify_deadline:
        parts.append(f"整改期限{cn_date(f.rectify_deadline)}")
    if f.recipient:
        parts.append(f"移交/移送{f.recipient}")
    if f.case_no:
        parts.append(f"案件编号{f.case_no}")
    if f.penalty_decided_on:
        parts.append(f"{cn_date(f.penalty_decided_on)}作出行政处罚决定")
    if f.recheck_on:
        parts.append(
            f"{cn_date(f.recheck_on)}复查：{'已整改' if f.status == FollowUpStatus.DONE else '未整改'}"
        )
    if f.status == FollowUpStatus.DONE and f.kind != FollowUpKind.RECTIFY:
        parts.append("已办结")
    return FollowUpFact(
        id=f.pk,
        kind=f.kind,
        kind_label=str(f.get_kind_display()),
        status=f.status,
        status_label=str(f.get_status_display()),
        detail=f.detail,
        rectify_deadline=f.rectify_deadline,
        recheck_on=f.recheck_on,
        recheck_note=f.recheck_note,
        recipient=f.recipient,
        case_no=f.case_no,
        penalty_decided_on=f.penalty_decided_on,
        penalty_published_on=f.penalty_published_on,
        parts=parts,
    )


def result_followup_facts(
    *, result: Result, version: ResultVersion | None = None
) -> list[FollowUpFact]:
    """后续处理 of a result's current version (or of ``version``), in the order entered —
    including what was appended after forming (复查, 处罚决定, 办结)."""
    version = version or result.current
    if version is None:
        return []
    return [_fact(f) for f in FollowUp.objects.filter(version=version).order_by("id")]
