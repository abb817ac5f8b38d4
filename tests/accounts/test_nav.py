import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

LINKS = {
    "items": "catalog:item_list",
    "entities": "registry:entity_list",
    "inspectors": "registry:inspector_list",
    "plans": "planning:plan_list",
    "tasks": "planning:task_list",
    "draws": "draw:list",
    "inspection": "inspection:mine",
    "disclosure": "disclosure:pending",
    "oversight": "oversight:index",
    "imports": "imports:start",
}


# Office staff's 检查 opens the department's list (issue 12 第 6 项), an inspector's his own.
STAFF_INSPECTION = "inspection:list"


def _menu(client, user) -> set[str]:
    client.force_login(user)
    page = client.get(reverse("home")).content.decode()
    nav = page[page.index("<nav") : page.index("</nav>")]
    found = {name for name, url in LINKS.items() if f'href="{reverse(url)}"' in nav}
    if f'href="{reverse(STAFF_INSPECTION)}"' in nav:
        found.add("inspection")
    return found


def test_an_inspector_sees_his_inspections_and_the_item_list_only(client, dept):
    assert _menu(client, factories.user(department=dept, role="inspector")) == {
        "items",
        "inspection",
    }


def test_a_witness_sees_the_draws_and_the_libraries_but_not_imports_or_inspections(client, dept):
    menu = _menu(client, factories.user(department=dept, role="witness"))
    assert {"draws", "plans", "tasks", "entities"} <= menu
    assert not menu & {"imports", "inspection", "disclosure"}


def test_an_operator_and_a_superuser_see_every_entry(client, dept):
    assert _menu(client, factories.user(department=dept, role="operator")) == set(LINKS)
    admin = factories.user(department=dept, role="inspector")
    admin.is_superuser = True
    admin.save()
    assert _menu(client, admin) == set(LINKS)
