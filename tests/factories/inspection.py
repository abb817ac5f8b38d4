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
from tests.factories.ceremony import SEED, Crew, pool_for

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
        return [
            m.inspector.user
            for m in visit.members.select_related("inspector__user").order_by("-is_leader", "id")
        ]


def dispatched_scene(
    *,
    targets: int = 2,
    inspectors: int = 4,
    start=dt.date(2024, 3, 1),
    end=dt.date(2024, 5, 31),
    crew: Crew | None = None,
) -> Scene:
    """Needs the ``var_dir`` fixture (tests/draw/ceremony.py) active: import it in the test module."""
    crew = crew or Crew()
    admin = factories.user(department=crew.dept, role=Role.DEPT_ADMIN, full_name="部门管理员")
    items = [
        item_create(
            department=crew.dept,
            code=f"{crew.dept.code}-JZ-{k}",
            actor=admin,
            name=f"建筑施工安全检查{k}",
            target_type="建筑施工企业",
            content="检查安全生产条件",
            checklist=CHECKLIST,
            basis="《建设工程安全生产管理条例》第二十一条",
            subject="建设管理委员会",
            methods=["现场检查"],
            effective_date=dt.date(2024, 1, 1),
        )
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
    draw = draw_services.draw_commit(
        task=task,
        actor=crew.operator,
        pool=pool_for(task, strata={"all": (targets, ents)}, inspectors=insp),
    )
    draw = draw_services.draw_seed(
        draw=draw, seed_text=SEED, sources="掷骰", witnesses=["王监督"], actor=crew.witness
    )
    draw = draw_services.draw_confirm(draw=draw, actor=crew.operator)
    draw_services.draw_dispatch(draw=draw, actor=crew.operator)
    task.refresh_from_db()
    return Scene(crew=crew, admin=admin, task=task, draw=draw, items=items, inspector_users=users)


# --- helpers for the inspection tests (issue 4) -------------------------------------------------

TODAY = dt.date(2024, 3, 10)  # inside the scene's window; passed as ``today=`` everywhere

# The smallest byte strings each format's magic check accepts.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"0" * 200
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200


def upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def leader_and_member(scene: Scene, visit: Visit) -> tuple[User, User]:
    users = scene.members_users(visit)
    return users[0], users[1]


def started(scene: Scene, visit: Visit | None = None, *, today: dt.date = TODAY) -> Visit:
    """The visit started by its 组长 on ``today``."""
    from shuangsuiji.inspection import services

    visit = visit or scene.visits[0]
    return services.visit_start(visit=visit, actor=scene.members_users(visit)[0], today=today)


def all_findings(visit: Visit, outcome: str = "compliant", *, actor: User) -> None:
    from shuangsuiji.inspection import services
    from shuangsuiji.inspection.models import Finding

    services.findings_record(
        visit=visit,
        actor=actor,
        entries=[
            services.FindingInput(
                item_id=f.item_id, point=f.point, outcome=outcome, note="现场核查"
            )
            for f in Finding.objects.filter(visit=visit)
        ],
    )


def submitted(scene: Scene, visit: Visit | None = None, *, today: dt.date = TODAY):
    """A visit started, every point 符合, concluded 未发现问题 and submitted for signing.
    Returns (visit, version)."""
    from shuangsuiji.inspection import services

    visit = started(scene, visit, today=today)
    leader = scene.members_users(visit)[0]
    all_findings(visit, actor=leader)
    services.result_draft_save(
        visit=visit,
        actor=leader,
        today=today,
        data=services.DraftInput(
            inspected_on=today, conclusion="no_problem", summary="现场检查安全生产条件，未发现问题"
        ),
    )
    version = visit.result.versions.get(number=1)
    return visit, services.result_submit(version=version, actor=leader, today=today)


def in_review(scene: Scene, visit: Visit | None = None, *, today: dt.date = TODAY):
    from shuangsuiji.inspection import services

    visit, version = submitted(scene, visit, today=today)
    for u in scene.members_users(visit):
        services.result_sign(version=version, actor=u)
    version.refresh_from_db()
    return visit, version


def formed(scene: Scene, visit: Visit | None = None, *, today: dt.date = TODAY, draft=None):
    """A formed result. ``draft``: a DraftInput used instead of the 未发现问题 one."""
    from shuangsuiji.inspection import services

    if draft is None:
        visit, version = in_review(scene, visit, today=today)
    else:
        visit = started(scene, visit, today=today)
        leader = scene.members_users(visit)[0]
        all_findings(visit, outcome="problem", actor=leader)
        services.result_draft_save(visit=visit, actor=leader, today=today, data=draft)
        version = services.result_submit(
            version=visit.result.versions.get(number=1), actor=leader, today=today
        )
        for u in scene.members_users(visit):
            services.result_sign(version=version, actor=u)
    version = services.result_approve(version=version, actor=scene.crew.reviewer)
    return visit, version
