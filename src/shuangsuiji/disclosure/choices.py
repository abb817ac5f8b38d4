from django.db import models
from django.utils.translation import gettext_lazy as _


class ObjectionStatus(models.TextChoices):
    """异议 (002 第二十八条): reviewed within 20 working days of receipt, the outcome fed
    back within 15 working days of the review."""

    RECEIVED = "received", _("已受理")
    UPHELD = "upheld", _("复核有误，已更正")
    REJECTED = "rejected", _("复核无误，维持原结果")
    ANSWERED = "answered", _("已反馈")


class ObjectionDecision(models.TextChoices):
    UPHELD = "upheld", _("确有错误，予以更正")
    REJECTED = "rejected", _("检查结果无误，予以维持")
