"""双告知 (004 一): 行政审批 results pushed to the department that supervises them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shuangsuiji.common.models import TimeStampedModel
from shuangsuiji.licences.choices import NoticeSource, NoticeStatus

DEFAULT_ACK_WORKDAYS = 5


class LicenceSetting(TimeStampedModel):
    """A department's rule for 双告知: the working days it has to acknowledge a notice."""

    department = models.OneToOneField(
        "accounts.Department", on_delete=models.PROTECT, related_name="licence_setting"
    )
    ack_workdays = models.PositiveSmallIntegerField(
        _("反馈期限（工作日）"), default=DEFAULT_ACK_WORKDAYS
    )

    class Meta:
        verbose_name = _("双告知设置")
        verbose_name_plural = _("双告知设置")


class LicenceItemMap(models.Model):
    """审批事项 (as the approving office names it) → the department's 抽查事项."""

    department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, related_name="licence_maps"
    )
    licence_item = models.CharField(_("审批事项"), max_length=200)
    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("审批事项对应")
        verbose_name_plural = _("审批事项对应")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "licence_item"], name="licenceitemmap_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.licence_item} → {self.item_id}"


class LicenceNotice(TimeStampedModel):
    """One licence granted, as received (告知) — kept as received; the department's answer
    (反馈) is appended: accepted into the library, or returned with a reason."""

    department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, related_name="licence_notices"
    )
    licence_item = models.CharField(_("审批事项"), max_length=200)
    item = models.ForeignKey(
        "catalog.Item", on_delete=models.PROTECT, related_name="+", verbose_name=_("抽查事项")
    )
    licensee = models.CharField(_("被许可人名称"), max_length=200)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18)
    licence_no = models.CharField(_("许可证号（决定文号）"), max_length=100)
    licence_date = models.DateField(_("许可日期"))
    issuing_office = models.CharField(_("许可机关"), max_length=200)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    received_on = models.DateField(_("接收日期"))
    source = models.CharField(_("来源"), max_length=8, choices=NoticeSource.choices)
    status = models.CharField(
        _("状态"), max_length=16, choices=NoticeStatus.choices, default=NoticeStatus.PENDING
    )
    acted_on = models.DateField(_("反馈日期"), null=True, blank=True)
    acted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    return_reason = models.CharField(_("退回理由"), max_length=500, blank=True)
    entity = models.ForeignKey(
        "registry.Entity", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("双告知信息")
        verbose_name_plural = _("双告知信息")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "licence_no", "licence_item"], name="licencenotice_unique"
            )
        ]
        indexes = [
            models.Index(fields=["department", "status", "received_on"], name="licence_dsr_idx")
        ]
        ordering = ["-received_on", "-id"]

    def __str__(self) -> str:
        return f"{self.licensee} {self.licence_item}（{self.licence_no}）"
