"""网站标识: the public portal's 主办单位, contact, ICP备案号, 公安机关备案号, 政府网站标识码
and logo (《政府网站发展指引》, 国办发〔2017〕47号: a government site names its sponsor,
contact, 网站标识码 and 备案编号 at the foot of every page).

One rule set for the admin form and anything else that writes the row: ``site_values_clean``
for the text, ``site_logo_check`` for the picture. The logo must be a real PNG or JPEG that
decodes (the file name and the browser's content type are not trusted); SVG is refused
because it can carry scripts.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Field
from PIL import Image, UnidentifiedImageError

from shuangsuiji.accounts.models import User
from shuangsuiji.audit.services import event_record
from shuangsuiji.common.errors import NotAllowed, ValidationFailed
from shuangsuiji.disclosure.models import SiteIdentity

SITE_FIELDS = (
    "site_name",
    "sponsor",
    "organizer",
    "address",
    "postcode",
    "phone",
    "email",
    "icp_number",
    "police_number",
    "site_code",
)
LOGO_MAX_BYTES = 512 * 1024
LOGO_MAX_SIDE = 2000  # pixels; a header logo is shown ~48 px high
LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
# Read by the portal on every page: kept in the cache (per process), dropped when saved; other
# processes see a change within CACHE_SECONDS.
CACHE_KEY = "disclosure.site_identity.v1"
CACHE_SECONDS = 60

_SITE_CODE = re.compile(r"^[0-9A-Za-z]{10}$")
_POSTCODE = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class Logo:
    data: bytes
    content_type: str
    sha256: str


def site_logo_check(*, data: bytes, name: str = "") -> Logo:
    """The logo as stored, or ``ValidationFailed`` (field ``logo``) saying why not."""
    label = f"“{name}”" if name else ""
    lowered = (name or "").lower()
    head = data[:512].lstrip().lower()
    if lowered.endswith((".svg", ".svgz")) or head.startswith((b"<?xml", b"<svg")):
        raise ValidationFailed(
            f"标志图片{label}是 SVG 矢量图：SVG 可以包含脚本，不予接受。请另存为 PNG 或 JPEG 图片后上传",
            field="logo",
        )
    if not data:
        raise ValidationFailed(f"标志图片{label}是空文件", field="logo")
    if len(data) > LOGO_MAX_BYTES:
        raise ValidationFailed(
            f"标志图片{label}有 {len(data) / 1024:.0f} KB，不能超过 {LOGO_MAX_BYTES // 1024} KB",
            field="logo",
        )
    refused = ValidationFailed(
        f"文件{label}不是可以识别的 PNG 或 JPEG 图片（只接受 PNG、JPEG 格式）", field="logo"
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                fmt = img.format or ""
                width, height = img.size
                if fmt not in LOGO_FORMATS:
                    raise refused
                if width > LOGO_MAX_SIDE or height > LOGO_MAX_SIDE:
                    raise ValidationFailed(
                        f"标志图片{label}为 {width}×{height} 像素，长和宽都不能超过 "
                        f"{LOGO_MAX_SIDE} 像素",
                        field="logo",
                    )
                img.load()  # decodes every pixel: a truncated or forged file fails here
    except ValidationFailed:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
    ):
        raise refused from None
    return Logo(
        data=bytes(data),
        content_type=LOGO_FORMATS[fmt],
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _field(name: str) -> Field:
    found = SiteIdentity._meta.get_field(name)
    assert isinstance(found, Field)
    return found


def site_values_clean(*, values: dict[str, str]) -> dict[str, str]:
    """The text fields, stripped and checked; errors name their field."""
    out = {f: (values.get(f) or "").strip() for f in SITE_FIELDS}
    errors: dict[str, list[str]] = {}
    for f in SITE_FIELDS:
        limit = _field(f).max_length
        if limit and len(out[f]) > limit:
            errors.setdefault(f, []).append(f"不超过{limit}个字")
    if out["site_code"] and not _SITE_CODE.match(out["site_code"]):
        errors.setdefault("site_code", []).append(
            "政府网站标识码为10位数字或字母（如“3101170001”），见全国政府网站信息报送系统"
        )
    if out["postcode"] and not _POSTCODE.match(out["postcode"]):
        errors.setdefault("postcode", []).append("邮政编码为6位数字")
    if out["email"]:
        try:
            validate_email(out["email"])
        except ValidationError:
            errors.setdefault("email", []).append("电子邮箱格式不正确")
    if errors:
        first = next(iter(errors.items()))
        label = _field(first[0]).verbose_name
        raise ValidationFailed(f"{label}：{first[1][0]}", errors=errors)
    return out


def _state(row: SiteIdentity) -> dict:
    return {
        **{f: getattr(row, f) for f in SITE_FIELDS},
        "logo_sha256": row.logo_sha256,
    }


def site_identity_update(
    *,
    actor: User,
    values: dict[str, str],
    logo: Logo | None = None,
    logo_remove: bool = False,
) -> SiteIdentity:
    """Saves the 网站标识 (text fields as given; the logo replaced, removed or kept)."""
    if not (getattr(actor, "is_active", False) and getattr(actor, "is_superuser", False)):
        raise NotAllowed("只有系统管理员可以修改网站标识")
    clean = site_values_clean(values=values)
    with transaction.atomic():
        SiteIdentity.objects.get_or_create(pk=1)
        # Two administrators saving at once: the second waits and records his change
        # against what the first saved, so the audit's before/after chain stays true.
        row = SiteIdentity.objects.select_for_update().get(pk=1)
        before = _state(row)
        for f, v in clean.items():
            setattr(row, f, v)
        if logo is not None:
            row.logo, row.logo_type, row.logo_sha256 = logo.data, logo.content_type, logo.sha256
        elif logo_remove:
            row.logo, row.logo_type, row.logo_sha256 = b"", "", ""
        row.updated_by = actor
        row.save()
        after = _state(row)
        event_record(
            actor=actor,
            action="site.update",
            obj=row,
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
        )
        transaction.on_commit(lambda: cache.delete(CACHE_KEY))
    return row
