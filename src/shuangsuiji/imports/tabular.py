"""Reading and writing the tables departments exchange: xlsx, xls, ods and CSV.

Reading (``open_table`` → ``Table.bind(columns)`` → ``BoundTable.records()``):

* xlsx / xls / ods are read with python-calamine (fast, no formulas evaluated); the
  format is recognised from the file's content, not trusted from its name.
* CSV may be UTF-8, UTF-8 with BOM (Excel's "CSV UTF-8") or GB18030 (Excel's plain "CSV"
  on a Chinese Windows, a superset of GBK/GB2312). The encoding is *detected* by a full
  strict decoding pass before any row is used: BOM → UTF-8; valid UTF-8 → UTF-8; valid
  GB18030 → GB18030; anything else is refused with a Chinese message. The detected
  encoding is reported (``Table.encoding``) so the preview can show it; nothing is guessed
  silently.
* Headers are matched by their Chinese names as the documents write them (e.g. the
  roster of 003 附件5: 序号 姓名 性别 单位 执法区域 发证机关 执法证号 执法类别 手机号码 备注),
  after NFKC normalisation (全角 → 半角), removal of every space and of ``*`` required
  markers, and, failing that, without a trailing note in brackets ("手机号码（选填）").
  The header row is looked for among the first ``HEADER_SCAN_ROWS`` rows, so a title
  row ("漳平市住房和城乡建设局执法检查工作人员名录") above it is fine.
* Row numbers are the ones the user sees in Excel (1-based, counting title and header
  rows); for CSV they are the line's record number (a quoted cell spanning lines counts
  once — rare in these files).
* Cells come back as read: CSV cells as ``str``; spreadsheet cells as ``str``, ``float``,
  ``int``, ``bool``, ``datetime.date``/``datetime``; empty cells as ``""``. ``cell_text``
  and ``cell_date`` turn them into what an importer stores. A leading ``'`` that
  ``neutralise`` added on export is removed again, so an export re-imports unchanged.

Writing (``open_writer(path_or_file, fmt, headers)``): xlsx through XlsxWriter in
``constant_memory`` mode (rows streamed to disk, flat memory for a million rows) or CSV in
UTF-8 with BOM so Excel opens it in the right encoding. Every text cell that begins with
``= + - @`` (or a tab / carriage return) is prefixed with ``'`` so a spreadsheet never
evaluates it as a formula (CSV/formula injection, OWASP).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import logging
import os
import pickle
import re
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from shuangsuiji.common.text import FORBIDDEN, text_problem

HEADER_SCAN_ROWS = 10
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReadLimits:
    """What a file may hold before any reader touches it (settings ``IMPORT_*``). A file
    over a limit is refused with the limit named; a spreadsheet is then read in a child
    process capped at ``reader_memory_mb``, so a file that lies about itself costs at most
    that child."""

    max_rows: int = 1_000_000  # data rows; the header may sit in the first 10 rows
    max_columns: int = 200
    max_cell_chars: int = 32_767  # Excel's own limit for one cell
    max_uncompressed_mb: int = 2048  # all parts of an xlsx/ods, unpacked
    max_compression_ratio: int = 100  # for parts over 10 MB unpacked (zip bombs)
    reader_memory_mb: int = 3072


def read_limits() -> ReadLimits:
    try:
        from django.conf import settings

        configured = settings.configured
    except ImportError:  # pragma: no cover - tabular used without Django
        configured = False
    if not configured:
        return ReadLimits()
    defaults = ReadLimits()
    return ReadLimits(
        **{
            name: int(getattr(settings, f"IMPORT_{name.upper()}", getattr(defaults, name)))
            for name in ReadLimits.__dataclass_fields__
        }
    )


SPREADSHEET_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".ods")
CSV_EXTENSIONS = (".csv", ".txt", ".tsv")
ALLOWED_EXTENSIONS = SPREADSHEET_EXTENSIONS + CSV_EXTENSIONS

_CHUNK = 4 * 1024 * 1024
_SUFFIXES = {"xlsx": (".xlsx", ".xlsm"), "xls": (".xls",), "ods": (".ods",)}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class TableError(Exception):
    """The file as a whole cannot be read (format, encoding, header). Message in Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------------------------------
