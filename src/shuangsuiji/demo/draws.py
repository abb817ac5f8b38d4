"""Demo draws (``ssj demo``, after ``demo_plans``): three completed ceremonies and one void
draw, each through the real services and each verifiable from its exported files. The
years and windows come from the day the demo is loaded (``demo.timeline``):

- ``SJJW-<last year>-RQ01`` 液化气储存充装站点 per credit-risk class (strata ``gas.A`` …
  ``gas.D``, higher risk, higher ratio [001 三(六)]), last October: the history. Its first
  draw was voided before the seed — the D-class ratio was wrong — and stays public; the
  second was drawn;
- ``SJJW-<year>-RQ02`` 部门联合抽查: 燃气经营企业, led by 松江区建管委 (燃气所's plan row 2)
  with 松江区市场监督管理局 as partner (its item and its inspectors join) [000 附件, 004
  三(一)]; one inspector substituted for a recorded reason, with approval [002 第二十二条].
  Its window ended a few weeks ago;
- ``ZPZJ-<year>-JZ01`` 漳平 match-only ceremony (as vector v2): the targets were drawn
  elsewhere; the 26 inspectors of 003 附件5 are matched, three declared conflicts of
  interest (回避) are in the manifest. Its window is running.

Every ceremony runs in one transaction, each step at the moment it would have been taken:
a failure leaves nothing behind, and a second run finds the task and leaves it as it is.
"""

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from shuangsuiji.accounts.choices import DepartmentKind, Role
from shuangsuiji.accounts.models import Department, Membership, User
from shuangsuiji.accounts.services import department_add, membership_grant, user_create
from shuangsuiji.catalog.models import Item
from shuangsuiji.catalog.services import item_create
from shuangsuiji.common.ids import make_id_number
from shuangsuiji.demo.accounts import DEMO_PASSWORD
from shuangsuiji.demo.timeline import Timeline, Window
from shuangsuiji.draw import services
from shuangsuiji.draw.models import Draw
from shuangsuiji.draw.pool import target_id_for
from shuangsuiji.planning import services as planning
from shuangsuiji.planning.choices import TaskKind
from shuangsuiji.planning.models import Plan, PlanRow, Task
from shuangsuiji.registry.choices import DRAWABLE_STATUSES
from shuangsuiji.registry.models import Conflict, Entity, Inspector, Tag
from shuangsuiji.registry.services import conflict_declare, inspector_create


@dataclass(frozen=True)
class DemoCodes:
    """The demo tasks of the year ``year`` (the history task is of the year before)."""

    year: int

    @property
    def joint(self) -> str:
        return f"SJJW-{self.year}-RQ02"

    @property
    def risk(self) -> str:
        return f"SJJW-{self.year - 1}-RQ01"

    @property
    def match(self) -> str:
        return f"ZPZJ-{self.year}-JZ01"

    @property
    def upcoming(self) -> str:
        return f"SJJW-{self.year}-DX01"

    @property
    def all(self) -> tuple[str, str, str]:
        """The three tasks drawn, inspected and published (not the upcoming one)."""
        return (self.risk, self.joint, self.match)


def demo_codes(today: dt.date | None = None) -> DemoCodes:
    return DemoCodes((today or timezone.localdate()).year)


PARTNER = ("SJSC", "上海市松江区市场监督管理局", "上海市松江区")
PARTNER_ITEM = {
    "code": "SJSC-ZL-01",
    "field": "产品质量监督",
    "target_type": "燃气经营企业",
    "name": "燃气经营企业在用气瓶及燃气器具产品质量检查",
    "content": "燃气经营企业在用液化石油气钢瓶、调压器等燃气器具的产品质量及标识",
    "ratio": "6",
    "frequency": "每年1次（与建管委联合）",
    "level": "区级部门联合抽查事项",
    "checklist": ["气瓶标识与检验期限", "调压器等燃气器具质量", "进货查验记录"],
}
PARTNER_ADMIN = ("sc_admin", "顾敏华", "13761029999")
# The partner's 抽查操作员 answers the lead's invitation (issue 14 第 1 项).
PARTNER_OPERATOR = ("sc_operator", "陆思远", "13761029998")
# 姓名 性别 执法证号 手机号码 (the numbers stay in the library; records never print them)
PARTNER_ROSTER = [
    ("马骏", "M", "31170SC0001", "13761020001"),
    ("顾佳敏", "F", "31170SC0002", "13761020002"),
    ("沈国平", "M", "31170SC0003", "13761020003"),
    ("陆雯", "F", "31170SC0004", "13761020004"),
]


