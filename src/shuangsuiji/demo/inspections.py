"""Demo inspections (``ssj demo``, after ``demo_draws``): the dispatched demo visits carried
through 检查实施 to 一公开, each through the real services and by the people the rules name.

- eight visits end published, one per conclusion of 002 第二十六条, with the follow-ups of
  000 三(五): 责令改正 with its deadline and a recorded 复查, 立案查处 with its penalty
  decision, 移交 to a named department, 移送公安机关;
- one published result is corrected (经主要负责人签字确认, 002 第二十八条): the first public
  copy stays, marked superseded;
- two objections are filed on the portal: one reviewed and answered (its outcome is on the
  result's public page), one still under review;
- one visit waits for signatures, one for the reviewer, one result is formed and not yet
  published, one visit is in progress (started by 谢璇 — the demo user ``zp_inspector`` —
  when she is in a team), the rest are pending, so 我的检查, 待办 and 期限督办 have
  something to show;
- last year's task is finished: every visit published (the history of 统计分析).

Every check point gets a finding; 不予配合 and 无法联系 are concluded from evidence alone
(002 第二十九条), with a photo (a PNG drawn here) and a 现场笔录 (a PDF). Members without a
login account sign the paper record, which the operator records (纸质签字代录). Each
step is done on its own day (``demo.timeline``): inspected, signed, approved the next
working day, published two days later; a follow-up or an objection whose day has not come
yet stays open.

Each visit is done in one transaction and only while it is still pending: loading twice
changes nothing.
"""

import datetime as dt
import io
import random
import struct
import zlib
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import User
from shuangsuiji.accounts.services import membership_grant, user_create
from shuangsuiji.audit.services import event_record
from shuangsuiji.common.ids import make_id_number
from shuangsuiji.demo import disclosure as disclosure_demo
from shuangsuiji.demo.accounts import DEMO_PASSWORD
from shuangsuiji.demo.draws import demo_codes
from shuangsuiji.demo.timeline import Timeline, Window
from shuangsuiji.disclosure.choices import ObjectionStatus
from shuangsuiji.disclosure.models import Objection, PublishedResult
from shuangsuiji.inspection import services
from shuangsuiji.inspection.choices import (
    Conclusion,
    FindingOutcome,
    FollowUpKind,
    FollowUpStatus,
    NonCooperation,
    VisitStatus,
)
from shuangsuiji.inspection.models import Finding, FollowUp, ResultVersion, Visit, VisitMember
from shuangsuiji.registry.models import Inspector
from shuangsuiji.workdays.services import deadline_provisional

# Who records and who reviews, per lead department: the 抽查操作员 (also 纸质签字代录 and
# 公示) and the 审核负责人 (also 主要负责人 for corrections and objection reviews).
STAFF = {"SJJW": ("sj_operator", "sj_reviewer"), "ZPZJ": ("zp_admin", "zp_reviewer")}
# 移交 / 移送 [000 三(五)]: the competent departments where each demo department sits.
TRANSFER_TO = {"SJJW": "上海市松江区市场监督管理局", "ZPZJ": "漳平市市场监督管理局"}
POLICE = {"SJJW": "上海市公安局松江分局", "ZPZJ": "漳平市公安局"}
CASE_NO = {"SJJW": "松建管罚〔2024〕第017号", "ZPZJ": "漳建罚〔2024〕第017号"}
# The demo user zp_inspector: 谢璇 of 003 附件5 when the draw puts her in a team (her login
# opens her own assignments), else another 漳平 inspector who is in one.
INSPECTOR_ACCOUNT = ("zp_inspector", "13080716005")

PUBLISHED, FORMED, REVIEW, SIGNING = "published", "formed", "review", "signing"


@dataclass(frozen=True)
class Scenario:
    key: str
    stage: str = PUBLISHED
    conclusion: str = ""


