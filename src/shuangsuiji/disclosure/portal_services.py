"""Writes of the public portal: an inspected entity's objection (异议) to a published result,
and the lookup of its progress by 受理编号 and 统一社会信用代码.

被检查对象对检查结果有异议的，任务执行单位在接到申请材料之日起20个工作日内进行复核 … 复核情况
自作出复核结果后15个工作日内向被检查对象反馈 (002 第二十八条). The portal has no login, so
both forms are rate-limited per client: the client is a keyed hash of the address
(HMAC-SHA256 with SECRET_KEY), never the address itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from shuangsuiji.accounts.selectors import role_holders
from shuangsuiji.audit.services import event_record
from shuangsuiji.common.errors import Conflict, ServiceError, ValidationFailed
from shuangsuiji.common.ids import normalize_code
from shuangsuiji.common.masking import mask_mobile, mask_personal_numbers
from shuangsuiji.disclosure.choices import ObjectionStatus
from shuangsuiji.disclosure.models import Objection, PortalSubmission, PublishedResult
from shuangsuiji.disclosure.services._common import PRINCIPALS
from shuangsuiji.notices.models import NoticeKind
from shuangsuiji.notices.services import notice_send
from shuangsuiji.workdays.services import deadline_provisional, provisional_note

FORM_OBJECTION = "objection"
FORM_LOOKUP = "objection_lookup"
# At most 3 accepted objections per client in 24 hours and 10 attempts per hour: enough
# for a company filing against its own results, too few to flood a department's desk.
ACCEPTED_PER_DAY = 3
ATTEMPTS_PER_HOUR = 10
CONTENT_MAX = 2000
APPLICANT_MAX = 100
# 002 第二十八条: reviewed within 20 working days of receipt, answered within 15 after the review.
REVIEW_WORKDAYS = 20
ANSWER_WORKDAYS = 15
# 查询办理进度: a company looks its own objection up a few times; 受理编号 are consecutive
# and credit codes are public, so a script trying numbers against one code gets 20 an hour.
LOOKUPS_PER_HOUR = 20
NUMBER_MAX = 32
CODE_MAX = 64  # Objection.credit_code
# The actor of the audit event: the portal has no account; the applicant is named in the event.
PORTAL_ACTOR = "公众（一公开门户）"

_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# 固定电话: 区号 (3–4 digits starting with 0) optional, 7–8 digits, optional 分机.
_LANDLINE_RE = re.compile(r"^(?:0\d{2,3}-?)?[2-9]\d{6,7}(?:-\d{1,6})?$")


class RateLimited(ServiceError):
    """Too many submissions from one client (HTTP 429)."""

    status = 429


def client_key(*, address: str) -> str:
    """HMAC-SHA256(SECRET_KEY, address) in hex: enough to count one client's submissions,
    useless to learn the address from (no raw IP is stored)."""
    return hmac.new(
        settings.SECRET_KEY.encode(), (address or "").encode(), hashlib.sha256
    ).hexdigest()


def contact_normalize(value: str) -> str:
    """Full-width digits folded, spaces and the usual separators removed (keeps one '-'
    between 区号, number and 分机)."""
    text = normalize_code(value).replace("（", "(").replace("）", ")")
    text = re.sub(r"[()]", "-", text).strip("-")
    text = re.sub(r"^\+?86-?(?=1[3-9]\d{9}$)", "", text)  # +86 before a mobile number
    return re.sub(r"-+", "-", text)


def contact_error(value: str) -> str | None:
    if not value:
        return "请填写联系电话"
    if _MOBILE_RE.match(value) or _LANDLINE_RE.match(value):
        return None
    return "联系电话应为11位手机号码，或固定电话（如 021-57681234，可带分机号）"


def _recent_locked(*, form: str, client: str, since: dt.datetime):
    """This client's attempts at ``form`` since ``since``, locked (see ``_limits_check``)."""
    recent = PortalSubmission.objects.filter(form=form, client=client, created_at__gte=since)
    list(recent.select_for_update().values_list("id", flat=True))
    return recent


@dataclass(frozen=True)
class Limits:
    attempts_last_hour: int
    accepted_last_day: int


def _limits_check(*, client: str, now: dt.datetime) -> Limits:
    """Locks this client's recent submissions, then counts them; raises ``RateLimited``.

    The lock serialises two simultaneous requests of the same client once it has any
    recent row, so both cannot pass a limit they reach together (the counts are taken after
    the lock, seeing the other request's committed row). On SQLite, writers are serialised
    anyway (IMMEDIATE transactions)."""
    day_ago, hour_ago = now - dt.timedelta(hours=24), now - dt.timedelta(hours=1)
    recent = _recent_locked(form=FORM_OBJECTION, client=client, since=day_ago)
    limits = Limits(
        attempts_last_hour=recent.filter(created_at__gte=hour_ago).count(),
        accepted_last_day=recent.filter(accepted=True).count(),
    )
    if limits.accepted_last_day >= ACCEPTED_PER_DAY:
        raise RateLimited(
            f"同一来源24小时内最多提交{ACCEPTED_PER_DAY}件异议申请，请明天再试；"
            "如有紧急情况，请直接联系检查实施机关。"
        )
    if limits.attempts_last_hour >= ATTEMPTS_PER_HOUR:
        raise RateLimited(
            f"提交过于频繁：同一来源每小时最多提交{ATTEMPTS_PER_HOUR}次，请稍后再试。"
        )
    return limits


