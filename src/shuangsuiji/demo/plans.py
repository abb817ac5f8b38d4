"""Demo plans: the two real plan tables of the source documents, filed and published.

- 松江区建管委 年度“双随机、一公开”抽查事项计划 [000 附件, its 2024 table] — 7 rows (序号
  1–5, 11, 12 as the document numbers them), for last year and this year (``demo.timeline``):
  last year's filed and published in its first quarter; this year's drawn up in January and
  filed in March — still a draft when the demo is loaded before then (000 三(一): 每年一季度
  制定并备案, a 待办 of the department admin);
- 闵行区绿化和市容管理局 2021 年度随机抽查时间、人员安排 [004 四] — 10 rows, one per two
  months and item, with the 负责人 the document names.

They go through the real services (create → rows → 备案 → 公开). Loading twice changes
nothing: an existing plan for the department and year is left as it is.
"""

import contextlib
import datetime as dt
from decimal import Decimal

from django.db import transaction

from shuangsuiji.accounts.models import Department
from shuangsuiji.catalog.models import Item
from shuangsuiji.demo.timeline import Timeline
from shuangsuiji.planning import services
from shuangsuiji.planning.models import Plan
from shuangsuiji.planning.selectors import subtree_ids

# 序号, 抽查领域, 检查对象, 抽查事项, 抽查时间, 抽查比例, 预估抽查数, 牵头单位, 层级, 事项编码 [000 附件].
SONGJIANG_PLAN = [
    (
        1,
        "瓶装燃气综合监管（云监码）",
        "液化气储存充装站点",
        "对瓶装液化气储存充装站、点日常经营、气瓶充装、反恐防暴和危化品存储、运输及场所消防安全等事项开展检查，"
        "切实提升发现问题和处置风险的能力",
        "10月",
        "3",
        1,
        "燃气所",
        "区级高频、区管事项、区级部门联合抽查事项",
        "SJ-RQ-01",
    ),
    (
        2,
        "燃气经营监督执法检查（云监码）",
        "燃气经营企业",
        "燃气经营许可证取得情况检查；燃气经营监督执法检查",
        "9月",
        "6",
        2,
        "燃气所",
        "区级部门联合抽查事项",
        "SJ-RQ-02",
    ),
    (
        3,
        "地下空间安全使用执法检查（云监码）",
        "普通地下室",
        "地下空间安全使用情况检查",
        "1月、4月、6月、9月、12月",
        "0.2",
        10,
        "综管中心",
        "区级部门联合抽查事项",
        "SJ-ZG-01",
    ),
    (
        4,
        "建筑市场监督管理执法检查",
        "建筑工地参建单位",
        "关于保障农民工工资支付情况的检查",
        "5月",
        "3.4",
        10,
        "质安监站",
        "区级部门联合抽查事项",
        "SJ-ZA-01",
    ),
    (
        5,
        "在建住宅工程质量综合监管",
        "住宅建设单位（房地产开发企业）",
        "对住宅建设单位在现场出现质量违法违规行为实施综合监管，建立健全综合监管制度",
        "9月",
        "50",
        12,
        "质安监站",
        "区级部门联合抽查事项",
        "SJ-ZA-02",
    ),
    (
        11,
        "勘察设计、审图质量检查",
        "以完成施工图设计文件审查，且尚未核发施工许可证的项目为主",
        "勘察设计、审图质量检查内容是符合法律法规强制性标准、地基基础及主体结构安全",
        "以季度抽查和日常检查相结合方式开展，原则上每季度不少于一次",
        "5",
        13,
        "文审中心",
        "委级",
        "SJ-WS-11",
    ),
    (
        12,
        "BIM技术应用落实情况检查",
        "总投资额1亿元以上或单体建筑面积2万平方米及以上的新建、改建、扩建的在建民用建筑工程项目",
        "BIM技术应用要求落实情况",
        "每年三至四次",
        "20",
        24,
        "文审中心",
        "委级",
        "SJ-WS-12",
    ),
]

# 序号, 双随机抽查名称, 计划完成时间 [004 四]; 负责人 吉泽青 for every row.
MINHANG_2021 = [
    (1, "2021年1-2月临时使用公共绿地抽查", "5月底前"),
    (2, "2021年1-2月临时性户外广告设置", "5月底前"),
    (3, "2021年3-4月临时使用公共绿地抽查", "5月底前"),
    (4, "2021年3-4月临时性户外广告设置", "5月底前"),
    (5, "2021年5-6月临时使用公共绿地抽查", "7月底前"),
    (6, "2021年5-6月临时性户外广告设置", "7月底前"),
    (7, "2021年7-8月临时使用公共绿地抽查", "9月底前"),
    (8, "2021年7-8月临时性户外广告设置", "9月底前"),
    (9, "2021年9-10月临时使用公共绿地抽查", "10月底前"),
    (10, "2021年9-10月临时性户外广告设置", "10月底前"),
]


