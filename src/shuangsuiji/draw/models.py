"""The draw (摇号) records. The computation itself is ``draw/protocol/`` (pure).

A *primary* draw (``source`` empty) draws the task's targets and their teams; it moves the
task through 封存 → 摇号 → 确认锁定 → 派发. A *remedy* draw (``source`` set, always
match-only) staffs targets its source draw left unstaffed, from a wider inspector pool; it
has its own ceremony and leaves the task's state alone.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shuangsuiji.draw.choices import (
    AssignmentSource,
    DrawKind,
    DrawState,
    SelectionRemedy,
    SubstitutionStatus,
)


class Draw(models.Model):
    """一次摇号. The manifest is frozen at commit (its SHA-256 ``C`` published); the seed
    comes only after; the result is a pure function of both. Void draws stay public.

    ``manifest_path`` is relative to ``settings.VAR_DIR`` (``draws/<task>/<n>/manifest``);
    beside it ``ids.tsv`` maps manifest ids to database rows (internal, not published)."""

    task = models.ForeignKey("planning.Task", on_delete=models.PROTECT, related_name="draws")
    number = models.PositiveIntegerField(_("第几次摇号"))
    kind = models.CharField(
        _("类型"), max_length=16, choices=DrawKind.choices, default=DrawKind.FULL
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=DrawState.choices, default=DrawState.COMMITTED
    )
    source = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="remedies",
        verbose_name=_("补充匹配的原摇号"),
    )
    # 部门联合抽查 (issue 14 第 1 项): a match-only draw of this partner's inspectors over the
    # targets its ``source`` (the lead department's draw) selected — one per partner, so
    # every team has the partner's inspector and keeps the lead's 组长.
    partner = models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("配合部门（人员匹配）"),
    )
    manifest_path = models.CharField(_("名单文件"), max_length=255)
    manifest_sha256 = models.CharField(_("名单摘要 C"), max_length=64)
    manifest_lines = models.PositiveIntegerField(default=0)
    manifest_size = models.BigIntegerField(_("名单文件字节数"), default=0)
    excluded = models.JSONField(_("排除名单"), default=list)
    # Where the inspector pool came from (departments with why, experts, category), as
    # draw.pool.inspector_scope describes it; public beside C. A remedy draw "with a
    # wider pool" says here which departments it added [002 第二十条]. Empty when the
    # caller supplied the pool itself.
    inspector_scope = models.JSONField(_("执法检查人员范围"), default=dict, blank=True)
    committed_at = models.DateTimeField(_("封存时间"))
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    seed_text = models.TextField(_("种子文本"), blank=True)
    seed_sources = models.TextField(_("种子来源"), blank=True)
    witnesses = models.CharField(_("见证人"), max_length=255, blank=True)
    seeded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("种子录入人"),
    )
    key_hex = models.CharField(_("密钥 K"), max_length=64, blank=True)
    result_text = models.TextField(_("结果文本"), blank=True)
    drawn_at = models.DateTimeField(_("摇号时间"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dispatched_at = models.DateTimeField(_("派发时间"), null=True, blank=True)
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    void_reason = models.TextField(_("作废理由"), blank=True)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replaces = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("取代的摇号"),
    )

    class Meta:
        verbose_name = _("摇号")
        verbose_name_plural = _("摇号")
        ordering = ["task", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "number"],
                name="draw_unique_number",
                violation_error_message=_("摇号序号重复"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.task.code} 第{self.number}次摇号"

    @property
    def is_remedy(self) -> bool:
        """补充匹配 of the ``source`` draw's unstaffed targets."""
        return self.source_id is not None and self.partner_id is None

    @property
    def is_partner_match(self) -> bool:
        """A partner department's match over the lead draw's targets (联合抽查)."""
        return self.partner_id is not None

    @property
    def is_secondary(self) -> bool:
        """Remedy or partner match: a match-only draw that belongs to its ``source``."""
        return self.source_id is not None


class Selection(models.Model):
    """A target the draw selected, in selection order.

    ``unstaffed`` is the draw's own outcome and never changes; ``remedy`` says how the
    target was staffed afterwards: by a remedy match draw (``matched_by`` is the selection
    in that draw whose team counts) or by 直接委派 (assignments with source ``direct``)."""

    # No index of its own: ``selection_unique_entity`` (draw, entity) serves every lookup
    # by draw, and one index less makes persisting 50,000 selections cheaper.
    draw = models.ForeignKey(
        Draw, on_delete=models.CASCADE, related_name="selections", db_index=False
    )
    rank = models.PositiveIntegerField(_("顺序"))
    entity = models.ForeignKey(
        "registry.Entity", on_delete=models.PROTECT, related_name="selections"
    )
    target_id = models.CharField(_("对象标识"), max_length=64)
    stratum = models.CharField(_("层"), max_length=64)
    score = models.CharField(max_length=64)
    unstaffed = models.BooleanField(_("未配齐人员"), default=False)
    remedy = models.CharField(
        _("补救方式"),
        max_length=16,
        choices=SelectionRemedy.choices,
        blank=True,
        default=SelectionRemedy.NONE,
    )
    matched_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("补充匹配结果"),
        db_index=False,
    )  # partial index below

    class Meta:
        verbose_name = _("抽中对象")
        verbose_name_plural = _("抽中对象")
        ordering = ["draw", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["draw", "entity"],
                name="selection_unique_entity",
                violation_error_message=_("同一对象在一次摇号中只能抽中一次"),
            )
        ]
        # Only remedied targets have ``matched_by``: a partial index stays tiny and costs
        # nothing when a draw's selections are inserted (lookups are ``= pk``).
        indexes = [
            models.Index(
                fields=["matched_by"],
                condition=models.Q(matched_by__isnull=False),
                name="selection_matched_by_idx",
            )
        ]

    def __str__(self) -> str:
        return self.target_id


