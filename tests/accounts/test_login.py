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
    assert resp.status_code == 429 and resp["Retry-After"] == "900"
    assert "已被锁定 15 分钟" in resp.content.decode() and "PT15M" not in resp.content.decode()
    assert "_auth_user_id" not in client.session


def test_pages_need_login(client):
    resp = client.get(reverse("home"))
    assert resp.status_code == 302 and reverse("accounts:login") in resp["Location"]


def _login(client, username, password, address):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def test_a_stranger_cannot_lock_the_real_admin_out(client, dept, settings):
    admin = factories.user(department=dept, role="dept_admin", username="admin")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "admin", "guess", "203.0.113.9")
    # the stranger's address is locked out of "admin", even with the right password …
    assert _login(client, "admin", factories.PASSWORD, "203.0.113.9").status_code == 429
    # … the admin at his own desk is not
    assert _login(client, admin.username, factories.PASSWORD, "10.1.2.3").status_code == 302


def test_one_password_sprayed_over_many_names_is_throttled_per_address(client, dept, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 12
    user = factories.user(department=dept, role="dept_admin")
    for i in range(12):
        assert _login(client, f"user{i}", "Spring2024!", "198.51.100.7").status_code == 200
    blocked = _login(client, user.username, factories.PASSWORD, "198.51.100.7")
    assert blocked.status_code == 429 and blocked["Retry-After"] == "900"
    assert "本机地址登录失败次数过多" in blocked.content.decode()
    assert "_auth_user_id" not in client.session
    # other addresses are not affected
    assert _login(client, user.username, factories.PASSWORD, "198.51.100.8").status_code == 302


def test_behind_the_proxy_the_forwarded_address_is_the_one_locked(client, dept, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    admin = factories.user(department=dept, role="dept_admin", username="admin")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("accounts:login"),
            {"username": "admin", "password": "guess"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.9",
        )
    ok = client.post(
        reverse("accounts:login"),
        {"username": admin.username, "password": factories.PASSWORD},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="10.1.2.3",
    )
    assert ok.status_code == 302
