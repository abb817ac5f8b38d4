"""A dispatched visit ready to be inspected: a department with its operator, witness,
reviewer and admin; inspectors with login accounts (role 执法检查人员); items with a
checklist; a task drawn, confirmed and dispatched through the real draw services.

Used by the inspection and disclosure tests (and the browser test)."""

import datetime as dt
from dataclasses import dataclass, field

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import User
from shuangsuiji.catalog.models import Item
from shuangsuiji.catalog.services import item_create
from shuangsuiji.draw import services as draw_services
from shuangsuiji.draw.models import Draw
from shuangsuiji.inspection.models import Visit
from shuangsuiji.planning.models import Task
from tests import factories
from tests.draw.ceremony import SEED, Crew, pool_for

CHECKLIST = ["安全生产责任制落实情况", "特种作业人员持证上岗情况", "施工现场临时用电"]


@dataclass
class Scene:
    crew: Crew
    admin: User
    task: Task
    draw: Draw
    items: list[Item]
    inspector_users: list[User] = field(default_factory=list)

    @property
    def visits(self) -> list[Visit]:
        return list(Visit.objects.filter(visit_tasks__task=self.task).order_by("id"))

    def members_users(self, visit: Visit) -> list[User]:
        """Login accounts of the visit's team, 组长 first."""
        return [m.inspector.user for m in visit.members.select_related("inspector__user").order_by("-is_leader", "id")]


def dispatched_scene(*, targets: int = 2, inspectors: int = 4, start=dt.date(2024, 3, 1),
                     end=dt.date(2024, 5, 31), crew: Crew | None = None) -> Scene:
    """Needs the ``var_dir`` fixture (tests/draw/ceremony.py) active: import it in the test module."""
    crew = crew or Crew()
    admin = factories.user(department=crew.dept, role=Role.DEPT_ADMIN, full_name="部门管理员")
    items = [
        item_create(department=crew.dept, code=f"{crew.dept.code}-JZ-{k}", actor=admin, name=f"建筑施工安全检查{k}",
                    target_type="建筑施工企业", content="检查安全生产条件", checklist=CHECKLIST,
                    basis="《建设工程安全生产管理条例》第二十一条", subject="建设管理委员会", methods=["现场检查"],
                    effective_date=dt.date(2024, 1, 1))
        for k in (1, 2)
    ]
    task = crew.task(start=start, end=end)
    task.items.add(*items)
    ents = crew.entities(targets)
    insp = crew.inspectors(inspectors)
    users = []
    for i in insp:
        u = factories.user(department=crew.dept, role=Role.INSPECTOR, full_name=i.name)
        i.user = u
        i.save(update_fields=["user"])
        users.append(u)
    draw = draw_services.draw_commit(task=task, actor=crew.operator,
                                     pool=pool_for(task, strata={"all": (targets, ents)}, inspectors=insp))
    draw = draw_services.draw_seed(draw=draw, seed_text=SEED, sources="掷骰", witnesses=["王监督"], actor=crew.witness)
    draw = draw_services.draw_confirm(draw=draw, actor=crew.operator)
    draw_services.draw_dispatch(draw=draw, actor=crew.operator)
    task.refresh_from_db()
    return Scene(crew=crew, admin=admin, task=task, draw=draw, items=items, inspector_users=users)