# This year's tasks (``demo.timeline``). The joint task, ended weeks ago, takes the
# scenarios in this order — those that need time after publication (复查, 处罚决定, an
# objection past its review deadline) first — then plain results, and keeps a few visits
# pending (their results due within days); the running 漳平 task takes its own scenarios, then what is left,
# and keeps two visits to start and one in progress. How many each task gets depends on
# the number of entities drawn (``ssj demo --entities``).
JOINT_ORDER = [
    Scenario("rectified", conclusion=Conclusion.RECTIFIED),
    Scenario("case", conclusion=Conclusion.PENDING_FOLLOWUP),
    Scenario("objection_pending", conclusion=Conclusion.FALSE_DISCLOSURE),
    Scenario("corrected", conclusion=Conclusion.NO_PROBLEM),
    Scenario("other", conclusion=Conclusion.OTHER),
    Scenario("formed", stage=FORMED, conclusion=Conclusion.NO_PROBLEM),
    Scenario("review", stage=REVIEW, conclusion=Conclusion.NO_PROBLEM),
    Scenario("signing", stage=SIGNING, conclusion=Conclusion.NO_PROBLEM),
]
MATCH_FIRST = [
    Scenario("objection_answered", conclusion=Conclusion.NOT_DISCLOSED),
    Scenario("unreachable", conclusion=Conclusion.UNREACHABLE),
    Scenario("uncooperative", conclusion=Conclusion.UNCOOPERATIVE),
]
SCENARIOS = [*JOINT_ORDER, *MATCH_FIRST]
MATCH_TO_START = 2
# The joint task's visits left pending (their results due within days); the rest done.
JOINT_PENDING = 3
PLAIN = Scenario("plain", conclusion=Conclusion.NO_PROBLEM)
# Last October's task: every visit done and published, most without a problem.
HISTORY = [
    Scenario("plain", conclusion=Conclusion.NO_PROBLEM),
    Scenario("plain", conclusion=Conclusion.NO_PROBLEM),
    Scenario("rectified", conclusion=Conclusion.RECTIFIED),
    Scenario("plain", conclusion=Conclusion.NO_PROBLEM),
    Scenario("unreachable", conclusion=Conclusion.UNREACHABLE),
    Scenario("plain", conclusion=Conclusion.NO_PROBLEM),
    Scenario("other", conclusion=Conclusion.OTHER),
]


def _slip(points: int) -> tuple[str, str]:
    """The slip in the published 检查情况 that the correction puts right (what was said, what
    the signed record says): one point written down as 不适用 though it was checked."""
    if points == 1:
        return "该检查要点不适用", "该检查要点符合要求"
    return f"其中{points - 1}项符合要求、1项不适用", f"{points}项均符合要求"


# --- generated evidence -------------------------------------------------------------------


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + tag
        + data
        + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    )


def demo_png(*, width: int = 96, height: int = 64) -> bytes:
    """A real (decodable) PNG: a grey façade with a closed dark door, standing in for the
    photo taken on site. Drawn here so the demo needs no image file."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type: none
        for x in range(width):
            door = width * 3 // 8 <= x < width * 5 // 8 and y >= height // 4
            shade = 60 if door else 200 - y
            rows += bytes((shade, shade, shade + (0 if door else 12)))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _png_chunk(b"IEND", b"")
    )


def demo_pdf(*, title: str, lines: list[str]) -> bytes:
    """A one-page PDF (reportlab) standing in for a scanned paper record. The built-in CID
    font STSong-Light needs no font file (the viewer supplies the glyphs) — enough for a
    demo file; the printed draw records embed a TrueType font instead (draw/record.py)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4, invariant=1)
    pdf.setTitle(title)
    pdf.setFont(font, 16)
    pdf.drawString(60, 780, title)
    pdf.setFont(font, 11)
    for n, line in enumerate(lines):
        pdf.drawString(60, 748 - 20 * n, line)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


# --- who and when -------------------------------------------------------------------------


def _user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise RuntimeError(f"演示检查需要演示账号 {username}：请先载入演示数据")
    return user


def _account_inspector() -> Inspector | None:
    """The roster entry of the demo user zp_inspector (执法检查人员 with a login)."""
    return Inspector.objects.filter(user__username=INSPECTOR_ACCOUNT[0]).first()