# Columns and header matching
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column an importer understands.

    ``header`` is the Chinese name as the documents write it (used on export and in the
    blank template); ``aliases`` are other names seen in real files. ``required`` means
    the column must be in the file and the cell must not be empty.
    """

    field: str
    header: str
    required: bool = False
    aliases: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)


_SPACES = re.compile(r"\s+")
_BRACKET_TAIL = re.compile(r"[(\[（【][^)\]）】]*[)\]）】]$")


def header_key(text: Any) -> str:
    """The form two headers are compared in: NFKC, no spaces, no ``*``, lower case."""
    if text is None:
        return ""
    value = unicodedata.normalize("NFKC", str(text))
    value = _SPACES.sub("", value).replace("*", "")
    return value.strip(":：").lower()


def _header_keys(text: Any) -> list[str]:
    key = header_key(text)
    keys = [key] if key else []
    stripped = _BRACKET_TAIL.sub("", key)
    if stripped and stripped != key:
        keys.append(stripped)
    return keys


def _match_headers(
    cells: Sequence[Any], columns: Sequence[Column]
) -> tuple[dict[str, int], list[str], list[str]]:
    """Maps column field → cell index. Returns (mapping, unknown headers, duplicated headers)."""
    lookup: dict[str, Column] = {}
    for column in columns:
        for name in column.names():
            lookup.setdefault(header_key(name), column)
    mapping: dict[str, int] = {}
    unknown: list[str] = []
    duplicated: list[str] = []
    for index, cell in enumerate(cells):
        text = cell_text(cell)
        if not text:
            continue
        column = None
        for key in _header_keys(text):
            column = lookup.get(key)
            if column is not None:
                break
        if column is None:
            unknown.append(text)
        elif column.field in mapping:
            duplicated.append(text)
        else:
            mapping[column.field] = index
    return mapping, unknown, duplicated


# ---------------------------------------------------------------------------------------
# Cell values
# ---------------------------------------------------------------------------------------


def unneutralise(text: str) -> str:
    """Undoes ``neutralise``: ``'=x`` → ``=x`` (only before a formula start character)."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text


def cell_text(value: Any) -> str:
    """A cell as the text a person typed: whole floats lose their ``.0``, dates are ISO,
    full-width characters and surrounding spaces are normalised away."""
    if value is None:
        return ""
    if isinstance(value, str):
        if not value:
            return ""
        if value.isascii():
            return value.strip()
        return unicodedata.normalize("NFKC", value).strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e17:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def cell_plain(value: Any) -> str:
    """Like ``cell_text`` but free text keeps its characters: names and addresses are
    written with full-width brackets and punctuation (上海某某（集团）有限公司) and must stay
    as registered; only surrounding spaces (also the full-width space) are removed."""
    if isinstance(value, str):
        return value.strip()
    return cell_text(value)


