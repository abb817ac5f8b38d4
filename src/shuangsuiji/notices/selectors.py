from __future__ import annotations

from django.db.models import QuerySet

from shuangsuiji.accounts.models import User
from shuangsuiji.common.errors import NotFound
from shuangsuiji.notices.models import Notice, NoticeSetting


def notices_for(*, user: User, unread: bool = False) -> QuerySet[Notice]:
    qs = Notice.objects.filter(user=user)
    return qs.filter(read_at__isnull=True) if unread else qs


def notice_get(*, user: User, pk: int) -> Notice:
    notice = Notice.objects.filter(user=user, pk=pk).first()
    if notice is None:
        raise NotFound("没有这条消息")
    return notice


def unread_count(*, user: User) -> int:
    return Notice.objects.filter(user=user, read_at__isnull=True).count()


def email_wanted(*, user: User) -> bool:
    setting = NoticeSetting.objects.filter(user=user).first()
    return True if setting is None else setting.email
