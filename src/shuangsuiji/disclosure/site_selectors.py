"""Reads of the 网站标识 (disclosure/services/site.py writes it): what the portal's header
and footer show, and the logo's bytes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.cache import cache
from django.db import DatabaseError

from shuangsuiji.disclosure.models import SiteIdentity
from shuangsuiji.disclosure.services.site import CACHE_KEY, CACHE_SECONDS, SITE_FIELDS

DEFAULT_SITE_NAME = "双随机、一公开 · 公开信息"
ICP_URL = "https://beian.miit.gov.cn/"
POLICE_URL = "https://beian.mps.gov.cn/#/query/webSearch?code="


@dataclass(frozen=True)
class SiteInfo:
    """What the portal shows; every field may be empty and the template leaves it out."""

    site_name: str = ""
    sponsor: str = ""
    organizer: str = ""
    address: str = ""
    postcode: str = ""
    phone: str = ""
    email: str = ""
    icp_number: str = ""
    police_number: str = ""
    site_code: str = ""
    logo_sha256: str = ""
    logo_ext: str = ""

    @property
    def name(self) -> str:
        return self.site_name or DEFAULT_SITE_NAME

    @property
    def has_contact(self) -> bool:
        return bool(self.address or self.phone or self.email)

    @property
    def has_record(self) -> bool:
        return bool(self.icp_number or self.police_number or self.site_code)

    @property
    def icp_url(self) -> str:
        return ICP_URL

    @property
    def police_url(self) -> str:
        # The MPS search takes the record's digits (“沪公网安备31011702000001号” → 31011702000001).
        digits = "".join(re.findall(r"\d", self.police_number))
        return f"{POLICE_URL}{digits}" if digits else "https://beian.mps.gov.cn/"


def site_identity_public() -> SiteInfo:
    """The 网站标识 as the portal shows it (cached; empty when never entered)."""
    found = cache.get(CACHE_KEY)
    if isinstance(found, SiteInfo):
        return found
    try:
        row = (
            SiteIdentity.objects.filter(pk=1).only(*SITE_FIELDS, "logo_sha256", "logo_type").first()
        )
    except DatabaseError:
        # The page saying “系统繁忙” (a locked database, common/middleware.py) renders this
        # footer too: it must not fail a second time. Not cached.
        return SiteInfo()
    info = (
        SiteInfo()
        if row is None
        else SiteInfo(
            **{f: getattr(row, f) for f in SITE_FIELDS},
            logo_sha256=row.logo_sha256,
            logo_ext="png" if row.logo_type == "image/png" else "jpg" if row.logo_type else "",
        )
    )
    cache.set(CACHE_KEY, info, CACHE_SECONDS)
    return info


def site_logo(*, sha256: str) -> tuple[bytes, str] | None:
    """The current logo's bytes and content type, if ``sha256`` names it (an old address
    of a replaced logo is gone)."""
    row = (
        SiteIdentity.objects.filter(pk=1, logo_sha256=sha256)
        .exclude(logo_sha256="")
        .values_list("logo", "logo_type")
        .first()
    )
    if row is None:
        return None
    return bytes(row[0]), row[1]
