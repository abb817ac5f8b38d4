from django.db import models
from django.utils.translation import gettext_lazy as _


class DrawState(models.TextChoices):
    """commit → seed+draw → confirm (lock) [draw-protocol §1]; void only before confirmation.

    Dispatch (派发) is a state of the task (``TaskStatus.DISPATCHED``); the draw records
    ``dispatched_at`` and stays confirmed."""

    COMMITTED = "committed", _("已封存")
    DRAWN = "drawn", _("已摇号")
    CONFIRMED = "confirmed", _("已确认锁定")
    VOID = "void", _("已作废")


class DrawKind(models.TextChoices):
    FULL = "full", _("抽取对象并匹配人员")
    MATCH_ONLY = "match_only", _("仅匹配执法检查人员")


class AssignmentSource(models.TextChoices):
    RANDOM = "random", _("随机匹配")
    SUBSTITUTE = "substitute", _("随机更换")
    DIRECT = "direct", _("直接委派（非随机）")


class SelectionRemedy(models.TextChoices):
    """How an unstaffed target (未配齐人员) got its team [draw-protocol §4, 002 第二十条]."""

    NONE = "", _("无")
    MATCH = "match", _("补充匹配摇号")
    DIRECT = "direct", _("直接委派（非随机）")


class SubstitutionStatus(models.TextChoices):
    """更换 needs a recorded reason and approval (任务执行单位同意) [002 第二十二条]."""

    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准并更换")
    REJECTED = "rejected", _("未批准")
