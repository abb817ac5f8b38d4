"""The production profile (SSJ_PRODUCTION=true, issue 11 item 5): it refuses to start unsafe,
`check --deploy` finds nothing, and what it sends. Settings are read once per process, so
each case runs `ssj` in a process of its own."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.views.debug import get_default_exception_reporter_filter

SRC = Path(__file__).resolve().parents[1] / "src" / "shuangsuiji" / "templates"


def _ssj(tmp_path, *args, **env):
    # The environment of a server: none of the test run's own variables (the browser tests
    # set DJANGO_ALLOW_ASYNC_UNSAFE, which check --deploy rightly reports).
    full = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SSJ_", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL"))
    }
    full.update(
        {
            "SSJ_VAR_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
            "SSJ_PRODUCTION": "true",
            "SSJ_SECRET_KEY": secrets.token_urlsafe(50),
            "SSJ_ALLOWED_HOSTS": "ssj.example.gov.cn",
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "shuangsuiji.cli", *args], capture_output=True, text=True, env=full
    )


def test_check_deploy_finds_nothing_in_production(tmp_path):
    done = _ssj(tmp_path, "manage", "check", "--deploy")
    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"SSJ_SECRET_KEY": "abcde"}, "SSJ_SECRET_KEY 太弱"),
        ({"SSJ_SECRET_KEY": "a" * 60}, "SSJ_SECRET_KEY 太弱"),
        ({"SSJ_SECRET_KEY": ""}, "生产环境必须设置 SSJ_SECRET_KEY"),
        ({"SSJ_DEBUG": "true"}, "不能同时开启 SSJ_DEBUG"),
        ({"SSJ_ALLOWED_HOSTS": "*"}, "SSJ_ALLOWED_HOSTS 不能为 *"),
    ],
)
def test_production_refuses_to_start_unsafe_and_says_why(tmp_path, env, said):
    done = _ssj(tmp_path, "manage", "check", **env)
    assert done.returncode == 2 and said in done.stderr and "Traceback" not in done.stderr


def test_production_sends_hsts_secure_cookies_and_redirects_to_https(tmp_path):
    script = (
        "import django;django.setup();"
        "from django.conf import settings as s;from django.test import Client;"
        "c=Client(HTTP_HOST='ssj.example.gov.cn');"
        "r=c.get('/public/');print('redirect',r.status_code,r.get('Location'));"
        "r=c.get('/accounts/login/',secure=True);"
        "print('hsts',r.get('Strict-Transport-Security'));"
        "print('csp',r.get('Content-Security-Policy'));"
        "print('cookies',s.SESSION_COOKIE_SECURE,s.CSRF_COOKIE_SECURE)"
    )
    # The environment of a server: none of the test run's own variables (the browser tests
    # set DJANGO_ALLOW_ASYNC_UNSAFE, which check --deploy rightly reports).
    full = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SSJ_", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL"))
    }
    full.update(
        {
            "SSJ_VAR_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
            "SSJ_PRODUCTION": "true",
            "SSJ_SECRET_KEY": secrets.token_urlsafe(50),
            "SSJ_ALLOWED_HOSTS": "ssj.example.gov.cn",
            "DJANGO_SETTINGS_MODULE": "shuangsuiji.settings",
        }
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=full, check=True
    ).stdout
    assert "redirect 301 https://ssj.example.gov.cn/public/" in out
    assert "hsts max-age=31536000; includeSubDomains; preload" in out
    assert re.search(r"script-src ([^;\n]*)", out).group(1) == "'self'"
    assert "frame-ancestors 'none'" in out
    assert "cookies True True" in out


def test_every_page_carries_the_content_security_policy(client, db):
    policy = client.get("/public/")["Content-Security-Policy"]
    script = re.search(r"script-src ([^;]*)", policy).group(1)
    assert script == "'self'"  # no inline script, no eval


def test_no_template_has_inline_script_or_event_handlers():
    found = []
    for path in SRC.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        found += [(path.name, m) for m in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", text)]
        found += [(path.name, m) for m in re.findall(r"\son[a-z]+=\"", text)]
    assert found == []


def test_the_debug_page_cannot_show_the_database_password():
    safe = get_default_exception_reporter_filter().get_safe_settings()
    assert not [k for k in safe if "DATABASE_URL" in k]
