"""检查 (visits). Issue 3 creates them at dispatch; issue 4 adds findings and conclusions.

进一次门、查多项事 [001 三(四), 002 第十九条]: when one target is drawn by several
dispatched tasks whose execution windows overlap, one visit carries all of them (their
items and teams). The visit is keyed by the manifest target id (统一社会信用代码), so the
same company kept in two departments' libraries is still visited once.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from shuangsuiji.common.models import TimeStampedModel
from shuangsuiji.inspection.choices import VisitStatus


class Visit(TimeStampedModel):
    """一次检查: one target, one period, one or more tasks.

    The window is the overlap of the merged tasks' windows (the visit must suit all of
    them). ``lead_task`` is the first task dispatched to it: its department leads and its
    team's 组长 leads the visit (``VisitMember.is_leader``)."""

    entity = models.ForeignKey("registry.Entity", on_delete=models.PROTECT, related_name="visits",
                               verbose_name=_("检查对象"))
    target_id = models.CharField(_("对象标识"), max_length=64, db_index=True)
    window_start = models.DateField(_("检查开始"))
    window_end = models.DateField(_("检查结束"))
    lead_task = models.ForeignKey("planning.Task", on_delete=models.PROTECT, related_name="led_visits",
                                  verbose_name=_("牵头任务"))
    tasks = models.ManyToManyField("planning.Task", through="VisitTask", related_name="visits",
                                   verbose_name=_("合并的任务"))
    status = models.CharField(_("状态"), max_length=16, choices=VisitStatus.choices, default=VisitStatus.PENDING)

    class Meta:
        verbose_name = _("检查")
        verbose_name_plural = _("检查")
        ordering = ["window_start", "target_id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(window_end__gte=models.F("window_start")),
                                   name="visit_window_order",
                                   violation_error_message=_("检查结束日期不能早于开始日期")),
        ]

    def __str__(self) -> str:
        return f"{self.target_id} {self.window_start}–{self.window_end}"


class VisitTask(models.Model):
    """A task carried by a visit, with the draw selection that put the target in it."""

    # Indexed by ``visittask_unique`` (visit, task): a second index on visit alone would
    # only slow down dispatch, which inserts one row per drawn target.
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="visit_tasks", db_index=False)
    task = models.ForeignKey("planning.Task", on_delete=models.PROTECT, related_name="visit_tasks")
    selection = models.ForeignKey("draw.Selection", on_delete=models.PROTECT, related_name="visit_tasks",
                                  verbose_name=_("抽中记录"))
    joined_at = models.DateTimeField(_("并入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("检查所含任务")
        verbose_name_plural = _("检查所含任务")
        ordering = ["visit", "id"]
        constraints = [models.UniqueConstraint(fields=["visit", "task"], name="visittask_unique",
                                               violation_error_message=_("该任务已并入此次检查"))]

    def __str__(self) -> str:
        return f"{self.visit} · {self.task.code}"


class VisitMember(models.Model):
    """检查组成员 of a visit: the teams of all merged tasks; one 组长 (is_leader)."""

    # Indexed by ``visitmember_unique`` (visit, inspector), as for VisitTask.visit.
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="members", db_index=False)
    inspector = models.ForeignKey("registry.Inspector", on_delete=models.PROTECT, related_name="visit_memberships")
    task = models.ForeignKey("planning.Task", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("所属任务检查组"))
    assignment = models.ForeignKey("draw.Assignment", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    is_leader = models.BooleanField(_("组长"), default=False)

    class Meta:
        verbose_name = _("检查组成员")
        verbose_name_plural = _("检查组成员")
        ordering = ["visit", "-is_leader", "id"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "inspector"], name="visitmember_unique",
                                    violation_error_message=_("该人员已在此次检查组中")),
            models.UniqueConstraint(fields=["visit"], condition=models.Q(is_leader=True),
                                    name="visitmember_one_leader",
                                    violation_error_message=_("一次检查只能有一名组长")),
        ]

    def __str__(self) -> str:
        return f"{self.visit} · {self.inspector}"
