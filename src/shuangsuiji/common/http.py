"""Facts about a request that more than one app needs."""

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The address the request came from (the objection form's rate limit, the login lockout).

    Behind a reverse proxy every request comes from the proxy: only when REMOTE_ADDR is one
    of ``SSJ_TRUSTED_PROXIES`` is X-Forwarded-For read, from the right (the proxy appends
    the address it saw), skipping the trusted proxies; what a client writes into the header
    itself stays to the left and is never taken.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.TRUSTED_PROXIES
    if remote not in trusted:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return remote
