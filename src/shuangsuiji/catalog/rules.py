"""抽查规则 per department and item (issue 14 第 2 项): the cap on how often one entity is
drawn (002 第十四条: 原则上一年内不超过2次 — per month, or off, for items like 004's 日常巡查,
which check every object every month), the minimum ratio and rounds the plan is held to
(003 第九条: 不低于5%、每年不少于2次) and the publication deadline of the results (000 三(六):
20个工作日; 003 附件3 第十一条: 10个工作日). Set by the department admin with an effective
date; each change is a new row and an audit event, read by the draw (``task_cap``), the
plan warnings (``rule_for``) and the forming of a result (``publish_workdays_for``) as of
their own day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction

from shuangsuiji.accounts.models import Department, User
from shuangsuiji.audit.services import event_record
from shuangsuiji.catalog.models import CapMode, Item, SupervisionRule
from shuangsuiji.catalog.services import _require_writer
from shuangsuiji.common.errors import ValidationFailed
from shuangsuiji.common.text import cn_date

DEFAULT_MIN_RATIO = Decimal("5")  # 003 附件3 第九条
DEFAULT_MIN_ROUNDS = 2  # 003 附件3 第九条
CAP_MAX = 100
PUBLISH_WORKDAYS_MAX = 60


@dataclass(frozen=True)
class Rule:
    """The rule in force: ``cap`` None = no cap (``CapMode.OFF``); ``cap_monthly`` when the
    cap counts per calendar month (``CapMode.MONTHLY``) rather than per year."""

    cap: int | None
    min_ratio: Decimal
    min_rounds: int
    source: str  # which row decided (for the page): "部门规则 2026-01-01" / "默认"
    cap_monthly: bool = False
    publish_workdays: int = 20

    @property
    def cap_text(self) -> str:
        if self.cap is None:
            return "不设上限"
        return f"每{'月' if self.cap_monthly else '年'}不超过{self.cap}次"


@dataclass(frozen=True)
class TaskCap:
    """The cap a task's draw applies and the period it counts in: the year, or one month
    of it (``month`` 1–12; 0 = the whole year), both of the task's first day."""

    limit: int
    year: int
    month: int = 0

    @property
    def period_text(self) -> str:
        return f"{self.year}年{self.month}月" if self.month else f"{self.year}年"


def _row(department_id: int, item_id: int | None, on: dt.date) -> SupervisionRule | None:
    return (
        SupervisionRule.objects.filter(
            department_id=department_id, item_id=item_id, effective_from__lte=on
        )
        .order_by("-effective_from", "-id")
        .first()
    )


def rule_for(*, department: Department, item: Item | None, on: dt.date) -> Rule:
    """The item's row in force on ``on``, its empty fields from the department's row, then
    the department's own cap (``yearly_draw_cap``) and the defaults."""
    rows = [
        r
        for r in (_row(department.pk, item.pk, on) if item else None, _row(department.pk, None, on))
        if r
    ]

    def first(field: str):
        for r in rows:
            value = getattr(r, field)
            if value not in (None, ""):
                return value
        return None

    mode = first("cap_mode") or CapMode.YEARLY
    cap = None if mode == CapMode.OFF else (first("cap") or department.yearly_draw_cap)
    ratio = first("min_ratio")
    rounds = first("min_rounds")
    publish = first("publish_workdays")
    source = "、".join(
        f"{'事项' if r.item_id else '部门'}规则（{cn_date(r.effective_from)}起）" for r in rows
    )
    return Rule(
        cap=cap,
        min_ratio=DEFAULT_MIN_RATIO if ratio is None else ratio,
        min_rounds=DEFAULT_MIN_ROUNDS if rounds is None else rounds,
        source=source or "默认（002 第十四条、003 第九条）",
        cap_monthly=mode == CapMode.MONTHLY and cap is not None,
        publish_workdays=publish or department.publish_deadline_workdays,
    )


def task_cap(*, task) -> TaskCap | None:
    """The cap a task's draw applies (each item under its own department's rules, on the
    first day of the task): the smallest yearly cap of its items; when none of them is
    capped per year, the smallest monthly cap, counted in the task's first month; ``None``
    when every item's rule sets no cap."""
    start = task.window_start
    rules = [
        rule_for(department=item.department, item=item, on=start)
        for item in task.items.select_related("department")
    ]
    if not rules:
        return TaskCap(task.department.yearly_draw_cap, start.year)
    yearly = [r.cap for r in rules if r.cap is not None and not r.cap_monthly]
    if yearly:
        return TaskCap(min(yearly), start.year)
    monthly = [r.cap for r in rules if r.cap is not None]
    return TaskCap(min(monthly), start.year, start.month) if monthly else None


