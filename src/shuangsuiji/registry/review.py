"""名录库定期修订 (003 第六条; issue 14 第 7 项): each June and December the department goes
through a checklist of its libraries — with the facts the platform can count shown beside
each point — and its 部门管理员 signs it off. The sign-off is kept (with the facts as they
were) and audited; the 待办 card of the review month stays until it is signed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q

from shuangsuiji.accounts.models import Department, User
from shuangsuiji.audit.models import Event
from shuangsuiji.audit.services import event_record
from shuangsuiji.common.errors import Conflict, NotAllowed, ValidationFailed
from shuangsuiji.common.text import cn_date
from shuangsuiji.registry import selectors
from shuangsuiji.registry.choices import EntityStatus
from shuangsuiji.registry.models import Entity, Inspector, LibraryReview

REVIEW_MONTHS = (6, 12)
NOTE_MAX = 2000

# The checklist: what 003 第六条 and 第七条 ask the libraries to hold, point by point.
CHECKS = [
    ("new", "新设立或新纳入监管的市场主体已纳入名录库（含双告知认领的）"),
    ("gone", "注销、吊销、迁出的市场主体已更新登记状态（可导入登记状态文件）"),
    ("contact", "市场主体名称、联络人、联系方式已核对（003 第六条）"),
    ("unit", "监管责任股室已核对（003 第六条）"),
    ("credit", "信用风险分类、信用标记已按最新文件更新"),
    ("inspectors", "执法人员名录库已核对：姓名、执法证号、执法领域、证件有效期（003 第七条）"),
]


def review_period(*, today: dt.date) -> tuple[int, int]:
    """The review this half-year is for: June for January–June, December after."""
    return today.year, 6 if today.month <= 6 else 12


@dataclass(frozen=True)
class Facts:
    entities: int
    drawable: int
    out_of_business: int
    no_contact: int
    no_unit: int
    no_uscc: int
    inspectors: int
    certs_expired: int
    last_status_import: str
    last_credit_import: str
    revisions_since: int

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def review_facts(*, department: Department, today: dt.date) -> Facts:
    entities = Entity.objects.filter(department=department)
    last = (
        LibraryReview.objects.filter(department=department)
        .order_by("-signed_at")
        .values_list("signed_at", flat=True)
        .first()
    )
    since = last or dt.datetime.combine(today - dt.timedelta(days=183), dt.time.min, dt.UTC)

    def last_import(action: str) -> str:
        at = (
            Event.objects.filter(department=department, action=action)
            .order_by("-seq")
            .values_list("created_at", flat=True)
            .first()
        )
        return f"{cn_date(at)}" if at else ""

    return Facts(
        entities=entities.count(),
        drawable=entities.filter(status__in=[EntityStatus.ACTIVE, EntityStatus.OPERATING]).count(),
        out_of_business=entities.filter(
            status__in=[EntityStatus.DEREGISTERED, EntityStatus.REVOKED, EntityStatus.MOVED_OUT]
        ).count(),
        no_contact=entities.filter(Q(contact_person="") | Q(contact_phone="")).count(),
        no_unit=entities.filter(responsible_units="").count(),
        no_uscc=entities.filter(uscc="").count(),
        inspectors=Inspector.objects.filter(department=department).count(),
        certs_expired=Inspector.objects.filter(
            department=department, cert_valid_until__lt=today
        ).count(),
        last_status_import=last_import("import.entity-status"),
        last_credit_import=last_import("import.credit-classes"),
        revisions_since=Event.objects.filter(
            department=department,
            created_at__gte=since,
            action__in=[
                "import.entities",
                "import.entity-status",
                "import.credit-classes",
                "import.credit-flags",
                "entity.create",
                "entity.update",
                "entity.tags_set",
                "import.inspectors",
                "inspector.create",
                "inspector.update",
            ],
        ).count(),
    )


def library_review_sign(
    *,
    department: Department,
    actor: User,
    checked: list[str],
    note: str,
    today: dt.date,
) -> LibraryReview:
    """Signs this half-year's review: every point must be ticked (a point that does not
    apply is ticked with a word in the note); once per department and half-year."""
    if not selectors.can_write_department(user=actor, department_id=department.id):
        raise NotAllowed("只有本部门的部门管理员可以签署名录库定期修订")
    missing = [label for key, label in CHECKS if key not in set(checked)]
    if missing:
        raise ValidationFailed("以下核对事项尚未勾选：" + "；".join(missing), field="checks")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationFailed(f"说明不超过{NOTE_MAX}字", field="note")
    year, month = review_period(today=today)
    facts = review_facts(department=department, today=today).as_dict()
    with transaction.atomic():
        if LibraryReview.objects.filter(department=department, year=year, month=month).exists():
            raise Conflict(f"{year}年{month}月的名录库定期修订已签署")
        try:
            with transaction.atomic():  # a second click at the same moment: the unique key
                review = LibraryReview.objects.create(
                    department=department,
                    year=year,
                    month=month,
                    checks=[{"key": k, "label": label} for k, label in CHECKS],
                    facts=facts,
                    note=note,
                    signed_by=actor,
                )
        except IntegrityError as exc:
            raise Conflict(f"{year}年{month}月的名录库定期修订已签署") from exc
        event_record(
            actor=actor,
            action="library.review_sign",
            obj=review,
            department=department,
            after={"year": year, "month": month, "facts": facts, "note": note},
        )
    return review
