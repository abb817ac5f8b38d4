"""API tokens (accounts/authentication.py)."""

import datetime as dt

import pytest
from django.db import OperationalError
from django.utils import timezone

from shuangsuiji.accounts.models import ApiToken
from shuangsuiji.accounts.services import api_token_create
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(client, dept):
    user = factories.user(department=dept, role="dept_admin")
    row, secret = api_token_create(user=user, name="测试")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return row


def test_a_token_call_writes_last_used_at_most_every_five_minutes(client, token):
    assert client.get("/api/v1/catalog/items").status_code == 200
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    assert client.get("/api/v1/catalog/items").status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first  # no write
    earlier = timezone.now() - dt.timedelta(minutes=6)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=earlier)
    assert client.get("/api/v1/catalog/items").status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at > earlier


def test_a_read_still_works_when_the_database_refuses_the_write(client, token, monkeypatch):
    def refuse(self, **kwargs):
        raise OperationalError("attempt to write a readonly database")

    monkeypatch.setattr("django.db.models.query.QuerySet.update", refuse)
    assert client.get("/api/v1/catalog/items").status_code == 200
