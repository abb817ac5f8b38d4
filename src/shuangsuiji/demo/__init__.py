"""Demo data (``ssj demo``): the departments, plans and rosters of the source documents.

- 松江区建设和管理委员会 and its units [000], with the items of its plan table;
- 漳平市住房和城乡建设局 and its 股室, with the 26 inspectors of 003 附件5 (results are
  published within 10 working days there [003 附件3 第十一条]);
- 闵行区绿化和市容管理局 [004] with its two pilot items (临时使用绿地、临时性户外广告设施设置);
- a few thousand synthetic targets (Faker zh_CN, valid 统一社会信用代码) with tags and
  credit-risk classes.

Entities and inspectors go in through the same importers as ``ssj import`` (a generated
CSV file), items through the catalog services: the demo exercises the real code paths.
Loading twice changes nothing.

The demo lives in the present (``demo.timeline``): the directories are set up at the start
of last year, last year's plan and October task are history, this year's tasks are under
way around the day of loading; each step is stamped with the moment it would have happened.
"""

import csv
import datetime as dt
import io
import math
import random
import tempfile
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from PIL import Image, ImageDraw

from shuangsuiji.accounts.choices import DepartmentKind, Role
from shuangsuiji.accounts.models import Department, Membership, User
from shuangsuiji.accounts.services import department_add, membership_grant, user_create
from shuangsuiji.audit.services import event_record
from shuangsuiji.catalog.models import Item
from shuangsuiji.catalog.services import item_create
from shuangsuiji.common.ids import make_id_number, make_uscc
from shuangsuiji.demo.accounts import ACTOR, DEMO_PASSWORD
from shuangsuiji.demo.documents import demo_documents
from shuangsuiji.demo.draws import demo_draws
from shuangsuiji.demo.inspections import demo_inspections_run, demo_summary
from shuangsuiji.demo.plans import demo_plan_minhang, demo_plans
from shuangsuiji.demo.reports import demo_reports
from shuangsuiji.demo.timeline import Timeline
from shuangsuiji.disclosure.models import SiteIdentity
from shuangsuiji.disclosure.services.site import site_identity_update, site_logo_check
from shuangsuiji.imports.framework import import_file

DEPARTMENTS: list[tuple[str, str, str | None, str, str]] = [
    # code, name, parent, kind, region
    ("SJJW", "上海市松江区建设和管理委员会", None, DepartmentKind.COMMISSION, "上海市松江区"),
    ("SJJW-ZFJD", "执法监督科", "SJJW", DepartmentKind.SECTION, "上海市松江区"),
    ("SJJW-JZY", "建筑业管理科", "SJJW", DepartmentKind.SECTION, "上海市松江区"),
    ("SJJW-ZAJ", "质安监站", "SJJW", DepartmentKind.CENTER, "上海市松江区"),
    ("SJJW-JGZX", "建管中心", "SJJW", DepartmentKind.CENTER, "上海市松江区"),
    ("SJJW-ZGZX", "综管中心", "SJJW", DepartmentKind.CENTER, "上海市松江区"),
    ("SJJW-WSZX", "文审中心", "SJJW", DepartmentKind.CENTER, "上海市松江区"),
    ("SJJW-RQS", "燃气所", "SJJW", DepartmentKind.CENTER, "上海市松江区"),
    ("ZPZJ", "漳平市住房和城乡建设局", None, DepartmentKind.COMMISSION, "福建省漳平市"),
    ("ZPZJ-ZHG", "综合股", "ZPZJ", DepartmentKind.SECTION, "福建省漳平市"),
    ("ZPZJ-JZYG", "建筑业股", "ZPZJ", DepartmentKind.SECTION, "福建省漳平市"),
    ("ZPZJ-CJG", "城建股", "ZPZJ", DepartmentKind.SECTION, "福建省漳平市"),
    ("ZPZJ-FGG", "房管股", "ZPZJ", DepartmentKind.SECTION, "福建省漳平市"),
    ("ZPZJ-RFG", "人防股", "ZPZJ", DepartmentKind.SECTION, "福建省漳平市"),
    ("ZPZJ-ZCFG", "政策法规股", "ZPZJ", DepartmentKind.SECTION, "福建省漳平市"),
    ("ZPZJ-ZAZ", "质安站", "ZPZJ", DepartmentKind.CENTER, "福建省漳平市"),
    ("MHLH", "上海市闵行区绿化和市容管理局", None, DepartmentKind.COMMISSION, "上海市闵行区"),
    ("MHLH-XKK", "许可科", "MHLH", DepartmentKind.SECTION, "上海市闵行区"),
    ("MHLH-LLK", "绿林科", "MHLH", DepartmentKind.SECTION, "上海市闵行区"),
    ("MHLH-SRHW", "市容环卫科", "MHLH", DepartmentKind.SECTION, "上海市闵行区"),
    ("MHLH-FZK", "法制科", "MHLH", DepartmentKind.SECTION, "上海市闵行区"),
    ("MHLH-LHYL", "绿化园林所", "MHLH", DepartmentKind.CENTER, "上海市闵行区"),
]

