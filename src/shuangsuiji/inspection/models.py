"""检查 (visits). Issue 3 creates them at dispatch; issue 4 adds findings and conclusions.

进一次门、查多项事 [001 三(四), 002 第十九条]: when one target is drawn by several
dispatched tasks whose execution windows overlap, one visit carries all of them (their
items and teams). The visit is keyed by the manifest target id (统一社会信用代码), so the
same company kept in two departments' libraries is still visited once.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shuangsuiji.common.models import TimeStampedModel
from shuangsuiji.inspection.choices import (
    Conclusion,
    EvidenceKind,
    FindingOutcome,
    FollowUpKind,
    FollowUpStatus,
    NonCooperation,
    VersionKind,
    VersionStatus,
    VisitStatus,
)


class Visit(TimeStampedModel):
    """一次检查: one target, one period, one or more tasks.

    The window is the overlap of the merged tasks' windows (the visit must suit all of
    them). ``lead_task`` is the first task dispatched to it: its department leads and its
    team's 组长 leads the visit (``VisitMember.is_leader``)."""

    entity = models.ForeignKey(
        "registry.Entity",
        on_delete=models.PROTECT,
        related_name="visits",
        verbose_name=_("检查对象"),
    )
    target_id = models.CharField(_("对象标识"), max_length=64, db_index=True)
    window_start = models.DateField(_("检查开始"))
    window_end = models.DateField(_("检查结束"))
    lead_task = models.ForeignKey(
        "planning.Task",
        on_delete=models.PROTECT,
        related_name="led_visits",
        verbose_name=_("牵头任务"),
    )
    tasks = models.ManyToManyField(
        "planning.Task", through="VisitTask", related_name="visits", verbose_name=_("合并的任务")
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=VisitStatus.choices, default=VisitStatus.PENDING
    )
    started_at = models.DateTimeField(_("开始检查时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("检查")
        verbose_name_plural = _("检查")
        ordering = ["window_start", "target_id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_end__gte=models.F("window_start")),
                name="visit_window_order",
                violation_error_message=_("检查结束日期不能早于开始日期"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target_id} {self.window_start}–{self.window_end}"


class VisitTask(models.Model):
    """A task carried by a visit, with the draw selection that put the target in it."""

    # Indexed by ``visittask_unique`` (visit, task): a second index on visit alone would
    # only slow down dispatch, which inserts one row per drawn target.
    visit = models.ForeignKey(
        Visit,
        on_delete=models.CASCADE,
        related_name="visit_tasks",
        db_index=False,
        verbose_name=_("检查"),
    )
    task = models.ForeignKey(
        "planning.Task",
        on_delete=models.PROTECT,
        related_name="visit_tasks",
        verbose_name=_("抽查任务"),
    )
    selection = models.ForeignKey(
        "draw.Selection",
        on_delete=models.PROTECT,
        related_name="visit_tasks",
        verbose_name=_("抽中记录"),
    )
    joined_at = models.DateTimeField(_("并入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("检查所含任务")
        verbose_name_plural = _("检查所含任务")
        ordering = ["visit", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "task"],
                name="visittask_unique",
                violation_error_message=_("该任务已并入此次检查"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.visit} · {self.task.code}"


class VisitMember(models.Model):
    """检查组成员 of a visit: the teams of all merged tasks; one 组长 (is_leader)."""

    # Indexed by ``visitmember_unique`` (visit, inspector), as for VisitTask.visit.
    visit = models.ForeignKey(
        Visit,
        on_delete=models.CASCADE,
        related_name="members",
        db_index=False,
        verbose_name=_("检查"),
    )
    inspector = models.ForeignKey(
        "registry.Inspector",
        on_delete=models.PROTECT,
        related_name="visit_memberships",
        verbose_name=_("执法检查人员"),
    )
    task = models.ForeignKey(
        "planning.Task",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("所属任务检查组"),
    )
    assignment = models.ForeignKey(
        "draw.Assignment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("摇号委派"),
    )
    is_leader = models.BooleanField(_("组长"), default=False)

    class Meta:
        verbose_name = _("检查组成员")
        verbose_name_plural = _("检查组成员")
        ordering = ["visit", "-is_leader", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "inspector"],
                name="visitmember_unique",
                violation_error_message=_("该人员已在此次检查组中"),
            ),
            models.UniqueConstraint(
                fields=["visit"],
                condition=models.Q(is_leader=True),
                name="visitmember_one_leader",
                violation_error_message=_("一次检查只能有一名组长"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visit} · {self.inspector}"


class Finding(models.Model):
    """检查情况 for one check point (检查要点) of one item's checklist (002 第二十五条)."""

    visit = models.ForeignKey(
        Visit,
        on_delete=models.CASCADE,
        related_name="findings",
        db_index=False,
        verbose_name=_("检查"),
    )
    item = models.ForeignKey(
        "catalog.Item", on_delete=models.PROTECT, related_name="+", verbose_name=_("抽查事项")
    )
    item_version = models.ForeignKey(
        "catalog.ItemVersion",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("检查表单版本"),
    )
    point = models.PositiveSmallIntegerField(_("要点序号"))
    point_text = models.CharField(_("检查要点"), max_length=500)
    outcome = models.CharField(
        _("检查情况"),
        max_length=16,
        choices=FindingOutcome.choices,
        default=FindingOutcome.UNCHECKED,
    )
    note = models.TextField(_("说明"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("修改人"),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("检查要点记录")
        verbose_name_plural = _("检查要点记录")
        ordering = ["visit", "item", "point"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "item", "point"],
                name="finding_unique_point",
                violation_error_message=_("该检查要点已有记录"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.visit} · {self.point_text[:20]}"


def _evidence_path(instance: "Evidence", filename: str) -> str:
    # Stored by content hash: the file name is not trusted and two uploads of the same
    # bytes share one file (the hash is also what proves the file unchanged).
    return f"evidence/{instance.sha256[:2]}/{instance.sha256}"


class Evidence(models.Model):
    """证据材料 (photos, video, audio, documents) with their SHA-256 [002 第三十条 归档保管].
    Never public: served only to users who may read the visit."""

    visit = models.ForeignKey(
        Visit, on_delete=models.PROTECT, related_name="evidence", verbose_name=_("检查")
    )
    kind = models.CharField(_("类型"), max_length=16, choices=EvidenceKind.choices)
    file = models.FileField(_("文件"), upload_to=_evidence_path, max_length=255)
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(_("文件格式"), max_length=100)
    size = models.BigIntegerField(_("字节数"))
    sha256 = models.CharField(_("SHA-256 校验值"), max_length=64, db_index=True)
    description = models.CharField(_("说明"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("上传人"),
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("证据材料")
        verbose_name_plural = _("证据材料")
        ordering = ["visit", "uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"


class Result(TimeStampedModel):
    """检查结果 of one visit. Its content lives in versions: nothing published is edited
    in place (002 第二十八条 一经公示，不得擅自更改); a correction is a new version."""

    visit = models.OneToOneField(
        Visit, on_delete=models.PROTECT, related_name="result", verbose_name=_("检查")
    )
    current = models.ForeignKey(
        "ResultVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("现行版本"),
    )
    # 形成 = the reviewer approved the first version; the publication deadline counts from it.
    formed_at = models.DateTimeField(_("形成时间"), null=True, blank=True)
    # 公示时限 in working days, from the rules of the visit's items in force the day the result
    # was formed (catalog.rules.publish_workdays_for): a later change of the rule does not
    # move the deadline of a result already formed.
    publish_workdays = models.PositiveSmallIntegerField(
        _("公示时限（工作日）"), null=True, blank=True
    )
    first_published_at = models.DateTimeField(_("首次公示时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("检查结果")
        verbose_name_plural = _("检查结果")

    def __str__(self) -> str:
        return f"{self.visit} 检查结果"


class ResultVersion(models.Model):
    """One version of a result. Versions are append-only; a returned or superseded version
    stays, with its signatures."""

    result = models.ForeignKey(
        Result, on_delete=models.PROTECT, related_name="versions", verbose_name=_("检查结果")
    )
    number = models.PositiveSmallIntegerField(_("版本号"))
    kind = models.CharField(
        _("类型"), max_length=16, choices=VersionKind.choices, default=VersionKind.ORIGINAL
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    inspected_on = models.DateField(_("检查日期"), null=True, blank=True)
    conclusion = models.CharField(
        _("检查结论"), max_length=32, choices=Conclusion.choices, blank=True
    )
    non_cooperation = models.CharField(
        _("不予配合情形"), max_length=32, choices=NonCooperation.choices, blank=True
    )
    summary = models.TextField(_("检查情况"), blank=True)
    problems = models.TextField(_("发现的问题"), blank=True)
    # A correction: why, and the principal's signature (任务执行单位主要负责人签字确认).
    reason = models.TextField(_("更正理由"), blank=True)
    objection = models.ForeignKey(
        "disclosure.Objection",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        verbose_name=_("因异议复核更正"),
    )
    principal_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("主要负责人签字"),
    )
    principal_signed_at = models.DateTimeField(_("负责人签字时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交签字时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("审核人"),
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.TextField(_("审核意见"), blank=True)
    published_at = models.DateTimeField(_("公示时间"), null=True, blank=True)
    superseded_at = models.DateTimeField(_("被更正时间"), null=True, blank=True)
    withheld_reason = models.TextField(_("不予公开的依据"), blank=True)

    class Meta:
        verbose_name = _("检查结果版本")
        verbose_name_plural = _("检查结果版本")
        ordering = ["result", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["result", "number"],
                name="resultversion_unique_number",
                violation_error_message=_("版本号重复"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.result} v{self.number}"


class Signature(models.Model):
    """签字确认 of one team member on one version (002 第二十五条 检查组全体成员签字确认)."""

    version = models.ForeignKey(
        ResultVersion,
        on_delete=models.PROTECT,
        related_name="signatures",
        verbose_name=_("检查结果版本"),
    )
    member = models.ForeignKey(
        VisitMember,
        on_delete=models.PROTECT,
        related_name="signatures",
        verbose_name=_("检查组成员"),
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("签字账号"),
    )
    # A member without an account signs on paper; staff record it with the scan of the
    # signed page, kept as evidence (result_sign_on_paper refuses a 代录 without it).
    on_paper = models.BooleanField(_("纸质签字代录"), default=False)
    scan = models.ForeignKey(
        Evidence,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="paper_signatures",
        verbose_name=_("纸质签字页扫描件"),
    )
    signed_at = models.DateTimeField(_("签字时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("签字确认")
        verbose_name_plural = _("签字确认")
        ordering = ["version", "signed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "member"],
                name="signature_once",
                violation_error_message=_("该成员已签字确认"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.version} · {self.member.inspector}"


class FollowUp(models.Model):
    """后续处理 of a result version: 责令改正 (deadline, re-check), 立案查处 (penalty
    decision and its publication within 7 working days [000 三(六)]), 移交, 移送公安机关."""

    version = models.ForeignKey(
        ResultVersion,
        on_delete=models.PROTECT,
        related_name="followups",
        verbose_name=_("检查结果版本"),
    )
    kind = models.CharField(_("处理方式"), max_length=16, choices=FollowUpKind.choices)
    status = models.CharField(
        _("状态"), max_length=16, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    detail = models.TextField(_("处理内容"), blank=True)
    rectify_deadline = models.DateField(_("整改期限"), null=True, blank=True)
    recheck_on = models.DateField(_("复查日期"), null=True, blank=True)
    recheck_note = models.TextField(_("复查情况"), blank=True)
    recipient = models.CharField(_("移交/移送单位"), max_length=200, blank=True)
    case_no = models.CharField(_("案件编号"), max_length=100, blank=True)
    penalty_decided_on = models.DateField(_("处罚决定日期"), null=True, blank=True)
    penalty_published_on = models.DateField(_("处罚信息公示日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("后续处理")
        verbose_name_plural = _("后续处理")
        ordering = ["version", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.version}"
