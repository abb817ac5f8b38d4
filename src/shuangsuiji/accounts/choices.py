from django.db import models
from django.utils.translation import gettext_lazy as _


class DepartmentKind(models.TextChoices):
    COMMISSION = "commission", _("委/局")
    SECTION = "section", _("科室/股室")
    CENTER = "center", _("中心/站/所")
    OTHER = "other", _("其他")


class Role(models.TextChoices):
    """The roles of domain.md; a user holds roles per department (Membership)."""

    DEPT_ADMIN = "dept_admin", _("部门管理员")
    OPERATOR = "operator", _("抽查操作员")
    WITNESS = "witness", _("纪检监督员")
    INSPECTOR = "inspector", _("执法检查人员")
    REVIEWER = "reviewer", _("审核负责人")
    AUDITOR = "auditor", _("审计员")


# Who may write each library: 谁管理、谁维护 [002 第十一条] — the department admin keeps
# 一单两库; operators read them to plan and draw.
LIBRARY_WRITERS = frozenset({Role.DEPT_ADMIN})
# The 审计员 reads everything in his departments and writes nothing (issue 12 第 6 项): he is
# a reader everywhere, and no write rule names him.
LIBRARY_READERS = frozenset(
    {Role.DEPT_ADMIN, Role.OPERATOR, Role.REVIEWER, Role.WITNESS, Role.INSPECTOR, Role.AUDITOR}
)