def _link_inspector_account(actor: str, tl: Timeline) -> None:
    """Creates the demo user zp_inspector for a 漳平 inspector who is in a team of this
    year's 漳平 task — 谢璇 of 003 附件5 when the draw put her in one, else the leader of
    the last team — and links the roster entry to it, so 我的检查 has visits to show (the
    draw is random: who is in a team depends on the entities drawn)."""
    username, cert = INSPECTOR_ACCOUNT
    if User.objects.filter(username=username).exists():
        return
    members = VisitMember.objects.filter(
        visit__lead_task__code=demo_codes(tl.today).match
    ).select_related("inspector")
    if not members.exists():
        return
    mine = members.filter(inspector__cert_no=cert).first() or (
        members.filter(is_leader=True).order_by("-visit__target_id").first()
    )
    if mine is None:
        return
    inspector = mine.inspector
    with transaction.atomic():
        user = user_create(
            username=username,
            full_name=inspector.name,
            password=DEMO_PASSWORD,
            id_number=make_id_number(random.Random(f"{username}-{inspector.cert_no}")),
            mobile=inspector.mobile,
            actor=actor,
        )
        membership_grant(
            user=user, department=inspector.department, role=Role.INSPECTOR, actor=actor
        )
        inspector = Inspector.objects.select_for_update().get(pk=inspector.pk)
        inspector.user = user
        inspector.save(update_fields=["user"])
        event_record(
            actor=actor,
            action="inspector.link_account",
            obj=inspector,
            department=inspector.department,
            before={"user": None},
            after={"user": username},
        )


def _members(visit: Visit) -> list[VisitMember]:
    return list(
        VisitMember.objects.filter(visit=visit)
        .select_related("inspector__user")
        .order_by("-is_leader", "id")
    )


def _account_holder(visit: Visit) -> User | None:
    member = next((m for m in _members(visit) if m.inspector.user_id), None)
    return member.inspector.user if member else None


# --- the content of each scenario ---------------------------------------------------------


@dataclass
class Content:
    findings: list[services.FindingInput]
    draft: services.DraftInput
    evidence: list[tuple[str, bytes, str]]  # file name, bytes, description


def _findings(
    points: list[Finding], outcome: str, note: str, problems: dict[int, str] | None = None
) -> list[services.FindingInput]:
    problems = problems or {}
    return [
        services.FindingInput(
            item_id=f.item_id,
            point=f.point,
            outcome=FindingOutcome.PROBLEM if i in problems else outcome,
            note=problems.get(i, note),
        )
        for i, f in enumerate(points)
    ]


def _record(visit: Visit, day: dt.date, members: list[VisitMember]) -> tuple[str, bytes, str]:
    names = "、".join(f"{m.inspector.name}（{m.inspector.cert_no}）" for m in members)
    data = demo_pdf(
        title="现场检查记录（签字页）",
        lines=[
            f"检查对象：{visit.entity.name}",
            f"统一社会信用代码：{visit.target_id}",
            f"检查日期：{day:%Y年%m月%d日}",
            f"检查组成员（执法证号）：{names}",
            "检查组成员已在纸质记录上签字确认。",
            "（演示数据：代替纸质记录扫描件）",
        ],
    )
    return "现场检查记录签字页.pdf", data, "检查组成员签字的纸质检查记录（扫描件）"


