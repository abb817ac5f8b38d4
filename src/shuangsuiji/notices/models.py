from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class NoticeKind(models.TextChoices):
    DRAW_SEALED = "draw_sealed", _("摇号待见证")
    DISPATCHED = "dispatched", _("检查任务派发")
    SIGNED = "signed", _("检查结果待审核")
    OBJECTION = "objection", _("收到异议")
    DEADLINE = "deadline", _("期限将到")
    INVITED = "invited", _("联合抽查邀请")


class Notice(models.Model):
    """One message in one user's message box."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=NoticeKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    # Reminders sent by a daily run carry a key, so running twice does not send twice.
    dedupe_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notice_user_unread_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notice_once_per_key",
            )
        ]

    def __str__(self) -> str:
        return self.title


class NoticeSetting(models.Model):
    """A user's choice about email (站内消息 always arrive)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_setting"
    )
    email = models.BooleanField(_("同时发送邮件"), default=True)

    class Meta:
        verbose_name = _("消息设置")
        verbose_name_plural = _("消息设置")

    def __str__(self) -> str:
        return f"{self.user}：{'发送邮件' if self.email else '只在站内显示'}"
