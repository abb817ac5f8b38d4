"""The 审计员 (issue 12 第 6 项): reads everything of his departments, writes nothing, and has
an 审计日志 page — filters, export, and the hash-chain check of `ssj audit verify`."""

import re

import pytest
from django.urls import reverse

from shuangsuiji.accounts.choices import Role
from shuangsuiji.audit.models import Event
from shuangsuiji.registry.services import entity_create
from tests import factories
from tests.factories.files import read_sheet

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(dept):
    admin = factories.user(department=dept, role=Role.DEPT_ADMIN, full_name="张管理")
    auditor = factories.user(department=dept, role=Role.AUDITOR, full_name="李审计")
    other = factories.department("QTBM", name="其他部门")
    other_admin = factories.user(department=other, role=Role.DEPT_ADMIN, full_name="王其他")
    mine = entity_create(
        actor=admin, department=dept, fields={"uscc": factories.uscc(), "name": "本部门建筑公司"}
    )
    entity_create(
        actor=other_admin,
        department=other,
        fields={"uscc": factories.uscc(), "name": "外部门建筑公司"},
    )
    return {"auditor": auditor, "admin": admin, "mine": mine}


def test_the_auditor_reads_his_departments_events_only_and_filters_them(client, setting):
    client.force_login(setting["auditor"])
    html = client.get(reverse("audit_log")).content.decode()
    assert "本部门建筑公司" in html and "外部门建筑公司" not in html
    html = client.get(reverse("audit_log") + "?actor=张管理&action=entity").content.decode()
    assert "本部门建筑公司" in html
    html = client.get(reverse("audit_log") + "?actor=没有这个人").content.decode()
    assert "没有符合条件的事件" in html
    bad = client.get(reverse("audit_log") + "?since=2024-13-01")
    assert bad.status_code == 400 and "起始日期格式无效" in bad.content.decode()


def test_the_export_holds_the_same_events(client, setting, tmp_path):
    client.force_login(setting["auditor"])
    response = client.get(reverse("audit_log") + "?format=xlsx")
    path = tmp_path / "log.xlsx"
    path.write_bytes(response.content)
    rows = read_sheet(path)
    visible = Event.objects.filter(department=setting["mine"].department).count()
    assert rows[0][:3] == ["序号", "时间", "操作人"] and len(rows) - 1 == visible


def test_the_chain_check_button_reports_intact_then_names_a_tampered_event(client, setting):
    client.force_login(setting["auditor"])
    response = client.post(reverse("audit_verify"), follow=True)
    assert re.search(r"哈希链完整 ✓：已校验 \d+ 条事件", response.content.decode())
    event = Event.objects.filter(action="entity.create").first()
    Event.objects.filter(pk=event.pk).update(object_repr="被改过的名称")
    html = client.post(reverse("audit_verify"), follow=True).content.decode()
    assert f"第 {event.seq} 号事件的内容与其哈希不符" in html


def test_others_cannot_open_the_log_and_the_auditor_cannot_write(client, setting):
    client.force_login(setting["admin"])
    assert client.get(reverse("audit_log")).status_code == 403
    assert client.post(reverse("audit_verify")).status_code == 403
    auditor = setting["auditor"]
    client.force_login(auditor)
    # Reads the library, the tasks and the visits of his department …
    html = client.get(reverse("registry:entity_list")).content.decode()
    assert "本部门建筑公司" in html
    assert client.get(reverse("planning:task_list")).status_code == 200
    assert client.get(reverse("inspection:list")).status_code == 200
    # … and changes nothing.
    response = client.post(
        reverse("registry:entity_create"), {"uscc": factories.uscc(), "name": "审计员新增"}
    )
    assert response.status_code in (302, 403)
    assert not Event.objects.filter(actor=auditor).exclude(action__startswith="login").exists()


def test_actions_are_said_in_words_with_their_code(client, setting):
    from shuangsuiji.audit.labels import action_label

    assert action_label("draw.commit") == "摇号 · 封存名单"
    assert action_label("result.signed_all") == "检查结果 · 全体签字确认"
    assert action_label("unknown.thing") == "unknown · thing"
    client.force_login(setting["auditor"])
    html = client.get(reverse("audit_log")).content.decode()
    assert "检查对象 · 新增" in html and "entity.create" in html


def test_every_action_the_code_records_has_words():
    """Each ``action="x.y"`` written by the services reads in Chinese on the audit log (an
    object and a verb), none falls back to its code."""
    import re
    from pathlib import Path

    from shuangsuiji.audit.labels import OBJECTS, VERBS

    src = Path(__file__).resolve().parents[2] / "src" / "shuangsuiji"
    actions = set()
    for path in src.rglob("*.py"):
        actions |= set(re.findall(r'action="([a-z_]+)\.([a-z_]+)"', path.read_text("utf-8")))
    assert len(actions) > 40
    missing = sorted(f"{o}.{v}" for o, v in actions if o not in OBJECTS or v not in VERBS)
    assert missing == []
