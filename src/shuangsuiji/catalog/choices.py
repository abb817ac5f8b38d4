from django.db import models
from django.utils.translation import gettext_lazy as _


class ItemCategory(models.TextChoices):
    """事项类别 [002 第八条, 第九条]."""

    GENERAL = "general", _("一般检查事项")
    KEY = "key", _("重点检查事项")


class InspectionMethod(models.TextChoices):
    """检查方式 [003 附件2 一; 002 第二十三条: 查阅资料、检查现场]."""

    ON_SITE = "on_site", _("现场检查")
    DOCUMENT = "document", _("书面检查")
    ONLINE = "online", _("网络监测")
    SAMPLING = "sampling", _("抽样检测")
    OTHER = "other", _("其他")


class ChangeKind(models.TextChoices):
    """清单随法律法规“立改废释”动态调整 [002 第八条]."""

    CREATE = "create", _("新增（立）")
    AMEND = "amend", _("修改（改）")
    REPEAL = "repeal", _("废止（废）")
    INTERPRET = "interpret", _("解释（释）")
    COPY = "copy", _("引用上级清单")