def _lottery(day: dt.date) -> str:
    """The 双色球 issue drawn on the evening before ``day`` (three draws a week: the number
    is an estimate, good enough for a demo text)."""
    return f"{day.year}年第{day.timetuple().tm_yday * 3 // 7 + 1:03d}期"


def _seed_sources(day: dt.date, witness: str, dice: str, balls: str) -> tuple[str, str]:
    issue = _lottery(day)
    return (
        f"{issue} 双色球 {balls}; 骰子 {dice}",
        f"中国福利彩票双色球{issue}开奖号码（名单封存公布后开奖）；"
        f"纪检监督员{witness}现场掷十面骰20次（全程录像存档）",
    )


DICE_JOINT = "7 2 9 4 0 6 1 8 3 5 2 7 4 9 6 0 1 3 8 5"
BALLS_JOINT = "05 11 16 22 27 33 + 08"
DICE_JOINT_PARTNER = "4 8 1 6 0 3 9 2 7 5 5 1 8 0 6 2 9 4 3 7"
DICE_RISK = "3 1 4 1 5 9 2 6 5 3 5 8 9 7 9 3 2 3 8 4"
BALLS_RISK = "03 07 12 19 25 31 + 09"
DICE_MATCH = "8 0 4 6 2 9 1 7 3 5 5 0 9 2 8 6 4 1 7 3"


def _seed_match(day: dt.date) -> tuple[str, str]:
    issue = f"{day.year}年第{day.timetuple().tm_yday:03d}期"
    return (
        f"{day.year}年{day.month}月{day.day}日 漳平市住建局摇号会 骰子 {DICE_MATCH}; "
        f"福彩3D {issue} 6 2 9",
        f"局机关纪委官登对现场掷十面骰20次（拍照、摄像存档）；中国福利彩票3D {issue}开奖号码",
    )


# 漳平's targets drawn elsewhere (the 联合抽查 of the city): enough for the demo's scenarios.
MATCH_TARGETS = 14

VOID_REASON = (
    "封存后复核发现D类（高风险）对象误按3%设置抽查比例，与年度计划“对高风险对象提高抽查比例”"
    "的要求不符；经纪检监督员孙立纪同意，作废本次名单，改为30%后重新封存"
)
SUBSTITUTION_REASON = "岗位调整：借调区重点工程专班，检查期间无法到岗（已提交书面说明）"
# 利害关系申报 (回避) [002 第二十二条, 003 附件3 第八条]: 执法证号 → reason, for the first drawn targets.
CONFLICTS = [
    ("13080716001", "近亲属在该企业担任项目负责人"),
    ("13080716005", "曾在该企业任职，离职未满三年"),
    ("13080716004", "与该企业法定代表人存在经济往来"),
]


def _user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise RuntimeError(f"演示摇号需要演示账号 {username}：请先载入演示数据")
    return user


def _plan_row(code: str, year: int, seq: int) -> PlanRow:
    row = PlanRow.objects.filter(plan__department__code=code, plan__year=year, seq=seq).first()
    if row is None:
        raise RuntimeError(f"演示摇号需要{code} {year}年度计划第{seq}项：请先载入演示计划")
    return row


def _item(code: str) -> Item:
    item = Item.objects.filter(code=code).first()
    if item is None:
        raise RuntimeError(f"演示摇号需要抽查事项 {code}：请先载入演示清单")
    return item


def _tag(department: Department, name: str) -> Tag:
    tag = Tag.objects.filter(department=department, name=name).first()
    if tag is None:
        raise RuntimeError(f"演示摇号需要“{department.name}”的子库“{name}”：请先载入演示名录库")
    return tag


def _summary(task: Task, draw: Draw) -> str:
    return (
        f"{task.code} {task.title}：第{draw.number}次摇号已确认锁定并派发，抽中{draw.selections.count()}个对象"
        f"（C {draw.manifest_sha256[:16]}…）"
    )


