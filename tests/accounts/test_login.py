import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def test_login_and_the_profile_shows_masked_numbers(client, dept):
    u = factories.user(
        department=dept, role="dept_admin", mobile="13810005362", id_number="350881198501011234"
    )
    resp = client.post(
        reverse("accounts:login"), {"username": u.username, "password": factories.PASSWORD}
    )
    assert resp.status_code == 302
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "138****5362" in page and "13810005362" not in page
    assert "350881********1234" in page and "350881198501011234" not in page


def test_wrong_password_says_so_in_chinese(client, dept):
    u = factories.user(department=dept, role="dept_admin")
    resp = client.post(reverse("accounts:login"), {"username": u.username, "password": "wrong"})
    assert resp.status_code == 200 and "用户名或密码错误" in resp.content.decode()


def test_repeated_failures_lock_the_account_even_with_the_right_password(client, dept, settings):
    u = factories.user(department=dept, role="dept_admin")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"username": u.username, "password": "wrong"})
    resp = client.post(
        reverse("accounts:login"), {"username": u.username, "password": factories.PASSWORD}
    )
    assert resp.status_code == 429
    assert "锁定" in resp.content.decode()
    assert "_auth_user_id" not in client.session


def test_pages_need_login(client):
    resp = client.get(reverse("home"))
    assert resp.status_code == 302 and reverse("accounts:login") in resp["Location"]
