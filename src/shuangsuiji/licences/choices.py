from django.db import models
from django.utils.translation import gettext_lazy as _


class NoticeStatus(models.TextChoices):
    PENDING = "pending", _("待反馈")
    ACCEPTED = "accepted", _("已认领（已纳入名录库）")
    RETURNED = "returned", _("已退回（非本部门监管）")


class NoticeSource(models.TextChoices):
    IMPORT = "import", _("文件导入")
    API = "api", _("接口推送")