def number_lost_digits(value: Any) -> bool:
    """True when a long number (身份证号, 执法证号) was stored by Excel as a number and has
    lost its last digits: Excel keeps only 15 significant digits."""
    return isinstance(value, float) and abs(value) >= 1e15


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def cell_date(value: Any) -> dt.date | None:
    """A date cell or text: 2024-01-31, 2024/1/31, 2024.1.31, 2024年1月31日, 20240131, an
    Excel date cell, or an Excel day serial number (e.g. 45322). ``None`` for an empty
    cell. Raises ``ValueError`` with a Chinese reason for anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
        if number.is_integer() and 19000101 <= number <= 29991231:
            return cell_date(str(int(number)))
        if 1 <= number < 2958466:
            return _EXCEL_EPOCH + dt.timedelta(days=int(number))
        raise ValueError(f"日期格式无法识别：{cell_text(value)}")
    text = cell_text(value)
    if not text:
        return None
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                raise ValueError(f"日期不存在：{text}") from None
    raise ValueError(f"日期格式无法识别：{text}（应如 2024-01-31、2024/1/31 或 2024年1月31日）")


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------


def _sniff_kind(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    return "text"


def _detect_encoding(path: Path) -> tuple[str, int]:
    """(encoding, number of line breaks) after one strict decoding pass over the file."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise TableError(
            "文件是 UTF-16 编码（Excel 的“Unicode 文本”）：请另存为“CSV UTF-8（逗号分隔）”后再导入"
        )
    candidates = ["utf-8-sig"] if head.startswith(codecs.BOM_UTF8) else ["utf-8", "gb18030"]
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        lines = 0
        try:
            with open(path, "rb") as fh:
                while chunk := fh.read(_CHUNK):
                    decoder.decode(chunk)
                    lines += chunk.count(b"\n")
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            if encoding == "utf-8-sig":
                raise TableError(
                    "文件开头标明为 UTF-8 编码，但其中有无法按 UTF-8 解码的内容：请检查文件是否损坏"
                ) from None
            continue
        return encoding, lines
    raise TableError(
        "无法识别文件编码：既不是 UTF-8 也不是 GB18030（GBK）。请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 xlsx 后再导入"
    )


_ENCODING_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8（带 BOM）", "gb18030": "GB18030（GBK）"}