def _content(s: Scenario, visit: Visit, day: dt.date, members: list[VisitMember]) -> Content:
    code = visit.lead_task.department.code
    points = list(Finding.objects.filter(visit=visit).order_by("item_id", "point"))
    n, first, last = len(points), points[0].point_text, points[-1].point_text
    team = f"{day:%Y年%m月%d日}，检查组{len(members)}人到场出示执法证件，"
    ok = "现场核查，符合要求"
    evidence = (
        [_record(visit, day, members)] if any(not m.inspector.user_id for m in members) else []
    )
    photo = ("经营场所现场照片.png", demo_png(), "到达登记的经营场所时拍摄")
    if s.key == "rectified":
        problem = f"“{first}”不符合要求：相关记录未按规定建立，部分内容缺失"
        return Content(
            _findings(points, FindingOutcome.COMPLIANT, ok, {0: problem}),
            services.DraftInput(
                inspected_on=day,
                conclusion=s.conclusion,
                problems=problem,
                summary=f"{team}依照检查表单逐项检查{n}个检查要点，{n - 1}项符合要求，1项存在问题，已当场下达责令改正通知书。",
                followups=(
                    services.FollowUpInput(
                        kind=FollowUpKind.RECTIFY,
                        rectify_deadline=deadline_provisional(start=day, n=10).date,
                        detail="下达责令改正通知书，限期整改并书面报送整改情况",
                    ),
                ),
            ),
            evidence,
        )
    if s.key in ("corrected", "signing", "review", "formed", "plain"):
        # The corrected one is published with a slip the correction puts right.
        said = _slip(n)[0] if s.key == "corrected" else f"{n}项均符合要求"
        return Content(
            _findings(points, FindingOutcome.COMPLIANT, ok),
            services.DraftInput(
                inspected_on=day,
                conclusion=s.conclusion,
                summary=f"{team}依照检查表单逐项检查{n}个检查要点，{said}，未发现问题。",
            ),
            evidence,
        )
    if s.key == "objection_answered":
        problem = f"“{last}”相关信息未按规定向社会公示"
        return Content(
            _findings(points, FindingOutcome.COMPLIANT, ok, {n - 1: problem}),
            services.DraftInput(
                inspected_on=day,
                conclusion=s.conclusion,
                problems=problem,
                summary=f"{team}依照检查表单逐项检查，发现该单位未按规定公示应当公示的信息，已告知其依法公示。",
            ),
            evidence,
        )
    if s.key == "objection_pending":
        problem = f"“{first}”公示的信息与现场核查情况不符，提供的证明材料涉嫌伪造"
        return Content(
            _findings(points, FindingOutcome.COMPLIANT, ok, {0: problem}),
            services.DraftInput(
                inspected_on=day,
                conclusion=s.conclusion,
                problems=problem,
                summary=f"{team}依照检查表单逐项检查，发现该单位公示信息隐瞒真实情况、弄虚作假。",
                followups=(
                    services.FollowUpInput(
                        kind=FollowUpKind.POLICE,
                        recipient=POLICE[code],
                        detail="证明材料涉嫌伪造，依法移送公安机关处理",
                    ),
                ),
            ),
            evidence,
        )
    if s.key == "unreachable":
        # 取得相关证据后直接形成相应的检查结果 (002 第二十九条): the points stay unchecked, with why.
        return Content(
            _findings(
                points, FindingOutcome.UNCHECKED, "通过登记的住所（经营场所）无法联系，未能开展检查"
            ),
            services.DraftInput(
                inspected_on=day,
                conclusion=s.conclusion,
                summary=(
                    f"{day:%Y年%m月%d日}，检查组两次按登记的住所（经营场所）前往，现场大门紧闭、无人办公，"
                    "拨打登记的联系电话无人接听，通过登记的住所（经营场所）无法联系，已拍照取证。"
                ),
            ),
            [photo, *evidence],
        )
    if s.key == "uncooperative":
        refusal = demo_pdf(
            title="现场笔录（拒绝检查）",
            lines=[
                f"检查对象：{visit.entity.name}",
                f"时间：{day:%Y年%m月%d日}",
                "检查人员出示执法证件、说明来意后，该单位现场负责人拒绝检查人员进入经营场所，",
                "经说明拒绝检查的法律后果后仍拒不配合，致使检查无法进行。",
                "（演示数据）",
            ],
        )
        return Content(
            _findings(points, FindingOutcome.UNCHECKED, "被检查对象拒绝检查人员进入，未能开展检查"),
            services.DraftInput(
                inspected_on=day,
                conclusion=s.conclusion,
                non_cooperation=NonCooperation.REFUSE_ENTRY,
                summary=(
                    f"{team}说明来意，该单位现场负责人拒绝检查人员进入经营场所，经说明法律后果后仍拒不配合，"
                    "致使检查无法进行；已制作现场笔录并拍照取证。"
                ),
            ),
            [("现场笔录（拒绝检查）.pdf", refusal, "拒绝检查的现场笔录"), photo, *evidence],
        )
    if s.key == "other":
        return Content(
            _findings(points, FindingOutcome.NOT_APPLICABLE, "已停止经营，本项不适用"),
            services.DraftInput(
                inspected_on=day,
                conclusion=s.conclusion,
                summary=f"{team}现场核实：该单位已停止相关经营活动，正在办理注销手续，本次抽查事项不适用。",
                followups=(
                    services.FollowUpInput(
                        kind=FollowUpKind.TRANSFER,
                        recipient=TRANSFER_TO[code],
                        detail="移交市场监管部门核实登记状态",
                    ),
                ),
            ),
            evidence,
        )
    if s.key == "case":
        problems = {
            0: f"“{first}”存在违法违规行为",
            1 % n: f"“{points[1 % n].point_text}”未按规定落实",
        }
        return Content(
            _findings(points, FindingOutcome.COMPLIANT, ok, problems),
            services.DraftInput(
                inspected_on=day,
                conclusion=s.conclusion,
                problems="；".join(dict.fromkeys(problems.values())),
                summary=f"{team}依照检查表单逐项检查，发现违法违规行为，需立案调查后依法处理。",
                followups=(
                    services.FollowUpInput(
                        kind=FollowUpKind.CASE, case_no=CASE_NO[code], detail="经批准立案调查"
                    ),
                ),
            ),
            evidence,
        )
    raise ValueError(s.key)


