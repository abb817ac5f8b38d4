"""Demo inspections (``ssj demo``, after ``demo_draws``): the dispatched demo visits carried
through 检查实施 to 一公开, each through the real services and by the people the rules name.

- eight visits end published, one per conclusion of 002 第二十六条, with the follow-ups of
  000 三(五): 责令改正 with its deadline and a recorded 复查, 立案查处 with its penalty
  decision, 移交 to a named department, 移送公安机关;
- one published result is corrected (经主要负责人签字确认, 002 第二十八条): the first public
  copy stays, marked superseded;
- two objections are filed on the portal: one reviewed and answered (its outcome is on the
  result's public page), one still under review;
- one visit waits for signatures, one for the reviewer, one is in progress (started by
  谢璇 — the demo user ``zp_inspector`` — when she is in a team), the rest are pending, so
  我的检查 and the oversight views have something to show.

Every check point gets a finding; 不予配合 and 无法联系 are concluded from evidence alone
(002 第二十九条), with a photo (a PNG drawn here) and a 现场笔录 (a PDF). Members without a
login account sign the paper record, which the operator records (纸质签字代录). The
dates are the inspection's own (``today=`` inside each task's window, on working days), so
the demo comes out the same on any day; approval and publication are stamped when the
demo is loaded (those services take no date).

Each visit is done in one transaction and only while it is still pending: loading twice
changes nothing.
"""

import datetime as dt
import io
import struct
import zlib
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction

from shuangsuiji.accounts.models import User
from shuangsuiji.audit.services import event_record
from shuangsuiji.demo import disclosure as disclosure_demo
from shuangsuiji.demo.draws import DEMO_TASK_CODES
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
from shuangsuiji.workdays.services import workdays_add

# Who records and who reviews, per lead department: the 抽查操作员 (also 纸质签字代录 and
# 公示) and the 审核负责人 (also 主要负责人 for corrections and objection reviews).
STAFF = {"SJJW": ("sj_operator", "sj_reviewer"), "ZPZJ": ("zp_admin", "zp_reviewer")}
# 移交 / 移送 [000 三(五)]: the competent departments where each demo department sits.
TRANSFER_TO = {"SJJW": "上海市松江区市场监督管理局", "ZPZJ": "漳平市市场监督管理局"}
POLICE = {"SJJW": "上海市公安局松江分局", "ZPZJ": "漳平市公安局"}
CASE_NO = {"SJJW": "松建管罚〔2024〕第017号", "ZPZJ": "漳建罚〔2024〕第017号"}
# 谢璇 of 003 附件5 is the demo user zp_inspector: her login opens her own assignments.
INSPECTOR_ACCOUNT = ("zp_inspector", "13080716005")

PUBLISHED, REVIEW, SIGNING = "published", "review", "signing"


@dataclass(frozen=True)
class Scenario:
    key: str
    stage: str = PUBLISHED
    conclusion: str = ""


# In the order visits are handed out (round robin over the three demo tasks).
SCENARIOS = [
    Scenario("rectified", conclusion=Conclusion.RECTIFIED),
    Scenario("corrected", conclusion=Conclusion.NO_PROBLEM),
    Scenario("objection_answered", conclusion=Conclusion.NOT_DISCLOSED),
    Scenario("unreachable", conclusion=Conclusion.UNREACHABLE),
    Scenario("objection_pending", conclusion=Conclusion.FALSE_DISCLOSURE),
    Scenario("uncooperative", conclusion=Conclusion.UNCOOPERATIVE),
    Scenario("other", conclusion=Conclusion.OTHER),
    Scenario("case", conclusion=Conclusion.PENDING_FOLLOWUP),
    Scenario("signing", stage=SIGNING, conclusion=Conclusion.NO_PROBLEM),
    Scenario("review", stage=REVIEW, conclusion=Conclusion.NO_PROBLEM),
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


def _link_inspector_account(actor: str) -> None:
    """Links zp_inspector to 谢璇's record in the roster (执法检查人员 with a login account)."""
    username, cert = INSPECTOR_ACCOUNT
    user = _user(username)
    inspector = Inspector.objects.filter(cert_no=cert).first()
    if (
        inspector is None
        or inspector.user_id is not None
        or Inspector.objects.filter(user=user).exists()
    ):
        return
    with transaction.atomic():
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


def _day(visit: Visit, n: int) -> dt.date:
    """The n-th working day of the visit's window (kept inside it)."""
    return min(
        workdays_add(start=visit.window_start - dt.timedelta(days=1), n=1 + n % 8), visit.window_end
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
                        rectify_deadline=workdays_add(start=day, n=10),
                        detail="下达责令改正通知书，限期整改并书面报送整改情况",
                    ),
                ),
            ),
            evidence,
        )
    if s.key in ("corrected", "signing", "review"):
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
            services.result_sign_on_paper(version=version, member=m, actor=operator)


def _carry(visit: Visit, s: Scenario, day: dt.date) -> None:
    operator, reviewer = (_user(u) for u in STAFF[visit.lead_task.department.code])
    members = _members(visit)
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
    version = services.result_draft_save(visit=visit, data=content.draft, actor=operator, today=day)
    version = services.result_submit(version=version, actor=operator, today=day)
    if s.stage == SIGNING:
        # Still waiting for one member: the one with a login (who signs in 我的检查), else the last.
        waiting = next((m for m in members if m.inspector.user_id), members[-1])
        _sign(version, [m for m in members if m != waiting], operator)
        return
    _sign(version, members, operator)
    if s.stage == REVIEW:
        return
    version = services.result_approve(
        version=ResultVersion.objects.get(pk=version.pk),
        actor=reviewer,
        note="检查程序合法，事实清楚，同意形成检查结果",
    )
    row = disclosure_demo.publish(version=version, actor=operator)
    _after(visit, s, row, day, operator, reviewer)


