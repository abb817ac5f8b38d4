"""一公开: what the public sees. ``PublishedResult`` is the public copy of one published
result version — written once at publication, holding only public fields (no mobile or
身份证号 can reach the portal because none is copied here), and never edited afterwards
except to mark it superseded by a correction (002 第二十八条)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from shuangsuiji.disclosure.choices import ObjectionDecision, ObjectionStatus
from shuangsuiji.inspection.choices import Conclusion


class PublishedResult(models.Model):
    """公示的抽查检查结果 (one row per published version, superseded rows stay visible)."""

    version = models.OneToOneField(
        "inspection.ResultVersion",
        on_delete=models.PROTECT,
        related_name="published",
        verbose_name=_("检查结果版本"),
    )
    result = models.ForeignKey(
        "inspection.Result",
        on_delete=models.PROTECT,
        related_name="published_rows",
        verbose_name=_("检查结果"),
    )
    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("检查实施机关"),
    )
    department_names = models.CharField(_("检查实施机关（含联合）"), max_length=500)
    entity_name = models.CharField(_("检查对象名称"), max_length=200)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=64)
    year = models.PositiveSmallIntegerField(_("年度"))
    task_codes = models.CharField(_("任务编号"), max_length=500)
    task_titles = models.TextField(_("抽查任务"))
    item_codes = models.JSONField(_("抽查事项编码"), default=list)
    item_names = models.TextField(_("抽查事项"))
    inspected_on = models.DateField(_("检查日期"))
    conclusion = models.CharField(_("检查结论"), max_length=32, choices=Conclusion.choices)
    summary = models.TextField(_("检查情况"), blank=True)
    followup_text = models.TextField(_("后续处理"), blank=True)
    # 行政执法公示: inspectors by name and 执法证号 only.
    inspectors = models.TextField(_("执法检查人员"))
    version_number = models.PositiveSmallIntegerField(_("版本号"))
    is_correction = models.BooleanField(_("更正"), default=False)
    correction_reason = models.TextField(_("更正理由"), blank=True)
    published_at = models.DateTimeField(_("公示时间"))
    superseded_by = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supersedes",
        verbose_name=_("更正后版本"),
    )
    superseded_at = models.DateTimeField(_("被更正时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("公示结果")
        verbose_name_plural = _("公示结果")
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["credit_code", "-published_at"], name="pubresult_code"),
            models.Index(fields=["entity_name"], name="pubresult_name"),
            models.Index(fields=["department", "year", "conclusion"], name="pubresult_dept_year"),
            models.Index(fields=["-published_at", "-id"], name="pubresult_recent"),
            # The portal pages by (published_at, id) newest first. The year is correlated with
            # published_at, so without these a year filter walks pubresult_recent past every
            # newer row (seconds on a million); with them a page is one index range.
            models.Index(fields=["year", "-published_at", "-id"], name="pubresult_year_recent"),
            models.Index(
                fields=["department", "year", "-published_at", "-id"],
                name="pubresult_dept_year_recent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entity_name} {self.inspected_on} {self.get_conclusion_display()}"


class Objection(models.Model):
    """异议 filed on the portal by the inspected entity (002 第二十八条). The contact is
    private: shown to the department's staff, never on the portal."""

    result = models.ForeignKey(
        "inspection.Result",
        on_delete=models.PROTECT,
        related_name="objections",
        verbose_name=_("检查结果"),
    )
    published = models.ForeignKey(
        PublishedResult,
        on_delete=models.PROTECT,
        related_name="objections",
        verbose_name=_("针对的公示结果"),
    )
    number = models.CharField(_("受理编号"), max_length=32, unique=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=64)
    applicant = models.CharField(_("申请人"), max_length=100)
    contact = models.CharField(_("联系电话"), max_length=32)
    content = models.TextField(_("异议内容"))
    status = models.CharField(
        _("状态"), max_length=16, choices=ObjectionStatus.choices, default=ObjectionStatus.RECEIVED
    )
    received_on = models.DateField(_("收到申请日期"))
    decision = models.CharField(
        _("复核结论"), max_length=16, choices=ObjectionDecision.choices, blank=True
    )
    review_note = models.TextField(_("复核意见"), blank=True)
    reviewed_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("复核人"),
    )
    reviewed_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    answer = models.TextField(_("反馈内容"), blank=True)
    answered_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("反馈人"),
    )
    answered_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"异议 {self.number}"


class PortalSubmission(models.Model):
    """One attempt at a public form, kept to rate-limit it per client (the portal has no
    login). Only a keyed hash of the address is stored."""

    form = models.CharField(max_length=32, verbose_name=_("表单"))
    client = models.CharField(max_length=64, db_index=True, verbose_name=_("来源（地址的哈希）"))
    accepted = models.BooleanField(default=False, verbose_name=_("已受理"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("提交时间"))

    class Meta:
        verbose_name = _("公开表单提交记录")
        verbose_name_plural = _("公开表单提交记录")

    def __str__(self) -> str:
        return f"{self.form} {self.created_at:%Y-%m-%d %H:%M}"


class SiteIdentity(models.Model):
    """网站标识: who runs the public portal and how to reach them — 主办单位, 联系方式,
    ICP备案编号, 公安机关备案号, 政府网站标识码 and the logo, shown in the portal's header and
    footer as 《政府网站发展指引》(国办发〔2017〕47号) asks of a government site.

    One row (id 1), edited by the 系统管理员 in 系统管理 → 网站标识; every field may stay
    empty (the footer then leaves that line out). The logo is a small PNG or JPEG kept in the
    row itself, so a backup holds it and no upload directory has to be public."""

    site_name = models.CharField(
        _("网站名称"),
        max_length=60,
        blank=True,
        help_text=_("页头显示的名称；留空显示“双随机、一公开 · 公开信息”"),
    )
    sponsor = models.CharField(_("主办单位"), max_length=100, blank=True)
    organizer = models.CharField(_("承办单位"), max_length=100, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    postcode = models.CharField(_("邮政编码"), max_length=6, blank=True)
    phone = models.CharField(_("联系电话"), max_length=60, blank=True)
    email = models.EmailField(_("电子邮箱"), max_length=100, blank=True)
    icp_number = models.CharField(
        _("ICP备案号"), max_length=60, blank=True, help_text=_("如“沪ICP备12345678号-1”")
    )
    police_number = models.CharField(
        _("公安机关备案号"),
        max_length=60,
        blank=True,
        help_text=_("如“沪公网安备31011702000001号”"),
    )
    site_code = models.CharField(
        _("政府网站标识码"), max_length=10, blank=True, help_text=_("10位，如“3101170001”")
    )
    logo = models.BinaryField(_("标志图片"), blank=True, editable=False, default=b"")
    logo_type = models.CharField(_("标志图片格式"), max_length=20, blank=True, editable=False)
    logo_sha256 = models.CharField(_("标志图片 SHA-256"), max_length=64, blank=True, editable=False)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    updated_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("修改人"),
        editable=False,
    )

    class Meta:
        verbose_name = _("网站标识")
        verbose_name_plural = _("网站标识")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id=1),
                name="siteidentity_single_row",
                violation_error_message=_("网站标识只有一条记录"),
            )
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
