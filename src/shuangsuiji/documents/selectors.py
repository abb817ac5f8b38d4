from __future__ import annotations

from dataclasses import dataclass

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import Department, Membership, User
from shuangsuiji.documents.choices import DocumentKind
from shuangsuiji.documents.models import Letterhead, NumberCounter
from shuangsuiji.documents.services import issuer_for, number_render, pattern_for


def admin_departments(*, user: User) -> list[Department]:
    """The departments whose letterhead ``user`` sets (部门管理员; every one for the system
    administrator)."""
    if user.is_superuser:
        return list(Department.objects.order_by("code"))
    ids = Membership.objects.filter(user=user, role=Role.DEPT_ADMIN).values_list(
        "department_id", flat=True
    )
    return list(Department.objects.filter(id__in=list(ids)).order_by("code"))


@dataclass
class SeriesView:
    kind: str
    label: str
    pattern: str
    next_number: str
    issued: int


def series_for(*, department: Department, year: int) -> list[SeriesView]:
    """Each kind's number form, the next number it will give this year, and how many."""
    issuer = issuer_for(department=department)
    head = Letterhead.objects.filter(department=issuer).first()
    short = head.short_name if head else issuer.name
    last = dict(
        NumberCounter.objects.filter(department=issuer, year=year).values_list("kind", "last")
    )
    rows = []
    for kind in DocumentKind:
        pattern = pattern_for(department=issuer, kind=kind)
        n = last.get(kind.value, 0)
        rows.append(
            SeriesView(
                kind=kind.value,
                label=str(kind.label),
                pattern=pattern,
                next_number=number_render(pattern, short_name=short, year=year, seq=n + 1),
                issued=n,
            )
        )
    return rows


def next_number(*, department: Department, kind: str, year: int) -> str:
    """The number the next document of ``kind`` would get (shown before issuing)."""
    return next(
        s.next_number for s in series_for(department=department, year=year) if s.kind == kind
    )


@dataclass(frozen=True)
class Retention:
    """How long the task's case file is kept (002 第三十条: 按档案管理有关规定执行): the
    issuing department's setting (文书设置), counted from the year after the task's window
    ends."""

    years: int
    until_year: int
    configured: bool


def retention_for(*, task) -> Retention:
    head = Letterhead.objects.filter(department=issuer_for(department=task.department)).first()
    years = head.retention_years if head else Letterhead._meta.get_field("retention_years").default
    return Retention(
        years=years, until_year=task.window_end.year + years, configured=head is not None
    )
