"""Writing messages (站内消息) and mailing them.

A message is a side effect of a state change that already has its audit event (a draw
sealed, a task dispatched, a result fully signed, an objection filed) or of the daily
deadline run; the message box itself is not a business record, so writing or reading a
message records no audit event of its own. Changing one's email setting does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from shuangsuiji.accounts.models import User
from shuangsuiji.audit.services import event_record
from shuangsuiji.common.errors import NotAllowed
from shuangsuiji.common.masking import mask_personal_numbers
from shuangsuiji.notices.models import Notice, NoticeSetting

log = logging.getLogger(__name__)


def email_enabled() -> bool:
    """Mail goes out only when the operator configured a mail server (SSJ_EMAIL_URL or
    EMAIL_HOST; docs/deployment.md), or in tests (the locmem backend)."""
    return bool(getattr(settings, "NOTICE_EMAIL", False))


def notice_send(
    *,
    users: Iterable[User],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    dedupe_key: str = "",
) -> list[Notice]:
    """One message to each of ``users`` (each user once; with ``dedupe_key``, never twice
    for the same key). Call inside the transaction of the change it reports: the messages
    and their mail commit or roll back with it."""
    wanted = {u.pk: u for u in users if u is not None and u.is_active}
    if dedupe_key:
        already = set(
            Notice.objects.filter(user_id__in=list(wanted), dedupe_key=dedupe_key).values_list(
                "user_id", flat=True
            )
        )
        wanted = {pk: u for pk, u in wanted.items() if pk not in already}
    if not wanted:
        return []
    # Messages may be mailed: no phone or ID number in them, whatever a title quotes.
    title, body = mask_personal_numbers(title)[:200], mask_personal_numbers(body)
    notices = Notice.objects.bulk_create(
        [
            Notice(user_id=pk, kind=kind, title=title, body=body, url=url, dedupe_key=dedupe_key)
            for pk in sorted(wanted)
        ]
    )
    if email_enabled():
        ids = [n.pk for n in notices if n.pk is not None]
        if not ids:  # bulk_create without returned ids (older SQLite): look them up
            ids = list(
                Notice.objects.filter(
                    user_id__in=list(wanted), kind=kind, title=title, emailed_at__isnull=True
                ).values_list("id", flat=True)
            )
        if getattr(settings, "NOTICE_MAIL_INLINE", False):
            transaction.on_commit(lambda: notices_mail(ids=ids))
        else:
            # On the task queue (a table of this database): it commits with the messages.
            notice_mail_task.enqueue(ids)
    return notices


@task()
def notice_mail_task(ids: list[int]) -> None:
    notices_mail(ids=ids)


def notices_mail(*, ids: Sequence[int]) -> int:
    """Mails the messages whose user has an address and has not turned email off; each at
    most once (``emailed_at``). A mail server that refuses is logged, not retried forever."""
    sent = 0
    off = set(NoticeSetting.objects.filter(email=False).values_list("user_id", flat=True))
    for notice in Notice.objects.filter(pk__in=list(ids), emailed_at__isnull=True).select_related(
        "user"
    ):
        user = notice.user
        if not user.email or user.pk in off:
            continue
        link = f"{settings.SITE_URL.rstrip('/')}{notice.url}" if notice.url else ""
        text = "\n\n".join(
            part
            for part in (notice.body, link, "（本邮件由双随机、一公开监管平台自动发送）")
            if part
        )
        try:
            send_mail(
                subject=f"【双随机】{notice.title}",
                message=text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[user.email],
            )
        except Exception:  # noqa: BLE001 — the message stays in the box; the mail is logged
            log.exception("消息邮件发送失败：消息 %s", notice.pk)
            continue
        Notice.objects.filter(pk=notice.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


def notice_open(*, user: User, notice: Notice) -> Notice:
    if notice.user_id != user.pk:
        raise NotAllowed("只能查看自己的消息")
    if notice.read_at is None:
        notice.read_at = timezone.now()
        Notice.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=notice.read_at)
    return notice


def notices_read_all(*, user: User) -> int:
    return Notice.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


def notice_setting_set(*, user: User, email: bool) -> NoticeSetting:
    with transaction.atomic():
        setting, _ = NoticeSetting.objects.select_for_update().get_or_create(user=user)
        before = setting.email
        setting.email = email
        setting.save(update_fields=["email"])
        event_record(
            actor=user,
            action="notice.setting",
            obj=setting,
            before={"email": before},
            after={"email": email},
        )
    return setting


def notices_settle(*, kind: str, url: str) -> int:
    """The work a message announced is done (the draw was drawn or voided, the result was
    reviewed, the objection was reviewed): its unread messages to everyone are marked read,
    so the unread count keeps meaning "waiting for me". Call inside the change's transaction."""
    return Notice.objects.filter(kind=kind, url=url, read_at__isnull=True).update(
        read_at=timezone.now()
    )
