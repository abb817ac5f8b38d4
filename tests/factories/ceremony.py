"""Factories for the draw ceremony tests: a department with its operator, witness and
reviewer, tasks, and ``TaskPool`` objects built directly (independent of draw.pool)."""

import datetime as dt
import itertools

from shuangsuiji.accounts.choices import Role
from shuangsuiji.draw.pool import Excluded, InspectorCandidate, Stratum, TaskPool, target_id_for
from shuangsuiji.planning.models import Task
from shuangsuiji.registry.models import Conflict
from tests import factories

_n = itertools.count(1)
SEED = "2024年第116期 双色球 03 07 12 19 25 31 + 09; 骰子 3 1 4 1 5 9 2 6 5 3 5 8 9 7 9 3 2 3 8 4"


class Crew:
    """One department and the people of a ceremony."""

    def __init__(self, code: str | None = None):
        n = next(_n)
        self.dept = factories.department(code or f"CRW{n}", name=f"测试建设管理委员会{n}")
        self.operator = factories.user(
            department=self.dept, role=Role.OPERATOR, full_name=f"操作员{n}"
        )
        self.witness = factories.user(
            department=self.dept, role=Role.WITNESS, full_name=f"纪检监督员{n}"
        )
        self.reviewer = factories.user(
            department=self.dept, role=Role.REVIEWER, full_name=f"审核负责人{n}"
        )

    def task(
        self,
        *,
        code: str | None = None,
        start=dt.date(2024, 3, 1),
        end=dt.date(2024, 5, 31),
        team_size: int = 2,
        capacity: int = 10,
    ) -> Task:
        return Task.objects.create(
            code=code or f"T-{next(_n)}",
            title="建筑工地安全生产检查",
            department=self.dept,
            window_start=start,
            window_end=end,
            team_size=team_size,
            inspector_capacity=capacity,
            created_by=self.operator,
        )

    def entities(self, count: int, **fields):
        return [factories.entity(department=self.dept, **fields) for _ in range(count)]

    def inspectors(self, count: int):
        return [factories.inspector(department=self.dept) for _ in range(count)]


def tid(entity) -> str:
    return target_id_for(uscc=entity.uscc, pk=entity.pk)


def pool_for(
    task: Task,
    *,
    strata: dict[str, tuple[int, list]],
    inspectors: list,
    capacity: int | None = None,
    conflicts: list[tuple] = (),
    excluded: list = (),
) -> TaskPool:
    """strata: name → (n, entities); conflicts: (inspector, entity) pairs."""
    cap = task.inspector_capacity if capacity is None else capacity
    return TaskPool(
        strata=[
            Stratum(name=name, label=name, n=n, targets=[(tid(e), e.pk) for e in ents])
            for name, (n, ents) in strata.items()
        ],
        excluded=[
            Excluded(target_id=tid(e), entity_id=e.pk, name=e.name, reason=reason)
            for e, reason in excluded
        ],
        inspectors=[
            InspectorCandidate(inspector_id=i.cert_no, pk=i.pk, capacity=cap) for i in inspectors
        ],
        conflicts=sorted((i.cert_no, tid(e)) for i, e in conflicts),
        team_size=task.team_size,
    )


def declare_conflict(inspector, entity):
    return Conflict.objects.create(
        inspector=inspector, entity=entity, reason="近亲属任职", declared_on=dt.date(2024, 1, 2)
    )
