"""The 网站标识 for the portal's header and footer (public/base.html), read only when a page
uses it."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from shuangsuiji.disclosure.site_selectors import site_identity_public


def site(request: HttpRequest) -> dict:
    return {"site": SimpleLazyObject(site_identity_public)}
