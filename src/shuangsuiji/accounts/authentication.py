"""How the JSON API knows who calls: a bearer token (令牌, issued on the profile page) or the
browser's session, with CSRF checked for unsafe methods. Tokens are accounts' rows."""

import hashlib

from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer

from shuangsuiji.accounts.models import ApiToken


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
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
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
