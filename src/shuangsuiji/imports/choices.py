from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    """The three libraries of 一单两库 that can be imported and exported."""

    ENTITIES = "entities", _("检查对象名录库")
    INSPECTORS = "inspectors", _("执法检查人员名录库")
    ITEMS = "items", _("抽查事项清单")


class ImportJobStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("进行中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")