class Assignment(models.Model):
    """A team member for one selected target; the first active member is the 组长.

    Replaced members stay (``active`` false, with the reason and approver) [002 第二十二条];
    a 直接委派 member has source ``direct`` and its reason in ``note``: shown as not random."""

    selection = models.ForeignKey(Selection, on_delete=models.CASCADE, related_name="assignments")
    inspector = models.ForeignKey(
        "registry.Inspector", on_delete=models.PROTECT, related_name="assignments"
    )
    position = models.PositiveSmallIntegerField(_("序位"))
    source = models.CharField(
        _("来源"), max_length=16, choices=AssignmentSource.choices, default=AssignmentSource.RANDOM
    )
    active = models.BooleanField(default=True)
    note = models.TextField(_("说明"), blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )  # partial index below
    replaced_reason = models.TextField(_("更换理由"), blank=True)
    replaced_at = models.DateTimeField(_("更换时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )  # partial index below

    class Meta:
        verbose_name = _("检查组成员")
        verbose_name_plural = _("检查组成员")
        ordering = ["selection", "position"]
        # Randomly drawn members (100,000 per large draw) have neither field set: partial
        # indexes keep the lookups a user's deletion needs (PROTECT) without costing the
        # bulk insert of a draw's teams anything.
        indexes = [
            models.Index(
                fields=["assigned_by"],
                condition=models.Q(assigned_by__isnull=False),
                name="assignment_assigned_by_idx",
            ),
            models.Index(
                fields=["approved_by"],
                condition=models.Q(approved_by__isnull=False),
                name="assignment_approved_by_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.selection} · {self.inspector}"


class Substitution(models.Model):
    """更换: a drawn inspector replaced for a recorded reason, with approval [002 第二十二条].

    Approved substitutions are replayed in ``seq`` order (draw-protocol §4) and published
    as ``substitute <target> <out> <in>`` lines after the draw's result text."""

    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="substitutions")
    selection = models.ForeignKey(Selection, on_delete=models.PROTECT, related_name="substitutions")
    out_assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="+", verbose_name=_("被更换人员")
    )
    in_assignment = models.ForeignKey(
        Assignment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("替补人员"),
    )
    seq = models.PositiveIntegerField(_("更换顺序"), null=True, blank=True)
    line = models.CharField(_("公开行"), max_length=255, blank=True)
    reason = models.TextField(_("更换理由"))
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=SubstitutionStatus.choices,
        default=SubstitutionStatus.PENDING,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("申请人"),
    )
    requested_at = models.DateTimeField(_("申请时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("审批人"),
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("人员更换")
        verbose_name_plural = _("人员更换")
        ordering = ["draw", "seq", "requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["draw", "seq"],
                name="substitution_unique_seq",
                violation_error_message=_("更换顺序重复"),
            ),
            models.UniqueConstraint(
                fields=["out_assignment"],
                condition=models.Q(status="pending"),
                name="substitution_one_pending",
                violation_error_message=_("该人员已有待审批的更换申请"),
            ),
        ]

    def __str__(self) -> str:
        return self.line or f"更换 {self.selection.target_id}"


class YearlyDrawCount(models.Model):
    """How many confirmed draws picked this target in one calendar year.

    原则上同一生产经营单位在一年内被抽中不超过2次 (指引第十四条). Confirmation locks these
    rows (``select_for_update``) so two operators confirming at once cannot both push an
    entity past the cap. Keyed by the manifest target id (统一社会信用代码) so one company
    kept in several departments' libraries counts once. Dispatch locks the same rows to
    merge visits (进一次门、查多项事) without a race."""

    target_id = models.CharField(max_length=64)
    year = models.PositiveSmallIntegerField()
    # 0: the whole year (002 第十四条's cap); 1–12: one month, for items whose rule caps per
    # month (catalog CapMode.MONTHLY, 004 四's 每月巡查). Each count is its own row.
    month = models.PositiveSmallIntegerField(default=0)
    count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("抽中次数")
        verbose_name_plural = _("抽中次数")
        constraints = [
            models.UniqueConstraint(
                fields=["target_id", "year", "month"],
                name="yearlydrawcount_unique",
                violation_error_message=_("重复的年度计数"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.target_id} {self.year}{f'-{self.month:02d}' if self.month else ''}: {self.count}"


class WitnessPresence(models.Model):
    """A 纪检监督员 confirmed with his own login that he is present at this draw (issue 12 第 6
    项). The draw's witness list is these accounts, then names typed by someone else, marked
    （代录）."""

    draw = models.ForeignKey(Draw, on_delete=models.CASCADE, related_name="witness_presences")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(_("确认时间"))

    class Meta:
        verbose_name = _("见证确认")
        verbose_name_plural = _("见证确认")
        constraints = [
            models.UniqueConstraint(fields=["draw", "user"], name="witness_once_per_draw")
        ]

    def __str__(self) -> str:
        return f"{self.user} 见证 {self.draw}"
