from django.db import models
from django.utils.translation import gettext_lazy as _


class SubjectKind(models.TextChoices):
    """检查对象类别 [000 三(三)]: 市场主体, also projects and behaviours."""

    ENTITY = "entity", _("市场主体")
    PROJECT = "project", _("项目")
    BEHAVIOUR = "behaviour", _("行为")


class EntityType(models.TextChoices):
    """主体类型 [003 附件3 第六条: 法人、其他组织]."""

    LEGAL_PERSON = "legal_person", _("法人")
    OTHER_ORG = "other_org", _("其他组织")
    INDIVIDUAL = "individual", _("个体工商户")
    PROJECT = "project", _("项目")
    OTHER = "other", _("其他")


class Scale(models.TextChoices):
    LARGE = "large", _("大型")
    MEDIUM = "medium", _("中型")
    SMALL = "small", _("小型")
    MICRO = "micro", _("微型")
    UNKNOWN = "", _("未填")


class RiskClass(models.TextChoices):
    """信用风险分类: A 低 … D 高 [001 三(六), 002 第十四条]."""

    A = "A", _("A 低风险")
    B = "B", _("B 一般风险")
    C = "C", _("C 较高风险")
    D = "D", _("D 高风险")
    UNKNOWN = "", _("未分类")


class EntityStatus(models.TextChoices):
    ACTIVE = "active", _("存续")
    OPERATING = "operating", _("在业")
    SUSPENDED = "suspended", _("停业")
    MOVED_OUT = "moved_out", _("迁出")
    REVOKED = "revoked", _("吊销")
    DEREGISTERED = "deregistered", _("注销")


# Only these statuses can be drawn; 注销/吊销/迁出 entities are excluded with their reason.
DRAWABLE_STATUSES = frozenset({EntityStatus.ACTIVE, EntityStatus.OPERATING})


class TagKind(models.TextChoices):
    """子库 by 分类标注 [000 三(三)], and the special 重点检查库 / 专项整治库."""

    SUBLIBRARY = "sub", _("子库")
    KEY = "key", _("重点检查库")
    CAMPAIGN = "campaign", _("专项整治库")


class InspectorKind(models.TextChoices):
    """执法人员 count toward the 2 per target [002 第二十一条]; 辅助人员 come from 检测机构、
    科研院所、专家学者; 专家 form the expert pool [002 第二十条]."""

    OFFICER = "officer", _("执法人员")
    ASSISTANT = "assistant", _("辅助人员")
    EXPERT = "expert", _("专家")


class InspectorStatus(models.TextChoices):
    ON_DUTY = "on_duty", _("在岗")
    AWAY = "away", _("暂不可用")
    TRANSFERRED = "transferred", _("调离")
    RETIRED = "retired", _("退休")


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")
    UNKNOWN = "", _("未填")


class FlagKind(models.TextChoices):
    """信用标记 from other authorities' lists [001 三(六), 003 第九条: 有严重违法违规迹象的加大抽查力度]."""

    DISHONEST_DEBTOR = "dishonest_debtor", _("失信被执行人")
    ABNORMAL = "abnormal", _("经营异常名录")
    SERIOUS = "serious", _("严重违法失信名单")