# username, 姓名, department, roles
USERS: list[tuple[str, str, str, list[str]]] = [
    ("sj_admin", "周建国", "SJJW", [Role.DEPT_ADMIN]),
    ("sj_operator", "陈晓梅", "SJJW", [Role.OPERATOR]),
    ("sj_witness", "孙立纪", "SJJW", [Role.WITNESS]),
    ("sj_reviewer", "吴振华", "SJJW", [Role.REVIEWER]),
    ("sj_auditor", "郑审计", "SJJW", [Role.AUDITOR]),
    ("zp_admin", "刘彩贞", "ZPZJ", [Role.DEPT_ADMIN, Role.OPERATOR]),
    ("zp_witness", "官登对", "ZPZJ", [Role.WITNESS]),
    ("zp_inspector", "谢璇", "ZPZJ", [Role.INSPECTOR]),
    ("mh_admin", "吉泽青", "MHLH", [Role.DEPT_ADMIN, Role.OPERATOR]),
    # 魏祥凯, 党组书记、局长 [003]: approves 漳平's results and signs their corrections as
    # 主要负责人 (002 第二十八条). Last, so the users above keep their generated numbers.
    ("zp_reviewer", "魏祥凯", "ZPZJ", [Role.REVIEWER]),
]

# 003 附件5 漳平市住房和城乡建设局执法检查工作人员名录 (序号 姓名 性别 执法证号 手机号码).
ZHANGPING_ROSTER: list[tuple[str, str, str, str]] = [
    ("王朕", "男", "13080716001", "13110895362"),
    ("石金文", "男", "13080716002", "18094033002"),
    ("王培相", "男", "13080716003", "18020898272"),
    ("黄志文", "男", "13080716004", "15959723310"),
    ("谢璇", "女", "13080716005", "18559715502"),
    ("刘彩贞", "女", "13080716006", "18039811696"),
    ("陈任锦", "女", "13080716007", "15059932462"),
    ("曾巧丽", "女", "13080716008", "18146179627"),
    ("谢思源", "女", "13080716009", "18396185958"),
    ("杨玉梁", "男", "13080716010", "18039811579"),
    ("李其炎", "男", "13080716011", "13850610693"),
    ("邓必武", "男", "13080716012", "18760117086"),
    ("曹锡美", "女", "13080716013", "13950857070"),
    ("林志金", "男", "13080716014", "13860267296"),
    ("肖建木", "男", "13080716015", "13959050530"),
    ("陈添春", "男", "13080716016", "13806981209"),
    ("林秋海", "男", "13080716017", "13859568070"),
    ("戴志露", "男", "13080716018", "18659775082"),
    ("张宇", "女", "13080716019", "14705029562"),
    ("黄成锋", "男", "13080716020", "13850672850"),
    ("罗勇", "男", "13080716021", "13906970518"),
    ("陈建东", "男", "13080716023", "13600991316"),
    ("蒋承漳", "男", "13080716024", "18250051251"),
    ("胡彩春", "女", "13080716025", "13860230023"),
    ("李奇忠", "男", "13080716026", "13806981158"),
    ("陈大庆", "男", "13080716027", "13860285698"),
]
ROSTER_HEADERS = [
    "序号",
    "姓名",
    "性别",
    "单位",
    "执法区域",
    "发证机关",
    "执法证号",
    "执法类别",
    "手机号码",
    "备注",
]

