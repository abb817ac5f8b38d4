from django.db import models
from django.utils.translation import gettext_lazy as _


class VisitStatus(models.TextChoices):
    """One visit (检查) per target and period. Issue 4 adds the later states (检查中, 已完成 …)."""

    PENDING = "pending", _("待检查")