def _partner_account(
    dept: Department, account: tuple[str, str, str], role: str, seed: str, actor: str
) -> User:
    """A partner's demo login with its role (made once)."""
    username, full_name, mobile = account
    user = User.objects.filter(username=username).first() or user_create(
        username=username,
        full_name=full_name,
        password=DEMO_PASSWORD,
        id_number=make_id_number(random.Random(seed)),
        mobile=mobile,
        actor=actor,
    )
    if not Membership.objects.filter(user=user, department=dept, role=role).exists():
        membership_grant(user=user, department=dept, role=role, actor=actor)
    return user


def _partner(actor: str, tl: Timeline) -> Department:
    """松江区市场监督管理局 (部门联合抽查的配合部门) with its 部门管理员, its item and four
    inspectors, entered by that admin (谁管理、谁维护)."""

    code, name, region = PARTNER
    dept = Department.objects.filter(code=code).first() or department_add(
        code=code, name=name, kind=DepartmentKind.COMMISSION, region=region, actor=actor
    )
    admin = _partner_account(dept, PARTNER_ADMIN, Role.DEPT_ADMIN, "SJSC", actor)
    _partner_account(dept, PARTNER_OPERATOR, Role.OPERATOR, "SJSC-op", actor)
    spec = PARTNER_ITEM
    if not Item.objects.filter(department=dept, code=spec["code"]).exists():
        item_create(
            department=dept,
            actor=actor,
            code=spec["code"],
            name=spec["name"],
            field=spec["field"],
            target_type=spec["target_type"],
            content=spec["content"],
            methods=["on_site"],
            basis="《上海市人民政府关于在本市市场监管领域深入推进部门联合“双随机、一公开”监管的实施意见》",
            subject=name,
            responsible_unit=name,
            level=spec["level"],
            default_ratio=Decimal(spec["ratio"]),
            default_frequency=spec["frequency"],
            checklist=spec["checklist"],
            change_reason="部门联合抽查事项清单",
            effective_date=dt.date(tl.year, 1, 1),
        )
    for person, gender, cert, phone in PARTNER_ROSTER:
        if not Inspector.objects.filter(cert_no=cert).exists():
            inspector_create(
                actor=admin,
                department=dept,
                fields={
                    "name": person,
                    "gender": gender,
                    "cert_no": cert,
                    "mobile": phone,
                    "unit": name,
                    "area": "松江区",
                    "issuer": "上海市人民政府",
                    "category": "市场监管",
                },
            )
    return dept


def _ceremony_days(tl: Timeline, window: Window) -> tuple[dt.date, dt.date, dt.date]:
    """When the task is set up, its list sealed and its seed entered: before the window
    (the list is sealed and public before the seed is known, 002 第二十一条)."""
    task_day = tl.add(window.start, -10)
    return task_day, tl.add(task_day, 2), tl.add(task_day, 3)


def _seed_and_confirm(
    draw: Draw,
    *,
    tl: Timeline,
    day: dt.date,
    seed: tuple[str, str],
    witnesses: list[str],
    witness: User,
    operator: User,
) -> Draw:
    """The seed entered by the 纪检监督员 at 10:00 (the lottery drawn the evening before),
    the result confirmed and locked at 10:30."""
    seed_text, sources = seed
    with tl.at(day, 10, 0):
        draw = services.draw_seed(
            draw=draw, seed_text=seed_text, sources=sources, witnesses=witnesses, actor=witness
        )
    with tl.at(day, 10, 30):
        return services.draw_confirm(draw=draw, actor=operator)