# 松江区建管委 2024 年度抽查事项计划 [000 附件] — department, code, fields.
SONGJIANG_ITEMS: list[dict] = [
    {
        "department": "SJJW-RQS",
        "code": "SJ-RQ-01",
        "field": "瓶装燃气综合监管（云监码）",
        "target_type": "液化气储存充装站点",
        "name": "瓶装液化气储存充装站点日常经营检查",
        "content": "对瓶装液化气储存充装站、点日常经营、气瓶充装、反恐防暴和危化品存储、运输及场所消防安全等事项开展检查",
        "ratio": "3",
        "frequency": "每年1次（10月）",
        "level": "区级高频、区管事项、区级部门联合抽查事项",
        "checklist": [
            "日常经营台账",
            "气瓶充装记录",
            "反恐防暴措施",
            "危化品存储与运输",
            "场所消防安全",
        ],
    },
    {
        "department": "SJJW-RQS",
        "code": "SJ-RQ-02",
        "field": "燃气经营监督执法检查（云监码）",
        "target_type": "燃气经营企业",
        "name": "燃气经营许可证取得情况及经营监督执法检查",
        "content": "燃气经营许可证取得情况检查；燃气经营监督执法检查",
        "ratio": "6",
        "frequency": "每年1次（9月）",
        "level": "区级部门联合抽查事项",
        "checklist": ["燃气经营许可证", "经营场所与设施", "安全管理制度"],
    },
    {
        "department": "SJJW-ZGZX",
        "code": "SJ-ZG-01",
        "field": "地下空间安全使用执法检查（云监码）",
        "target_type": "普通地下室",
        "name": "地下空间安全使用情况检查",
        "content": "地下空间安全使用情况检查",
        "ratio": "0.2",
        "frequency": "1月、4月、6月、9月、12月",
        "level": "区级部门联合抽查事项",
        "checklist": ["使用用途与备案", "消防通道与设施", "结构安全"],
    },
    {
        "department": "SJJW-ZAJ",
        "code": "SJ-ZA-01",
        "field": "建筑市场监督管理执法检查",
        "target_type": "建筑工地参建单位",
        "name": "保障农民工工资支付情况检查",
        "content": "关于保障农民工工资支付情况的检查",
        "ratio": "3.4",
        "frequency": "每年1次（5月）",
        "level": "区级部门联合抽查事项",
        "checklist": ["农民工工资专用账户", "实名制管理", "工资支付台账"],
    },
    {
        "department": "SJJW-ZAJ",
        "code": "SJ-ZA-02",
        "field": "在建住宅工程质量综合监管",
        "target_type": "住宅建设单位（房地产开发企业）",
        "name": "在建住宅工程质量综合监管",
        "content": "对住宅建设单位在现场出现质量违法违规行为实施综合监管，建立健全综合监管制度",
        "ratio": "50",
        "frequency": "每年1次（9月）",
        "level": "区级部门联合抽查事项",
        "checklist": ["质量管理体系", "现场质量行为", "质量问题整改"],
    },
    {
        "department": "SJJW-WSZX",
        "code": "SJ-WS-11",
        "field": "勘察设计、审图质量检查",
        "target_type": "已完成施工图设计文件审查且尚未核发施工许可证的项目",
        "name": "勘察设计、审图质量检查",
        "content": "符合法律法规强制性标准、地基基础及主体结构安全",
        "ratio": "5",
        "frequency": "以季度抽查和日常检查相结合方式开展，原则上每季度不少于一次",
        "level": "委级",
        "checklist": ["强制性标准执行", "地基基础安全", "主体结构安全"],
    },
    {
        "department": "SJJW-WSZX",
        "code": "SJ-WS-12",
        "field": "BIM技术应用落实情况检查",
        "target_type": "总投资额1亿元以上或单体建筑面积2万平方米及以上的新建、改建、扩建的在建民用建筑工程项目",
        "name": "BIM技术应用落实情况检查",
        "content": "BIM技术应用要求落实情况",
        "ratio": "20",
        "frequency": "每年三至四次",
        "level": "委级",
        "checklist": ["BIM应用方案", "模型交付与应用"],
    },
]

