"""Demo draws (``ssj demo``, after ``demo_plans``): three completed ceremonies and one void
draw, each through the real services and each verifiable from its exported files.

- ``SJJW-2024-RQ02`` 部门联合抽查: 燃气经营企业, led by 松江区建管委 (燃气所's plan row 2)
  with 松江区市场监督管理局 as partner (its item and its inspectors join) [000 附件, 004 三(一)];
  one inspector substituted for a recorded reason, with approval [002 第二十二条];
- ``SJJW-2024-RQ01`` 液化气储存充装站点 per credit-risk class (strata ``gas.A`` … ``gas.D``,
  higher risk, higher ratio [001 三(六)]). Its first draw was voided before the seed —
  the D-class ratio was wrong — and stays public; the second was drawn;
- ``ZPZJ-2024-JZ01`` 漳平 match-only ceremony (as vector v2): the targets were drawn
  elsewhere; the 26 inspectors of 003 附件5 are matched, three declared conflicts of
  interest (回避) are in the manifest.

Every ceremony runs in one transaction: a failure leaves nothing behind, and a second
run finds the task and leaves it as it is.
"""

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction

from shuangsuiji.accounts.choices import DepartmentKind, Role
from shuangsuiji.accounts.models import Department, Membership, User
from shuangsuiji.accounts.services import department_add, membership_grant, user_create
from shuangsuiji.catalog.models import Item
from shuangsuiji.catalog.services import item_create
from shuangsuiji.common.ids import make_id_number
from shuangsuiji.demo.accounts import DEMO_PASSWORD
from shuangsuiji.draw import services
from shuangsuiji.draw.models import Draw
from shuangsuiji.draw.pool import target_id_for
from shuangsuiji.planning import services as planning
from shuangsuiji.planning.choices import TaskKind
from shuangsuiji.planning.models import Plan, PlanRow, Task
from shuangsuiji.registry.choices import DRAWABLE_STATUSES
from shuangsuiji.registry.models import Entity, Inspector, Tag
from shuangsuiji.registry.services import conflict_declare, inspector_create

JOINT = "SJJW-2024-RQ02"
RISK = "SJJW-2024-RQ01"
MATCH = "ZPZJ-2024-JZ01"
DEMO_TASK_CODES = (JOINT, RISK, MATCH)

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
# 姓名 性别 执法证号 手机号码 (the numbers stay in the library; records never print them)
PARTNER_ROSTER = [
    ("马骏", "M", "31170SC0001", "13761020001"),
    ("顾佳敏", "F", "31170SC0002", "13761020002"),
    ("沈国平", "M", "31170SC0003", "13761020003"),
    ("陆雯", "F", "31170SC0004", "13761020004"),
]

SEED_JOINT = (
    "2024年第101期 双色球 05 11 16 22 27 33 + 08; 骰子 7 2 9 4 0 6 1 8 3 5 2 7 4 9 6 0 1 3 8 5"
)
SOURCES_JOINT = (
    "中国福利彩票双色球2024年第101期开奖号码（名单封存公布后开奖）；"
    "纪检监督员孙立纪现场掷十面骰20次（全程录像存档）"
)
SEED_RISK = (
    "2024年第116期 双色球 03 07 12 19 25 31 + 09; 骰子 3 1 4 1 5 9 2 6 5 3 5 8 9 7 9 3 2 3 8 4"
)
SOURCES_RISK = (
    "中国福利彩票双色球2024年第116期开奖号码（名单封存公布后开奖）；"
    "纪检监督员孙立纪现场掷十面骰20次（全程录像存档）"
)
SEED_MATCH = "2024年6月3日 漳平市住建局摇号会 骰子 8 0 4 6 2 9 1 7 3 5 5 0 9 2 8 6 4 1 7 3; 福彩3D 2024年第147期 6 2 9"
SOURCES_MATCH = (
    "局机关纪委官登对现场掷十面骰20次（拍照、摄像存档）；中国福利彩票3D 2024年第147期开奖号码"
)

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


def _partner(actor: str) -> Department:
    """松江区市场监督管理局 (部门联合抽查的配合部门) with its 部门管理员, its item and four
    inspectors, entered by that admin (谁管理、谁维护)."""

    code, name, region = PARTNER
    dept = Department.objects.filter(code=code).first() or department_add(
        code=code, name=name, kind=DepartmentKind.COMMISSION, region=region, actor=actor
    )
    username, full_name, mobile = PARTNER_ADMIN
    admin = User.objects.filter(username=username).first() or user_create(
        username=username,
        full_name=full_name,
        password=DEMO_PASSWORD,
        id_number=make_id_number(random.Random("SJSC")),
        mobile=mobile,
        actor=actor,
    )
    if not Membership.objects.filter(user=admin, department=dept, role=Role.DEPT_ADMIN).exists():
        membership_grant(user=admin, department=dept, role=Role.DEPT_ADMIN, actor=actor)
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
            effective_date=dt.date(2024, 1, 1),
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


