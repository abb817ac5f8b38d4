"""The portal's logo (网站标识, disclosure/services/site.py). The address holds the picture's
SHA-256, so a browser may keep it for a year: a new logo gets a new address."""

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from shuangsuiji.disclosure.site_selectors import site_logo


@require_safe
def logo(request: HttpRequest, sha256: str) -> HttpResponse:
    found = site_logo(sha256=sha256[:64])
    if found is None:
        raise Http404("没有该标志图片")
    data, content_type = found
    response = HttpResponse(data, content_type=content_type)
    patch_cache_control(response, public=True, max_age=365 * 24 * 3600, immutable=True)
    return response
