from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from shuangsuiji.notices.selectors import unread_count


def unread(request: HttpRequest) -> dict:
    """``notices_unread`` for the header (counted only when a page shows the header)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"notices_unread": 0}
    return {"notices_unread": SimpleLazyObject(lambda: unread_count(user=user))}
