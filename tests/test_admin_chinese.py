"""系统管理 (the Django admin) is in Chinese throughout (issue “pages for civil servants and
citizens” 第 6 项), the third-party apps included: django-axes (登录失败锁定) and
django-tasks-db (后台任务) ship no Chinese, so the project names them (shuangsuiji/third_party.py,
locale/zh_Hans). Every registered page's title, columns, filters, fieldsets, fields and
actions are read here: an upgrade that brings a new English name fails this test."""

import gettext
import re
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

import shuangsuiji
from tests import factories

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")
LOCALE = Path(shuangsuiji.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"


def _english(text) -> bool:
    return not CJK.search(str(text))


def _labels(model, model_admin, request) -> list[tuple[str, str]]:
    """(where, text) for every name the admin shows of ``model``."""
    out = [
        ("app", model._meta.app_config.verbose_name),
        ("model", model._meta.verbose_name),
        ("models", model._meta.verbose_name_plural),
    ]
    for name in model_admin.get_list_display(request):
        out.append((f"column {name}", label_for_field(name, model, model_admin)))
    for spec in model_admin.get_list_filter(request):
        if isinstance(spec, str):
            out.append((f"filter {spec}", label_for_field(spec, model, model_admin)))
        elif isinstance(spec, tuple):
            out.append((f"filter {spec[0]}", label_for_field(spec[0], model, model_admin)))
        else:
            out.append((f"filter {spec.__name__}", spec.title))
    for title, _opts in model_admin.get_fieldsets(request) or []:
        if title:
            out.append(("fieldset", title))
    form = model_admin.get_form(request)
    for name, field in form.base_fields.items():
        out.append((f"field {name}", field.label or name))
    for name in model_admin.get_readonly_fields(request):
        out.append((f"field {name}", label_for_field(name, model, model_admin)))
    for name, (_func, _name, description) in model_admin.get_actions(request).items():
        out.append((f"action {name}", description % {"verbose_name_plural": "x"}))
    for inline in model_admin.get_inline_instances(request):
        m = inline.model
        out += [("inline", m._meta.verbose_name), ("inline", m._meta.verbose_name_plural)]
        for name, field in inline.get_formset(request).form.base_fields.items():
            out.append((f"inline field {name}", field.label or name))
    return out


def test_every_admin_page_names_its_app_model_columns_filters_and_fields_in_chinese():
    request = RequestFactory().get("/admin/")
    request.user = factories.user(superuser=True)
    english = []
    with translation.override("zh-hans"):
        for model, model_admin in admin.site._registry.items():
            for where, text in _labels(model, model_admin, request):
                if _english(text):
                    english.append(f"{model._meta.label} {where}: {text}")
    assert english == []


def test_the_axes_pages_are_chinese_even_for_a_browser_asking_for_english(client, dept):
    user = factories.user(department=dept, role="operator")
    client.post(
        reverse("accounts:login"),
        {"username": user.username, "password": "wrong"},
        REMOTE_ADDR="198.51.100.9",
    )
    attempt = AccessAttempt.objects.get()
    client.force_login(factories.user(superuser=True))
    english = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}

    index = client.get(reverse("admin:index"), **english).content.decode()
    assert "登录失败锁定" in index and "登录失败计数" in index and "登录日志" in index
    assert "后台任务" in index and "网站标识" in index
    for word in (
        "Axes",
        "Access attempts",
        "Access logs",
        "Tasks Database Backend",
        "Task Results",
    ):
        assert word not in index, word

    listing = client.get(reverse("admin:axes_accessattempt_changelist"), **english).content.decode()
    for column in ("尝试时间", "来源地址（IP）", "用户名", "请求路径", "连续失败次数", "锁定状态"):
        assert column in listing, column
    assert "还可尝试" in listing and "清除已失效的登录失败计数" in listing
    assert "Attempt Time" not in listing and "Failed Logins" not in listing

    detail = client.get(
        reverse("admin:axes_accessattempt_change", args=[attempt.pk]), **english
    ).content.decode()
    assert "表单数据" in detail and "请求信息" in detail and "Meta Data" not in detail

    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="shuangsuiji.imports.jobs.import_job_task",
        backend_name="default",
        run_after=attempt.attempt_time,
    )
    tasks = client.get(
        reverse("admin:django_tasks_database_dbtaskresult_changelist"), **english
    ).content.decode()
    assert "任务编号" in tasks and "排队时间" in tasks and "enqueued at" not in tasks


def test_the_compiled_catalog_matches_its_source():
    """django.mo is committed next to django.po (no gettext tools needed to deploy); it
    must say what the .po says (``make messages`` rebuilds it)."""
    po = (LOCALE / "django.po").read_text(encoding="utf-8")
    with (LOCALE / "django.mo").open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    entries = re.findall(
        r'(?:msgctxt "([^"]*)"\n)?msgid ((?:"[^"]*"\n)+)msgstr ((?:"[^"]*"\n?)+)', po
    )

    def joined(block: str) -> str:
        return "".join(re.findall(r'"([^"]*)"', block))

    checked = 0
    for context, msgid, msgstr in entries:
        key, want = joined(msgid), joined(msgstr)
        if not key:
            continue  # the header
        got = mo.pgettext(context, key) if context else mo.gettext(key)
        assert got == want, key
        checked += 1
    assert checked >= 50