def _after(
    visit: Visit, s: Scenario, row: PublishedResult, day: dt.date, operator: User, reviewer: User
) -> None:
    """What follows publication: 复查, 处罚决定, 办结, the correction, the objections."""
    followups = FollowUp.objects.filter(version=row.version).order_by("id")
    if s.key == "rectified":
        recheck_on = workdays_add(start=followups[0].rectify_deadline, n=1)
        services.followup_recheck(
            followup=followups[0],
            recheck_on=recheck_on,
            status=FollowUpStatus.DONE,
            recheck_note="复查：已按要求整改到位，相关记录已补齐",
            actor=operator,
            today=recheck_on,
        )
    elif s.key == "case":
        decided = workdays_add(start=day, n=15)
        services.followup_penalty(
            followup=followups[0],
            case_no="",
            penalty_decided_on=decided,
            actor=operator,
            today=decided,
        )
        # 行政处罚信息 7个工作日内公开 (000 三(六)): published on the 3rd working day.
        published = workdays_add(start=decided, n=3)
        services.followup_penalty_published(
            followup=followups[0], published_on=published, actor=operator, today=published
        )
    elif s.key == "other":
        closed = workdays_add(start=day, n=5)
        services.followup_close(
            followup=followups[0], note="市场监管部门已接收移交材料", actor=operator, today=closed
        )
    elif s.key == "corrected":
        wrong, right = _slip(Finding.objects.filter(visit=visit).count())
        disclosure_demo.correct(
            row=row, wrong=wrong, right=right, actor=operator, principal=reviewer
        )
    elif s.key == "objection_answered":
        disclosure_demo.objection_answered(
            row=row, visit=visit, inspected_on=day, reviewer=reviewer, actor=operator
        )
    elif s.key == "objection_pending":
        disclosure_demo.objection_under_review(row=row, visit=visit)


def _start_only(visit: Visit, day: dt.date) -> None:
    """检查中: started by the team member with a login (or the operator), one point recorded."""
    actor = _account_holder(visit) or _user(STAFF[visit.lead_task.department.code][0])
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


def demo_plan() -> tuple[list[tuple[Visit, Scenario]], Visit | None]:
    """Which visit gets which scenario, and the visit left in progress — decided from the
    visits alone (never their state), so a second load makes the same plan. Visits of the
    three tasks are taken in turn; zp_inspector's visits come first among 漳平's, her last
    one is the one left in progress."""
    by_task = {
        code: list(
            Visit.objects.filter(lead_task__code=code)
            .select_related("entity", "lead_task__department")
            .order_by("target_id", "pk")
        )
        for code in DEMO_TASK_CODES
    }
    cert = INSPECTOR_ACCOUNT[1]
    in_progress = None
    for code, visits in by_task.items():
        hers = [
            v
            for v in visits
            if VisitMember.objects.filter(visit=v, inspector__cert_no=cert).exists()
        ]
        if hers:
            in_progress = hers[-1]
            by_task[code] = hers[:-1] + [v for v in visits if v not in hers]
    queues = [[v for v in visits if v != in_progress] for visits in by_task.values()]
    order = [q[i] for i in range(max(map(len, queues), default=0)) for q in queues if i < len(q)]
    if len(order) < len(SCENARIOS):
        raise RuntimeError(
            f"演示检查需要至少{len(SCENARIOS)}个已派发的检查，只有{len(order)}个：请增加演示检查对象数量"
        )
    return list(zip(order, SCENARIOS, strict=False)), in_progress


def demo_inspections(*, actor: str) -> list[str]:
    """Carries the pending demo visits of the plan through; returns the summary lines."""
    _link_inspector_account(actor)
    plan, in_progress = demo_plan()
    done = 0
    for n, (visit, scenario) in enumerate(plan):
        with transaction.atomic():
            if Visit.objects.select_for_update().get(pk=visit.pk).status != VisitStatus.PENDING:
                continue
            _carry(visit, scenario, _day(visit, n))
            done += 1
    if in_progress is not None:
        with transaction.atomic():
            if (
                Visit.objects.select_for_update().get(pk=in_progress.pk).status
                == VisitStatus.PENDING
            ):
                _start_only(in_progress, _day(in_progress, 0))
                done += 1
    return demo_summary(done=done)


def demo_summary(*, done: int) -> list[str]:
    visits = Visit.objects.filter(lead_task__code__in=DEMO_TASK_CODES)
    rows = PublishedResult.objects.filter(result__visit__in=visits)
    objections = Objection.objects.filter(result__visit__in=visits)
    states = dict(VisitStatus.choices)
    counts = "、".join(
        f"{states[s]}{visits.filter(status=s).count()}个" for s in VisitStatus.values
    )
    return [
        f"演示检查：本次办理{done}个检查；{counts}",
        f"公示检查结果{rows.filter(superseded_by__isnull=True).count()}份（002 第二十六条八种结论），"
        f"更正{rows.filter(is_correction=True).count()}份（原版本标注“已被更正”仍可查看），"
        f"异议{objections.count()}件（已反馈{objections.filter(status=ObjectionStatus.ANSWERED).count()}件、"
        f"复核中{objections.filter(status=ObjectionStatus.RECEIVED).count()}件）",
    ]
