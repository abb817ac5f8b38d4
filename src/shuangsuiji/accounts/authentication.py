"""How the JSON API knows who calls: a bearer token (令牌, issued on the profile page) or the
browser's session, with CSRF checked for unsafe methods. Tokens are accounts' rows."""

import datetime as dt
import hashlib

from django.db import DatabaseError, transaction
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer

from shuangsuiji.accounts.models import ApiToken

TOUCH_EVERY = dt.timedelta(minutes=5)


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        digest = hashlib.sha256(token.encode()).hexdigest()
        row = (
            ApiToken.objects.select_related("user")
            .filter(digest=digest, is_active=True, user__is_active=True)
            .first()
        )
        if row is None:
            return None
        now = timezone.now()
        # "Last used" to the minute is enough: a write on every call would make each read of
        # the API wait for SQLite's write lock (a long import holds it), and fail when the
        # database is read-only. The write is best-effort; the call goes on without it.
        if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY:
            try:
                with transaction.atomic():
                    ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
            except DatabaseError:
                pass
        request.user = row.user
        return row.user


class SessionAuth(APIKeyCookie):
    """Django's session cookie, with CSRF checked for unsafe methods."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


api_auth = [BearerToken(), SessionAuth()]
