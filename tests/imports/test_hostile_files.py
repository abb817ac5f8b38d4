"""Hostile spreadsheets (issue 11 item 1): refused by what they declare before any reader
runs, or read in a capped child process so that nothing a file does reaches the web worker
(imports/tabular.py ReadLimits, imports/sheet_reader.py). Each refusal names its limit and
changes nothing in the database."""

import os
import random
import re
import string
import zipfile

import pytest
import xlsxwriter

from shuangsuiji.imports.framework import import_file
from shuangsuiji.imports.tabular import TableError, open_table
from shuangsuiji.registry.models import Entity
from tests.factories.files import write_csv, write_xlsx

HEADER = ["统一社会信用代码", "名称", "类型"]


def _rows(path):
    return list(open_table(path).raw_rows())


def _corners(path, *, declared=True):
    """Two cells at opposite corners of the sheet: 1.6 KB that spans 1,048,576 × 16,384 cells."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    sheet.write(1_048_575, 16_383, "x")
    book.close()
    if not declared:  # the same file lying about its range
        _rewrite(
            path,
            "xl/worksheets/sheet1.xml",
            lambda d: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1"/>', d),
        )
    return path


def _rewrite(path, part, change):
    src = path.with_suffix(".orig")
    os.replace(path, src)
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info.filename)
            new.writestr(info, change(data) if info.filename == part else data)
    src.unlink()


def _one_cell(path, text):
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet().write(0, 0, "PLACEHOLDER")
    book.close()
    _rewrite(path, "xl/sharedStrings.xml", lambda d: d.replace(b"PLACEHOLDER", text.encode()))
    return path


def test_two_cells_at_opposite_corners_are_refused_by_the_declared_range(tmp_path):
    path = _corners(tmp_path / "corners.xlsx")
    assert path.stat().st_size < 10_000
    with pytest.raises(TableError) as refused:
        open_table(path)
    assert (
        "A1:XFD1048576" in refused.value.message
        and "1048576 行 × 16384 列" in refused.value.message
    )
    assert "最多 1000000 行数据、200 列" in refused.value.message


def test_the_same_file_lying_about_its_range_kills_only_the_reader_process(tmp_path):
    # calamine aborts the process (SIGABRT) allocating the range: only the child dies.
    path = _corners(tmp_path / "corners.xlsx", declared=False)
    table = open_table(path)
    with pytest.raises(TableError, match=r"文件结构异常或内容过大.*读取时超出内存上限 \d+ MB"):
        _rows(table.path)
    assert os.getpid()  # still here: the test process read it through the same code


def test_a_zip_bomb_cell_is_refused_by_its_compression_ratio(tmp_path):
    path = _one_cell(tmp_path / "bomb.xlsx", "a" * (20 * 1024 * 1024))
    assert path.stat().st_size < 200_000
    with pytest.raises(
        TableError, match=r"sharedStrings.xml」解压后 20 MB，压缩比 \d+ 倍，超过上限 100 倍"
    ):
        open_table(path)


def test_a_cell_longer_than_excel_allows_is_refused_naming_row_and_column(tmp_path):
    text = "".join(random.Random(1).choices(string.ascii_letters, k=32_768))
    with pytest.raises(
        TableError, match="第1行 A 列的内容有 32768 个字符，超过单元格上限 32767 个字符"
    ):
        _rows(_one_cell(tmp_path / "long.xlsx", text))
    assert len(_rows(_one_cell(tmp_path / "ok.xlsx", text[:32_767]))[0][1][0]) == 32_767


def test_the_limits_are_settings_and_reach_the_reader_process(tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 5
    rows = [HEADER, *[[f"9131011700000000{i:02d}", f"公司{i}", "企业"] for i in range(30)]]
    with pytest.raises(TableError, match=r"31 行 × 3 列.*最多 5 行数据"):
        open_table(write_xlsx(tmp_path / "many.xlsx", rows))
    with pytest.raises(TableError, match="文件有 31 行，超过上限 15 行"):
        open_table(write_csv(tmp_path / "many.csv", rows))
    settings.IMPORT_MAX_ROWS = 1_000_000
    settings.IMPORT_MAX_CELL_CHARS = 4
    with pytest.raises(TableError, match="第1行 A 列的内容有 8 个字符，超过单元格上限 4 个字符"):
        _rows(write_xlsx(tmp_path / "cells.xlsx", rows))
    with pytest.raises(TableError, match="第1行第1列的内容有 8 个字符，超过单元格上限 4 个字符"):
        _rows(write_csv(tmp_path / "cells.csv", rows))
    settings.IMPORT_MAX_CELL_CHARS = 32_767
    settings.IMPORT_MAX_COLUMNS = 2
    with pytest.raises(TableError, match="第1行有 3 列，超过上限 2 列"):
        _rows(write_csv(tmp_path / "wide.csv", rows))
    settings.IMPORT_MAX_COLUMNS = 200
    settings.IMPORT_MAX_UNCOMPRESSED_MB = 0
    with pytest.raises(TableError, match="文件解压后共 0 MB，超过上限 0 MB"):
        open_table(write_xlsx(tmp_path / "small.xlsx", rows))


def test_the_reader_process_is_capped_in_memory(tmp_path, settings):
    rows = [
        HEADER,
        *[[f"91310117{i:010d}", f"某某建设工程有限公司{i}" * 8, "企业"] for i in range(50_000)],
    ]
    path = write_xlsx(tmp_path / "ok.xlsx", rows)
    assert len(_rows(path)) == 50_001
    settings.IMPORT_READER_MEMORY_MB = 40  # the reader needs more for this sheet
    with pytest.raises(TableError, match="超出内存上限 40 MB"):
        _rows(path)


@pytest.mark.django_db
def test_an_import_of_a_hostile_file_is_a_file_error_and_writes_nothing(tmp_path, dept):
    for path in (_corners(tmp_path / "a.xlsx"), _corners(tmp_path / "b.xlsx", declared=False)):
        result = import_file("entities", path=path, department=dept, actor="命令行")
        assert result.file_error is not None and not result.committed
        assert "上限" in result.file_error.message
    assert not Entity.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["某某\x00公司", "某某公司\u202e司公", "a\x07b"])
def test_a_cell_with_a_forbidden_character_refuses_the_file_naming_row_and_column(
    tmp_path, dept, bad
):
    rows = [["统一社会信用代码", "名称", "类型"], ["91310117MA1G000008", bad, "企业"]]
    for path in (write_csv(tmp_path / "bad.csv", rows), write_xlsx(tmp_path / "bad.xlsx", rows)):
        result = import_file("entities", path=path, department=dept, actor="命令行")
        assert result.file_error is not None and not result.committed
        assert result.file_error.message.startswith("第2行第2列含有不允许的字符 U+")
    assert not Entity.objects.exists()