def _validate(
    *, published: PublishedResult, credit_code: str, applicant: str, contact: str, content: str
) -> tuple[str, str, str, str]:
    errors: dict[str, list[str]] = {}
    code = normalize_code(credit_code)
    if not code:
        errors["credit_code"] = ["请填写被检查对象的统一社会信用代码"]
    elif code != normalize_code(published.credit_code):
        # Only the inspected entity may object to its result (002 第二十八条 被检查对象).
        errors["credit_code"] = [
            "统一社会信用代码与该检查结果的检查对象不一致：只有被检查对象本身可以提出异议"
        ]
    applicant = (applicant or "").strip()
    if not applicant:
        errors["applicant"] = ["请填写申请人（单位或经办人姓名）"]
    elif len(applicant) > APPLICANT_MAX:
        errors["applicant"] = [f"申请人不能超过{APPLICANT_MAX}个字"]
    contact = contact_normalize(contact or "")
    if (problem := contact_error(contact)) is not None:
        errors["contact"] = [problem]
    content = (content or "").strip()
    if not content:
        errors["content"] = ["请填写异议内容：哪一项检查结果有误，事实和理由是什么"]
    elif len(content) > CONTENT_MAX:
        errors["content"] = [f"异议内容不能超过{CONTENT_MAX}字（现有{len(content)}字）"]
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(f"异议申请未提交：{first}", errors=errors)
    return code, applicant, contact, content


def objection_file(
    *,
    published: PublishedResult,
    credit_code: str,
    applicant: str,
    contact: str,
    content: str,
    client: str,
    today: dt.date | None = None,
) -> Objection:
    """Files an objection to a published result from the portal.

    Over a rate limit: ``RateLimited`` and nothing is written. Otherwise the attempt is
    recorded (it counts towards the hourly limit even when the input is wrong — that is
    what stops a script from guessing credit codes), and the objection is created in the
    same transaction with its audit event, or not at all (``ValidationFailed`` /
    ``Conflict``). ``received_on`` is today in Asia/Shanghai (``today`` for tests)."""
    received_on = today or timezone.localdate()
    failure: ServiceError | None = None
    with transaction.atomic():
        _limits_check(client=client, now=timezone.now())
        attempt = PortalSubmission.objects.create(
            form=FORM_OBJECTION, client=client, accepted=False
        )
        try:
            with transaction.atomic():  # savepoint: a refusal keeps the attempt, drops the rest
                objection = _objection_create(
                    published=published,
                    credit_code=credit_code,
                    applicant=applicant,
                    contact=contact,
                    content=content,
                    received_on=received_on,
                )
                attempt.accepted = True
                attempt.save(update_fields=["accepted"])
        except ServiceError as exc:
            failure = exc
    if failure is not None:
        raise failure
    return objection


def _objection_create(
    *,
    published: PublishedResult,
    credit_code: str,
    applicant: str,
    contact: str,
    content: str,
    received_on: dt.date,
) -> Objection:
    # Lock the published row: a correction published at the same moment supersedes it,
    # and an objection must not be filed against a row that is no longer current.
    row = PublishedResult.objects.select_for_update().get(pk=published.pk)
    if row.superseded_by_id is not None:
        raise Conflict(
            "该检查结果已被更正，不再是现行结果：请对更正后的现行结果提出异议。", field="published"
        )
    code, applicant, contact, content = _validate(
        published=row,
        credit_code=credit_code,
        applicant=applicant,
        contact=contact,
        content=content,
    )
    # The 受理编号 comes from the row's own id (unique by construction, so two filings at
    # the same moment can never draw the same number); a placeholder holds the unique
    # column until the id is known.
    objection = Objection.objects.create(
        result_id=row.result_id,
        published=row,
        number=f"tmp-{uuid.uuid4().hex[:28]}",
        credit_code=code,
        applicant=applicant,
        contact=contact,
        content=content,
        status=ObjectionStatus.RECEIVED,
        received_on=received_on,
    )
    objection.number = objection_number(pk=objection.pk)
    objection.save(update_fields=["number"])
    event_record(
        actor=PORTAL_ACTOR,
        action="objection.file",
        obj=objection,
        department=row.department_id,
        after={
            "number": objection.number,
            "published": row.pk,
            "result": row.result_id,
            "credit_code": code,
            "applicant": applicant,
            # 联系电话 is personal: the event log keeps it masked.
            "contact": mask_mobile(contact)
            if _MOBILE_RE.match(contact)
            else _mask_landline(contact),
            "content": mask_personal_numbers(content),
            "received_on": received_on,
            "status": objection.status,
        },
    )
    # 002 第二十八条: the 审核负责人 reviews it within 20 working days — he is told now.
    notice_send(
        users=role_holders(department=row.department, roles=PRINCIPALS),
        kind=NoticeKind.OBJECTION,
        title=f"收到异议：{row.entity_name}（受理编号 {objection.number}）",
        body=f"{received_on:%Y年%-m月%-d日}受理，请在20个工作日内复核。",
        url=reverse("disclosure:objection", args=[objection.pk]),
    )
    return objection


