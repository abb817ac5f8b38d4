"""Catalog test helpers: one valid item's content, and a quick way to make an item."""

import datetime as dt

from shuangsuiji.catalog.services import item_create


def content(**overrides) -> dict:
    """A valid 抽查事项 (the 燃气经营 row of the Songjiang plan table [000 附件])."""
    data = {
        "name": "燃气经营监督执法检查",
        "category": "general",
        "field": "燃气经营",
        "target_type": "燃气经营企业",
        "content": "燃气经营许可证取得情况检查；燃气经营监督执法检查",
        "methods": ["on_site", "document"],
        "basis": "《城镇燃气管理条例》第十五条、第四十二条",
        "subject": "松江区建设和管理委员会",
        "responsible_unit": "燃气所",
        "level": "区级部门联合抽查事项",
        "default_ratio": "6",
        "default_frequency": "每年一次（9月）",
        "checklist": ["燃气经营许可证是否在有效期内", "是否向无证单位供气"],
    }
    data.update(overrides)
    return data


def make_item(
    *, department, code="RQ-001", actor=None, effective_date=dt.date(2024, 1, 1), **overrides
):
    return item_create(
        department=department,
        code=code,
        data=content(**overrides),
        effective_date=effective_date,
        actor=actor,
    )
