from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportKind(models.TextChoices):
    MONTHLY = "monthly", _("月度随机抽查情况")  # 004 四：每月10日前报领导小组办公室
    ANNUAL = "annual", _("年度双随机工作报告")  # 000 四(三)：每年11月中旬报委执法监督科


# The free-text sections a department writes (the figures come from the rows).
REPORT_SECTIONS: dict[str, list[tuple[str, str]]] = {
    ReportKind.MONTHLY: [
        ("work", "本月随机抽查开展情况"),
        ("problems", "发现的主要问题及处理情况"),
        ("next", "下月工作安排"),
    ],
    ReportKind.ANNUAL: [
        ("work", "年度工作开展情况"),
        ("results", "抽查结果运用及后续监管"),
        ("problems", "存在的问题和困难"),
        ("next", "下一年度工作打算"),
    ],
}


class Report(models.Model):
    """One saved version of a department's monthly or annual report: the figures as they
    were when it was saved, and the text the department wrote. Saving again adds a version;
    no version is ever changed."""

    department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, related_name="reports"
    )
    kind = models.CharField(_("报告类型"), max_length=16, choices=ReportKind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"), null=True, blank=True)
    version = models.PositiveSmallIntegerField(_("版本"))
    sections = models.JSONField(_("文字部分"), default=dict)
    figures = models.JSONField(_("统计数字"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("保存时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("报告")
        verbose_name_plural = _("报告")
        ordering = ["-year", "-month", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "kind", "year", "month", "version"],
                name="report_version_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.department} {self.period} {self.get_kind_display()} 第{self.version}版"

    @property
    def period(self) -> str:
        return f"{self.year}年{self.month}月" if self.month else f"{self.year}年"


class ReportSetting(models.Model):
    """When a department's annual report is due (000 四(三): 11月中旬; default 15 November)."""

    department = models.OneToOneField(
        "accounts.Department",
        on_delete=models.CASCADE,
        related_name="report_setting",
        verbose_name=_("部门"),
    )
    annual_due_month = models.PositiveSmallIntegerField(_("年度报告截止月"), default=11)
    annual_due_day = models.PositiveSmallIntegerField(_("年度报告截止日"), default=15)

    class Meta:
        verbose_name = _("报告设置")
        verbose_name_plural = _("报告设置")

    def __str__(self) -> str:
        return f"{self.department}：年度报告{self.annual_due_month}月{self.annual_due_day}日前"


class KeptFigures(models.Model):
    """统计数字 kept between requests and processes (stats/cache.py): the figures of one set of
    filters and grouping, with the audit chain head they were counted at. A cache, not a
    record: any row may be deleted at any time (it is counted again)."""

    key = models.CharField(max_length=64, unique=True)
    day = models.DateField(_("基准日"), db_index=True)
    seq = models.BigIntegerField()
    chain_hash = models.CharField(max_length=64)
    figures = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("统计数字缓存")
        verbose_name_plural = _("统计数字缓存")

    def __str__(self) -> str:
        return f"{self.day} #{self.seq} {self.key[:12]}"