def _joint(actor: str, tl: Timeline) -> str:
    """(a) 部门联合抽查 led by SJJW, with a substitution; its window ended weeks ago."""
    operator, witness, reviewer = _user("sj_operator"), _user("sj_witness"), _user("sj_reviewer")
    songjiang = Department.objects.get(code="SJJW")
    window = tl.window_ended()
    task_day, seal_day, seed_day = _ceremony_days(tl, window)
    with tl.at(task_day, 9, 0):
        partner = _partner(actor, tl)
        row = _plan_row("SJJW", window.start.year, 2)
        spec = planning.TaskInput(
            code=demo_codes(tl.today).joint,
            title=f"{window.start.year}年燃气经营企业部门联合抽查（燃气经营许可及气瓶、燃气器具质量）",
            kind=TaskKind.PLANNED,
            items=[_item("SJ-RQ-02"), _item(PARTNER_ITEM["code"])],
            partners=[partner],
            window_start=window.start,
            window_end=window.end,
            team_size=2,
            inspector_capacity=10,
            description="燃气所牵头，区市场监管局配合：进一次门、查多项事",
            classes=[
                planning.ClassInput(
                    code="gas",
                    name="燃气经营企业",
                    sublibrary=_tag(songjiang, "燃气经营企业"),
                    ratio=row.ratio,
                )
            ],
        )
        task = planning.task_create(department=songjiang, spec=spec, actor=operator, plan_row=row)
    # The partner answers the invitation the next day: it takes part with its own item and
    # its 市场监管 inspectors (000 三(五); the lead cannot seal before it has).
    with tl.at(tl.add(task_day, 1), 15, 0):
        planning.task_partner_respond(
            task=task,
            department=partner,
            actor=_user(PARTNER_OPERATOR[0]),
            accept=True,
            items=[_item(PARTNER_ITEM["code"])],
            inspector_category="市场监管",
        )
    with tl.at(seal_day, 10, 0):
        draw = services.draw_commit(task=task, actor=operator)
    draw = _seed_and_confirm(
        draw,
        tl=tl,
        day=seed_day,
        seed=_seed_sources(seed_day, "孙立纪", DICE_JOINT, BALLS_JOINT),
        witnesses=["孙立纪", "韩梅"],
        witness=witness,
        operator=operator,
    )
    with tl.at(seed_day, 10, 40):
        member = draw.selections.order_by("rank").first().assignments.get(position=1, active=True)
        sub = services.substitution_request(
            assignment=member, reason=SUBSTITUTION_REASON, actor=operator
        )
    with tl.at(seed_day, 14, 0):
        services.substitution_decide(
            substitution=sub, approve=True, actor=reviewer, note="理由属实，同意按规则随机更换"
        )
    # 联合抽查 (000 四(二)): the partner's inspectors are matched to the same targets in a
    # draw of their own, one per team, sealed, seeded before the witness and confirmed.
    with tl.at(seed_day, 14, 30):
        match = services.partner_match_commit(task=task, partner=partner, actor=operator)
    with tl.at(seed_day, 14, 50):
        match = services.draw_seed(
            draw=match,
            # Dice rolled after this list was sealed: the lottery of the morning was known
            # by then and cannot serve again.
            seed_text=f"骰子 {DICE_JOINT_PARTNER}",
            sources="配合部门人员匹配名单封存公布后，纪检监督员孙立纪现场掷十面骰20次（全程录像存档）",
            witnesses=["孙立纪", "韩梅"],
            actor=witness,
        )
    with tl.at(seed_day, 14, 55):
        services.draw_confirm(draw=match, actor=operator)
    with tl.at(seed_day, 15, 0):
        services.draw_dispatch(draw=draw, actor=operator)
    return _summary(task, draw)


def _risk_spec(
    *, tag: Tag, row: PlanRow, d_ratio: str, code: str, window: Window
) -> planning.TaskInput:
    return planning.TaskInput(
        code=code,
        title=f"{window.start.year}年瓶装液化气储存充装站点分级分类抽查",
        kind=TaskKind.PLANNED,
        items=[_item("SJ-RQ-01")],
        window_start=window.start,
        window_end=window.end,
        team_size=2,
        inspector_capacity=10,
        description="按信用风险分类确定抽查比例：A类3%、B类5%、C类10%、D类30%",
        classes=[
            planning.ClassInput(
                code="gas",
                name="液化气储存充装站点",
                sublibrary=tag,
                ratio=row.ratio,
                risk_ratios={"A": "3", "B": "5", "C": "10", "D": d_ratio},
            )
        ],
    )