@dataclass
class Table:
    """An opened file; ``bind`` finds the header row for a set of columns."""

    path: Path
    name: str
    format: str  # "xlsx", "xls", "ods" or "csv"
    encoding: str | None = None
    sheet_name: str | None = None
    line_count: int | None = None
    _delimiter: str = ","
    sha256: str = ""  # set by importing.import_file, for the audit event

    @property
    def encoding_label(self) -> str:
        return _ENCODING_LABELS.get(self.encoding or "", self.encoding or "")

    def raw_rows(self) -> Iterator[tuple[int, list[Any]]]:
        """Every row as (row number as shown in Excel, cells), empty rows included. A cell
        with a character no field may hold (NUL, control, text-direction: common/text.py)
        refuses the file, naming row and column: nothing is imported."""
        rows = self._csv_rows() if self.format == "csv" else self._sheet_rows()
        for number, cells in rows:
            # One search per row (cells joined by an allowed character), not one per cell.
            if FORBIDDEN.search("\n".join(c for c in cells if type(c) is str)):
                col, problem = next(
                    (i, text_problem(c))
                    for i, c in enumerate(cells)
                    if type(c) is str and text_problem(c)
                )
                raise TableError(f"第{number}行第{col + 1}列{problem}")
            yield number, cells

    def _csv_rows(self) -> Iterator[tuple[int, list[Any]]]:
        limits = read_limits()
        with open(self.path, encoding=self.encoding, newline="") as fh:
            reader = csv.reader(fh, delimiter=self._delimiter)
            try:
                for number, row in enumerate(reader, start=1):
                    if len(row) > limits.max_columns:
                        raise TableError(
                            f"第{number}行有 {len(row)} 列，超过上限 {limits.max_columns} 列"
                        )
                    if row and max(map(len, row)) > limits.max_cell_chars:
                        col = max(range(len(row)), key=lambda i: len(row[i]))
                        raise TableError(
                            f"第{number}行第{col + 1}列的内容有 {len(row[col])} 个字符，"
                            f"超过单元格上限 {limits.max_cell_chars} 个字符"
                        )
                    yield number, row
            except csv.Error as exc:
                if "field larger than field limit" in str(exc):
                    raise TableError(
                        f"CSV 文件第{reader.line_num}行有单元格超过单元格上限 "
                        f"{limits.max_cell_chars} 个字符"
                    ) from None
                raise TableError(f"CSV 文件第{reader.line_num}行格式错误：{exc}") from None

    def _sheet_rows(self) -> Iterator[tuple[int, list[Any]]]:
        """The rows as read by calamine in a child process (``imports/sheet_reader.py``) with
        a memory cap: no file, however built, can take the web worker down with it."""
        limits = read_limits()
        args = {
            "path": str(self.path),
            "format": self.format,
            "by_name": self.path.suffix.lower() in _SUFFIXES[self.format],
            "memory_mb": limits.reader_memory_mb,
            "max_rows": limits.max_rows + HEADER_SCAN_ROWS,
            "max_columns": limits.max_columns,
            "max_cell_chars": limits.max_cell_chars,
        }
        with tempfile.TemporaryFile() as errors:
            proc = subprocess.Popen(
                [sys.executable, "-m", "shuangsuiji.imports.sheet_reader", json.dumps(args)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=errors,
                close_fds=True,
            )
            assert proc.stdout is not None
            try:
                while True:
                    try:
                        kind, payload = pickle.load(proc.stdout)
                    except EOFError:
                        break
                    if kind == "rows":
                        yield from payload
                    elif kind == "error":
                        raise TableError(payload)
                    else:
                        return
                code = proc.wait()
                errors.seek(0)
                log.warning(
                    "spreadsheet reader for %s ended with %s: %s",
                    self.name,
                    code,
                    errors.read(2000).decode("utf-8", "replace"),
                )
                raise TableError(
                    f"无法读取{self.format}文件：文件结构异常或内容过大，可能已损坏。请用 Excel 打开后"
                    f"另存为新文件再导入（读取时超出内存上限 {limits.reader_memory_mb} MB 或读取程序异常退出）"
                )
            finally:
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
                proc.stdout.close()

    def bind(self, columns: Sequence[Column]) -> BoundTable:
        """Finds the header row among the first rows and maps it to ``columns``.

        Raises ``TableError`` when no header row is found, a required column is missing or
        a column appears twice."""
        required = [c for c in columns if c.required]
        best: tuple[int, int, list[Any]] | None = None
        for number, cells in self.raw_rows():
            mapping, _unknown, _dup = _match_headers(cells, columns)
            score = len(mapping)
            if score and (best is None or score > best[1]):
                best = (number, score, cells)
            if number >= HEADER_SCAN_ROWS:
                break
        if best is None or best[1] < min(2, len(columns)):
            wanted = "」「".join(c.header for c in (required or columns)[:4])
            raise TableError(
                f"未找到表头：文件前{HEADER_SCAN_ROWS}行中没有包含「{wanted}」等列名的行。请使用导入模板的列名"
            )
        header_row, _score, cells = best
        mapping, unknown, duplicated = _match_headers(cells, columns)
        if duplicated:
            raise TableError(f"第{header_row}行表头中有重复的列：{'、'.join(duplicated)}")
        missing = [c.header for c in required if c.field not in mapping]
        if missing:
            raise TableError(f"缺少必填列：{'、'.join(missing)}（表头在第{header_row}行）")
        return BoundTable(
            self, list(columns), header_row, [cell_text(c) for c in cells], mapping, unknown
        )


@dataclass
class BoundTable:
    """A table whose header row is known: ``records()`` yields the data rows."""

    table: Table
    columns: list[Column]
    header_row: int
    headers: list[str]
    field_index: dict[str, int]
    unknown_headers: list[str] = field(default_factory=list)

    @property
    def present_fields(self) -> frozenset[str]:
        return frozenset(self.field_index)

    def header_of(self, field_name: str) -> str:
        """The column's name as the file writes it (for error messages), else the template's."""
        index = self.field_index.get(field_name)
        if index is not None and index < len(self.headers) and self.headers[index]:
            return self.headers[index]
        for column in self.columns:
            if column.field == field_name:
                return column.header
        return field_name

    def total_hint(self) -> int | None:
        """An estimate of the data rows, for progress bars (exact for spreadsheets)."""
        if self.table.format == "csv":
            if self.table.line_count is None:
                return None
            return max(self.table.line_count - self.header_row, 0)
        return None

    def data_rows(self) -> Iterator[tuple[int, list[Any]]]:
        """(row number, cells) of every non-empty row after the header row."""
        header_row = self.header_row
        if self.table.format == "csv":
            yield from self._csv_data_rows()
            return
        for number, cells in self.table.raw_rows():
            if number <= header_row:
                continue
            for cell in cells:
                if cell != "" and cell is not None and (not isinstance(cell, str) or cell.strip()):
                    break
            else:
                continue
            yield number, cells

    def _csv_data_rows(self) -> Iterator[tuple[int, list[str]]]:
        """``data_rows`` for CSV in one generator (a million rows: each layer counts)."""
        table, header_row = self.table, self.header_row
        with open(table.path, encoding=table.encoding, newline="") as fh:
            reader = csv.reader(fh, delimiter=table._delimiter)
            number = 0
            try:
                for cells in reader:
                    number += 1
                    # Every cell is text: empty, or only spaces, means an empty row.
                    if (
                        number > header_row
                        and any(cells)
                        and (cells[0].strip() or "".join(cells).strip())
                    ):
                        yield number, cells
            except csv.Error as exc:
                raise TableError(f"CSV 文件第{reader.line_num}行格式错误：{exc}") from None

    def records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(row number, {field: raw cell}) of every non-empty data row. Missing cells are
        ``""``; text cells have ``neutralise``'s ``'`` removed."""
        items = list(self.field_index.items())
        for number, cells in self.data_rows():
            size = len(cells)
            record = {}
            for name, index in items:
                value = cells[index] if index < size else ""
                if isinstance(value, str) and value[:1] == "'":
                    value = unneutralise(value)
                record[name] = value
            yield number, record


def open_table(path: str | os.PathLike, *, filename: str | None = None) -> Table:
    """Opens an uploaded or local file. ``filename`` is the user's original name (its
    extension must be one of ``ALLOWED_EXTENSIONS``); the content decides the format."""
    path = Path(path)
    name = filename or path.name
    ext = Path(name).suffix.lower()
    if ext not in ALLOWED_EXTENSIONS:
        raise TableError(
            f"不支持的文件类型「{ext or '无扩展名'}」：请上传 xlsx、xls、ods 或 csv 文件"
        )
    if not path.exists():
        raise TableError(f"文件不存在：{path}")
    if path.stat().st_size == 0:
        raise TableError("文件是空的")
    kind = _sniff_kind(path)
    if kind == "zip":
        fmt = _zip_format(path)
        _zip_check(path, fmt, read_limits())
        return Table(path, name, fmt, sheet_name=None)
    if kind == "xls":
        return Table(path, name, "xls")
    if ext in SPREADSHEET_EXTENSIONS:
        raise TableError(
            f"文件扩展名是「{ext}」，但内容不是 Excel/ODS 表格：文件可能已损坏，或是改了扩展名的文本文件"
        )
    encoding, lines = _detect_encoding(path)
    limits = read_limits()
    if lines > limits.max_rows + HEADER_SCAN_ROWS:
        raise TableError(
            f"文件有 {lines} 行，超过上限 {limits.max_rows + HEADER_SCAN_ROWS} 行"
            f"（每个文件最多 {limits.max_rows} 行数据）：请拆分后分批导入"
        )
    delimiter = _sniff_delimiter(path, encoding, ext)
    return Table(path, name, "csv", encoding=encoding, line_count=lines, _delimiter=delimiter)


def _zip_format(path: Path) -> str:
    """xlsx or ods, from the zip's own table of contents."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and b"opendocument.spreadsheet" in archive.read("mimetype"):
                return "ods"
            if "[Content_Types].xml" in names:
                return "xlsx"
    except (zipfile.BadZipFile, OSError, KeyError):
        raise TableError("文件已损坏：无法作为 xlsx/ods 打开") from None
    raise TableError("文件是压缩包，但不是 xlsx 或 ods 表格")


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*\bref=\"([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?\"")
_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
_REL_TAG = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')
_MB = 1024 * 1024


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + (ch - 64)
    return number


