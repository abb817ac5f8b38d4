"""Abstract base models shared by the apps."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shuangsuiji.common.choices import ImportJobStatus, ImportKind


class TimeStampedModel(models.Model):
    """A row that knows when it was created and last changed."""

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class ImportJob(models.Model):
    """导入任务: one run of an import uploaded through the web — a preview (预检, dry run)
    or the commit that follows it (``parent`` is the preview it confirms).

    Large files run in a background thread of the web process; the page polls the job.
    A job left ``running`` by a restart is marked failed when next looked at: its
    transaction died with the process, so the database was rolled back.
    """

    kind = models.CharField(_("名录"), max_length=16, choices=ImportKind.choices)
    department = models.ForeignKey("accounts.Department", verbose_name=_("部门"), on_delete=models.PROTECT,
                                   related_name="import_jobs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT,
                                   related_name="import_jobs")
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=ImportJobStatus.choices, default=ImportJobStatus.PENDING)
    dry_run = models.BooleanField(_("仅预检"), default=True)
    skip_invalid = models.BooleanField(_("跳过错误行"), default=False)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="commits",
                               verbose_name=_("所确认的预检"))
    file_name = models.CharField(_("文件名"), max_length=255)
    file_path = models.CharField(max_length=500, blank=True)
    file_size = models.BigIntegerField(_("文件大小"), default=0)
    file_sha256 = models.CharField(_("文件SHA-256"), max_length=64)
    progress_done = models.BigIntegerField(_("已处理行数"), default=0)
    progress_total = models.BigIntegerField(_("总行数"), null=True, blank=True)
    result = models.JSONField(_("结果"), null=True, blank=True)
    message = models.TextField(_("说明"), blank=True)
    error_report_path = models.CharField(max_length=500, blank=True)
    runner_pid = models.IntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="importjob_user_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.file_name} · {self.get_status_display()}"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportJobStatus.SUCCEEDED, ImportJobStatus.FAILED)


class CalendarDayKind(models.TextChoices):
    """The two kinds of day the State Council's yearly notice lists (kept here, next to its
    only model, rather than in choices.py, which another module owns)."""

    HOLIDAY = "holiday", _("法定节假日/休息日")
    WORKDAY = "workday", _("调休上班日")


class CalendarYear(models.Model):
    """节假日安排: one year of the State Council's notice (国务院办公厅关于××年部分节假日安排的通知),
    entered by a system admin.

    chinesecalendar carries the official arrangement only up to the year its release was
    cut; a year beyond it must be entered here before any deadline in it can be computed.
    A year counts as known when chinesecalendar covers it or a ``complete`` row exists;
    its ``CalendarDay`` rows win over chinesecalendar for their dates (corrections).
    """

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(_("依据"), max_length=255,
                              help_text=_("如：国务院办公厅关于2027年部分节假日安排的通知 国办发明电〔2026〕X号"))
    complete = models.BooleanField(_("已完整录入"), default=False,
                                   help_text=_("勾选后该年度可用于计算工作日；未勾选的年度仅作为对内置数据的更正"))
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("录入人"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    entered_at = models.DateTimeField(_("录入时间"), null=True, blank=True)
    # Changed on every write (also through the admin): the per-process cache of
    # common/workdays.py compares it to know its copy is stale.
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}年节假日安排"


class CalendarDay(models.Model):
    """One date of a notice: a day off (法定节假日 or the weekend days around it) or a
    调休上班日 (a Saturday or Sunday worked in exchange)."""

    calendar_year = models.ForeignKey(CalendarYear, verbose_name=_("年度"), on_delete=models.CASCADE,
                                      related_name="days")
    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=CalendarDayKind.choices)
    name = models.CharField(_("名称"), max_length=64, blank=True, help_text=_("如：春节、国庆节"))

    class Meta:
        verbose_name = _("节假日/调休日")
        verbose_name_plural = _("节假日/调休日")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}".strip()

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.date and self.calendar_year_id and self.date.year != self.calendar_year.year:
            raise ValidationError({"date": _("日期不属于该年度")})
