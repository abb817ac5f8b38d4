"""Synthetic published results for benchmarks/results.py (issue 4 item 9).

``results_generate(results=N)`` writes N ``PublishedResult`` rows with everything they hang
on: 检查对象 (one unique 统一社会信用代码 each), 检查 (Visit, led by a task of the entity's
department), 检查结果 (Result), its versions and the public copies. Most entities have one
result, some several (up to 12, over the years), and about 1 % of the results were
corrected once, so they have two versions and two published rows, the first marked
superseded (002 第二十八条: 一经公示，不得擅自更改 — a correction is a new version).

The rows go in by PostgreSQL ``COPY`` (psycopg's ``cursor.copy``) in chunks of 50,000
results, one transaction per chunk; on SQLite (the test of this generator) by
``executemany``. Primary keys are assigned here, continuing after the largest existing id,
and the sequences are reset afterwards, so the generator also runs in a database that
already holds rows (a test's fixtures).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from dataclasses import dataclass

CHUNK = 50_000
YEARS = (2022, 2023, 2024, 2025)
# (start month, end month) of the three task windows of each department and year.
WINDOWS = ((3, 5), (6, 8), (9, 11))
# How many results an entity has, and how often: mean ≈ 1.6 results per entity.
PER_ENTITY = ((1, 70), (2, 17), (3, 7), (4, 3), (6, 2), (12, 1))
CORRECTION_EVERY = 101  # one result in 101 is corrected: N // 101 extra published rows

_DEPARTMENTS = (
    ("BENCH-JW", "松江区建设和管理委员会"),
    ("BENCH-LH", "闵行区绿化和市容管理局"),
    ("BENCH-CG", "漳平市城市管理局"),
    ("BENCH-RQ", "松江区燃气管理所"),
)
_ITEMS = (
    (("JS-001", "建筑施工企业安全生产许可条件检查"), ("JS-004", "施工现场扬尘污染防治检查")),
    (("LH-002", "城市绿化养护质量检查"), ("LH-007", "户外广告设施设置检查")),
    (("CG-003", "市容环境卫生责任区检查"),),
    (("RQ-001", "燃气经营许可条件检查"), ("RQ-005", "瓶装燃气供应站安全检查")),
)
_WORDS = (
    "建设",
    "工程",
    "建筑",
    "市政",
    "园林",
    "绿化",
    "燃气",
    "环境",
    "物业",
    "装饰",
    "安装",
    "劳务",
    "设计",
    "监理",
    "检测",
    "能源",
    "置业",
    "市容",
)
_PLACES = ("上海", "松江", "闵行", "漳平", "福建", "九亭", "泗泾", "七宝", "莘庄")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华建国志红"
# 检查结论 (002 第二十六条) with a plausible share of each, and what the public copy says.
_CONCLUSIONS = (
    ("no_problem", 70, "对照检查表逐项检查，未发现问题。", ""),
    ("rectified", 12, "检查发现{p}，已当场责令改正。", "责令改正，整改期限{d}，复查已整改。"),
    ("pending_followup", 4, "检查发现{p}，待后续处理。", "立案查处，案件编号{c}。"),
    ("not_disclosed", 4, "未按规定公示应当公示的信息。", "责令改正，整改期限{d}。"),
    ("unreachable", 5, "通过登记的住所（经营场所）无法联系，已拍照留证。", ""),
    ("false_disclosure", 1, "公示信息隐瞒真实情况、弄虚作假。", "移交市场监督管理部门。"),
    ("uncooperative", 1, "拒绝检查人员进入被检查场所，不予配合情节严重。", "移送公安机关。"),
    ("other", 3, "其他情形：企业已停业，现场无生产经营活动。", ""),
)
_PROBLEMS = (
    "安全技术交底记录不全",
    "消防通道堆放杂物",
    "扬尘防治措施未落实",
    "特种作业人员证书过期",
    "气瓶检验标志缺失",
    "绿化养护记录缺失",
    "广告设施未按审批设置",
)


@dataclass
class Generated:
    results: int  # PublishedResult rows written
    distinct_results: int  # Result rows (corrections add a second published row)
    entities: int
    corrections: int
    seconds: float


def _uscc(n: int) -> str:
    """The n-th synthetic 统一社会信用代码: a base-31 body, so codes never repeat."""
    from shuangsuiji.common.ids import _USCC_BODY_ALPHABET as alphabet
    from shuangsuiji.common.ids import uscc_check_digit

    body = []
    for _ in range(9):
        n, r = divmod(n, 31)
        body.append(alphabet[r])
    first17 = "91350881" + "".join(reversed(body))
    return first17 + uscc_check_digit(first17)


class _Writer:
    """Writes rows of one model: the given columns per row, every other column its default."""

    def __init__(self, connection, model, columns: list[str]):
        fields = {f.attname: f for f in model._meta.concrete_fields}
        self.model, self.vendor = model, connection.vendor
        fixed = {}
        for name, f in fields.items():
            if name in columns:
                continue
            if f.null:
                fixed[name] = None
            else:
                default = f.get_default()
                fixed[name] = (
                    json.dumps(default)
                    if name in _JSON_COLUMNS.get(model.__name__, ())
                    else default
                )
        unknown = set(columns) - set(fields)
        assert not unknown, f"{model.__name__} has no {unknown}"
        qn = connection.ops.quote_name
        self.table = qn(model._meta.db_table)
        self.names = [qn(fields[c].column) for c in [*columns, *fixed]]
        self.tail = tuple(fixed.values())
        self.pg_tail = "".join("\t" + _pg(v) for v in self.tail)

    def write(self, cursor, rows: list[tuple]) -> None:
        if not rows:
            return
        cols = ", ".join(self.names)
        if self.vendor == "postgresql":
            tail = self.pg_tail + "\n"
            with cursor.copy(f"COPY {self.table} ({cols}) FROM STDIN") as copy:
                for start in range(0, len(rows), 5_000):
                    copy.write(
                        "".join(
                            "\t".join(map(_pg, row)) + tail for row in rows[start : start + 5_000]
                        )
                    )
        else:
            marks = ", ".join(["%s"] * len(self.names))
            cursor.executemany(
                f"INSERT INTO {self.table} ({cols}) VALUES ({marks})",
                [row + self.tail for row in rows],
            )


_JSON_COLUMNS = {"PublishedResult": ("item_codes",)}


def _pg(value) -> str:
    """One value in COPY's text format. The generated text has no tab, newline or backslash."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value)


