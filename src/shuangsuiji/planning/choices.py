from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanStatus(models.TextChoices):
    """年度抽查计划：起草 → 备案 → 公开 [002 第十二条]."""

    DRAFT = "draft", _("起草")
    FILED = "filed", _("已备案")
    PUBLISHED = "published", _("已公开")


class TaskStatus(models.TextChoices):
    """抽查任务 follows the draw ceremony; no state can be skipped (draw-protocol §1)."""

    DRAFT = "draft", _("起草")
    COMMITTED = "committed", _("已封存名单")
    DRAWN = "drawn", _("已摇号")
    CONFIRMED = "confirmed", _("已确认锁定")
    DISPATCHED = "dispatched", _("已派发")
    CANCELLED = "cancelled", _("已撤销")


class TaskKind(models.TextChoices):
    PLANNED = "planned", _("计划内抽查")
    AD_HOC = "ad_hoc", _("临时性抽查")


class ClassMode(models.TextChoices):
    """不定向（整个子库）或定向（按主体类型、规模、区域、行业、标签）[002 第十七条]."""

    UNDIRECTED = "undirected", _("不定向")
    DIRECTED = "directed", _("定向")
