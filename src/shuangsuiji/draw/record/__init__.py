"""《抽查工作记录表》 of one draw, as PDF and as xlsx [003 附件2 六, draw-protocol §6].

The printed record carries what a 纪检 witness signs and anyone can re-check: the task
(code, title, lead and partner departments, items, window), the draw (number, state and
the times of commit, seed/draw, confirmation, dispatch), ``C``, ``K``, the seed text
verbatim with its sources and the witnesses, the strata (pool size and ``n``), the
excluded counts, the selected targets in selection order with their teams (组长 first;
直接委派 marked 非随机; substitutions with reasons), the task's void draws with their
reasons, and a QR code to the draw's public page.

Public data only: inspectors appear by name and 执法证号, never with a mobile number or
身份证号; targets by name and 统一社会信用代码.

Chinese text must render and extract on any reader, so the PDF embeds a TrueType CJK
font (reportlab cannot embed the OpenType/CFF Noto CJK fonts; its built-in CID font
``STSong-Light`` embeds no glyphs at all). ``SSJ_PDF_FONT`` (or ``settings.PDF_FONT``)
names the file; otherwise the usual Debian locations are tried (``fonts-wqy-microhei``,
``fonts-wqy-zenhei``, ``fonts-arphic-uming``, ``fonts-droid-fallback``), then ``fc-list``.

A package (split at ~500 lines, house style): ``data`` (what the record shows), ``pdf``
and ``xlsx``; the public names are re-exported here.
"""

from shuangsuiji.draw.record.data import (
    RISK_LABELS,
    TITLE,
    RecordData,
    draw_public_url,
    record_data,
)
from shuangsuiji.draw.record.pdf import (
    FONT_CANDIDATES,
    FONT_NAME,
    FontMissing,
    pdf_font_path,
    record_pdf,
)
from shuangsuiji.draw.record.xlsx import record_xlsx

__all__ = [
    "FONT_CANDIDATES",
    "FONT_NAME",
    "RISK_LABELS",
    "TITLE",
    "FontMissing",
    "RecordData",
    "draw_public_url",
    "pdf_font_path",
    "record_data",
    "record_pdf",
    "record_xlsx",
]