MINHANG_ITEMS: list[dict] = [
    {
        "department": "MHLH-XKK",
        "code": "MH-XK-01",
        "field": "绿化管理",
        "target_type": "临时使用公共绿地的单位",
        "name": "临时使用公共绿地抽查",
        "content": "临时使用绿地许可事项的事中事后监管：是否按批准范围、期限使用并恢复绿地",
        "ratio": "",
        "frequency": "每两个月一次",
        "level": "局级（试点事项）",
        "checklist": ["许可证与批准范围", "使用期限", "绿地恢复情况"],
    },
    {
        "department": "MHLH-XKK",
        "code": "MH-XK-02",
        "field": "市容管理",
        "target_type": "设置临时性户外广告设施的单位",
        "name": "临时性户外广告设施设置抽查",
        "content": "临时性户外广告设施设置许可的事中事后监管：设置位置、规格、期限与安全",
        "ratio": "",
        "frequency": "每两个月一次",
        "level": "局级（试点事项）",
        "checklist": ["设置许可", "位置与规格", "设置期限", "设施安全"],
    },
]

ZHANGPING_ITEMS: list[dict] = [
    {
        "department": "ZPZJ-JZYG",
        "code": "ZP-JZ-01",
        "field": "建筑市场",
        "target_type": "建筑业企业",
        "name": "建筑业企业资质动态核查",
        "content": "企业资质条件、人员配备及市场行为是否符合资质标准",
        "ratio": "5",
        "frequency": "每年2次",
        "level": "县级",
        "checklist": ["资质证书", "注册人员", "市场行为"],
    },
    {
        "department": "ZPZJ-FGG",
        "code": "ZP-FG-01",
        "field": "房地产市场",
        "target_type": "房地产开发企业",
        "name": "房地产开发企业经营行为检查",
        "content": "商品房预售、合同网签及资金监管执行情况",
        "ratio": "5",
        "frequency": "每年2次",
        "level": "县级",
        "checklist": ["预售许可", "合同网签", "预售资金监管"],
    },
]

SUBLIBRARIES = {
    "SJJW": [
        "燃气经营企业",
        "液化气储存充装站点",
        "建筑工地参建单位",
        "房地产开发企业",
        "普通地下室",
    ],
    "ZPZJ": ["建筑业企业", "房地产开发企业"],
    "MHLH": ["临时使用公共绿地单位", "户外广告设置单位"],
}
REGIONS = {
    "SJJW": (
        "310117",
        [
            "岳阳街道",
            "永丰街道",
            "方松街道",
            "中山街道",
            "泗泾镇",
            "九亭镇",
            "洞泾镇",
            "新桥镇",
            "车墩镇",
        ],
    ),
    "ZPZJ": ("350881", ["菁城街道", "桂林街道", "新桥镇", "双洋镇", "永福镇"]),
    "MHLH": ("310112", ["江川路街道", "古美路街道", "莘庄镇", "七宝镇", "梅陇镇", "虹桥镇"]),
}
INDUSTRIES = [
    "燃气生产和供应业",
    "房屋建筑业",
    "土木工程建筑业",
    "房地产业",
    "建筑安装业",
    "装饰装修业",
    "公共设施管理业",
]
ENTITY_HEADERS = [
    "统一社会信用代码",
    "名称",
    "主体类型",
    "法定代表人",
    "联系人",
    "联系电话",
    "地址",
    "所属区域",
    "街镇",
    "行业",
    "规模",
    "信用风险分类",
    "风险分类日期",
    "风险分类来源",
    "登记状态",
    "标签",
]


@dataclass
class DemoSummary:
    lines: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(self.lines)


def _departments() -> dict[str, Department]:

    out: dict[str, Department] = {}
    for code, name, parent, kind, region in DEPARTMENTS:
        dept = Department.objects.filter(code=code).first() or department_add(
            code=code, name=name, parent_code=parent, kind=kind, region=region, actor=ACTOR
        )
        out[code] = dept
    zp = out["ZPZJ"]
    if zp.publish_deadline_workdays != 10:
        # 漳平：10个工作日内公示抽查结果 [003 附件3 第十一条].

        with transaction.atomic():
            zp.publish_deadline_workdays = 10
            zp.save(update_fields=["publish_deadline_workdays"])
            event_record(
                actor=ACTOR,
                action="department.settings",
                obj=zp,
                department=zp,
                before={"publish_deadline_workdays": 20},
                after={"publish_deadline_workdays": 10},
            )
    return out


