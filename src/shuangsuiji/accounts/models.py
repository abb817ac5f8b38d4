"""Departments (部门), real-name users and their roles per department."""

import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from shuangsuiji.accounts.choices import DepartmentKind, Role
from shuangsuiji.common.masking import mask_id_number, mask_mobile
from shuangsuiji.common.models import TimeStampedModel


class Department(TimeStampedModel):
    """部门: a node of the tree 委/局 → 科室/股室/中心. Data is kept per department."""

    code = models.CharField(_("部门代码"), max_length=32, unique=True)
    name = models.CharField(_("部门名称"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    kind = models.CharField(
        _("类型"), max_length=16, choices=DepartmentKind.choices, default=DepartmentKind.COMMISSION
    )
    region = models.CharField(_("所在地区"), max_length=50, blank=True)
    # 原则上同一生产经营单位一年内被抽中不超过2次 (指引第十四条); configurable per department.
    yearly_draw_cap = models.PositiveSmallIntegerField(_("每年抽中次数上限"), default=2)
    # 结果公示时限：20个工作日 [000 三(六), 002 第二十八条]；漳平为10个工作日 [003 附件3 第十一条]。
    publish_deadline_workdays = models.PositiveSmallIntegerField(
        _("结果公示时限（工作日）"), default=20
    )
    # 联席会议办公室/牵头处室: oversees the deadlines of every department [002 第三十二条].
    is_leading_office = models.BooleanField(_("牵头督办机构"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def ancestors(self) -> list["Department"]:
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class User(AbstractUser):
    """实名账号：姓名、身份证号、手机号 [000 三(四)]. Django's username is the login name."""

    full_name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(_("身份证号"), max_length=18, blank=True)
    mobile = models.CharField(_("手机号码"), max_length=11, blank=True)
    departments = models.ManyToManyField(
        Department, through="Membership", related_name="users", blank=True, verbose_name=_("部门")
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def mobile_masked(self) -> str:
        return mask_mobile(self.mobile)

    @property
    def is_system_admin(self) -> bool:
        return self.is_superuser


class Membership(TimeStampedModel):
    """A user's role in one department (a user may hold several)."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("账号")
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("部门")
    )
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = _("岗位角色")
        verbose_name_plural = _("岗位角色")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "department", "role"],
                name="membership_unique_role",
                violation_error_message=_("该用户在此部门已有此角色"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.department} · {self.get_role_display()}"


def _new_token() -> str:
    return secrets.token_urlsafe(32)


class ApiToken(TimeStampedModel):
    """A bearer token for the JSON API, shown once when created; only its digest is kept."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("账号")
    )
    name = models.CharField(_("用途"), max_length=100)
    digest = models.CharField(max_length=64, unique=True, verbose_name=_("令牌摘要"))
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("最近使用时间"))
    is_active = models.BooleanField(default=True, verbose_name=_("有效"))

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