def _joint(actor: str) -> str:
    """(a) 部门联合抽查 led by SJJW, with a substitution."""
    operator, witness, reviewer = _user("sj_operator"), _user("sj_witness"), _user("sj_reviewer")
    songjiang = Department.objects.get(code="SJJW")
    partner = _partner(actor)
    row = _plan_row("SJJW", 2024, 2)
    spec = planning.TaskInput(
        code=JOINT,
        title="2024年燃气经营企业部门联合抽查（燃气经营许可及气瓶、燃气器具质量）",
        kind=TaskKind.PLANNED,
        items=[_item("SJ-RQ-02"), _item(PARTNER_ITEM["code"])],
        partners=[partner],
        window_start=dt.date(2024, 9, 1),
        window_end=dt.date(2024, 9, 30),
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
    draw = services.draw_commit(task=task, actor=operator)
    draw = services.draw_seed(
        draw=draw,
        seed_text=SEED_JOINT,
        sources=SOURCES_JOINT,
        witnesses=["孙立纪", "韩梅"],
        actor=witness,
    )
    draw = services.draw_confirm(draw=draw, actor=operator)
    member = draw.selections.order_by("rank").first().assignments.get(position=1, active=True)
    sub = services.substitution_request(
        assignment=member, reason=SUBSTITUTION_REASON, actor=operator
    )
    services.substitution_decide(
        substitution=sub, approve=True, actor=reviewer, note="理由属实，同意按规则随机更换"
    )
    services.draw_dispatch(draw=draw, actor=operator)
    return _summary(task, draw)


def _risk_spec(*, tag: Tag, row: PlanRow, d_ratio: str) -> planning.TaskInput:
    return planning.TaskInput(
        code=RISK,
        title="2024年瓶装液化气储存充装站点分级分类抽查",
        kind=TaskKind.PLANNED,
        items=[_item("SJ-RQ-01")],
        window_start=dt.date(2024, 10, 1),
        window_end=dt.date(2024, 10, 31),
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


def _risk(actor: str) -> str:
    """(b) per credit-risk class; the first draw voided (wrong D ratio), kept public."""
    operator, witness = _user("sj_operator"), _user("sj_witness")
    songjiang = Department.objects.get(code="SJJW")
    row = _plan_row("SJJW", 2024, 1)
    tag = _tag(songjiang, "液化气储存充装站点")
    task = planning.task_create(
        department=songjiang,
        spec=_risk_spec(tag=tag, row=row, d_ratio="3"),
        actor=operator,
        plan_row=row,
    )
    wrong = services.draw_commit(task=task, actor=operator)
    services.draw_void(draw=wrong, reason=VOID_REASON, actor=operator)
    task = planning.task_update(
        task=Task.objects.get(pk=task.pk),
        spec=_risk_spec(tag=tag, row=row, d_ratio="30"),
        actor=operator,
    )
    draw = services.draw_commit(task=task, actor=operator)
    draw = services.draw_seed(
        draw=draw, seed_text=SEED_RISK, sources=SOURCES_RISK, witnesses=["孙立纪"], actor=witness
    )
    draw = services.draw_confirm(draw=draw, actor=operator)
    services.draw_dispatch(draw=draw, actor=operator)
    return _summary(task, draw) + f"；第{wrong.number}次摇号已作废（理由公开）"


def _match(actor: str) -> str:
    """(c) 漳平: match-only for targets drawn elsewhere, with declared conflicts."""

    admin, witness = _user("zp_admin"), _user("zp_witness")
    zhangping = Department.objects.get(code="ZPZJ")
    tag = _tag(zhangping, "建筑业企业")
    targets = list(
        Entity.objects.filter(
            department=zhangping, tags=tag, status__in=list(DRAWABLE_STATUSES)
        ).order_by("uscc", "pk")[:8]
    )
    if len(targets) < 3:
        raise RuntimeError("演示摇号需要漳平“建筑业企业”子库中至少3个可抽取的对象")
    spec = planning.TaskInput(
        code=MATCH,
        title="2024年建筑业企业资质动态核查（已抽取对象随机匹配执法检查人员）",
        kind=TaskKind.AD_HOC,
        items=[_item("ZP-JZ-01")],
        window_start=dt.date(2024, 6, 1),
        window_end=dt.date(2024, 7, 31),
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
    task = planning.task_create(department=zhangping, spec=spec, actor=admin)
    for entity, (cert, reason) in zip(targets, CONFLICTS, strict=False):
        inspector = Inspector.objects.get(cert_no=cert)
        conflict_declare(
            actor=admin,
            inspector=inspector,
            entity=entity,
            reason=reason,
            declared_on=dt.date(2024, 5, 20),
        )
    draw = services.match_commit(task=task, actor=admin, entities=targets)
    draw = services.draw_seed(
        draw=draw,
        seed_text=SEED_MATCH,
        sources=SOURCES_MATCH,
        witnesses=["官登对", "林美华"],
        actor=witness,
    )
    draw = services.draw_confirm(draw=draw, actor=admin)
    services.draw_dispatch(draw=draw, actor=admin)
    return (
        _summary(task, draw) + f"（仅匹配执法检查人员，回避{len(CONFLICTS)}对；对象标识"
        f" {target_id_for(uscc=targets[0].uscc, pk=targets[0].pk)} 等）"
    )


def demo_draws(*, actor) -> list[str]:
    """Runs the demo ceremonies that are missing; returns one line per task.

    ``actor`` is the loader's name (``"演示数据"``) for what the server itself sets up (the
    partner department, its item and roster); the ceremonies are done by the demo users
    (sj_operator, sj_witness, sj_reviewer, zp_admin, zp_witness), as the rules require."""
    if not Plan.objects.filter(department__code="SJJW", year=2024).exists():
        raise RuntimeError("演示摇号需要松江区建管委2024年度计划：请先运行 demo_plans")
    lines = []
    for code, run in ((JOINT, _joint), (RISK, _risk), (MATCH, _match)):
        existing = Task.objects.filter(code=code).first()
        if existing is not None:
            lines.append(f"{code} {existing.title}：已存在（{existing.get_status_display()}）")
            continue
        with transaction.atomic():
            lines.append(run(actor))
    return lines


def demo_draw_list() -> list[Draw]:
    """Every draw of the demo tasks (void ones included), for export and checks."""
    return list(
        Draw.objects.filter(task__code__in=DEMO_TASK_CODES)
        .select_related("task")
        .order_by("task__code", "number")
    )