def _publish_set(*, department_id: int, item_id: int | None, on: dt.date) -> int | None:
    """The 公示时限 a rule row in force sets for the item (its own row, then its department's
    row for all items); ``None`` when none sets one."""
    for row in (
        _row(department_id, item_id, on) if item_id else None,
        _row(department_id, None, on),
    ):
        if row is not None and row.publish_workdays:
            return row.publish_workdays
    return None


def publish_workdays_for(*, items, lead: Department, on: dt.date) -> int:
    """The 公示时限 of a result formed on ``on``: the shortest any of its items' rules sets
    (each under its own department); without such a rule, the lead department's own — its
    rule for all items, else its setting (a 股室's item in a 局's task keeps the 局's 10
    days, 003 附件3 第十一条)."""
    periods = [
        n
        for n in (
            _publish_set(department_id=item.department_id, item_id=item.pk, on=on) for item in items
        )
        if n
    ]
    if periods:
        return min(periods)
    return rule_for(department=lead, item=None, on=on).publish_workdays


def supervision_rule_set(
    *,
    department: Department,
    actor: User | str | None,
    effective_from: dt.date | None,
    item: Item | None = None,
    cap_mode: str = "",
    cap: int | str | None = None,
    min_ratio: str | Decimal | None = None,
    min_rounds: int | str | None = None,
    publish_workdays: int | str | None = None,
    note: str = "",
) -> SupervisionRule:
    _require_writer(actor=actor, department=department)
    errors: dict[str, list[str]] = {}
    if effective_from is None:
        errors["effective_from"] = ["请填写生效日期"]
    if item is not None and item.department_id != department.pk:
        errors["item"] = ["只能为本部门清单中的抽查事项设置规则"]
    if cap_mode not in ("", *CapMode.values):
        errors["cap_mode"] = ["上限方式无效"]

    def number(name: str, value, top: int, label: str, bottom: int = 0) -> int | None:
        if value in (None, ""):
            return None
        try:
            n = int(str(value).strip())
        except ValueError:
            n = -1
        if not bottom <= n <= top:
            errors[name] = [f"{label}应为 {bottom}—{top} 的整数"]
            return None
        return n

    cap_n = number("cap", cap, CAP_MAX, "被抽中次数上限")
    if cap_mode in (CapMode.YEARLY, CapMode.MONTHLY) and cap_n is not None and cap_n < 1:
        errors["cap"] = ["被抽中次数上限至少为1（不设上限请选择“不设上限”）"]
    if cap_mode == CapMode.MONTHLY and cap_n is None and "cap" not in errors:
        errors["cap"] = ["按月设置上限时，请填写每月被抽中不超过几次"]
    rounds = number("min_rounds", min_rounds, 52, "每年最少抽查轮次")
    publish = number(
        "publish_workdays", publish_workdays, PUBLISH_WORKDAYS_MAX, "结果公示时限（工作日）", 1
    )
    ratio = None
    if min_ratio not in (None, ""):
        try:
            ratio = Decimal(str(min_ratio).strip().rstrip("%"))
        except InvalidOperation:
            ratio = Decimal(-1)
        if not Decimal(0) <= ratio <= Decimal(100) or ratio.as_tuple().exponent < -3:  # type: ignore[operator]
            errors["min_ratio"] = ["最低抽查比例应为 0—100 的数，最多三位小数"]
            ratio = None
    note = (note or "").strip()
    if len(note) > 500:
        errors["note"] = ["依据或说明不超过500字"]
    if not errors and not (
        cap_mode or cap_n is not None or ratio is not None or rounds is not None or publish
    ):
        errors["cap_mode"] = ["请至少设置一项规则"]
    if errors:
        raise ValidationFailed(
            "抽查规则有误：" + "；".join(m for ms in errors.values() for m in ms), errors=errors
        )
    with transaction.atomic():
        Department.objects.select_for_update().filter(pk=department.pk).first()
        rule = SupervisionRule.objects.create(
            department=department,
            item=item,
            effective_from=effective_from,
            cap_mode=cap_mode,
            cap=cap_n if cap_mode != CapMode.OFF else None,
            min_ratio=ratio,
            min_rounds=rounds,
            publish_workdays=publish,
            note=note,
            set_by=actor if isinstance(actor, User) else None,
        )
        event_record(
            actor=actor,
            action="rule.set",
            obj=rule,
            department=department,
            after={
                "item": item.code if item else None,
                "effective_from": effective_from.isoformat() if effective_from else None,
                "cap_mode": cap_mode,
                "cap": rule.cap,
                "min_ratio": f"{ratio.normalize():f}" if ratio is not None else None,
                "min_rounds": rounds,
                "publish_workdays": publish,
                "note": note,
            },
        )
    return rule
