"""Writes of the public portal: an inspected entity's objection (异议) to a published result.

被检查对象对检查结果有异议的，任务执行单位在接到申请材料之日起20个工作日内进行复核 … 复核情况
自作出复核结果后15个工作日内向被检查对象反馈 (002 第二十八条). The portal has no login, so
the form is rate-limited per client: the client is a keyed hash of the address
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
# At most 3 accepted objections per client in 24 hours and 10 attempts per hour: enough
# for a company filing against its own results, too few to flood a department's desk.
ACCEPTED_PER_DAY = 3
ATTEMPTS_PER_HOUR = 10
CONTENT_MAX = 2000
APPLICANT_MAX = 100
# 002 第二十八条: reviewed within 20 working days of receipt, answered within 15 after the review.
REVIEW_WORKDAYS = 20
ANSWER_WORKDAYS = 15
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
    recent = PortalSubmission.objects.filter(
        form=FORM_OBJECTION, client=client, created_at__gte=day_ago
    )
    list(recent.select_for_update().values_list("id", flat=True))
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


def objection_deadlines(*, received_on: dt.date) -> ObjectionDeadlines:
    """复核 within 20 working days of receipt; 反馈 within 15 after the review, so at the
    latest 15 working days after the review deadline (002 第二十八条). A year without
    calendar data is counted on weekends only and the receipt says so: an applicant is told
    a date, and the same link shows the exact one once the year is entered."""
    review = deadline_provisional(start=received_on, n=REVIEW_WORKDAYS)
    answer = deadline_provisional(start=review.date, n=ANSWER_WORKDAYS)
    years = set(review.assumed_years) | set(answer.assumed_years)
    return ObjectionDeadlines(
        review.date, answer.date, provisional_note(years=years) if years else ""
    )