def _risk(actor: str, tl: Timeline) -> str:
    """(b) last October's round per credit-risk class; the first draw voided (wrong D
    ratio), kept public."""
    operator, witness = _user("sj_operator"), _user("sj_witness")
    songjiang = Department.objects.get(code="SJJW")
    window = tl.window_history()
    code = demo_codes(tl.today).risk
    task_day, seal_day, seed_day = _ceremony_days(tl, window)
    row = _plan_row("SJJW", window.start.year, 1)
    tag = _tag(songjiang, "液化气储存充装站点")
    with tl.at(task_day, 9, 0):
        task = planning.task_create(
            department=songjiang,
            spec=_risk_spec(tag=tag, row=row, d_ratio="3", code=code, window=window),
            actor=operator,
            plan_row=row,
        )
    with tl.at(task_day, 11, 0):
        wrong = services.draw_commit(task=task, actor=operator)
    with tl.at(task_day, 16, 0):
        services.draw_void(draw=wrong, reason=VOID_REASON, actor=operator)
    with tl.at(seal_day, 9, 0):
        task = planning.task_update(
            task=Task.objects.get(pk=task.pk),
            spec=_risk_spec(tag=tag, row=row, d_ratio="30", code=code, window=window),
            actor=operator,
        )
    with tl.at(seal_day, 10, 0):
        draw = services.draw_commit(task=task, actor=operator)
    draw = _seed_and_confirm(
        draw,
        tl=tl,
        day=seed_day,
        seed=_seed_sources(seed_day, "孙立纪", DICE_RISK, BALLS_RISK),
        witnesses=["孙立纪"],
        witness=witness,
        operator=operator,
    )
    with tl.at(seed_day, 15, 0):
        services.draw_dispatch(draw=draw, actor=operator)
    return _summary(task, draw) + f"；第{wrong.number}次摇号已作废（理由公开）"


def _match(actor: str, tl: Timeline) -> str:
    """(c) 漳平: match-only for targets drawn elsewhere, with declared conflicts; its window
    is running."""

    admin, witness = _user("zp_admin"), _user("zp_witness")
    zhangping = Department.objects.get(code="ZPZJ")
    tag = _tag(zhangping, "建筑业企业")
    window = tl.window_running()
    task_day, seal_day, seed_day = _ceremony_days(tl, window)
    targets = list(
        Entity.objects.filter(
            department=zhangping, tags=tag, status__in=list(DRAWABLE_STATUSES)
        ).order_by("uscc", "pk")[:MATCH_TARGETS]
    )
    if len(targets) < 3:
        raise RuntimeError("演示摇号需要漳平“建筑业企业”子库中至少3个可抽取的对象")
    spec = planning.TaskInput(
        code=demo_codes(tl.today).match,
        title=f"{window.start.year}年建筑业企业资质动态核查（已抽取对象随机匹配执法检查人员）",
        kind=TaskKind.AD_HOC,
        items=[_item("ZP-JZ-01")],
        window_start=window.start,
        window_end=window.end,
        team_size=2,
        inspector_capacity=2,
        description=(
            f"检查对象已由漳平市“双随机、一公开”联合抽查（市审改办组织）抽定{len(targets)}家建筑业企业，"
            "本局仅从执法检查人员名录库随机匹配检查人员"
        ),
        classes=[
            planning.ClassInput(code="jz", name="建筑业企业", sublibrary=tag, count=len(targets))
        ],
    )
    with tl.at(task_day, 9, 0):
        task = planning.task_create(department=zhangping, spec=spec, actor=admin)
        for entity, (cert, reason) in zip(targets, CONFLICTS, strict=False):
            inspector = Inspector.objects.get(cert_no=cert)
            if Conflict.objects.filter(inspector=inspector, entity=entity, is_active=True).exists():
                continue  # declared for an earlier year's task, still in force
            conflict_declare(
                actor=admin,
                inspector=inspector,
                entity=entity,
                reason=reason,
                declared_on=min(task_day, tl.today),
            )
    with tl.at(seal_day, 10, 0):
        draw = services.match_commit(task=task, actor=admin, entities=targets)
    draw = _seed_and_confirm(
        draw,
        tl=tl,
        day=seed_day,
        seed=_seed_match(seed_day),
        witnesses=["官登对", "林美华"],
        witness=witness,
        operator=admin,
    )
    with tl.at(seed_day, 15, 0):
        services.draw_dispatch(draw=draw, actor=admin)
    return (
        _summary(task, draw) + f"（仅匹配执法检查人员，回避{len(CONFLICTS)}对；对象标识"
        f" {target_id_for(uscc=targets[0].uscc, pk=targets[0].pk)} 等）"
    )


