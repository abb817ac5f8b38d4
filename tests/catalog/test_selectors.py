import datetime as dt

import pytest

from shuangsuiji.catalog.selectors import (
    item_copy_candidates,
    item_history,
    item_search,
    item_source_changed,
    items_public,
)
from shuangsuiji.catalog.services import item_copy, item_repeal, item_revise
from shuangsuiji.common.errors import ValidationFailed
from tests import factories
from tests.factories.catalog import content, make_item

pytestmark = pytest.mark.django_db

D2 = dt.date(2024, 7, 1)


def test_the_public_list_shows_the_current_version_of_items_in_force(trio):
    kept = make_item(department=trio["dept"], code="A-1")
    item_revise(
        item=kept,
        data=content(name="修订后的名称"),
        change_reason="法规修订",
        effective_date=D2,
        actor=None,
    )
    gone = make_item(department=trio["dept"], code="A-2", name="已废止事项")
    item_repeal(item=gone, change_reason="法规废止", effective_date=D2, actor=None)
    make_item(department=trio["other"], code="B-1", name="绿地检查")
    public = list(items_public())
    assert [(v.item.code, v.name, v.number) for v in public] == [
        ("B-1", "绿地检查", 1),
        ("A-1", "修订后的名称", 2),
    ]
    assert [v.item.code for v in items_public(department=trio["other"])] == ["B-1"]
    assert [v.item.code for v in items_public(q="修订后")] == ["A-1"]


def test_search_is_scoped_to_the_users_departments(trio):
    child = factories.department("SJJW-RQS", parent=trio["dept"])
    make_item(department=trio["dept"], code="A-1")
    make_item(department=child, code="C-1", name="燃气所事项")
    make_item(department=trio["other"], code="B-1")
    assert {i.code for i in item_search(user=trio["colleague"])} == {"A-1", "C-1"}
    assert {i.code for i in item_search(user=trio["colleague"], department="SJJW-RQS")} == {"C-1"}
    assert {i.code for i in item_search(user=trio["outsider"])} == {"B-1"}
    assert not item_search(user=trio["outsider"], department="SJJW").exists()
    with pytest.raises(ValidationFailed, match="部门 NOPE 不存在"):
        item_search(user=trio["owner"], department="NOPE")


def test_history_lists_the_changed_fields_of_each_version(trio):
    item = make_item(department=trio["dept"])
    item_revise(
        item=item,
        data=content(default_ratio="10", methods=["on_site"]),
        change_reason="调整",
        effective_date=D2,
        actor=None,
    )
    newest, first = item_history(item=item)
    assert [(c.label, c.before, c.after) for c in newest.changes] == [
        ("检查方式", "现场检查、书面检查", "现场检查"),
        ("抽查比例", "6%", "10%"),
    ]
    assert first.version.number == 1 and any(c.label == "事项名称" for c in first.changes)


def test_copy_candidates_and_source_changes(trio):
    child = factories.department("SJJW-RQS", parent=trio["dept"])
    a = make_item(department=trio["dept"], code="A-1")
    make_item(department=trio["dept"], code="A-2")
    assert [i.code for i in item_copy_candidates(department=child)] == ["A-1", "A-2"]
    assert not item_copy_candidates(department=trio["dept"]).exists()  # nothing above the 委
    (copy,) = item_copy(department=child, items=[a], actor=None)
    assert [i.code for i in item_copy_candidates(department=child)] == ["A-2"]
    assert not item_source_changed(item=copy)
    item_revise(
        item=a, data=content(name="上级已修订"), change_reason="x", effective_date=D2, actor=None
    )
    copy.refresh_from_db()
    assert item_source_changed(item=copy)
