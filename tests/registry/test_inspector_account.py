"""登录账号 of an inspector, linked by the department admin (谁管理、谁维护)."""

import threading

import pytest
from django.db import connection, connections
from django.urls import reverse

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import Membership
from shuangsuiji.audit.models import Event
from shuangsuiji.common.errors import Conflict, NotAllowed, ValidationFailed
from shuangsuiji.registry import selectors
from shuangsuiji.registry.models import Inspector
from shuangsuiji.registry.services import inspector_account_link
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(trio):
    dept = trio["dept"]
    return {
        **trio,
        "xie": factories.inspector(department=dept, name="谢璇"),
        "liu": factories.inspector(department=dept, name="刘彩贞"),
        "account": factories.user(department=dept, role=Role.INSPECTOR, username="xiexuan"),
    }


def test_the_admin_links_relinks_and_unlinks_with_an_audit_event_each(people):
    owner, xie, account = people["owner"], people["xie"], people["account"]
    inspector_account_link(actor=owner, inspector=xie, user=account)
    assert Inspector.objects.get(pk=xie.pk).user == account
    inspector_account_link(actor=owner, inspector=xie, user=account)  # the same again: nothing
    inspector_account_link(actor=owner, inspector=xie, user=None)
    assert Inspector.objects.get(pk=xie.pk).user is None
    events = list(Event.objects.filter(action="inspector.account").order_by("id"))
    assert [(e.before["user"], e.after["user"]) for e in events] == [
        (None, "xiexuan"),
        ("xiexuan", None),
    ]


def test_an_account_without_the_inspector_role_is_refused_and_nothing_changes(people):
    with pytest.raises(ValidationFailed) as exc:
        inspector_account_link(
            actor=people["owner"], inspector=people["xie"], user=people["colleague"]
        )
    assert "没有“执法检查人员”角色" in exc.value.message and exc.value.field == "user"
    assert Inspector.objects.get(pk=people["xie"].pk).user is None
    assert not Event.objects.filter(action="inspector.account").exists()


def test_an_account_linked_to_someone_else_is_refused_naming_him(people):
    inspector_account_link(actor=people["owner"], inspector=people["xie"], user=people["account"])
    with pytest.raises(Conflict) as exc:
        inspector_account_link(
            actor=people["owner"], inspector=people["liu"], user=people["account"]
        )
    assert "已关联“谢璇”" in exc.value.message
    assert Inspector.objects.get(pk=people["liu"].pk).user is None


def test_an_operator_or_another_departments_admin_may_not_link(people):
    for actor in (people["colleague"], people["outsider"]):
        with pytest.raises(NotAllowed):
            inspector_account_link(actor=actor, inspector=people["xie"], user=people["account"])


def test_on_the_detail_page_the_admin_links_and_the_inspector_then_finds_his_visits_page(
    client, people
):
    client.force_login(people["owner"])
    detail = reverse("registry:inspector_detail", args=[people["xie"].pk])
    page = client.get(detail).content.decode()
    assert "未关联" in page and "xiexuan" in page  # offered in the choice
    response = client.post(
        reverse("registry:inspector_account", args=[people["xie"].pk]),
        {"user": people["account"].pk},
    )
    assert response.status_code == 302 and response["Location"] == detail
    assert Inspector.objects.get(pk=people["xie"].pk).user == people["account"]
    client.force_login(people["account"])
    mine = client.get(reverse("inspection:mine")).content.decode()
    assert "尚未关联" not in mine


def test_a_refused_choice_is_shown_beside_the_field_with_422(client, people):
    client.force_login(people["owner"])
    response = client.post(
        reverse("registry:inspector_account", args=[people["xie"].pk]),
        {"user": people["colleague"].pk},
    )  # not offered: no inspector role
    assert response.status_code == 422
    assert "该账号不能关联" in response.content.decode()
    assert Inspector.objects.get(pk=people["xie"].pk).user is None


def test_an_operator_gets_403_and_another_departments_admin_404_from_the_page(client, people):
    url = reverse("registry:inspector_account", args=[people["xie"].pk])
    client.force_login(people["colleague"])
    assert client.post(url, {"user": people["account"].pk}).status_code == 403
    client.force_login(people["outsider"])  # cannot even see the record: no leak across departments
    assert client.post(url, {"user": people["account"].pk}).status_code == 404
    assert Inspector.objects.get(pk=people["xie"].pk).user is None


def test_an_account_linked_in_another_department_is_refused_without_naming_him(people):
    other = people["other"]
    account = people["account"]
    Membership.objects.create(user=account, department=other, role=Role.INSPECTOR)
    there = factories.inspector(department=other, name="王其他")
    inspector_account_link(actor=people["outsider"], inspector=there, user=account)
    with pytest.raises(Conflict) as exc:
        inspector_account_link(actor=people["owner"], inspector=people["xie"], user=account)
    assert exc.value.message == "该账号已关联其他执法检查人员" and "王其他" not in exc.value.message
    assert Inspector.objects.get(pk=people["xie"].pk).user is None


def test_a_deactivated_account_is_refused_naming_it(people):
    account = people["account"]
    account.is_active = False
    account.save(update_fields=["is_active"])
    with pytest.raises(ValidationFailed) as exc:
        inspector_account_link(actor=people["owner"], inspector=people["xie"], user=account)
    assert (
        "xiexuan" in exc.value.message and "停用" in exc.value.message and exc.value.field == "user"
    )


