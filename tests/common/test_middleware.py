"""Service errors become pages in one place (common/middleware.py)."""

import pytest
from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import ResolverMatch

from shuangsuiji.common.errors import Conflict, NotAllowed, NotFound, ServiceError, ValidationFailed
from shuangsuiji.common.middleware import ServiceErrorMiddleware, back_url

pytestmark = pytest.mark.django_db


def _request(method="get", path="/draw/1/", namespace="draw", **extra):
    request = getattr(RequestFactory(), method)(path, **extra)
    request.resolver_match = ResolverMatch(
        lambda r: None, (), {}, namespaces=[namespace] if namespace else []
    )
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore

    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    return request


def _handle(request, exc):
    return ServiceErrorMiddleware(lambda r: HttpResponse()).process_exception(request, exc)


@pytest.mark.parametrize(
    ("exc", "status", "title"),
    [
        (NotFound("任务不存在或您无权查看"), 404, "未找到"),
        (NotAllowed("只有本部门操作员可以摇号"), 403, "无权操作"),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_not_found_and_not_allowed_are_one_chinese_page(exc, status, title, method):
    response = _handle(_request(method), exc)
    body = response.content.decode()
    assert response.status_code == status and title in body and exc.message in body
    assert 'href="/draw/"' in body  # back into the section it came from


@pytest.mark.parametrize(
    "exc",
    [Conflict("任务已确认，不能修改"), ValidationFailed("日期有误"), ServiceError("不能办理")],
)
def test_other_refusals_of_a_post_are_a_message_and_back_where_it_came_from(exc):
    request = _request("post", HTTP_REFERER="http://testserver/draw/7/")
    response = _handle(request, exc)
    assert (response.status_code, response["Location"]) == (302, "http://testserver/draw/7/")
    assert [m.message for m in get_messages(request)] == [exc.message]


def test_the_view_may_say_where_back_is_and_a_foreign_referer_is_never_followed():
    request = _request("post", HTTP_REFERER="https://evil.example/")
    assert back_url(request) == "/"
    request.back_url = "/inspection/visits/3/#result"
    assert back_url(request) == "/inspection/visits/3/#result"


def test_a_conflict_on_a_get_is_a_page_with_its_status():
    response = _handle(_request("get"), Conflict("已公示，不能修改"))
    assert response.status_code == 409 and "已公示，不能修改" in response.content.decode()


def test_the_public_portal_keeps_its_own_look():
    response = _handle(
        _request("get", path="/public/results/9/", namespace="portal"), NotFound("检查结果不存在")
    )
    body = response.content.decode()
    assert response.status_code == 404 and "返回公开信息首页" in body and "工作台" not in body


def test_the_api_and_other_exceptions_are_left_alone():
    assert _handle(_request("get", path="/api/v1/draw/1"), NotFound("x")) is None
    assert _handle(_request("get"), KeyError("x")) is None