def _upcoming(actor: str, tl: Timeline) -> str:
    """(d) the next round of 普通地下室 (plan row 3, 综管中心): its list sealed and public
    yesterday, the seed and the witness still to come — 孙立纪's to-do."""
    operator = _user("sj_operator")
    songjiang = Department.objects.get(code="SJJW")
    window = tl.window_upcoming()
    tag = _tag(songjiang, "普通地下室")
    row = PlanRow.objects.filter(
        plan__department=songjiang, plan__year=window.start.year, seq=3
    ).first()
    drawable = Entity.objects.filter(
        department=songjiang, tags=tag, status__in=list(DRAWABLE_STATUSES)
    ).count()
    if not drawable:
        return f"{demo_codes(tl.today).upcoming}：子库“普通地下室”中没有可抽取的对象，未建立"
    spec = planning.TaskInput(
        code=demo_codes(tl.today).upcoming,
        title=f"{window.start.year}年普通地下室安全使用抽查（{window.start.month}月）",
        kind=TaskKind.PLANNED if row else TaskKind.AD_HOC,
        items=[_item("SJ-ZG-01")],
        window_start=window.start,
        window_end=window.end,
        team_size=2,
        inspector_capacity=10,
        description="综管中心牵头；按年度计划第3项（1月、4月、6月、9月、12月）",
        classes=[
            planning.ClassInput(
                code="dx",
                name="普通地下室",
                sublibrary=tag,
                # 预估抽查数 (the plan row's estimate, 10), at most what the library holds.
                count=min(row.estimated_count if row and row.estimated_count else 10, drawable),
            )
        ],
    )
    sealed = tl.add(tl.today, -1)
    with tl.at(tl.add(sealed, -1), 10, 0):
        task = planning.task_create(department=songjiang, spec=spec, actor=operator, plan_row=row)
    with tl.at(sealed, 16, 0):
        draw = services.draw_commit(task=task, actor=operator)
    return (
        f"{task.code} {task.title}：第{draw.number}次摇号名单已封存公布，待纪检监督员录入种子"
        f"（C {draw.manifest_sha256[:16]}…）"
    )


def demo_draws(*, actor, timeline: Timeline | None = None, part: str | None = None) -> list[str]:
    """Runs the demo ceremonies that are missing, in the order they happened — last year's
    (``part="history"``), this year's (``"current"``) or both; returns one line per task.

    ``actor`` is the loader's name (``"演示数据"``) for what the server itself sets up (the
    partner department, its item and roster); the ceremonies are done by the demo users
    (sj_operator, sj_witness, sj_reviewer, zp_admin, zp_witness), as the rules require."""
    tl = timeline or Timeline.now()
    codes = demo_codes(tl.today)
    runs = {
        "history": [(codes.risk, _risk)],
        "current": [(codes.joint, _joint), (codes.match, _match), (codes.upcoming, _upcoming)],
    }
    lines = []
    for key in [part] if part else ["history", "current"]:
        year = tl.history if key == "history" else tl.year
        if not Plan.objects.filter(department__code="SJJW", year=year).exists():
            raise RuntimeError(f"演示摇号需要松江区建管委{year}年度计划：请先运行 demo_plans")
    for code, run in [r for key in ([part] if part else ["history", "current"]) for r in runs[key]]:
        existing = Task.objects.filter(code=code).first()
        if existing is not None:
            lines.append(f"{code} {existing.title}：已存在（{existing.get_status_display()}）")
            continue
        with transaction.atomic():
            lines.append(run(actor, tl))
    return lines


def demo_draw_list(today: dt.date | None = None) -> list[Draw]:
    """Every draw of the demo tasks (void ones included), for export and checks."""
    return list(
        Draw.objects.filter(task__code__in=demo_codes(today).all)
        .select_related("task")
        .order_by("task__code", "number")
    )