def _zip_check(path: Path, fmt: str, limits: ReadLimits) -> None:
    """Refuses an xlsx/ods by what its zip directory and its first sheet declare, before any
    reader runs: the unpacked size, each large part's compression ratio (a zip bomb packs
    gigabytes of one repeated byte) and, for xlsx, the declared range of the first sheet
    (two cells at opposite corners declare 1,048,576 × 16,384 cells)."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > 10_000:
                raise TableError(f"文件包含 {len(infos)} 个部件，不是正常的表格文件")
            total = sum(i.file_size for i in infos)
            if total > limits.max_uncompressed_mb * _MB:
                raise TableError(
                    f"文件解压后共 {total / _MB:.0f} MB，超过上限 {limits.max_uncompressed_mb} MB"
                    "：请拆分后分批导入"
                )
            for info in infos:
                ratio = info.file_size / max(info.compress_size, 1)
                if info.file_size > 10 * _MB and ratio > limits.max_compression_ratio:
                    raise TableError(
                        f"文件中的「{info.filename}」解压后 {info.file_size / _MB:.0f} MB，压缩比 "
                        f"{ratio:.0f} 倍，超过上限 {limits.max_compression_ratio} 倍：不是正常的表格文件"
                    )
            if fmt == "xlsx":
                _xlsx_dimension_check(archive, limits)
    except (zipfile.BadZipFile, OSError, KeyError, EOFError):
        raise TableError("文件已损坏：无法作为 xlsx/ods 打开") from None


def _first_sheet_part(archive: zipfile.ZipFile) -> str | None:
    """The part of the workbook's first sheet (the one imported), from workbook.xml and its
    relationships; ``None`` when they cannot be followed (the reader then decides)."""
    names = set(archive.namelist())
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return None
    for part in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
        if archive.getinfo(part).file_size > 10 * _MB:
            raise TableError("文件的工作簿目录异常庞大，不是正常的表格文件")
    sheet = _SHEET_TAG.search(archive.read("xl/workbook.xml"))
    if sheet is None:
        return None
    rid = next((v for k, v in _ATTR.findall(sheet.group(0)) if k.endswith(b":id")), None)
    for tag in _REL_TAG.findall(archive.read("xl/_rels/workbook.xml.rels")):
        attrs = dict(_ATTR.findall(tag))
        if attrs.get(b"Id") == rid and b"Target" in attrs:
            target = attrs[b"Target"].decode("utf-8", "replace")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def _xlsx_dimension_check(archive: zipfile.ZipFile, limits: ReadLimits) -> None:
    part = _first_sheet_part(archive)
    if part is None or part not in set(archive.namelist()):
        return
    with archive.open(part) as fh:
        head = fh.read(64 * 1024)  # <dimension> comes before <sheetData>
    found = _DIMENSION.search(head)
    if found is None:
        return
    last_col, last_row = found.group(3) or found.group(1), found.group(4) or found.group(2)
    rows, columns = int(last_row), _column_number(last_col)
    if rows > limits.max_rows + HEADER_SCAN_ROWS or columns > limits.max_columns:
        ref = found.group(0).split(b'ref="')[1].rstrip(b'"').decode()
        raise TableError(
            f"工作表声明的范围为 {ref}（{rows} 行 × {columns} 列），超过上限："
            f"每个文件最多 {limits.max_rows} 行数据、{limits.max_columns} 列。"
            "如表格末尾有多余的格式或空白内容，请删除后另存再导入"
        )


def _sniff_delimiter(path: Path, encoding: str, ext: str) -> str:
    if ext == ".tsv":
        return "\t"
    with open(path, encoding=encoding, newline="") as fh:
        sample = fh.read(64 * 1024)
    first_lines = sample.splitlines()[:HEADER_SCAN_ROWS]
    commas = sum(line.count(",") for line in first_lines)
    tabs = sum(line.count("\t") for line in first_lines)
    return "\t" if tabs > commas else ","


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------


def neutralise(value: Any) -> Any:
    """Prefixes ``'`` to text that a spreadsheet would run as a formula."""
    if isinstance(value, str) and value and value[0] in _FORMULA_START:
        return "'" + value
    return value


