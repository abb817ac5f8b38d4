from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    """What a file can be imported into: the three libraries of 一单两库 (also exported) and
    a year's plan table (imported from its plan's page, into that plan)."""

    ENTITIES = "entities", _("检查对象名录库")
    INSPECTORS = "inspectors", _("执法检查人员名录库")
    ITEMS = "items", _("抽查事项清单")
    PLANS = "plans", _("年度抽查计划表")
    CREDIT_CLASSES = "credit-classes", _("信用风险分类")
    CREDIT_FLAGS = "credit-flags", _("信用标记")
    COMPLAINTS = "complaints", _("投诉件数")
    LICENCES = "licences", _("双告知信息")
    ENTITY_STATUS = "entity-status", _("登记状态")


# The libraries chosen on the import page; a plan table is imported from its plan.
LIBRARY_KINDS = [ImportKind.ENTITIES, ImportKind.INSPECTORS, ImportKind.ITEMS]
# The import page also takes the credit files (issue 14 第 3 项), which update the library.
PAGE_KINDS = [
    *LIBRARY_KINDS,
    ImportKind.CREDIT_CLASSES,
    ImportKind.CREDIT_FLAGS,
    ImportKind.COMPLAINTS,
    ImportKind.ENTITY_STATUS,
    ImportKind.LICENCES,
]


class ImportJobStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("进行中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")