# --- carrying a visit through -------------------------------------------------------------


def _sign(version: ResultVersion, members: list[VisitMember], operator: User) -> None:
    for m in members:
        if m.inspector.user_id:
            services.result_sign(version=version, actor=m.inspector.user)
        else:
            # The signed paper page, photographed: a 代录 needs its scan (演示图片).
            services.result_sign_on_paper(
                version=version,
                member=m,
                actor=operator,
                scan=ContentFile(demo_png(), name=f"{m.inspector.name}签字页（演示）.png"),
            )


def _carry(visit: Visit, s: Scenario, day: dt.date, tl: Timeline) -> None:
    """One visit through its scenario, each step on its day: inspected and signed on
    ``day``, approved the next working day, published two working days later."""
    operator, reviewer = (_user(u) for u in STAFF[visit.lead_task.department.code])
    members = _members(visit)
    with tl.at(day, 9, 30):
        services.visit_start(visit=visit, actor=operator, today=day)
        content = _content(s, visit, day, members)
        services.findings_record(visit=visit, entries=content.findings, actor=operator)
        for name, data, description in content.evidence:
            services.evidence_upload(
                visit=visit,
                upload=ContentFile(data, name=name),
                kind="",
                actor=operator,
                description=description,
            )
    with tl.at(day, 16, 30):
        version = services.result_draft_save(
            visit=visit, data=content.draft, actor=operator, today=day
        )
        version = services.result_submit(version=version, actor=operator, today=day)
        if s.stage == SIGNING:
            # Still waiting for one member: the one with a login (who signs in 我的检查), else the last.
            waiting = next((m for m in members if m.inspector.user_id), members[-1])
            _sign(version, [m for m in members if m != waiting], operator)
            return
        _sign(version, members, operator)
    if s.stage == REVIEW:
        return
    with tl.at(tl.add(day, 1), 10, 0):
        version = services.result_approve(
            version=ResultVersion.objects.get(pk=version.pk),
            actor=reviewer,
            note="检查程序合法，事实清楚，同意形成检查结果",
        )
    if s.stage == FORMED:
        return
    published_on = tl.add(day, 3)
    with tl.at(published_on, 10, 0):
        row = disclosure_demo.publish(version=version, actor=operator)
    _after(visit, s, row, day, operator, reviewer, tl)