def _mask_landline(value: str) -> str:
    return value[:-4] + "****" if len(value) > 4 else "****"


def objection_number(*, pk: int) -> str:
    """受理编号 "YY-000123" (YY = 异议)."""
    return f"YY-{pk:06d}"


@dataclass(frozen=True)
class ObjectionDeadlines:
    review_by: dt.date
    answer_by: dt.date
    note: str = ""  # set when a date was counted over a year without calendar data

    @property
    def provisional(self) -> bool:
        return bool(self.note)


def objection_deadlines(
    *, received_on: dt.date, reviewed_on: dt.date | None = None
) -> ObjectionDeadlines:
    """复核 within 20 working days of receipt; 反馈 within 15 after the review, so at the
    latest 15 working days after the review deadline (002 第二十八条) — or, once reviewed,
    15 working days after the day of the review. A year without calendar data is counted
    on weekends only and the receipt says so: an applicant is told a date, and the same
    link shows the exact one once the year is entered."""
    review = deadline_provisional(start=received_on, n=REVIEW_WORKDAYS)
    answer = deadline_provisional(start=reviewed_on or review.date, n=ANSWER_WORKDAYS)
    years = set(review.assumed_years) | set(answer.assumed_years)
    return ObjectionDeadlines(
        review.date, answer.date, provisional_note(years=years) if years else ""
    )


# --- 查询办理进度 ----------------------------------------------------------------------------

_NUMBER_RE = re.compile(r"^YY-?(\d{1,12})$")


def objection_number_normalize(value: str) -> str:
    """What people type for a 受理编号 — "yy-000123", "ＹＹ－000123", "YY000123",
    "000123", "123" — as it is stored ("YY-000123"); "" when it cannot be one."""
    text = normalize_code(value or "")[:NUMBER_MAX]
    if text.isdigit():
        text = f"YY-{text}"
    match = _NUMBER_RE.match(text)
    return objection_number(pk=int(match.group(1))) if match else ""


def objection_lookup(*, number: str, credit_code: str, client: str) -> Objection | None:
    """The objection with this 受理编号 *and* this 统一社会信用代码, or None — one query on
    both, so a number that exists under another code and a number that does not exist
    cannot be told apart (not by the answer, not by its time).

    An empty or malformed input is ``ValidationFailed`` (nothing looked up, not counted).
    Otherwise the attempt is recorded first and counts towards ``LOOKUPS_PER_HOUR`` for this
    client whether it finds anything or not; over it, ``RateLimited`` and nothing is looked
    up. The attempt row is the rate limit's bookkeeping, not a change of anyone's data, so
    no audit event is written (a flood of lookups must not flood the audit chain), and
    nothing typed is stored or logged."""
    errors: dict[str, list[str]] = {}
    wanted = objection_number_normalize(number)
    if not (number or "").strip():
        errors["number"] = ["请填写受理编号"]
    elif not wanted:
        errors["number"] = ["受理编号的格式为 YY-000123（见异议申请回执）"]
    code = normalize_code(credit_code)[:CODE_MAX]
    if not code:
        errors["credit_code"] = ["请填写被检查对象的统一社会信用代码"]
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(f"未能查询：{first}", errors=errors)
    now = timezone.now()
    with transaction.atomic():
        recent = _recent_locked(form=FORM_LOOKUP, client=client, since=now - dt.timedelta(hours=1))
        if recent.count() >= LOOKUPS_PER_HOUR:
            raise RateLimited(
                f"查询过于频繁：同一来源每小时最多查询{LOOKUPS_PER_HOUR}次，请稍后再试；"
                "也可以直接联系检查实施机关。"
            )
        found = (
            Objection.objects.filter(number=wanted, credit_code=code)
            .select_related("published")
            .first()
        )
        PortalSubmission.objects.create(form=FORM_LOOKUP, client=client, accepted=found is not None)
    return found