class TableWriter:
    """Common interface of the writers: ``write_row(values)`` then ``close()``."""

    rows_written = 0

    def write_row(self, values: Sequence[Any]) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def write_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            self.write_row(row)

    def close(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class XlsxWriter(TableWriter):
    """Streams rows into an xlsx file (XlsxWriter, ``constant_memory``): text stays text
    (long numbers such as 身份证号 keep their digits), dates are real date cells."""

    def __init__(
        self,
        target: str | os.PathLike | IO[bytes],
        headers: Sequence[str],
        *,
        sheet_name: str = "Sheet1",
        title: str | None = None,
        widths: Sequence[int] | None = None,
    ):
        import xlsxwriter

        to_path = isinstance(target, (str, os.PathLike))
        # constant_memory streams rows to a temp file (flat memory for a million rows);
        # a file-like target (a small download) is built in memory instead.
        self._book = xlsxwriter.Workbook(
            str(target) if to_path else target,
            {
                "constant_memory": to_path,
                "in_memory": not to_path,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        self._sheet = self._book.add_worksheet(sheet_name[:31])
        self._date = self._book.add_format({"num_format": "yyyy-mm-dd"})
        self._datetime = self._book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        head = self._book.add_format({"bold": True, "bg_color": "#EEF2F7", "border": 1})
        self._row = 0
        if title:
            self._sheet.write_string(
                0, 0, neutralise(title), self._book.add_format({"bold": True, "font_size": 14})
            )
            self._row = 1
        for col, header in enumerate(headers):
            width = (
                widths[col]
                if widths and col < len(widths)
                else max(10, min(40, len(str(header)) * 2 + 4))
            )
            self._sheet.set_column(col, col, width)
            self._sheet.write_string(self._row, col, neutralise(str(header)), head)
        self._sheet.freeze_panes(self._row + 1, 0)
        self._row += 1
        self.rows_written = 0

    def write_row(self, values: Sequence[Any]) -> None:
        sheet, row = self._sheet, self._row
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                sheet.write_string(row, col, neutralise(value))
            elif isinstance(value, bool):
                sheet.write_string(row, col, "是" if value else "否")
            elif isinstance(value, (int, float)):
                sheet.write_number(row, col, value)
            elif isinstance(value, dt.datetime):
                sheet.write_datetime(row, col, value.replace(tzinfo=None), self._datetime)
            elif isinstance(value, dt.date):
                sheet.write_datetime(row, col, value, self._date)
            else:
                sheet.write_string(row, col, neutralise(str(value)))
        self._row += 1
        self.rows_written += 1

    def close(self) -> None:
        self._book.close()


class CsvWriter(TableWriter):
    """CSV in UTF-8 with BOM (so Excel on Windows opens it as UTF-8), CRLF line ends."""

    def __init__(
        self,
        target: str | os.PathLike | IO[bytes],
        headers: Sequence[str],
        *,
        title: str | None = None,
        **_ignored,
    ):
        if isinstance(target, (str, os.PathLike)):
            self._fh = open(target, "w", encoding="utf-8-sig", newline="")
            self._own = True
        else:
            self._fh = io.TextIOWrapper(
                target, encoding="utf-8-sig", newline="", write_through=True
            )
            self._own = False
        self._csv = csv.writer(self._fh, lineterminator="\r\n")
        if title:
            self._csv.writerow([neutralise(title)])
        self._csv.writerow([neutralise(str(h)) for h in headers])
        self.rows_written = 0

    def write_row(self, values: Sequence[Any]) -> None:
        self._csv.writerow([_csv_cell(v) for v in values])
        self.rows_written += 1

    def close(self) -> None:
        if self._own:
            self._fh.close()
        else:
            self._fh.flush()
            self._fh.detach()


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


WRITE_FORMATS = {"xlsx": XlsxWriter, "csv": CsvWriter}


def open_writer(
    target: str | os.PathLike | IO[bytes], fmt: str, headers: Sequence[str], **options
) -> TableWriter:
    """A writer for ``fmt`` ("xlsx" or "csv"); use it as a context manager."""
    try:
        cls = WRITE_FORMATS[fmt]
    except KeyError:
        raise TableError(f"不支持的导出格式「{fmt}」：可选 xlsx 或 csv") from None
    return cls(target, headers, **options)