def _users(depts: dict[str, Department], rng: random.Random) -> None:

    if not User.objects.filter(username="admin").exists():
        user_create(
            username="admin",
            full_name="系统管理员",
            password=DEMO_PASSWORD,
            is_superuser=True,
            actor=ACTOR,
        )
    for username, name, dept_code, roles in USERS:
        if username == "zp_inspector":
            continue  # made once the draw has put a 漳平 inspector in a team (demo.inspections)
        user = User.objects.filter(username=username).first() or user_create(
            username=username,
            full_name=name,
            password=DEMO_PASSWORD,
            id_number=make_id_number(rng),
            mobile=f"139{rng.randint(10000000, 99999999)}",
            actor=ACTOR,
        )
        for role in roles:
            if not Membership.objects.filter(
                user=user, department=depts[dept_code], role=role
            ).exists():
                membership_grant(user=user, department=depts[dept_code], role=role, actor=ACTOR)


def _entity_rows(
    dept_code: str, count: int, rng: random.Random, assessed_year: int
) -> list[list[str]]:

    from faker import Faker  # here: every `ssj` command imports the demo package

    fake = Faker("zh_CN")
    fake.seed_instance(rng.randint(0, 10**9))
    region_code, streets = REGIONS[dept_code]
    region_name = {"SJJW": "松江区", "ZPZJ": "漳平市", "MHLH": "闵行区"}[dept_code]
    tags = SUBLIBRARIES[dept_code]
    rows, seen = [], set()
    while len(rows) < count:
        code = make_uscc(rng, region=region_code)
        if code in seen:
            continue
        seen.add(code)
        risk = rng.choices(["A", "B", "C", "D"], weights=[40, 35, 18, 7])[0]
        row_tags = [rng.choice(tags)]
        if risk == "D" or rng.random() < 0.03:
            row_tags.append("重点检查库")
        status = rng.choices(["存续", "在业", "注销", "吊销"], weights=[70, 25, 4, 1])[0]
        street = rng.choice(streets)
        rows.append(
            [
                code,
                fake.company(),
                "法人",
                fake.name(),
                fake.name(),
                fake.phone_number(),
                f"{region_name}{street}{fake.street_name()}{rng.randint(1, 999)}号",
                region_name,
                street,
                rng.choice(INDUSTRIES),
                rng.choice(["大型", "中型", "小型", "微型"]),
                risk,
                f"{assessed_year}-{rng.randint(1, 6):02d}-{rng.randint(1, 28):02d}",
                "信用风险分类结果（市场监管部门推送）",
                status,
                "、".join(row_tags),
            ]
        )
    return rows