def _ts(day: dt.date, minutes: int) -> str:
    """A UTC timestamp as both backends take it (Django keeps connections in UTC)."""
    return f"{day.isoformat()} {minutes // 60:02d}:{minutes % 60:02d}:00"


def _setup():
    """Departments, a reviewer account and tasks (3 windows × 4 years per department)."""
    from shuangsuiji.accounts.models import Department, User
    from shuangsuiji.planning.choices import TaskStatus
    from shuangsuiji.planning.models import Task

    user, _ = User.objects.get_or_create(
        username="bench-reviewer", defaults={"full_name": "基准审核负责人"}
    )
    depts, tasks = [], []
    for (code, name), items in zip(_DEPARTMENTS, _ITEMS, strict=True):
        dept, _ = Department.objects.get_or_create(code=code, defaults={"name": name})
        depts.append((dept, items))
        per_year = {}
        for year in YEARS:
            per_year[year] = []
            for k, (m1, m2) in enumerate(WINDOWS, start=1):
                task, _ = Task.objects.get_or_create(
                    code=f"{code}-{year}-{k:02d}",
                    defaults={
                        "title": f"{year}年第{k}批{name[-6:]}双随机抽查",
                        "department": dept,
                        "window_start": dt.date(year, m1, 1),
                        "window_end": dt.date(year, m2, 28),
                        "status": TaskStatus.DISPATCHED,
                        "created_by": user,
                    },
                )
                per_year[year].append(task)
        tasks.append(per_year)
    return user, depts, tasks


def _next_ids(models) -> dict:
    from django.db.models import Max

    return {m.__name__: (m.objects.aggregate(m=Max("id"))["m"] or 0) + 1 for m in models}