def _item(code: str, root: Department) -> Item:

    item = (
        Item.objects.filter(code=code, department_id__in=subtree_ids(department=root))
        .select_related("current")
        .first()
    )
    if item is None:
        raise RuntimeError(f"演示计划需要抽查事项 {code}：请先载入演示清单")
    return item


def _load(
    *,
    code: str,
    year: int,
    title: str,
    rows: list[tuple[dict, list[Item]]],
    filed_to: str,
    actor,
    tl: Timeline | None = None,
) -> str:
    """Creates the plan (in January of its year) and files and publishes it (in March) —
    each on its day when a timeline is given, the filing only once that day has come."""
    department = Department.objects.get(code=code)
    existing = Plan.objects.filter(department=department, year=year).first()
    if existing is not None:
        return f"{title}：已存在（{existing.get_status_display()}，{existing.rows.count()}行）"
    # Drawn up in the second week of January (after the directories are set up, in the
    # first), filed in March: 000 三(一) 每年一季度.
    drawn_up, filed_on = dt.date(year, 1, 8), dt.date(year, 3, 10)
    if tl is not None:
        drawn_up, filed_on = tl.workday_on_or_after(drawn_up), tl.workday_on_or_after(filed_on)
    with transaction.atomic():
        with tl.at(drawn_up, 10, 0) if tl else contextlib.nullcontext():
            plan = services.plan_create(department=department, year=year, title=title, actor=actor)
            for data, items in rows:
                services.plan_row_add(plan=plan, data=data, items=items, actor=actor)
        if tl is not None and not tl.past(filed_on, 10, 0):
            return f"{title}：新增{len(rows)}行，待备案（每年一季度制定并备案）"
        with tl.at(filed_on, 10, 0) if tl else contextlib.nullcontext():
            services.plan_file(plan=plan, filed_to=filed_to, actor=actor)
            services.plan_publish(plan=plan, actor=actor)
    return f"{title}：新增{len(rows)}行，已备案（{filed_to}）并公开"


def demo_plans(
    *, actor, timeline: Timeline | None = None, years: list[int] | None = None
) -> list[str]:
    """松江's plans of ``years`` (default: last year's and this year's)."""
    tl = timeline or Timeline.now()
    years = years if years is not None else [tl.history, tl.year]
    songjiang = Department.objects.get(code="SJJW")
    sj_rows = [
        (
            {
                "seq": seq,
                "field": fld,
                "target_desc": target,
                "items_text": text,
                "schedule_text": when,
                "ratio": Decimal(ratio),
                "estimated_count": est,
                "lead_unit": lead,
                "level": level,
            },
            [_item(item_code, songjiang)],
        )
        for seq, fld, target, text, when, ratio, est, lead, level, item_code in SONGJIANG_PLAN
    ]
    return [
        *(
            _load(
                code="SJJW",
                year=year,
                title=f"松江区建管委 {year} 年度“双随机、一公开”抽查事项计划",
                rows=sj_rows,
                filed_to="松江区“双随机、一公开”监管工作联席会议办公室",
                actor=actor,
                tl=tl,
            )
            for year in years
        ),
    ]


def demo_plan_minhang(*, actor) -> str:
    """闵行's 2021 table [004 四], entered as it stands (a document of its year), when the
    directories are set up."""
    minhang = Department.objects.get(code="MHLH")
    green, ads = _item("MH-XK-01", minhang), _item("MH-XK-02", minhang)
    mh_rows = []
    for seq, name, when in MINHANG_2021:
        item = green if "绿地" in name else ads
        mh_rows.append(
            (
                {
                    "seq": seq,
                    "field": item.current.field,
                    "target_desc": item.current.target_type,
                    "items_text": name,
                    # 004 四's column is 计划完成时间: a deadline; the months are in the name.
                    "due_text": when,
                    "lead_unit": "许可科",
                    "person_in_charge": "吉泽青",
                    "level": "局级（试点事项）",
                },
                [item],
            )
        )
    return _load(
        code="MHLH",
        year=2021,
        title="闵行区绿化和市容管理局 2021 年度“双随机”抽查计划",
        rows=mh_rows,
        filed_to="闵行区审改办（区审批制度改革领导小组办公室）",
        actor=actor,
    )
