"""检查对象名录库 and 执法检查人员名录库 [000 三(三)(四), 001 三(二), 003 附件3 第六–八条]."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shuangsuiji.common.masking import mask_id_number, mask_mobile
from shuangsuiji.common.models import TimeStampedModel
from shuangsuiji.registry.choices import (
    EntityStatus,
    EntityType,
    FlagKind,
    Gender,
    InspectorKind,
    InspectorStatus,
    RiskClass,
    Scale,
    SubjectKind,
    TagKind,
)


class Tag(TimeStampedModel):
    """分类标注: a tag forms a 子库; kind 重点检查库 / 专项整治库 marks the special libraries."""

    department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, related_name="tags", verbose_name=_("部门")
    )
    name = models.CharField(_("名称"), max_length=64)
    kind = models.CharField(
        _("类别"), max_length=16, choices=TagKind.choices, default=TagKind.SUBLIBRARY
    )
    description = models.CharField(_("说明"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("子库标签")
        verbose_name_plural = _("子库标签")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "name"],
                name="tag_unique_name",
                violation_error_message=_("本部门已有同名标签"),
            ),
        ]
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class Entity(TimeStampedModel):
    """检查对象: a market entity (法人、其他组织), a project or a behaviour.

    ``key`` is the stable registry key the draw manifest uses: the 统一社会信用代码 where
    there is one, else a key the department assigns (e.g. a project number).
    """

    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("管理部门"),
        on_delete=models.PROTECT,
        related_name="entities",
    )
    key = models.CharField(_("名录编号"), max_length=64)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    name = models.CharField(_("名称"), max_length=200)
    subject_kind = models.CharField(
        _("对象类别"), max_length=16, choices=SubjectKind.choices, default=SubjectKind.ENTITY
    )
    entity_type = models.CharField(
        _("主体类型"), max_length=16, choices=EntityType.choices, default=EntityType.LEGAL_PERSON
    )
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    contact_person = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    region = models.CharField(_("所属区域"), max_length=50, blank=True)
    street = models.CharField(_("街镇"), max_length=50, blank=True)
    industry = models.CharField(_("行业"), max_length=100, blank=True)
    scale = models.CharField(
        _("规模"), max_length=8, choices=Scale.choices, blank=True, default=Scale.UNKNOWN
    )
    responsible_units = models.CharField(_("监管责任单位"), max_length=255, blank=True)
    risk_class = models.CharField(
        _("信用风险分类"),
        max_length=1,
        choices=RiskClass.choices,
        blank=True,
        default=RiskClass.UNKNOWN,
    )
    risk_date = models.DateField(_("风险分类日期"), null=True, blank=True)
    risk_source = models.CharField(_("风险分类来源"), max_length=100, blank=True)
    status = models.CharField(
        _("登记状态"), max_length=16, choices=EntityStatus.choices, default=EntityStatus.ACTIVE
    )
    # From the registration authority's file (issue 14 第 7 项): when and why 注销/吊销/迁出.
    status_date = models.DateField(_("登记状态日期"), null=True, blank=True)
    status_reason = models.CharField(_("登记状态原因"), max_length=255, blank=True)
    remark = models.CharField(_("备注"), max_length=255, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("标签"), blank=True, related_name="entities")
    # Digest of the imported fields: lets a re-import see "unchanged" without comparing columns.
    row_digest = models.CharField(max_length=32, blank=True, verbose_name=_("导入行摘要"))

    class Meta:
        verbose_name = _("检查对象")
        verbose_name_plural = _("检查对象名录库")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "key"],
                name="entity_unique_key",
                violation_error_message=_("本部门名录库中已有此编号（统一社会信用代码）的对象"),
            ),
        ]
        indexes = [
            # Plain b-tree indexes, declared here rather than with db_index: on PostgreSQL
            # db_index adds a second, varchar_pattern_ops index for LIKE 'x%', which no query
            # of ours uses (searches are icontains) and which every imported row paid for
            # (issue 11: a million-row import on PostgreSQL).
            models.Index(fields=["uscc"], name="entity_uscc_idx"),
            models.Index(fields=["name"], name="entity_name_idx"),
            models.Index(fields=["region"], name="entity_region_idx"),
            models.Index(fields=["industry"], name="entity_industry_idx"),
            # Covers the pool query of draw.pool (id is SQLite's rowid): a million rows
            # are read from the index alone, without visiting the table.
            models.Index(
                fields=["department", "status", "risk_class", "uscc"], name="entity_pool_cover_idx"
            ),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def contact_phone_masked(self) -> str:
        return mask_mobile(self.contact_phone)


class Inspector(TimeStampedModel):
    """执法检查人员 — the roster columns of 003 附件5 (序号 姓名 性别 单位 执法区域 发证机关
    执法证号 执法类别 手机号码 备注), plus kind, certificate validity, expertise and post."""

    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("所属部门"),
        on_delete=models.PROTECT,
        related_name="inspectors",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inspector",
        verbose_name=_("登录账号"),
    )
    cert_no = models.CharField(_("执法证号"), max_length=64, unique=True)
    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    gender = models.CharField(
        _("性别"), max_length=1, choices=Gender.choices, blank=True, default=Gender.UNKNOWN
    )
    unit = models.CharField(_("单位"), max_length=100, blank=True)
    area = models.CharField(_("执法区域"), max_length=100, blank=True)
    issuer = models.CharField(_("发证机关"), max_length=100, blank=True)
    category = models.CharField(_("执法类别"), max_length=100, blank=True)
    mobile = models.CharField(_("手机号码"), max_length=11, blank=True)
    id_number = models.CharField(_("身份证号"), max_length=18, blank=True)
    kind = models.CharField(
        _("人员类别"), max_length=16, choices=InspectorKind.choices, default=InspectorKind.OFFICER
    )
    cert_valid_until = models.DateField(_("证件有效期至"), null=True, blank=True)
    expertise = models.CharField(_("业务专长"), max_length=255, blank=True)
    post = models.CharField(_("职务/岗位"), max_length=100, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=InspectorStatus.choices, default=InspectorStatus.ON_DUTY
    )
    remark = models.CharField(_("备注"), max_length=255, blank=True)
    row_digest = models.CharField(max_length=32, blank=True, verbose_name=_("导入行摘要"))

    class Meta:
        verbose_name = _("执法检查人员")
        verbose_name_plural = _("执法检查人员名录库")
        ordering = ["cert_no"]

    def __str__(self) -> str:
        return f"{self.name}（{self.cert_no}）"

    @property
    def mobile_masked(self) -> str:
        return mask_mobile(self.mobile)

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)


class Conflict(TimeStampedModel):
    """利害关系申报: this inspector may not inspect this target (回避 [002 第二十二条,
    003 附件3 第八条]). Withdrawn declarations stay for the record."""

    inspector = models.ForeignKey(
        Inspector,
        on_delete=models.PROTECT,
        related_name="conflicts",
        verbose_name=_("执法检查人员"),
    )
    entity = models.ForeignKey(
        Entity, on_delete=models.PROTECT, related_name="conflicts", verbose_name=_("检查对象")
    )
    reason = models.CharField(_("回避事由"), max_length=255)
    declared_on = models.DateField(_("申报日期"))
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("申报人"),
    )
    is_active = models.BooleanField(_("有效"), default=True)
    # A withdrawal keeps the row (全程留痕 [002 第六条]): who, when and why it stopped applying.
    withdrawn_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("撤销人"),
    )
    withdraw_reason = models.CharField(_("撤销理由"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("利害关系申报")
        verbose_name_plural = _("利害关系申报")
        constraints = [
            models.UniqueConstraint(
                fields=["inspector", "entity"],
                condition=models.Q(is_active=True),
                name="conflict_unique_active",
                violation_error_message=_("该人员与该对象已有有效的回避申报"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.inspector.name} ↔ {self.entity.name}"


class CreditFlag(TimeStampedModel):
    """One listing of a 统一社会信用代码 on 失信被执行人 / 经营异常名录 / 严重违法失信名单, as
    imported from the list's file (issue 14 第 3 项). Kept by code, not by entity: a list
    names companies the library may add later. Removal (移出) is a date, the row stays."""

    department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, related_name="credit_flags"
    )
    uscc = models.CharField(_("统一社会信用代码"), max_length=18)
    kind = models.CharField(_("标记类型"), max_length=20, choices=FlagKind.choices)
    listed_on = models.DateField(_("列入日期"))
    removed_on = models.DateField(_("移出日期"), null=True, blank=True)
    source = models.CharField(_("来源（作出决定的机关）"), max_length=100, blank=True)
    reason = models.CharField(_("列入原因"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("信用标记")
        verbose_name_plural = _("信用标记")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "uscc", "kind", "listed_on"], name="creditflag_unique"
            )
        ]
        indexes = [models.Index(fields=["department", "kind", "uscc"], name="creditflag_dku_idx")]

    def __str__(self) -> str:
        return f"{self.uscc} {self.get_kind_display()}"


class ComplaintCount(TimeStampedModel):
    """投诉举报件数 of a 统一社会信用代码 in a period, from a file (issue 14 第 3 项; 003 第九条:
    对投诉较多的市场主体要加大抽查力度)."""

    department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, related_name="complaint_counts"
    )
    uscc = models.CharField(_("统一社会信用代码"), max_length=18)
    period_start = models.DateField(_("统计期间起"))
    period_end = models.DateField(_("统计期间止"))
    count = models.PositiveIntegerField(_("投诉件数"))
    source = models.CharField(_("来源"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("投诉件数")
        verbose_name_plural = _("投诉件数")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "uscc", "period_start", "period_end"],
                name="complaintcount_unique",
            )
        ]
        indexes = [
            models.Index(fields=["department", "uscc"], name="complaint_du_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.uscc} {self.period_start}—{self.period_end}: {self.count}"


class LibraryReview(models.Model):
    """名录库定期修订 (003 第六条: 每年6月、12月，根据市场主体的变动，定期对市场主体名录库进行
    修订): the department's checklist for one half-year, signed off once."""

    department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, related_name="library_reviews"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("修订月份"))  # 6 or 12
    checks = models.JSONField(_("核对事项"), default=list)
    facts = models.JSONField(_("签署时的名录库情况"), default=dict)
    note = models.TextField(_("说明"), blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(_("签署时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("名录库定期修订")
        verbose_name_plural = _("名录库定期修订")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "year", "month"], name="libraryreview_unique"
            )
        ]
        ordering = ["-year", "-month"]

    def __str__(self) -> str:
        return f"{self.department_id} {self.year}年{self.month}月名录库修订"
