from django.db import models
from django.utils.translation import gettext_lazy as _


class VisitStatus(models.TextChoices):
    """一次检查 from dispatch to a formed result. Publication is tracked on the result."""

    PENDING = "pending", _("待检查")
    IN_PROGRESS = "in_progress", _("检查中")
    SIGNING = "signing", _("待签字确认")
    REVIEW = "review", _("待审核")
    FORMED = "formed", _("已形成结果")


class Conclusion(models.TextChoices):
    """检查结论 — exactly the eight of 002 第二十六条, in its order."""

    NO_PROBLEM = "no_problem", _("未发现问题")
    UNREACHABLE = "unreachable", _("通过登记的住所（经营场所）无法联系")
    NOT_DISCLOSED = "not_disclosed", _("未按规定公示应当公示的信息")
    FALSE_DISCLOSURE = "false_disclosure", _("公示信息隐瞒真实情况、弄虚作假")
    RECTIFIED = "rectified", _("发现问题已责令改正")
    UNCOOPERATIVE = "uncooperative", _("不予配合情节严重")
    PENDING_FOLLOWUP = "pending_followup", _("发现问题待后续处理")
    OTHER = "other", _("其他情形")


# 002 第二十九条: these two may be concluded from evidence alone, without findings.
EVIDENCE_ONLY_CONCLUSIONS = frozenset({Conclusion.UNREACHABLE, Conclusion.UNCOOPERATIVE})


class NonCooperation(models.TextChoices):
    """不予配合情节严重 的情形 (002 第二十七条)."""

    REFUSE_ENTRY = "refuse_entry", _("拒绝检查人员或其委托的专业机构进入被检查场所")
    REFUSE_MATERIALS = "refuse_materials", _("拒绝向检查人员或其委托的专业机构提供相关材料")
    FALSE_MATERIALS = "false_materials", _("不如实或不按要求提供情况或相关材料")
    OBSTRUCT = "obstruct", _("其他阻扰、妨碍检查工作的行为，致使检查工作无法正常进行")


class FindingOutcome(models.TextChoices):
    UNCHECKED = "unchecked", _("未检查")
    COMPLIANT = "compliant", _("符合")
    PROBLEM = "problem", _("发现问题")
    NOT_APPLICABLE = "not_applicable", _("不适用")


class FollowUpKind(models.TextChoices):
    """后续处理 [000 三(五), 003 附件3 第十二条]."""

    RECTIFY = "rectify", _("责令改正")
    CASE = "case", _("立案查处")
    TRANSFER = "transfer", _("移交有关部门")
    POLICE = "police", _("移送公安机关")


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("办理中")
    DONE = "done", _("已办结")
    FAILED = "failed", _("复查未整改")


class EvidenceKind(models.TextChoices):
    PHOTO = "photo", _("照片")
    VIDEO = "video", _("视频")
    AUDIO = "audio", _("录音")
    DOCUMENT = "document", _("文书材料")


class VersionKind(models.TextChoices):
    ORIGINAL = "original", _("检查结果")
    CORRECTION = "correction", _("更正")


class VersionStatus(models.TextChoices):
    """A result version: drafted by the team, signed by every member (002 第二十五条),
    approved by the reviewer; a correction is signed by the principal (002 第二十八条)."""

    DRAFT = "draft", _("草稿")
    SIGNING = "signing", _("待签字确认")
    REVIEW = "review", _("待审核")
    RETURNED = "returned", _("已退回")
    FORMED = "formed", _("已形成（待公示）")
    PUBLISHED = "published", _("已公示")
    SUPERSEDED = "superseded", _("已被更正")
    WITHHELD = "withheld", _("依法不予公开")
