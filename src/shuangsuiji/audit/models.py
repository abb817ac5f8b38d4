"""The audit trail (全程留痕、责任可溯 [002 第六条]): an append-only, hash-chained event log."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    """审计事件. ``hash`` covers a canonical serialisation of every other field and the
    previous event's hash, so altering, deleting or reordering any row breaks the chain
    (``ssj audit verify`` finds the first bad event)."""

    seq = models.BigIntegerField(_("序号"), unique=True)
    created_at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作人"),
    )
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    department = models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("部门"),
    )
    action = models.CharField(_("动作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象标识"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=255, blank=True)
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64, verbose_name=_("上一事件的哈希值"))
    hash = models.CharField(max_length=64, unique=True, verbose_name=_("哈希值"))

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_event_object_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_repr}"


class ChainHead(models.Model):
    """The single row that holds the chain's last seq and hash.

    Appending locks this row (``select_for_update``), so two transactions can never take
    the same seq or link to the same predecessor; it also lets verify notice a deleted tail.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")

    def __str__(self) -> str:
        return f"#{self.last_seq} {self.last_hash[:12]}"


class RecordChange(models.Model):
    """One record's field changes made by a bulk operation (an import).

    A bulk import writes one hash-chained ``Event`` (with counts and the digest of these
    rows) and one ``RecordChange`` per changed record, so each record's history stays
    complete without a million chained events.
    """

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="record_changes")
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    changes = models.JSONField(_("变更内容"))

    class Meta:
        verbose_name = _("记录变更")
        verbose_name_plural = _("记录变更")
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_change_object_idx")
        ]

    def __str__(self) -> str:
        return f"{self.object_type}#{self.object_id}"
