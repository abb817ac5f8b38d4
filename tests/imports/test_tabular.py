"""Reading and writing the tables departments exchange (imports/tabular.py)."""

import datetime as dt

import pytest

from shuangsuiji.imports import tabular
from shuangsuiji.imports.tabular import Column, TableError, open_table, open_writer
from tests.factories.files import (
    ROSTER_HEADERS,
    ROSTER_ROWS,
    ROSTER_TITLE,
    read_sheet,
    write_csv,
    write_ods,
    write_xls,
    write_xlsx,
)

ROSTER_COLUMNS = [
    Column("seq", "序号"),
    Column("name", "姓名", required=True),
    Column("gender", "性别"),
    Column("unit", "单位"),
    Column("area", "执法区域"),
    Column("issuer", "发证机关"),
    Column("cert_no", "执法证号", required=True),
    Column("category", "执法类别"),
    Column("mobile", "手机号码", aliases=("手机号",)),
    Column("remark", "备注"),
]


def _records(path, **kw):
    return list(open_table(path, **kw).bind(ROSTER_COLUMNS).records())


def test_it_reads_the_roster_of_003_annex5_below_its_title_row(tmp_path):
    path = write_xlsx(tmp_path / "名录.xlsx", [ROSTER_HEADERS, *ROSTER_ROWS], title=ROSTER_TITLE)
    bound = open_table(path).bind(ROSTER_COLUMNS)
    assert bound.header_row == 2
    records = list(bound.records())
    # Row numbers as Excel shows them: title 1, header 2, first person 3.
    assert [n for n, _ in records] == [3, 4, 5]
    first = records[0][1]
    assert first["name"] == "王朕"
    assert tabular.cell_text(first["cert_no"]) == "13080716001"
    assert tabular.cell_text(first["mobile"]) == "13110895362"


def test_it_matches_headers_written_in_full_width_with_spaces_and_required_marks(tmp_path):
    headers = ["序　号", " 姓 名 *", "＊执法证号", "手机号码（选填）", "性别:"]
    path = write_csv(
        tmp_path / "a.csv", [headers, ["1", "王朕", "13080716001", "13110895362", "男"]]
    )
    bound = open_table(path).bind(ROSTER_COLUMNS)
    assert set(bound.field_index) == {"seq", "name", "cert_no", "mobile", "gender"}
    assert bound.header_of("name") == "姓 名 *"


def test_it_reports_unknown_columns_without_failing(tmp_path):
    path = write_csv(tmp_path / "a.csv", [["姓名", "执法证号", "籍贯"], ["王朕", "1", "福建"]])
    bound = open_table(path).bind(ROSTER_COLUMNS)
    assert bound.unknown_headers == ["籍贯"]