def _after(
    visit: Visit,
    s: Scenario,
    row: PublishedResult,
    day: dt.date,
    operator: User,
    reviewer: User,
    tl: Timeline,
) -> None:
    """What follows publication: 复查, 处罚决定, 办结, the correction, the objections — each
    only once its day has come (until then it is still open, as it would be)."""
    followups = FollowUp.objects.filter(version=row.version).order_by("id")
    published_on = timezone.localdate(row.published_at)
    if s.key == "rectified":
        recheck_on = tl.add(followups[0].rectify_deadline, 1)
        tl.once_come(
            recheck_on,
            15,
            0,
            lambda: services.followup_recheck(
                followup=followups[0],
                recheck_on=recheck_on,
                status=FollowUpStatus.DONE,
                recheck_note="复查：已按要求整改到位，相关记录已补齐",
                actor=operator,
                today=recheck_on,
            ),
        )
    elif s.key == "case":
        decided = tl.add(day, 15)
        # 行政处罚信息 7个工作日内公开 (000 三(六)): published on the 3rd working day.
        published = tl.add(decided, 3)
        penalty = tl.once_come(
            decided,
            15,
            0,
            lambda: services.followup_penalty(
                followup=followups[0],
                case_no="",
                penalty_decided_on=decided,
                actor=operator,
                today=decided,
            ),
        )
        if penalty:
            tl.once_come(
                published,
                10,
                0,
                lambda: services.followup_penalty_published(
                    followup=followups[0], published_on=published, actor=operator, today=published
                ),
            )
    elif s.key == "other":
        closed = tl.add(day, 5)
        tl.once_come(
            closed,
            11,
            0,
            lambda: services.followup_close(
                followup=followups[0],
                note="市场监管部门已接收移交材料",
                actor=operator,
                today=closed,
            ),
        )
    elif s.key == "corrected":
        wrong, right = _slip(Finding.objects.filter(visit=visit).count())
        with tl.at(tl.add(published_on, 2), 14, 0):
            disclosure_demo.correct(
                row=row, wrong=wrong, right=right, actor=operator, principal=reviewer
            )
    elif s.key == "objection_answered":
        disclosure_demo.objection_answered(
            row=row, visit=visit, inspected_on=day, reviewer=reviewer, actor=operator, tl=tl
        )
    elif s.key == "objection_pending":
        with tl.at(published_on, 15, 0):
            disclosure_demo.objection_under_review(row=row, visit=visit)


def _start_only(visit: Visit, day: dt.date, tl: Timeline) -> None:
    """检查中: started by the team member with a login (or the operator), one point recorded."""
    actor = _account_holder(visit) or _user(STAFF[visit.lead_task.department.code][0])
    with tl.at(day, 9, 30):
        services.visit_start(visit=visit, actor=actor, today=day)
        point = Finding.objects.filter(visit=visit).order_by("item_id", "point").first()
        services.findings_record(
            visit=visit,
            actor=actor,
            entries=[
                services.FindingInput(
                    item_id=point.item_id,
                    point=point.point,
                    outcome=FindingOutcome.COMPLIANT,
                    note="现场核查，符合要求",
                )
            ],
        )


def _visits(code: str) -> list[Visit]:
    """The visits of a demo task still to be carried through: none once any of them has
    been started — a later load (the next day, when more of the plan's days have come)
    leaves the task as the first one made it."""
    visits = list(
        Visit.objects.filter(lead_task__code=code)
        .select_related("entity", "lead_task__department")
        .order_by("target_id", "pk")
    )
    if any(v.status != VisitStatus.PENDING for v in visits):
        return []
    return visits


# Working days after the inspection by which a scenario's steps up to publication, the
# correction and the objection's answer are done: a visit is given a scenario only if that
# day has passed, so nothing is done "in the future".
SCENARIO_WORKDAYS = 10


@dataclass
class DemoPlan:
    steps: list[tuple[Visit, Scenario, dt.date]]
    in_progress: tuple[Visit, dt.date] | None