def _inspectors(rng: random.Random) -> str:
    names = []
    for _ in range(2):
        name = (
            rng.choice(_SURNAMES)
            + rng.choice(_GIVEN)
            + (rng.choice(_GIVEN) if rng.random() < 0.6 else "")
        )
        names.append(f"{name}（执法证号 1308{rng.randrange(10**7):07d}）")
    return "、".join(names)


def results_generate(
    *, results: int, seed: int = 20240901, bulk: bool = False, progress=None
) -> Generated:
    """Write ``results`` published rows (see the module docstring). Returns the counts.

    ``bulk`` (PostgreSQL, as a superuser): the foreign-key triggers are off while copying
    (``session_replication_role = replica``, what ``pg_restore --disable-triggers`` does)
    and the keys are checked afterwards by ``foreign_keys_check``, in one pass per key
    instead of one lookup per row. Unique and check constraints still apply."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from shuangsuiji.disclosure.models import PublishedResult
    from shuangsuiji.inspection.models import Result, ResultVersion, Visit
    from shuangsuiji.registry.models import Entity

    if bulk and not bulk_possible():
        bulk = False
    start = time.perf_counter()
    rng = random.Random(seed)
    user, depts, tasks = _setup()
    ids = _next_ids([Entity, Visit, Result, ResultVersion, PublishedResult])
    writers = {
        "Entity": _Writer(
            connection,
            Entity,
            [
                "id",
                "department_id",
                "key",
                "uscc",
                "name",
                "region",
                "industry",
                "risk_class",
                "created_at",
                "updated_at",
            ],
        ),
        "Visit": _Writer(
            connection,
            Visit,
            [
                "id",
                "entity_id",
                "target_id",
                "window_start",
                "window_end",
                "lead_task_id",
                "status",
                "started_at",
                "created_at",
                "updated_at",
            ],
        ),
        "Result": _Writer(
            connection,
            Result,
            [
                "id",
                "visit_id",
                "current_id",
                "formed_at",
                "first_published_at",
                "created_at",
                "updated_at",
            ],
        ),
        "ResultVersion": _Writer(
            connection,
            ResultVersion,
            [
                "id",
                "result_id",
                "number",
                "kind",
                "status",
                "inspected_on",
                "conclusion",
                "summary",
                "problems",
                "reason",
                "principal_signed_by_id",
                "principal_signed_at",
                "created_by_id",
                "created_at",
                "submitted_at",
                "reviewed_by_id",
                "reviewed_at",
                "published_at",
                "superseded_at",
            ],
        ),
        "PublishedResult": _Writer(
            connection,
            PublishedResult,
            [
                "id",
                "version_id",
                "result_id",
                "department_id",
                "department_names",
                "entity_name",
                "credit_code",
                "year",
                "task_codes",
                "task_titles",
                "item_codes",
                "item_names",
                "inspected_on",
                "conclusion",
                "summary",
                "followup_text",
                "inspectors",
                "version_number",
                "is_correction",
                "correction_reason",
                "published_at",
                "superseded_by_id",
                "superseded_at",
            ],
        ),
    }
    conclusions = [c for c in _CONCLUSIONS for _ in range(c[1])]
    sizes = [n for n, w in PER_ENTITY for _ in range(w)]
    corrections_total = results // CORRECTION_EVERY
    distinct = results - corrections_total
    made = {"entities": 0, "results": 0, "corrections": 0, "published": 0}
    uid = user.pk
    now = _ts(dt.date(2026, 1, 5), 120)

    while made["results"] < distinct:
        rows: dict[str, list[tuple]] = {k: [] for k in writers}
        chunk_end = min(distinct, made["results"] + CHUNK)
        while made["results"] < chunk_end:
            n_ent = made["entities"]
            made["entities"] += 1
            d = n_ent % len(depts)
            dept, items = depts[d]
            eid = ids["Entity"] + n_ent
            # From the row id through a bijection of the code space: spread out, never repeated,
            # also when the generator runs again on the same database.
            code = _uscc((eid * 1_000_000_007 + 12_345) % 31**9)
            name = f"{rng.choice(_PLACES)}{rng.choice(_WORDS)}{rng.choice(_WORDS)}有限公司{n_ent}"
            rows["Entity"].append(
                (
                    eid,
                    dept.pk,
                    code,
                    code,
                    name,
                    dept.name[:3],
                    "房屋建筑业",
                    "ABCD"[n_ent % 4],
                    now,
                    now,
                )
            )
            for _ in range(min(rng.choice(sizes), chunk_end - made["results"])):
                n_res = made["results"]
                made["results"] += 1
                year = rng.choice(YEARS)
                k = rng.randrange(len(WINDOWS))
                task = tasks[d][year][k]
                m1, m2 = WINDOWS[k]
                inspected = dt.date(year, rng.randint(m1, m2), rng.randint(1, 28))
                on = inspected.isoformat()
                formed = inspected + dt.timedelta(days=rng.randint(1, 10))
                published = formed + dt.timedelta(days=rng.randint(1, 20))
                t_formed, t_pub = (
                    _ts(formed, rng.randint(60, 540)),
                    _ts(published, rng.randint(60, 540)),
                )
                vid, rid = ids["Visit"] + n_res, ids["Result"] + n_res
                rows["Visit"].append(
                    (
                        vid,
                        eid,
                        code,
                        task.window_start.isoformat(),
                        task.window_end.isoformat(),
                        task.pk,
                        "formed",
                        _ts(inspected, 60),
                        now,
                        now,
                    )
                )
                conclusion, _w, summary, followup = rng.choice(conclusions)
                problem = rng.choice(_PROBLEMS)
                summary = summary.format(p=problem)
                followup = followup.format(
                    d=(inspected + dt.timedelta(days=30)).isoformat(),
                    c=f"{dept.code[-2:]}罚〔{year}〕{n_res % 9000 + 1}号",
                )
                item_pick = items[: 1 + n_res % len(items)]
                codes_json = json.dumps([c for c, _n in item_pick], ensure_ascii=False)
                item_names = "；".join(n for _c, n in item_pick)
                inspectors = _inspectors(rng)
                corrected = (
                    made["corrections"] < corrections_total and n_res % (CORRECTION_EVERY - 1) == 7
                )
                versions = [(1, "original", None, t_pub)]
                if corrected:
                    made["corrections"] += 1
                    fixed_on = published + dt.timedelta(days=rng.randint(5, 40))
                    versions.append(
                        (
                            2,
                            "correction",
                            "经异议复核，检查日期与检查情况记载有误，予以更正。",
                            _ts(fixed_on, rng.randint(60, 540)),
                        )
                    )
                last_vid = None
                for i, (number, kind, reason, at) in enumerate(versions):
                    ver_id = ids["ResultVersion"] + made["published"]
                    pub_id = ids["PublishedResult"] + made["published"]
                    made["published"] += 1
                    is_old = i < len(versions) - 1
                    superseded_at = versions[i + 1][3] if is_old else None
                    rows["ResultVersion"].append(
                        (
                            ver_id,
                            rid,
                            number,
                            kind,
                            "superseded" if is_old else "published",
                            on,
                            conclusion,
                            summary,
                            problem if conclusion in ("rectified", "pending_followup") else "",
                            reason or "",
                            uid if reason else None,
                            at if reason else None,
                            uid,
                            t_formed,
                            t_formed,
                            uid,
                            t_formed,
                            at,
                            superseded_at,
                        )
                    )
                    rows["PublishedResult"].append(
                        (
                            pub_id,
                            ver_id,
                            rid,
                            dept.pk,
                            dept.name,
                            name,
                            code,
                            year,
                            task.code,
                            task.title,
                            codes_json,
                            item_names,
                            on,
                            conclusion,
                            summary,
                            followup,
                            inspectors,
                            number,
                            kind == "correction",
                            reason or "",
                            at,
                            pub_id + 1 if is_old else None,
                            superseded_at,
                        )
                    )
                    last_vid = ver_id
                rows["Result"].append((rid, vid, last_vid, t_formed, versions[0][3], now, now))
        # Parents before children; Result.current and superseded_by point forward, which
        # both backends check at commit (Django's foreign keys are DEFERRABLE INITIALLY DEFERRED).
        with transaction.atomic(), connection.cursor() as cur:
            if bulk:
                cur.execute("SET LOCAL session_replication_role = replica")
            for name in ("Entity", "Visit", "Result", "ResultVersion", "PublishedResult"):
                writers[name].write(cur, rows[name])
        if progress:
            progress(made["published"], results)
    with connection.cursor() as cur:
        for sql in connection.ops.sequence_reset_sql(
            no_style(), [Entity, Visit, Result, ResultVersion, PublishedResult]
        ):
            cur.execute(sql)
    return Generated(
        results=made["published"],
        distinct_results=made["results"],
        entities=made["entities"],
        corrections=made["corrections"],
        seconds=time.perf_counter() - start,
    )


def bulk_possible() -> bool:
    """True on PostgreSQL when the connected role may switch the foreign-key triggers off."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cur:
        cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        return bool(cur.fetchone()[0])


