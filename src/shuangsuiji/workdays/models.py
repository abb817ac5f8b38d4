"""节假日安排: the State Council's yearly notices, as entered by a system admin.

The tables keep the names they had when the calendar lived in ``common`` (state-only
migrations moved the models here): an existing database upgrades without copying a row."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarDayKind(models.TextChoices):
    """The two kinds of day the State Council's yearly notice lists."""

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
    source = models.CharField(
        _("依据"),
        max_length=255,
        help_text=_("如：国务院办公厅关于2027年部分节假日安排的通知 国办发明电〔2026〕X号"),
    )
    complete = models.BooleanField(
        _("已完整录入"),
        default=False,
        help_text=_("勾选后该年度可用于计算工作日；未勾选的年度仅作为对内置数据的更正"),
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("录入时间"), null=True, blank=True)
    # Changed on every write (also through the admin): the per-process cache of
    # workdays/services.py compares it to know its copy is stale.
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        db_table = "common_calendaryear"  # created when the calendar lived in common
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}年节假日安排"


class CalendarDay(models.Model):
    """One date of a notice: a day off (法定节假日 or the weekend days around it) or a
    调休上班日 (a Saturday or Sunday worked in exchange)."""

    calendar_year = models.ForeignKey(
        CalendarYear, verbose_name=_("年度"), on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=CalendarDayKind.choices)
    name = models.CharField(_("名称"), max_length=64, blank=True, help_text=_("如：春节、国庆节"))

    class Meta:
        db_table = "common_calendarday"
        verbose_name = _("节假日/调休日")
        verbose_name_plural = _("节假日/调休日")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}".strip()

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.date and self.calendar_year_id and self.date.year != self.calendar_year.year:
            raise ValidationError({"date": _("日期不属于该年度")})