def demo_plan(tl: Timeline, part: str | None = None) -> DemoPlan:
    """Which visit gets which scenario on which day, and the visit left in progress, for
    the demo tasks not carried through yet (``_visits``). zp_inspector's visits come first
    among 漳平's; her last one is the one left in progress (started on the last working
    day)."""
    codes = demo_codes(tl.today)
    steps: list[tuple[Visit, Scenario, dt.date]] = []
    history = _visits(codes.risk) if part in (None, "history") else []
    if history:
        task = history[0].lead_task
        window = Window(task.window_start, task.window_end)
        for n, visit in enumerate(history):
            steps.append((visit, HISTORY[n % len(HISTORY)], tl.nth_workday(window, 1 + n % 15)))
    in_progress = None
    left = list(JOINT_ORDER)
    if part == "history":
        return DemoPlan(steps, None)
    joint = _visits(codes.joint)
    if joint:
        task = joint[0].lead_task
        span = Window(task.window_start, task.window_end)
        pending = min(JOINT_PENDING, max(len(joint) - 1, 0))
        for n, visit in enumerate(joint[: len(joint) - pending]):
            day = tl.nth_workday(span, 1 + n % 8)
            if tl.past(tl.add(day, SCENARIO_WORKDAYS)):
                steps.append((visit, left.pop(0) if left else PLAIN, day))
    match = _visits(codes.match)
    if match:
        task = match[0].lead_task
        span = Window(task.window_start, task.window_end)
        cert = INSPECTOR_ACCOUNT[1]
        hers = [
            v
            for v in match
            if VisitMember.objects.filter(visit=v, inspector__cert_no=cert).exists()
        ]
        # Hers first; her last one (or, when she is in no team, the last visit) in progress.
        last = hers[-1] if hers else match[-1]
        day = max(tl.add(tl.today, -1), task.window_start)
        if tl.past(day):
            in_progress = (last, day)
        match = [v for v in hers + match if v != last]
        match = list(dict.fromkeys(match))
        queue = [*MATCH_FIRST, *left]
        for n, visit in enumerate(match[: max(len(match) - MATCH_TO_START, 0)]):
            day = tl.nth_workday(span, 1 + n % 8)
            if queue and tl.past(tl.add(day, SCENARIO_WORKDAYS)):
                steps.append((visit, queue.pop(0), day))
    return DemoPlan(steps, in_progress)


def demo_inspections_run(*, actor: str, timeline: Timeline, part: str | None = None) -> int:
    """Carries the pending demo visits of the plan through — last year's task
    (``part="history"``), this year's (``"current"``) or all; returns how many."""
    tl = timeline
    if part != "history":
        _link_inspector_account(actor, tl)
    plan = demo_plan(tl, part)
    done = 0
    for visit, scenario, day in plan.steps:
        with transaction.atomic():
            if Visit.objects.select_for_update().get(pk=visit.pk).status != VisitStatus.PENDING:
                continue
            _carry(visit, scenario, day, tl)
            done += 1
    if plan.in_progress is not None:
        visit, day = plan.in_progress
        with transaction.atomic():
            if Visit.objects.select_for_update().get(pk=visit.pk).status == VisitStatus.PENDING:
                _start_only(visit, day, tl)
                done += 1
    return done


def demo_inspections(*, actor: str, timeline: Timeline | None = None) -> list[str]:
    """All the demo visits carried through; the summary lines."""
    tl = timeline or Timeline.now()
    return demo_summary(done=demo_inspections_run(actor=actor, timeline=tl), today=tl.today)


def demo_summary(*, done: int, today: dt.date | None = None) -> list[str]:
    codes = demo_codes(today)
    states = dict(VisitStatus.choices)
    lines = []
    for label, task_codes in (
        (f"{codes.year}年", [codes.joint, codes.match]),
        (f"{codes.year - 1}年（历史）", [codes.risk]),
    ):
        visits = Visit.objects.filter(lead_task__code__in=task_codes)
        rows = PublishedResult.objects.filter(result__visit__in=visits)
        objections = Objection.objects.filter(result__visit__in=visits)
        counts = "、".join(
            f"{states[s]}{n}个"
            for s in VisitStatus.values
            if (n := visits.filter(status=s).count())
        )
        lines.append(
            f"演示检查 {label}：{counts or '无'}；公示检查结果{rows.filter(superseded_by__isnull=True).count()}份，"
            f"更正{rows.filter(is_correction=True).count()}份，"
            f"异议{objections.count()}件（已反馈{objections.filter(status=ObjectionStatus.ANSWERED).count()}件、"
            f"复核中{objections.filter(status=ObjectionStatus.RECEIVED).count()}件）"
        )
    return [f"演示检查：本次办理{done}个检查", *lines]
