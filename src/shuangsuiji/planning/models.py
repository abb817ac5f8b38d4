"""年度抽查计划 and 抽查任务 [000 附件, 004 四, 002 第十二–十七条]."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shuangsuiji.common.models import TimeStampedModel
from shuangsuiji.planning.choices import ClassMode, PlanStatus, TaskKind, TaskStatus


class Plan(TimeStampedModel):
    """年度抽查计划: per department and year; drafted in Q1, filed and published."""

    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.PROTECT,
        related_name="plans",
        verbose_name=_("部门"),
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("标题"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    filed_to = models.CharField(_("备案机关"), max_length=200, blank=True)
    filed_at = models.DateTimeField(_("备案时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("公开时间"), null=True, blank=True)
    # 动态调整 (002 第十二条): the version being drafted, filed or published; earlier ones
    # are kept as ``PlanVersion`` snapshots, public where they were published.
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    adjust_reason = models.TextField(_("调整理由"), blank=True)

    class Meta:
        verbose_name = _("年度抽查计划")
        verbose_name_plural = _("年度抽查计划")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "year"],
                name="plan_unique_year",
                violation_error_message=_("该部门本年度已有抽查计划"),
            )
        ]
        ordering = ["-year", "department__code"]

    def __str__(self) -> str:
        return self.title


class PlanRow(models.Model):
    """计划表的一行：序号 抽查领域 检查对象 抽查事项 抽查时间 抽查比例 预估抽查数 牵头单位 配合单位 层级."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="rows")
    seq = models.PositiveIntegerField(_("序号"))
    field = models.CharField(_("抽查领域"), max_length=200, blank=True)
    target_desc = models.CharField(_("检查对象"), max_length=300)
    items = models.ManyToManyField(
        "catalog.Item", blank=True, related_name="plan_rows", verbose_name=_("抽查事项")
    )
    items_text = models.TextField(_("抽查事项（原文）"), blank=True)
    schedule_text = models.CharField(_("抽查时间"), max_length=200, blank=True)
    months = models.JSONField(
        _("抽查月份"), default=list, help_text=_("由“抽查时间”解析出的月份 1–12")
    )
    rounds = models.PositiveSmallIntegerField(_("年度轮次"), null=True, blank=True)
    # 计划完成时间 [004 四] ("5月底前"): when the round must be finished — a deadline tracked
    # in 期限督办, not a month of inspection. ``due_date`` is read from it (or from a
    # 抽查时间 that is a deadline) in the plan's year.
    due_text = models.CharField(_("计划完成时间"), max_length=100, blank=True)
    due_date = models.DateField(_("完成期限"), null=True, blank=True)
    ratio = models.DecimalField(
        _("抽查比例(%)"), max_digits=6, decimal_places=3, null=True, blank=True
    )
    estimated_count = models.PositiveIntegerField(_("预估抽查数"), null=True, blank=True)
    lead_unit = models.CharField(_("牵头单位"), max_length=200, blank=True)
    partner_units = models.CharField(_("配合单位"), max_length=300, blank=True)
    level = models.CharField(_("层级"), max_length=200, blank=True)
    # 闵行的计划表 [004 四] 列出每次抽查的负责人，而不是配合单位。
    person_in_charge = models.CharField(_("负责人"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("计划事项")
        verbose_name_plural = _("计划事项")
        ordering = ["plan", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "seq"],
                name="planrow_unique_seq",
                violation_error_message=_("序号重复"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.seq}. {self.target_desc}"


class Task(TimeStampedModel):
    """抽查任务: from a plan row or ad hoc (临时性抽查, published the same way [002 第十四条])."""

    code = models.CharField(_("任务编号"), max_length=64, unique=True)
    title = models.CharField(_("任务名称"), max_length=200)
    kind = models.CharField(
        _("任务类型"), max_length=16, choices=TaskKind.choices, default=TaskKind.PLANNED
    )
    # 临时性抽查须说明事由（投诉举报、上级交办…），并参照年度计划任务执行、公示 [002 第十四条].
    description = models.TextField(_("任务说明"), blank=True)
    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.PROTECT,
        related_name="tasks",
        verbose_name=_("牵头部门"),
    )
    partners = models.ManyToManyField(
        "accounts.Department", blank=True, related_name="partner_tasks", verbose_name=_("配合部门")
    )
    plan_row = models.ForeignKey(
        PlanRow,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
        verbose_name=_("计划事项"),
    )
    items = models.ManyToManyField("catalog.Item", related_name="tasks", verbose_name=_("抽查事项"))
    window_start = models.DateField(_("执行开始"))
    window_end = models.DateField(_("执行结束"))
    # 每个检查对象不少于2名执法检查人员 (指引第二十条); 0 is never allowed for a task.
    team_size = models.PositiveSmallIntegerField(_("每组人数"), default=2)
    inspector_capacity = models.PositiveIntegerField(_("每人最多检查对象数"), default=10)
    exclude_recent_days = models.PositiveIntegerField(_("排除近N天已检查"), null=True, blank=True)
    # 特殊事项需要专家参与的，可从专家库中随机选取 [002 第二十条]; off by default.
    include_experts = models.BooleanField(_("专家库人员参与匹配"), default=False)
    inspector_category = models.CharField(
        _("执法类别"),
        max_length=100,
        blank=True,
        help_text=_("只匹配执法类别包含此文字的人员；留空不限"),
    )
    include_neighbour_inspectors = models.BooleanField(_("与相邻区域人员合并匹配"), default=False)
    neighbour_departments = models.ManyToManyField(
        "accounts.Department", blank=True, related_name="+", verbose_name=_("相邻区域部门")
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("抽查任务")
        verbose_name_plural = _("抽查任务")
        ordering = ["-window_start", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_end__gte=models.F("window_start")),
                name="task_window_order",
                violation_error_message=_("执行结束日期不能早于开始日期"),
            ),
            # 指引第二十条 (不少于2名) is checked by the services with the partners counted: a
            # joint task's lead team may be 1, each partner adding one (issue 14 第 1 项).
            models.CheckConstraint(
                condition=models.Q(team_size__gte=1),
                name="task_team_at_least_one",
                violation_error_message=_("每组至少1名执法检查人员"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class TargetClass(models.Model):
    """一类检查对象，按自己的比例或数量抽取 [002 第十七条: 多类检查对象按不同比例分别设置、逐项抽取、合并下达].

    With ``risk_ratios`` set, the class is drawn per credit-risk class (strata ``<code>.A`` …),
    each with its own ratio [001 三(六), 002 第十四条]."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="classes")
    code = models.CharField(_("类别代码"), max_length=32)
    name = models.CharField(_("类别名称"), max_length=100)
    mode = models.CharField(
        _("抽取方式"), max_length=16, choices=ClassMode.choices, default=ClassMode.UNDIRECTED
    )
    sublibrary = models.ForeignKey(
        "registry.Tag",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("子库"),
    )
    filters = models.JSONField(_("定向条件"), default=dict, blank=True)
    ratio = models.DecimalField(
        _("抽查比例(%)"), max_digits=6, decimal_places=3, null=True, blank=True
    )
    count = models.PositiveIntegerField(_("抽查数量"), null=True, blank=True)
    risk_ratios = models.JSONField(_("分风险等级比例(%)"), default=dict, blank=True)

    class Meta:
        verbose_name = _("检查对象类别")
        verbose_name_plural = _("检查对象类别")
        constraints = [
            models.UniqueConstraint(
                fields=["task", "code"],
                name="targetclass_unique_code",
                violation_error_message=_("类别代码重复"),
            )
        ]

    def __str__(self) -> str:
        return self.name


class PartnerResponse(models.Model):
    """A partner department's answer to a joint task (部门联合抽查, 000 三(五)、四(二)): it
    takes part with its own items and inspectors, or declines with its reason. The lead
    cannot seal the draw until every partner has taken part (issue 14 第 1 项)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="partner_responses")
    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("配合部门"),
    )
    accepted = models.BooleanField(_("参加"))
    items = models.ManyToManyField(
        "catalog.Item", blank=True, related_name="+", verbose_name=_("本部门负责的抽查事项")
    )
    inspector_category = models.CharField(
        _("参加的执法人员（执法类别包含）"), max_length=100, blank=True
    )
    reason = models.TextField(_("不参加的理由"), blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    responded_at = models.DateTimeField(_("答复时间"), auto_now=True)

    class Meta:
        verbose_name = _("配合部门答复")
        verbose_name_plural = _("配合部门答复")
        constraints = [
            models.UniqueConstraint(fields=["task", "department"], name="partnerresponse_unique")
        ]

    def __str__(self) -> str:
        return f"{self.task_id} {self.department_id} {'参加' if self.accepted else '不参加'}"


class PlanVersion(models.Model):
    """An earlier version of a filed or published plan, kept as it was when it was adjusted
    (002 第十二条: 根据工作实际进行动态调整 … 备案，并向社会公开): the public sees every
    version it was shown, the new one says why it changed."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField(_("版本"))
    title = models.CharField(_("标题"), max_length=200)
    rows = models.JSONField(_("计划事项"), default=list)
    adjust_reason = models.TextField(_("本版的调整理由"), blank=True)
    filed_to = models.CharField(_("备案机关"), max_length=200, blank=True)
    filed_at = models.DateTimeField(_("备案时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("公开时间"), null=True, blank=True)
    replaced_at = models.DateTimeField(_("被调整时间"), auto_now_add=True)
    replaced_reason = models.TextField(_("调整理由"))

    class Meta:
        verbose_name = _("年度抽查计划历次版本")
        verbose_name_plural = _("年度抽查计划历次版本")
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="planversion_unique")
        ]
        ordering = ["plan", "-number"]

    def __str__(self) -> str:
        return f"{self.title}（第{self.number}版）"
