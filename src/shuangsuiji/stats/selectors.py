"""Who sees which departments' figures, and the rows behind them."""

from __future__ import annotations

import datetime as dt

from shuangsuiji.accounts.models import Department, Membership, User
from shuangsuiji.accounts.selectors import readable_department_ids
from shuangsuiji.common.errors import NotAllowed, NotFound, ValidationFailed
from shuangsuiji.disclosure.deadlines import department_subtree_ids
from shuangsuiji.registry.choices import RiskClass
from shuangsuiji.stats.cache import figures_grouped_kept, figures_kept, figures_prune
from shuangsuiji.stats.figures import Figures, Filters

FIRST_YEAR = 2000


def is_leading_office(*, user: User) -> bool:
    """牵头督办 (联席会议办公室): sees every department side by side."""
    return (
        user.is_authenticated
        and Membership.objects.filter(user=user, department__is_leading_office=True).exists()
    )


def stats_departments(*, user: User) -> list[Department]:
    """The departments whose figures ``user`` may read."""
    qs = Department.objects.order_by("code")
    # The leading office oversees every department; a system admin may look at the figures
    # of all (counts only, no record behind them is opened from here without a role).
    if user.is_superuser or is_leading_office(user=user):
        return list(qs)
    return list(qs.filter(id__in=readable_department_ids(user=user)))


def year_check(year: int | str | None, *, today: dt.date) -> int:
    try:
        value = int(str(year).strip())
    except (TypeError, ValueError):
        raise ValidationFailed(f"年度无效：{year}（应如 {today.year}）", field="year") from None
    if not FIRST_YEAR <= value <= today.year + 1:
        raise ValidationFailed(
            f"年度超出范围：{value}（应在 {FIRST_YEAR}—{today.year + 1} 之间）", field="year"
        )
    return value


def month_check(month: int | str | None) -> int | None:
    if month in (None, ""):
        return None
    try:
        value = int(str(month).strip())
    except ValueError:
        raise ValidationFailed(f"月份无效：{month}（应为 1—12）", field="month") from None
    if not 1 <= value <= 12:
        raise ValidationFailed(f"月份无效：{month}（应为 1—12）", field="month")
    return value


def risk_check(risk: str | None) -> str | None:
    if risk in (None, "all"):
        return None
    risk = risk.strip().upper()
    if risk in ("NONE", "-", "未分类"):
        return ""
    if risk not in RiskClass.values or not risk:
        raise ValidationFailed(
            f"信用风险分类无效：{risk}（应为 A、B、C、D 或 未分类）", field="risk"
        )
    return risk


def scope_for(*, user: User | None, code: str) -> tuple[Department, frozenset[int]]:
    """(department, its subtree ids), refusing a department outside the user's reach
    (``user=None``: the shell, every department)."""
    dept = Department.objects.filter(code=(code or "").strip()).first()
    if dept is None:
        raise NotFound(f"部门代码不存在：{code}")
    if user is not None and dept not in stats_departments(user=user):
        raise NotAllowed("无权查看该部门的统计")
    return dept, frozenset(department_subtree_ids(code=dept.code))


def figures_for(
    *,
    department: Department,
    year: int,
    today: dt.date,
    item_id: int | None = None,
    risk_class: str | None = None,
    published_only: bool = False,
    month: int | None = None,
) -> Figures:
    return figures_kept(
        Filters(
            year=year,
            department_ids=frozenset(department_subtree_ids(code=department.code)),
            item_id=item_id,
            risk_class=risk_class,
            today=today,
            published_only=published_only,
            month=month,
        )
    )


def years_with_tasks() -> list[int]:
    """The years the portal offers: those with at least one task, newest first."""
    from shuangsuiji.planning.models import Task

    return sorted({d.year for d in Task.objects.dates("window_start", "year")}, reverse=True)


def top_departments() -> list[Department]:
    """The departments without a parent (each with its sub-units), for the side-by-side view."""
    return list(Department.objects.filter(parent__isnull=True).order_by("code"))


def figures_by_top(
    *,
    year: int,
    today: dt.date,
    month: int | None = None,
    published_only: bool = False,
) -> list[tuple[Department, Figures]]:
    """Every top department with its sub-units, side by side, counted in one grouped pass
    (``figures_grouped``: one query per figure, not one per department)."""
    parent_of = dict(Department.objects.values_list("id", "parent_id"))

    def root(pk: int) -> int:
        seen = set()
        while parent_of.get(pk) is not None and pk not in seen:
            seen.add(pk)
            pk = parent_of[pk]
        return pk

    tops = top_departments()
    code_of = {t.pk: t.code for t in tops}
    groups = {pk: code_of[root(pk)] for pk in parent_of if root(pk) in code_of}
    figs = figures_grouped_kept(
        Filters(
            year=year,
            department_ids=frozenset(groups),
            today=today,
            month=month,
            published_only=published_only,
        ),
        groups=groups,
    )
    return [(t, figs.get(t.code) or Figures(year=year, month=month)) for t in tops]


def figures_warm(*, today: dt.date) -> int:
    """Counts the day's common views ahead of the first reader (``ssj stats-warm``, daily
    after midnight): this year's and last year's figures of every department (with its
    sub-units), the side-by-side view and the portal's 年度统计. Returns how many sets."""
    figures_prune(today=today)
    n = 0
    for year in (today.year, today.year - 1):
        figures_by_top(year=year, today=today)
        figures_by_top(year=year, today=today, published_only=True)
        n += 2
        for dept in Department.objects.order_by("code"):
            figures_for(department=dept, year=year, today=today)
            n += 1
    return n
