"""Reads about visits (检查): the visit list shows which tasks each visit merges
(进一次门、查多项事 [002 第十九条])."""

from django.db.models import Count, Prefetch, Q, QuerySet

from shuangsuiji.accounts.models import User
from shuangsuiji.accounts.selectors import readable_department_ids
from shuangsuiji.catalog.models import Item
from shuangsuiji.inspection.models import Visit, VisitMember, VisitTask
from shuangsuiji.planning.models import Task


def visits_list(*, user: User | None = None, task: Task | None = None, merged_only: bool = False) -> QuerySet[Visit]:
    """Visits with their tasks (in join order) and members (组长 first); ``task_count``
    annotated. ``user`` scopes to visits of tasks his departments lead or partner."""
    qs = Visit.objects.select_related("entity", "lead_task", "lead_task__department").annotate(
        task_count=Count("visit_tasks", distinct=True))
    if task is not None:
        qs = qs.filter(visit_tasks__task=task)
    if merged_only:
        qs = qs.filter(task_count__gt=1)
    if user is not None:
        ids = readable_department_ids(user=user)
        qs = qs.filter(Q(visit_tasks__task__department_id__in=ids) | Q(visit_tasks__task__partners__id__in=ids))
    return qs.distinct().prefetch_related(
        Prefetch("visit_tasks", queryset=VisitTask.objects.select_related("task", "task__department").order_by("id")),
        Prefetch("members", queryset=VisitMember.objects.select_related("inspector", "task").order_by("-is_leader", "id")),
    ).order_by("window_start", "target_id", "id")


def visit_tasks(*, visit: Visit) -> list[Task]:
    """The tasks a visit carries, in the order they joined (the first is the lead task)."""
    return [vt.task for vt in visit.visit_tasks.select_related("task").order_by("id")]


def visit_items(*, visit: Visit) -> QuerySet[Item]:
    """抽查事项 of all merged tasks: one visit checks them all."""
    return Item.objects.filter(tasks__visit_tasks__visit=visit).distinct()


def visit_leader(*, visit: Visit) -> VisitMember | None:
    return visit.members.select_related("inspector").filter(is_leader=True).first()