def foreign_keys_check() -> dict[str, int]:
    """Rows whose foreign key points nowhere, per generated key (all must be 0): one
    anti-join per key over the generated tables."""
    from django.db import connection

    from shuangsuiji.disclosure.models import PublishedResult
    from shuangsuiji.inspection.models import Result, ResultVersion, Visit
    from shuangsuiji.registry.models import Entity

    qn = connection.ops.quote_name
    out = {}
    for model in (Entity, Visit, Result, ResultVersion, PublishedResult):
        for f in model._meta.concrete_fields:
            if not f.is_relation:
                continue
            child, parent = qn(model._meta.db_table), qn(f.related_model._meta.db_table)
            with connection.cursor() as cur:
                cur.execute(
                    f"SELECT count(*) FROM {child} c LEFT JOIN {parent} p ON p.id = c.{qn(f.column)} "
                    f"WHERE c.{qn(f.column)} IS NOT NULL AND p.id IS NULL"
                )
                out[f"{model.__name__}.{f.name}"] = cur.fetchone()[0]
    return out


def database_analyze() -> None:
    """Fresh planner statistics after the bulk load (and, on PostgreSQL, the visibility
    map a VACUUM sets, without which an index-only scan still visits the heap)."""
    from django.db import connection

    from shuangsuiji.disclosure.models import PublishedResult
    from shuangsuiji.inspection.models import Result, ResultVersion, Visit
    from shuangsuiji.registry.models import Entity

    with connection.cursor() as cur:
        for model in (Entity, Visit, Result, ResultVersion, PublishedResult):
            table = connection.ops.quote_name(model._meta.db_table)
            cur.execute(
                f"VACUUM ANALYZE {table}"
                if connection.vendor == "postgresql"
                else f"ANALYZE {table}"
            )


def codes_sample(*, count: int, multi_share: float, seed: int) -> tuple[list[str], set[str]]:
    """``count`` random credit codes from the published rows, ``multi_share`` of them of
    entities with several published rows. Returns the codes (shuffled) and the multi ones."""
    from django.db.models import Count

    from shuangsuiji.disclosure.models import PublishedResult

    single, multi = [], []
    for code, n in (
        PublishedResult.objects.order_by()
        .values("credit_code")
        .annotate(n=Count("id"))
        .values_list("credit_code", "n")
        .iterator(chunk_size=50_000)
    ):
        (multi if n > 1 else single).append(code)
    rng = random.Random(seed)
    want_multi = min(len(multi), round(count * multi_share))
    picked_multi = rng.sample(multi, want_multi)
    picked = rng.sample(single, min(len(single), count - want_multi)) + picked_multi
    rng.shuffle(picked)
    return picked, set(picked_multi)


def published_ids_sample(*, count: int, seed: int) -> list[int]:
    from shuangsuiji.disclosure.models import PublishedResult

    all_ids = list(
        PublishedResult.objects.order_by().values_list("id", flat=True).iterator(chunk_size=100_000)
    )
    return random.Random(seed).sample(all_ids, min(count, len(all_ids)))
