"""抽查事项清单 [001 三(一), 002 第八条, 003 附件2 一].

The list changes with the law (立改废释): an ``Item`` is the stable identity (code within a
department), every change makes a new ``ItemVersion`` with its reason and effective date.
Versions are never edited; the list is public.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shuangsuiji.catalog.choices import ChangeKind, InspectionMethod, ItemCategory
from shuangsuiji.common.models import TimeStampedModel


class Item(TimeStampedModel):
    """抽查事项 — identity only; the content lives in its versions."""

    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("所属部门"),
        on_delete=models.PROTECT,
        related_name="items",
    )
    code = models.CharField(_("事项编码"), max_length=64)
    current = models.OneToOneField(
        "ItemVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("现行版本"),
    )
    copied_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="copies",
        verbose_name=_("引用自上级事项"),
    )
    is_repealed = models.BooleanField(_("已废止"), default=False)

    class Meta:
        verbose_name = _("抽查事项")
        verbose_name_plural = _("抽查事项清单")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "code"],
                name="item_unique_code",
                violation_error_message=_("本部门清单中已有此事项编码"),
            ),
        ]
        ordering = ["department__code", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.current.name if self.current_id else ''}".strip()


class ItemVersion(models.Model):
    """事项的一个版本. All fields of domain.md; immutable once written."""

    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, related_name="versions", verbose_name=_("抽查事项")
    )
    number = models.PositiveIntegerField(_("版本号"))
    name = models.CharField(_("事项名称"), max_length=200)
    category = models.CharField(
        _("事项类别"), max_length=16, choices=ItemCategory.choices, default=ItemCategory.GENERAL
    )
    field = models.CharField(_("抽查领域"), max_length=100, blank=True)
    target_type = models.CharField(_("检查对象"), max_length=200)
    content = models.TextField(_("检查内容"), blank=True)
    methods = models.JSONField(_("检查方式"), default=list)
    basis = models.TextField(_("检查依据"), blank=True)
    subject = models.CharField(_("检查主体"), max_length=100, blank=True)
    responsible_unit = models.CharField(_("责任单位"), max_length=100, blank=True)
    level = models.CharField(_("实施层级"), max_length=100, blank=True)
    default_ratio = models.DecimalField(
        _("默认抽查比例(%)"), max_digits=6, decimal_places=3, null=True, blank=True
    )
    default_frequency = models.CharField(_("抽查频次"), max_length=100, blank=True)
    checklist = models.JSONField(_("检查表单"), default=list, help_text=_("检查要点，每项一行"))
    # 对无法进行双随机抽查的事项提出充分的理由 [003 附件2 一].
    random_exempt = models.BooleanField(_("不适用随机抽查"), default=False)
    exempt_reason = models.TextField(_("不适用随机抽查的理由"), blank=True)
    change_kind = models.CharField(
        _("变更类型"), max_length=16, choices=ChangeKind.choices, default=ChangeKind.CREATE
    )
    change_reason = models.TextField(_("变更理由"))
    effective_date = models.DateField(_("生效日期"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("创建人"),
    )
    row_digest = models.CharField(max_length=32, blank=True, verbose_name=_("导入行摘要"))

    class Meta:
        verbose_name = _("事项版本")
        verbose_name_plural = _("事项版本")
        constraints = [
            models.UniqueConstraint(
                fields=["item", "number"],
                name="itemversion_unique_number",
                violation_error_message=_("版本号重复"),
            ),
            models.CheckConstraint(
                condition=~models.Q(random_exempt=True, exempt_reason=""),
                name="itemversion_exempt_needs_reason",
                violation_error_message=_("不适用随机抽查的事项必须写明理由"),
            ),
        ]
        ordering = ["item", "-number"]

    def __str__(self) -> str:
        return f"{self.name}（第{self.number}版）"

    def get_methods_display(self) -> str:
        labels = dict(InspectionMethod.choices)
        return "、".join(str(labels.get(m, m)) for m in self.methods)


class CapMode(models.TextChoices):
    YEARLY = "yearly", _("每年上限")
    MONTHLY = "monthly", _("每月上限（如每月巡查）")
    OFF = "off", _("不设上限（如日常巡查）")


class SupervisionRule(models.Model):
    """A department's rules for its 抽查 (issue 14 第 2 项), for all its items (``item`` empty)
    or for one item, in force from ``effective_from``; a change is a new row, the old ones
    stay (and the audit log has each): the draw and the plan warnings read the row in force
    on their day. An empty field falls back to the department-wide row, then to the
    defaults (002 第十四条: 一年内被抽中不超过2次; 003 第九条: 不低于5%、每年不少于2次)."""

    department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, related_name="supervision_rules"
    )
    item = models.ForeignKey(
        Item, null=True, blank=True, on_delete=models.PROTECT, related_name="rules"
    )
    effective_from = models.DateField(_("生效日期"))
    cap_mode = models.CharField(
        _("被抽中次数上限"), max_length=8, choices=CapMode.choices, blank=True
    )
    cap = models.PositiveSmallIntegerField(_("每期被抽中不超过（次）"), null=True, blank=True)
    min_ratio = models.DecimalField(
        _("最低抽查比例(%)"), max_digits=6, decimal_places=3, null=True, blank=True
    )
    min_rounds = models.PositiveSmallIntegerField(_("每年最少抽查轮次"), null=True, blank=True)
    # 结果公示时限 (000 三(六): 20个工作日; 003 附件3 第十一条: 10个工作日), frozen on each
    # result when it is formed (``Result.publish_workdays``).
    publish_workdays = models.PositiveSmallIntegerField(
        _("结果公示时限（工作日）"), null=True, blank=True
    )
    note = models.CharField(_("依据或说明"), max_length=500, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    set_at = models.DateTimeField(_("设置时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("抽查规则")
        verbose_name_plural = _("抽查规则")
        ordering = ["department", "item", "-effective_from", "-id"]
        indexes = [
            models.Index(fields=["department", "item", "effective_from"], name="rule_dept_item_idx")
        ]

    def __str__(self) -> str:
        return f"{self.department_id}/{self.item_id or '全部'} 自{self.effective_from}"