@pytest.mark.parametrize(
    "encoding,label",
    [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8（带 BOM）"), ("gb18030", "GB18030（GBK）")],
)
def test_it_detects_the_csv_encoding(tmp_path, encoding, label):
    path = write_csv(tmp_path / "a.csv", [ROSTER_HEADERS, *ROSTER_ROWS], encoding=encoding)
    table = open_table(path)
    assert table.encoding_label == label
    records = list(table.bind(ROSTER_COLUMNS).records())
    assert records[1][1]["name"] == "石金文"
    assert records[0][0] == 2


def test_it_refuses_a_csv_in_neither_utf8_nor_gb18030(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes("姓名,执法证号\n".encode() + b"\x80\x80\xff,1\n")
    with pytest.raises(TableError, match="无法识别文件编码"):
        open_table(path)


def test_it_refuses_utf16_with_advice(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes("姓名,执法证号\n".encode("utf-16"))
    with pytest.raises(TableError, match="UTF-16"):
        open_table(path)


def test_it_reads_tab_separated_text(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("姓名\t执法证号\n王朕\t13080716001\n", encoding="utf-8")
    assert _records(path)[0][1] == {"name": "王朕", "cert_no": "13080716001"}


def test_it_reads_ods(tmp_path):
    path = write_ods(tmp_path / "a.ods", [[ROSTER_TITLE], ROSTER_HEADERS, *ROSTER_ROWS])
    records = _records(path)
    assert records[0][0] == 3
    assert records[2][1]["name"] == "王培相"


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("a.pdf", b"%PDF", "不支持的文件类型"),
        ("a.xlsx", "姓名,执法证号\n".encode(), "内容不是 Excel"),
        ("a.csv", b"", "文件是空的"),
    ],
)
def test_it_refuses_files_that_are_not_tables(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(TableError, match=message):
        open_table(path)


def test_the_content_decides_the_format_not_the_name(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [ROSTER_HEADERS, *ROSTER_ROWS])
    renamed = path.rename(tmp_path / "upload.bin")
    table = open_table(renamed, filename="名录.xlsx")
    assert table.format == "xlsx"
    assert table.name == "名录.xlsx"


def test_a_missing_required_column_is_named(tmp_path):
    path = write_csv(tmp_path / "a.csv", [["序号", "姓名", "性别"], ["1", "王朕", "男"]])
    with pytest.raises(TableError, match="缺少必填列：执法证号"):
        open_table(path).bind(ROSTER_COLUMNS)


def test_no_header_in_the_first_rows_is_an_error(tmp_path):
    path = write_csv(tmp_path / "a.csv", [["甲", "乙"], ["1", "2"]])
    with pytest.raises(TableError, match="未找到表头"):
        open_table(path).bind(ROSTER_COLUMNS)


def test_a_column_given_twice_is_an_error(tmp_path):
    path = write_csv(
        tmp_path / "a.csv", [["姓名", "执法证号", "手机号码", "手机号"], ["王朕", "1", "1", "2"]]
    )
    with pytest.raises(TableError, match="重复的列"):
        open_table(path).bind(ROSTER_COLUMNS)


def test_empty_rows_are_skipped_and_row_numbers_kept(tmp_path):
    path = write_csv(
        tmp_path / "a.csv", [["姓名", "执法证号"], ["王朕", "1"], ["", ""], ["石金文", "2"]]
    )
    assert [n for n, _ in _records(path)] == [2, 4]


@pytest.mark.parametrize(
    "raw",
    [
        "2024-01-31",
        "2024/1/31",
        "2024.1.31",
        "2024年1月31日",
        "20240131",
        dt.date(2024, 1, 31),
        dt.datetime(2024, 1, 31, 0, 0),
        45322,
        45322.0,
        "２０２４－０１－３１",
        " 2024-01-31 ",
    ],
)
def test_dates_in_the_forms_people_type(raw):
    assert tabular.cell_date(raw) == dt.date(2024, 1, 31)


@pytest.mark.parametrize(
    "raw,message",
    [
        ("2024-02-30", "日期不存在"),
        ("明年", "日期格式无法识别"),
        ("31/01/2024", "日期格式无法识别"),
    ],
)
def test_bad_dates_say_why(raw, message):
    with pytest.raises(ValueError, match=message):
        tabular.cell_date(raw)


def test_cell_text_undoes_what_excel_does_to_numbers():
    assert tabular.cell_text(13110895362.0) == "13110895362"
    assert tabular.cell_text(" ＡＢＣ１２３ ") == "ABC123"
    assert tabular.cell_text(1.5) == "1.5"
    assert tabular.number_lost_digits(3.50881198001011e17)
    assert not tabular.number_lost_digits(13110895362.0)
    # Free text keeps its full-width brackets (names are registered that way).
    assert tabular.cell_plain(" 上海某某（集团）有限公司\u3000") == "上海某某（集团）有限公司"


@pytest.mark.parametrize("value", ["=1+1", "+86", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_text_is_neutralised(value):
    assert tabular.neutralise(value) == "'" + value
    assert tabular.unneutralise("'" + value) == value


def test_plain_text_is_not_touched():
    assert tabular.neutralise("王朕") == "王朕"
    assert tabular.neutralise(5) == 5
    assert tabular.unneutralise("'引号开头") == "'引号开头"


def test_the_xlsx_writer_neutralises_formulas_and_keeps_long_numbers_as_text(tmp_path):
    path = tmp_path / "out.xlsx"
    with open_writer(path, "xlsx", ["名称", "身份证号", "日期", "数量"]) as writer:
        writer.write_row(
            ['=HYPERLINK("http://evil")', "350881198001011234", dt.date(2024, 1, 31), 3]
        )
    rows = read_sheet(path)
    assert rows[0] == ["名称", "身份证号", "日期", "数量"]
    assert rows[1][0] == '\'=HYPERLINK("http://evil")'
    assert rows[1][1] == "350881198001011234"
    assert rows[1][2] == dt.date(2024, 1, 31)
    assert rows[1][3] == 3
    # Read back through the importer's reader, the apostrophe is gone again.
    bound = open_table(path).bind([Column("name", "名称"), Column("id", "身份证号")])
    assert next(bound.records())[1]["name"] == '=HYPERLINK("http://evil")'


def test_the_csv_writer_writes_a_bom_for_excel_and_neutralises(tmp_path):
    path = tmp_path / "out.csv"
    with open_writer(path, "csv", ["名称", "备注"]) as writer:
        writer.write_row(["@cmd", "-1"])
        writer.write_row(["正常", None])
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines() == ["名称,备注", "'@cmd,'-1", "正常,"]


def test_an_unknown_export_format_is_refused(tmp_path):
    with pytest.raises(TableError, match="不支持的导出格式"):
        open_writer(tmp_path / "x.pdf", "pdf", ["a"])


def test_it_reads_xls(tmp_path):
    path = write_xls(tmp_path / "名录.xls", [[ROSTER_TITLE], ROSTER_HEADERS, *ROSTER_ROWS])
    table = open_table(path)
    assert table.format == "xls"
    records = list(table.bind(ROSTER_COLUMNS).records())
    assert [n for n, _ in records] == [3, 4, 5]
    assert records[0][1]["name"] == "王朕" and records[0][1]["cert_no"] == "13080716001"


def test_a_spreadsheet_saved_under_the_other_extension_is_still_read(tmp_path):
    ods = write_ods(tmp_path / "a.ods", [ROSTER_HEADERS, *ROSTER_ROWS]).rename(tmp_path / "a.xlsx")
    assert open_table(ods).format == "ods" and len(_records(ods)) == 3
    xlsx = write_xlsx(tmp_path / "b.xlsx", [ROSTER_HEADERS, *ROSTER_ROWS]).rename(
        tmp_path / "b.xls"
    )
    assert open_table(xlsx).format == "xlsx" and len(_records(xlsx)) == 3


@pytest.mark.parametrize(
    "content",
    [
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000,
        b"PK\x03\x04" + b"\x01" * 500,
    ],
)
def test_a_damaged_spreadsheet_is_a_clear_error(tmp_path, content):
    path = tmp_path / "坏文件.xls"
    path.write_bytes(content)
    with pytest.raises(TableError, match="损坏"):
        open_table(path).bind(ROSTER_COLUMNS)


def test_a_truncated_xls_is_a_clear_error(tmp_path):
    good = write_xls(tmp_path / "a.xls", [ROSTER_HEADERS, *ROSTER_ROWS]).read_bytes()
    path = tmp_path / "b.xls"
    path.write_bytes(good[:1500])
    with pytest.raises(TableError, match="损坏"):
        open_table(path).bind(ROSTER_COLUMNS)