def _write_csv(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def _import(kind: str, path: Path, dept: Department) -> str:

    result = import_file(
        kind=kind, path=path, department=dept, actor=ACTOR, dry_run=False, skip_invalid=False
    )
    if result.errors:
        raise RuntimeError(f"演示数据导入失败：{result.errors[:3]}")
    return result.summary()


def _items(depts: dict[str, Department], effective: dt.date) -> int:

    created = 0
    for spec in SONGJIANG_ITEMS + MINHANG_ITEMS + ZHANGPING_ITEMS:
        dept = depts[spec["department"]]
        if Item.objects.filter(department=dept, code=spec["code"]).exists():
            continue
        item_create(
            department=dept,
            actor=ACTOR,
            code=spec["code"],
            name=spec["name"],
            field=spec["field"],
            target_type=spec["target_type"],
            content=spec["content"],
            methods=["on_site"],
            basis="《上海市人民政府关于在本市市场监管领域深入推进部门联合“双随机、一公开”监管的实施意见》等",
            subject=dept.parent.name if dept.parent else dept.name,
            responsible_unit=dept.name,
            level=spec["level"],
            default_ratio=Decimal(spec["ratio"]) if spec["ratio"] else None,
            default_frequency=spec["frequency"],
            checklist=spec["checklist"],
            change_reason="依据年度抽查计划建立事项清单",
            effective_date=effective,
        )
        created += 1
    return created


def demo_load(
    *, entities: int = 3000, seed: int = 2024, site: str = "http://127.0.0.1:8000"
) -> DemoSummary:
    rng = random.Random(seed)
    summary = DemoSummary()
    tl = Timeline.now()
    # A first load sets the directories up at the start of last year, before its plan and
    # tasks; a second one (the next day, say) finds them and changes nothing, at its own now.
    fresh = not Department.objects.filter(code="SJJW").exists()
    with tl.at(tl.workday_on_or_after(dt.date(tl.history, 1, 4)), 9, 0) if fresh else nullcontext():
        summary.lines += _setup(tl, rng, seed, entities)
        summary.lines.append(demo_plan_minhang(actor=ACTOR))
    # In the order of the calendar, roughly: last year's plan, task and inspections, then
    # this year's. Each visit is carried through in one go (one transaction), so where the
    # steps of several visits or tasks interleave in time the audit log's order of entry
    # follows the loader — each event with its own moment, the chain intact.
    with (
        tl.at(tl.workday_on_or_after(dt.date(tl.history, 1, 4)), 11, 0) if fresh else nullcontext()
    ):
        summary.lines += _letterheads()
        summary.lines += _site_identity()
    summary.lines += demo_plans(actor=ACTOR, timeline=tl, years=[tl.history])
    summary.lines += demo_draws(actor=ACTOR, timeline=tl, part="history")
    done = demo_inspections_run(actor=ACTOR, timeline=tl, part="history")
    summary.lines += demo_reports(timeline=tl, part="history")
    summary.lines += demo_plans(actor=ACTOR, timeline=tl, years=[tl.year])
    summary.lines += demo_draws(actor=ACTOR, timeline=tl, part="current")
    done += demo_inspections_run(actor=ACTOR, timeline=tl, part="current")
    summary.lines += demo_summary(done=done, today=tl.today)
    summary.lines += demo_reports(timeline=tl, part="current")
    summary.lines += demo_documents(timeline=tl)
    summary.lines += [
        "",
        f"演示数据以今天（{tl.today:%Y年%-m月%-d日}）为准：{tl.history}年为历史，{tl.year}年的任务正在进行。",
        "",
        f"演示账号（密码均为 {DEMO_PASSWORD}）：",
        "  admin        系统管理员（/admin/）",
        *[
            f"  {u:<12} {User.objects.get(username=u).full_name} · "
            f"{Department.objects.get(code=d).name} · "
            + "、".join(str(Role(r).label) for r in roles)
            for u, _, d, roles in USERS
            if User.objects.filter(username=u).exists()
        ],
        "  sc_admin     松江区市场监督管理局 · 部门管理员（联合抽查的配合部门）",
        "  sc_operator  松江区市场监督管理局 · 抽查操作员（答复联合抽查邀请）",
        "",
        f"打开 {site}/ 登录；公众页面（无需登录）：{site}/public/draw/",
        f"检查结果公示（无需登录）：{site}/public/results/ （更正 /public/corrections/，"
        "异议处理结果 /public/objections/）",
    ]
    return summary


# 文书抬头 (issue 13): the departments' own names, short names (机关代字) and office telephones.
LETTERHEADS = {
    "SJJW": (
        "sj_admin",
        "上海市松江区建设和管理委员会",
        "松建管",
        "上海市松江区",
        "201600",
        "021-57682316",
    ),
    "ZPZJ": (
        "zp_admin",
        "漳平市住房和城乡建设局",
        "漳建",
        "福建省漳平市",
        "364400",
        "0597-7582316",
    ),
}


# 网站标识 of the demo portal (系统管理 → 网站标识): fictional, and says so. The 标识码 and
# 备案号 have the real shapes but are no one's (an ICP number is checked by no program here).
SITE_IDENTITY = {
    "site_name": "双随机、一公开 · 公开信息（演示）",
    "sponsor": "示例市“双随机、一公开”监管工作联席会议办公室（演示）",
    "organizer": "示例市大数据中心（演示）",
    "address": "示例市示例区人民路 1 号（演示地址）",
    "postcode": "200000",
    "phone": "021-00000000（演示）",
    "email": "ssj-demo@example.gov.cn",
    "icp_number": "示ICP备00000000号-1（演示）",
    "police_number": "示公网安备00000000000000号（演示）",
    "site_code": "0000000000",
}


def _demo_logo() -> bytes:
    """A red disc with a white five-pointed star: an emblem that is plainly no one's."""
    size = 96
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse((2, 2, size - 3, size - 3), fill=(179, 38, 30, 255))
    c, outer, inner = size / 2, size * 0.36, size * 0.145
    points = [
        (
            c + (outer if i % 2 == 0 else inner) * math.sin(i * math.pi / 5),
            c - (outer if i % 2 == 0 else inner) * math.cos(i * math.pi / 5),
        )
        for i in range(10)
    ]
    draw.polygon(points, fill=(255, 255, 255, 255))
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()


def _site_identity() -> list[str]:
    if SiteIdentity.objects.exists():  # kept as the administrator left it
        return []
    site_identity_update(
        actor=User.objects.get(username="admin"),
        values=SITE_IDENTITY,
        logo=site_logo_check(data=_demo_logo(), name="演示标志.png"),
    )
    return [f"网站标识：主办单位“{SITE_IDENTITY['sponsor']}”（系统管理 → 网站标识）"]


def _letterheads() -> list[str]:
    from shuangsuiji.documents.models import Letterhead
    from shuangsuiji.documents.services import letterhead_set

    made = []
    for code, (username, full, short, address, postcode, phone) in LETTERHEADS.items():
        dept = Department.objects.get(code=code)
        if Letterhead.objects.filter(department=dept).exists():
            continue
        with transaction.atomic():
            letterhead_set(
                department=dept,
                actor=User.objects.get(username=username),
                full_name=full,
                short_name=short,
                address=address,
                postcode=postcode,
                telephone=phone,
            )
        made.append(short)
    return [f"文书抬头：{'、'.join(made)}"] if made else []


def _setup(tl: Timeline, rng: random.Random, seed: int, entities: int) -> list[str]:
    """Departments, accounts, items and the two directories (imported from CSV files)."""
    lines = []
    depts = _departments()
    _users(depts, rng)
    lines.append(f"抽查事项：新增 {_items(depts, dt.date(tl.history, 1, 1))} 项")
    with tempfile.TemporaryDirectory() as tmp:
        roster = [
            [
                str(i),
                name,
                sex,
                "漳平市住房和城乡建设局",
                "漳平市",
                "省政府",
                cert,
                "住房和城乡建设",
                mobile,
                "",
            ]
            for i, (name, sex, cert, mobile) in enumerate(ZHANGPING_ROSTER, start=1)
        ]
        lines.append(
            "漳平执法检查人员名录："
            + _import(
                "inspectors",
                _write_csv(Path(tmp) / "roster.csv", ROSTER_HEADERS, roster),
                depts["ZPZJ"],
            )
        )
        # Its own seeded generator: the shared one is consumed differently on a second run
        # (users already exist), and the roster must come out the same to stay "unchanged".
        sj_rng = random.Random(f"{seed}-sj-inspectors")
        sj_inspectors = [
            [
                str(i),
                n,
                sj_rng.choice(["男", "女"]),
                "松江区建设和管理委员会",
                "松江区",
                "上海市人民政府",
                f"3117{i:07d}",
                "城乡建设",
                f"137{sj_rng.randint(10000000, 99999999)}",
                "",
            ]
            for i, n in enumerate(
                [
                    "张伟",
                    "王芳",
                    "李娜",
                    "刘洋",
                    "陈静",
                    "杨磊",
                    "赵敏",
                    "黄强",
                    "周杰",
                    "吴霞",
                    "徐涛",
                    "孙丽",
                ],
                start=1,
            )
        ]
        lines.append(
            "松江执法检查人员名录："
            + _import(
                "inspectors",
                _write_csv(Path(tmp) / "sj_roster.csv", ROSTER_HEADERS, sj_inspectors),
                depts["SJJW"],
            )
        )
        shares = {
            "SJJW": entities // 2,
            "ZPZJ": entities // 4,
            "MHLH": entities - entities // 2 - entities // 4,
        }
        for code, count in shares.items():
            rows = _entity_rows(code, count, random.Random(f"{seed}-{code}"), tl.history - 1)
            lines.append(
                f"{depts[code].name} 检查对象名录库："
                + _import(
                    "entities",
                    _write_csv(Path(tmp) / f"{code}.csv", ENTITY_HEADERS, rows),
                    depts[code],
                )
            )

    return lines
