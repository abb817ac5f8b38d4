from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    """The documents a department issues with a number (文号) of its own series."""

    INSPECTION_NOTICE = "inspection_notice", _("检查通知书")
    SITE_RECORD = "site_record", _("现场检查记录")
    RECTIFY_ORDER = "rectify_order", _("责令改正通知书")
    RESULT_LETTER = "result_letter", _("抽查检查结果告知书")


# 〔〕 are the brackets of a 文号 (GB/T 9704 党政机关公文格式: 发文字号 “机关代字〔年份〕序号”).
DEFAULT_PATTERNS = {
    DocumentKind.INSPECTION_NOTICE: "{代字}检通〔{年}〕第{号}号",
    DocumentKind.SITE_RECORD: "{代字}现记〔{年}〕第{号}号",
    DocumentKind.RECTIFY_ORDER: "{代字}责改〔{年}〕第{号}号",
    DocumentKind.RESULT_LETTER: "{代字}抽告〔{年}〕第{号}号",
}
