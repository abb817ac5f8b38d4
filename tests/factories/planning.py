"""Items and task specs for the planning and draw tests."""

import datetime as dt
from decimal import Decimal

from shuangsuiji.catalog.services import item_create
from shuangsuiji.planning.services import ClassInput, TaskInput


def make_item(
    department, code, *, target_type="燃气经营企业", ratio=None, frequency="", name=None, field=""
):
    return item_create(
        department=department,
        code=code,
        actor=None,
        change_reason="测试",
        effective_date=dt.date(2024, 1, 1),
        name=name or f"{target_type}检查{code}",
        target_type=target_type,
        methods=["on_site"],
        default_ratio=Decimal(ratio) if ratio else None,
        default_frequency=frequency,
        field=field,
        content="检查内容",
        basis="《城镇燃气管理条例》",
        subject=department.name,
    )


def task_spec(items, **overrides) -> TaskInput:
    values = dict(
        title="燃气经营企业抽查",
        items=items,
        kind="ad_hoc",
        description="投诉举报较多",
        window_start=dt.date(2024, 9, 1),
        window_end=dt.date(2024, 9, 30),
        classes=[ClassInput(code="all", name="全部对象", ratio=Decimal("10"))],
    )
    values.update(overrides)
    return TaskInput(**values)
