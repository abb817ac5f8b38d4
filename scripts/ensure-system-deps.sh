#!/usr/bin/env bash
# Installs what the tests need from Debian when we are root and it is missing:
# PostgreSQL (a real server for the second test run), Chromium (real-browser tests), CJK
# fonts (so screenshots and PDFs show Chinese) and poppler-utils (the PDF tests). Elsewhere
# it only reports.
# `--pdf`: only the font the PDFs embed (make demo: every document prints on a fresh machine).
set -u
need=()
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [ "${1:-}" = "--pdf" ]; then
  fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || [ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] \
    || need+=(fonts-wqy-microhei)
else
[ -n "$(pg_bin)" ] || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "noto sans cjk" || need+=(fonts-noto-cjk)
# The PDF 抽查工作记录表 embeds a TrueType CJK font (reportlab cannot embed Noto CJK, which is
# OpenType/CFF); its tests read the PDF back with pdftotext and pdftoppm.
fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || need+=(fonts-wqy-microhei)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
fi
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "== 安装系统依赖：${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "!! 缺少系统依赖：${need[*]}（非 root，无法自动安装；请以 root 运行 apt-get install ${need[*]}）" >&2
fi
exit 0
