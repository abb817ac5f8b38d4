"""Letterheads and document numbers (文号) (issue 13 第 3 项)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shuangsuiji.documents.choices import DocumentKind


class Letterhead(models.Model):
    """How a department heads its documents: full name, the short name in its numbers
    (机关代字, e.g. 松建管), the office's address and telephone (never a person's mobile).
    A department without one issues in the name of the nearest department above that has
    one (a 科室 prints as its 委)."""

    department = models.OneToOneField(
        "accounts.Department",
        on_delete=models.CASCADE,
        related_name="letterhead",
        verbose_name=_("部门"),
    )
    full_name = models.CharField(_("发文机关全称"), max_length=100)
    short_name = models.CharField(_("机关代字"), max_length=20)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    postcode = models.CharField(_("邮政编码"), max_length=6, blank=True)
    telephone = models.CharField(_("联系电话"), max_length=40, blank=True)
    # 002 第三十条: 归档保存方式按照档案管理有关规定执行 — the department says how long.
    retention_years = models.PositiveSmallIntegerField(_("档案保管期限（年）"), default=30)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("文书抬头")
        verbose_name_plural = _("文书抬头")

    def __str__(self) -> str:
        return self.full_name


class NumberPattern(models.Model):
    """The form of a department's numbers for one kind of document, such as
    ``{代字}检通〔{年}〕第{号}号`` (docs/user-guide.md lists the placeholders)."""

    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.CASCADE,
        related_name="number_patterns",
        verbose_name=_("部门"),
    )
    kind = models.CharField(_("文书种类"), max_length=32, choices=DocumentKind.choices)
    pattern = models.CharField(_("文号格式"), max_length=60)

    class Meta:
        verbose_name = _("文号格式")
        verbose_name_plural = _("文号格式")
        constraints = [
            models.UniqueConstraint(fields=["department", "kind"], name="number_pattern_unique")
        ]

    def __str__(self) -> str:
        return f"{self.department} {self.get_kind_display()}：{self.pattern}"


class NumberCounter(models.Model):
    """The last number given in one series (department, kind, year). Issuing locks this row,
    so two people issuing at once get consecutive numbers, never the same one; the number
    and its document are written in one transaction, so a failure leaves no gap."""

    department = models.ForeignKey(
        "accounts.Department", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=DocumentKind.choices)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("文号计数")
        verbose_name_plural = _("文号计数")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "kind", "year"], name="number_counter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.department} {self.kind} {self.year}: {self.last}"


class IssuedDocument(models.Model):
    """A document given its number: once per object and kind — printing it again shows the
    same number and date."""

    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.PROTECT,
        related_name="issued_documents",
        verbose_name=_("部门"),
    )
    kind = models.CharField(_("文书种类"), max_length=32, choices=DocumentKind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    seq = models.PositiveIntegerField(_("序号"))
    number = models.CharField(_("文号"), max_length=80)
    issued_on = models.DateField(_("成文日期"))
    object_type = models.CharField(max_length=40, verbose_name=_("对象类型"))
    object_id = models.CharField(max_length=40, verbose_name=_("对象编号"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("签发人"),
    )
    created_at = models.DateTimeField(_("编号时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("已编号文书")
        verbose_name_plural = _("已编号文书")
        ordering = ["department", "kind", "year", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "kind", "year", "seq"], name="issued_document_seq_unique"
            ),
            models.UniqueConstraint(
                fields=["kind", "object_type", "object_id"], name="issued_document_object_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.number
