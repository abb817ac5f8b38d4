"""The ground floor of every PDF: an embeddable TrueType CJK font (Chinese renders and
extracts on any reader). ``SSJ_PDF_FONT`` (or ``settings.PDF_FONT``) names the file;
otherwise the usual Debian locations are tried (``fonts-wqy-microhei``, ``fonts-wqy-zenhei``,
``fonts-arphic-uming``, ``fonts-droid-fallback``), then ``fc-list``. reportlab cannot embed
the OpenType/CFF Noto CJK fonts, and its built-in CID font embeds no glyphs at all.

Used by the 抽查工作记录表 (draw/record/pdf.py) and the reports (stats/reports.py)."""

import logging
import os
import shutil
import subprocess

from django.conf import settings

from shuangsuiji.common.errors import ServiceError

logger = logging.getLogger(__name__)

FONT_NAME = "SSJ-CJK"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/arphic/ukai.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


class FontMissing(ServiceError):
    """No TrueType CJK font to embed: the PDF would not show Chinese."""

    status = 503


_font_path_cache: list[str] = []


def _fc_list_fonts() -> list[str]:
    if not shutil.which("fc-list"):
        return []
    try:
        out = subprocess.run(
            ["fc-list", ":lang=zh:fontformat=TrueType", "file"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted({line.strip().rstrip(":") for line in out.splitlines() if line.strip()})


def font_register() -> str:
    """Registers (once) an embeddable TrueType CJK font under ``FONT_NAME``."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    if _font_path_cache:
        return FONT_NAME
    configured = os.environ.get("SSJ_PDF_FONT") or getattr(settings, "PDF_FONT", "")
    candidates = [configured] if configured else [*FONT_CANDIDATES, *_fc_list_fonts()]
    tried = []
    for path in candidates:
        if not path or not os.path.exists(path):
            tried.append(path)
            continue
        try:
            font = TTFont(FONT_NAME, path, subfontIndex=0)
        except TTFError as exc:  # e.g. OpenType/CFF outlines, which reportlab cannot embed
            tried.append(f"{path}（{exc}）")
            continue
        if font.face.charToGlyph.get(ord("抽")) is None:
            tried.append(f"{path}（不含中文字形）")
            continue
        pdfmetrics.registerFont(font)
        _font_path_cache.append(path)
        return FONT_NAME
    where = f"SSJ_PDF_FONT={configured}" if configured else "、".join(p for p in tried if p) or "无"
    # The paths tried go to the log for the administrator, never to the page (issue 13 第 1 项).
    logger.error("生成PDF失败：没有可嵌入的中文 TrueType 字体（已尝试：%s）", where)
    raise FontMissing(
        "暂时无法生成PDF：服务器上没有可嵌入的中文 TrueType 字体。请联系系统管理员安装字体"
        "（Debian/Ubuntu 软件包 fonts-wqy-microhei，或以 SSJ_PDF_FONT 指定字体文件），详情见服务器日志。"
    )


def pdf_font_path() -> str:
    """The font file the PDF embeds (registers it on first use)."""
    font_register()
    return _font_path_cache[0]


def numbered_canvas(footer):
    """A reportlab canvas class that draws ``footer(canvas, page, total)`` on every page
    after the last one is known (two passes), so each page can say 第 x 页 共 y 页."""
    from reportlab.pdfgen import canvas as pdfcanvas

    class NumberedCanvas(pdfcanvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                footer(self, self._pageNumber, total)
                super().showPage()
            super().save()

    return NumberedCanvas