def test_the_choice_offers_active_inspector_accounts_of_the_department_not_linked_elsewhere(people):
    dept = people["dept"]
    linked = factories.user(department=dept, role=Role.INSPECTOR, username="aaa_linked")
    factories.user(department=dept, role=Role.INSPECTOR, username="bbb_inactive", is_active=False)
    factories.user(department=people["other"], role=Role.INSPECTOR, username="ccc_elsewhere")
    zhang = factories.user(department=dept, role=Role.INSPECTOR, username="abc")
    inspector_account_link(actor=people["owner"], inspector=people["liu"], user=linked)
    offered = [u.username for u in selectors.inspector_accounts_eligible(inspector=people["xie"])]
    assert offered == ["abc", "xiexuan"]  # by username; colleague (操作员) not offered
    inspector_account_link(actor=people["owner"], inspector=people["xie"], user=zhang)
    # His own account stays offered on his page (so the form shows it selected).
    assert "abc" in [
        u.username for u in selectors.inspector_accounts_eligible(inspector=people["xie"])
    ]
    assert [u.username for u in selectors.inspector_accounts_eligible(inspector=people["liu"])] == [
        "aaa_linked",
        "xiexuan",
    ]


def test_the_page_shows_the_linked_account_and_unlinks_on_the_empty_choice(client, people):
    inspector_account_link(actor=people["owner"], inspector=people["xie"], user=people["account"])
    client.force_login(people["colleague"])  # an operator reads the row but gets no form
    page = client.get(
        reverse("registry:inspector_detail", args=[people["xie"].pk])
    ).content.decode()
    assert "xiexuan" in page and "保存登录账号" not in page
    client.force_login(people["owner"])
    response = client.post(
        reverse("registry:inspector_account", args=[people["xie"].pk]), {"user": ""}, follow=True
    )
    assert "已解除谢璇的登录账号关联" in response.content.decode()
    assert Inspector.objects.get(pk=people["xie"].pk).user is None


# --- API -------------------------------------------------------------------------------------

API = "/api/v1/registry/inspectors/{}/account"


def _put(client, user, inspector, body):
    client.force_login(user)
    return client.put(API.format(inspector.pk), body, content_type="application/json")


def test_the_api_links_and_unlinks_by_username(client, people):
    resp = _put(client, people["owner"], people["xie"], {"username": "xiexuan"})
    assert resp.status_code == 200 and resp.json()["username"] == "xiexuan"
    assert (
        client.get(f"/api/v1/registry/inspectors/{people['xie'].pk}").json()["username"]
        == "xiexuan"
    )
    resp = _put(client, people["owner"], people["xie"], {"username": None})
    assert resp.status_code == 200 and resp.json()["username"] is None
    assert Event.objects.filter(action="inspector.account").count() == 2


def test_the_api_refusals_name_the_username_field(client, people):
    missing = _put(client, people["owner"], people["xie"], {"username": "nobody"})
    assert missing.status_code == 422 and "nobody" in missing.json()["errors"]["username"][0]
    no_role = _put(client, people["owner"], people["xie"], {"username": "colleague"})
    assert (
        no_role.status_code == 422
        and "没有“执法检查人员”角色" in no_role.json()["errors"]["username"][0]
    )
    inspector_account_link(actor=people["owner"], inspector=people["liu"], user=people["account"])
    taken = _put(client, people["owner"], people["xie"], {"username": "xiexuan"})
    assert taken.status_code == 409 and "刘彩贞" in taken.json()["detail"]
    assert (
        _put(client, people["owner"], people["xie"], {}).status_code == 422
    )  # username is required
    assert (
        _put(client, people["colleague"], people["xie"], {"username": "xiexuan"}).status_code == 403
    )
    assert (
        _put(client, people["outsider"], people["xie"], {"username": "xiexuan"}).status_code == 404
    )
    assert Inspector.objects.get(pk=people["xie"].pk).user is None


def test_the_api_operation_is_in_openapi_with_its_errors(client):
    op = client.get("/api/v1/openapi.json").json()["paths"][
        "/api/v1/registry/inspectors/{inspector_id}/account"
    ]["put"]
    assert {"200", "400", "401", "403", "404", "409", "422"} <= set(op["responses"])


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="需要 PostgreSQL 的行锁并发；SQLite 整库串行写入，顺序情形见上",
)
def test_two_admins_linking_one_account_to_two_people_at_once_leave_one_link(trio):
    dept = trio["dept"]
    second_admin = factories.user(department=dept, role=Role.DEPT_ADMIN, username="owner2")
    xie, liu = (
        factories.inspector(department=dept, name="谢璇"),
        factories.inspector(department=dept, name="刘彩贞"),
    )
    account = factories.user(department=dept, role=Role.INSPECTOR, username="shared")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def link(actor, inspector):
        try:
            barrier.wait()
            inspector_account_link(actor=actor, inspector=inspector, user=account)
            outcomes.append("linked")
        except Conflict:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=link, args=(trio["owner"], xie)),
        threading.Thread(target=link, args=(second_admin, liu)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["linked", "refused"]
    assert Inspector.objects.filter(user=account).count() == 1
