import csv
import datetime as dt
from decimal import Decimal

import pytest

from shuangsuiji.audit.models import Event, RecordChange
from shuangsuiji.audit.services import chain_verify
from shuangsuiji.catalog.choices import ChangeKind
from shuangsuiji.catalog.models import Item, ItemVersion
from shuangsuiji.catalog.services import item_revise
from shuangsuiji.cli import main as ssj
from shuangsuiji.common.errors import NotAllowed
from shuangsuiji.imports import tabular
from shuangsuiji.imports.framework import CLI_ACTOR, export_file, import_file
from tests.factories.catalog import content, make_item

pytestmark = pytest.mark.django_db

HEADER = [
    "序号",
    "事项编码",
    "事项名称",
    "事项类别",
    "抽查领域",
    "检查对象",
    "检查内容",
    "检查方式",
    "检查依据",
    "检查主体",
    "责任单位",
    "实施层级",
    "抽查比例",
    "抽查频次",
    "检查表单",
    "变更理由",
    "生效日期",
]
ROW_GAS = [
    "1",
    "SJ-RQ-02",
    "燃气经营监督执法检查",
    "一般检查事项",
    "燃气经营监督执法检查(云监码)",
    "燃气经营企业",
    "燃气经营许可证取得情况检查；燃气经营监督执法检查",
    "现场检查、书面检查",
    "《城镇燃气管理条例》第十五条",
    "松江区建设和管理委员会",
    "燃气所",
    "区级部门联合抽查事项",
    "6%",
    "9月",
    "燃气经营许可证是否有效；是否向无证单位供气",
    "",
    "2024-01-01",
]
ROW_BASEMENT = [
    "2",
    "SJ-ZG-03",
    "地下空间安全使用执法检查",
    "重点",
    "地下空间安全使用执法检查(云监码)",
    "普通地下室",
    "地下空间安全使用情况检查",
    "现场检查",
    "《上海市民防条例》",
    "松江区建设和管理委员会",
    "综管中心",
    "区级部门联合抽查事项",
    "0.2",
    "1月、4月、6月、9月、12月",
    "使用用途与备案\n消防通道与设施",
    "",
    "2024/1/1",
]


def _csv(path, rows, *, encoding="utf-8-sig", header=HEADER):
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _import(path, dept, **kwargs):
    kwargs.setdefault("actor", CLI_ACTOR)
    return import_file("items", path=path, department=dept, **kwargs)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_import_creates_items_from_a_file_with_the_documents_headers(tmp_path, dept, encoding):
    path = _csv(tmp_path / "清单.csv", [ROW_GAS, ROW_BASEMENT], encoding=encoding)
    result = _import(path, dept)
    assert result.committed and not result.errors, result.errors
    assert (result.total, result.created, result.updated, result.unchanged) == (2, 2, 0, 0)
    gas = Item.objects.get(department=dept, code="SJ-RQ-02").current
    assert (
        gas.number == 1
        and gas.change_kind == ChangeKind.CREATE
        and gas.change_reason == "批量导入新增"
    )
    assert gas.methods == ["on_site", "document"] and gas.default_ratio == Decimal("6")
    assert gas.checklist == ["燃气经营许可证是否有效", "是否向无证单位供气"]
    assert gas.field == "燃气经营监督执法检查(云监码)"
    basement = Item.objects.get(department=dept, code="SJ-ZG-03").current
    assert basement.category == "key" and basement.default_ratio == Decimal("0.2")
    assert basement.checklist == [
        "使用用途与备案",
        "消防通道与设施",
    ] and basement.effective_date == dt.date(2024, 1, 1)
    event = Event.objects.get(action="import.items")
    assert event.after["created"] == 2 and RecordChange.objects.filter(event=event).count() == 2
    assert chain_verify().ok


def test_reimporting_the_same_file_changes_nothing(tmp_path, dept):
    path = _csv(tmp_path / "清单.csv", [ROW_GAS, ROW_BASEMENT])
    _import(path, dept)
    versions = ItemVersion.objects.count()
    result = _import(path, dept)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert "未发生任何变更" in result.summary()
    assert ItemVersion.objects.count() == versions


def test_a_changed_row_makes_a_new_version_and_keeps_the_old_one(tmp_path, dept):
    _import(_csv(tmp_path / "v1.csv", [ROW_GAS, ROW_BASEMENT]), dept)
    changed = list(ROW_GAS)
    changed[12] = "10%"
    changed[16] = "2024-07-01"
    result = _import(_csv(tmp_path / "v2.csv", [changed, ROW_BASEMENT]), dept)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    item = Item.objects.get(code="SJ-RQ-02")
    assert item.current.number == 2 and item.current.change_kind == ChangeKind.AMEND
    assert item.current.change_reason == "批量导入更新" and item.current.default_ratio == Decimal(
        "10"
    )
    assert item.versions.get(number=1).default_ratio == Decimal("6")
    change = RecordChange.objects.filter(object_id=str(item.pk)).order_by("-id").first()
    assert change.changes["default_ratio"] == ["6", "10"]


def test_a_change_reason_and_interpretation_from_the_file_are_kept(tmp_path, dept):
    _import(_csv(tmp_path / "v1.csv", [ROW_GAS]), dept)
    header = [*HEADER, "变更类型"]
    changed = list(ROW_GAS)
    changed[6] = "燃气经营许可证取得情况检查（含分支机构）"
    changed[15] = "住建部对许可范围作出解释"
    _import(_csv(tmp_path / "v2.csv", [[*changed, "解释"]], header=header), dept)
    current = Item.objects.get(code="SJ-RQ-02").current
    assert (
        current.change_kind == ChangeKind.INTERPRET
        and current.change_reason == "住建部对许可范围作出解释"
    )


def test_a_row_marked_repealed_repeals_the_item(tmp_path, dept):
    _import(_csv(tmp_path / "v1.csv", [ROW_GAS]), dept)
    header = [*HEADER, "变更类型"]
    row = list(ROW_GAS)
    row[15], row[16] = "依据的条款已删除", "2024-09-01"
    result = _import(_csv(tmp_path / "v2.csv", [[*row, "废止"]], header=header), dept)
    assert result.updated == 1
    item = Item.objects.get(code="SJ-RQ-02")
    assert item.is_repealed and item.current.change_kind == ChangeKind.REPEAL
    again = _import(_csv(tmp_path / "v3.csv", [[*row, "废止"]], header=header), dept)
    assert again.unchanged == 1 and item.versions.count() == 2


def test_every_error_names_row_column_and_reason_and_nothing_is_written(tmp_path, dept):
    no_name = list(ROW_GAS)
    no_name[1], no_name[2] = "A-1", ""
    bad_ratio = list(ROW_GAS)
    bad_ratio[1], bad_ratio[12] = "A-2", "120%"
    bad_method = list(ROW_GAS)
    bad_method[1], bad_method[7] = "A-3", "飞行检查"
    bad_date = list(ROW_GAS)
    bad_date[1], bad_date[16] = "A-4", "2024-02-30"
    duplicate = list(ROW_GAS)
    path = _csv(
        tmp_path / "错误.csv", [ROW_GAS, no_name, bad_ratio, bad_method, bad_date, duplicate]
    )
    result = _import(path, dept)
    assert not result.committed
    found = {(e.row, e.column) for e in result.errors}
    assert found == {
        (3, "事项名称"),
        (4, "抽查比例"),
        (5, "检查方式"),
        (6, "生效日期"),
        (7, "事项编码"),
    }
    messages = {e.row: e.message for e in result.errors}
    assert messages[3] == "事项名称不能为空"
    assert messages[5] == "检查方式无效：飞行检查"
    assert messages[6] == "日期不存在：2024-02-30"
    assert messages[7] == "事项编码 SJ-RQ-02 在文件中重复（第2行已有）"
    assert "未写入任何数据" in result.summary()
    assert not Item.objects.exists() and not Event.objects.filter(action="import.items").exists()


def test_an_exempt_row_without_reason_is_an_error(tmp_path, dept):
    header = [*HEADER, "不适用随机抽查", "不适用随机抽查的理由"]
    result = _import(_csv(tmp_path / "x.csv", [[*ROW_GAS, "是", ""]], header=header), dept)
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "不适用随机抽查的理由", "不适用随机抽查的事项必须写明理由")
    ]


def test_skip_invalid_imports_the_valid_rows_and_writes_an_error_report(tmp_path, dept):
    bad = list(ROW_BASEMENT)
    bad[5] = ""
    path = _csv(tmp_path / "部分.csv", [ROW_GAS, bad])
    result = _import(path, dept, skip_invalid=True)
    assert result.committed and result.created == 1 and result.skipped == 1
    assert [(e.row, e.column) for e in result.errors] == [(3, "检查对象")]
    assert result.error_report and (tmp_path / "部分-错误报告.xlsx").exists()
    assert list(Item.objects.values_list("code", flat=True)) == ["SJ-RQ-02"]


def test_dry_run_reports_and_writes_nothing(tmp_path, dept):
    result = _import(_csv(tmp_path / "预检.csv", [ROW_GAS, ROW_BASEMENT]), dept, dry_run=True)
    assert result.created == 2 and not result.committed and "预检" in result.summary()
    assert not Item.objects.exists() and not Event.objects.exists()


def test_a_partial_file_keeps_the_columns_it_does_not_have(tmp_path, dept):
    _import(_csv(tmp_path / "v1.csv", [ROW_GAS]), dept)
    result = _import(
        _csv(
            tmp_path / "v2.csv",
            [["SJ-RQ-02", "燃气经营监督执法检查", "8"]],
            header=["事项编码", "事项名称", "抽查比例"],
        ),
        dept,
    )
    assert result.updated == 1
    current = Item.objects.get(code="SJ-RQ-02").current
    assert current.default_ratio == Decimal("8") and current.basis == "《城镇燃气管理条例》第十五条"


def test_a_new_version_cannot_predate_the_current_one(tmp_path, dept):
    _import(_csv(tmp_path / "v1.csv", [ROW_GAS]), dept)
    item = Item.objects.get(code="SJ-RQ-02")
    item_revise(
        item=item, data=content(), change_reason="手工修订", effective_date="2024-06-01", actor=None
    )
    stale = list(ROW_GAS)
    stale[12] = "7"
    result = _import(_csv(tmp_path / "v2.csv", [stale]), dept)
    assert [(e.column, e.message) for e in result.errors] == [
        ("生效日期", "生效日期不能早于现行版本的生效日期（2024-06-01）")
    ]


def test_only_the_department_admin_imports(tmp_path, trio):
    path = _csv(tmp_path / "清单.csv", [ROW_GAS])
    with pytest.raises(NotAllowed):
        _import(path, trio["dept"], actor=trio["colleague"])
    with pytest.raises(NotAllowed):
        _import(path, trio["dept"], actor=trio["outsider"])
    result = _import(path, trio["dept"], actor=trio["owner"])
    assert result.created == 1
    assert Item.objects.get().current.created_by == trio["owner"]


def test_a_file_without_the_key_columns_is_refused_as_a_whole(tmp_path, dept):
    result = _import(
        _csv(tmp_path / "x.csv", [["燃气", "企业"]], header=["检查内容", "检查对象"]), dept
    )
    assert result.file_error is not None and "事项编码" in result.file_error.message
    assert not Item.objects.exists()


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_export_reimports_without_any_change(tmp_path, dept, fmt):
    make_item(department=dept, code="RQ-001")
    make_item(
        department=dept,
        code="RQ-002",
        name='=HYPERLINK("http://x")',
        random_exempt=True,
        exempt_reason="涉密事项",
        default_ratio="0.25",
        category="key",
    )
    out = tmp_path / f"清单.{fmt}"
    assert export_file("items", department=dept, actor=CLI_ACTOR, fmt=fmt, out=out) == 2
    table = tabular.open_table(out)
    rows = [cells for _, cells in table.raw_rows()]
    assert rows[0][:4] == ["序号", "事项编码", "事项名称", "事项类别"]
    assert rows[2][2] == '\'=HYPERLINK("http://x")'  # formula injection neutralised
    result = _import(out, dept)
    assert not result.errors, result.errors
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)


def test_export_is_scoped_to_readers(tmp_path, trio):
    make_item(department=trio["dept"])
    with pytest.raises(NotAllowed):
        export_file(
            "items",
            department=trio["dept"],
            actor=trio["outsider"],
            fmt="csv",
            out=tmp_path / "x.csv",
        )
    assert (
        export_file(
            "items",
            department=trio["dept"],
            actor=trio["colleague"],
            fmt="csv",
            out=tmp_path / "x.csv",
        )
        == 1
    )


def test_the_command_line_imports_and_exports_items(tmp_path, dept, capsys):
    path = _csv(tmp_path / "清单.csv", [ROW_GAS, ROW_BASEMENT])
    assert ssj(["import", "items", str(path), "--department", "SJJW", "--json"]) == 0
    assert "新增 2 条" in capsys.readouterr().out
    out = tmp_path / "导出.xlsx"
    assert (
        ssj(["export", "items", "--department", "SJJW", "--format", "xlsx", "--out", str(out)]) == 0
    )
    assert ssj(["import", "items", str(out), "--department", "SJJW"]) == 0
    assert "未发生任何变更" in capsys.readouterr().out
    bad = _csv(tmp_path / "错.csv", [[*ROW_GAS[:5], "", *ROW_GAS[6:]]])
    assert ssj(["import", "items", str(bad), "--department", "SJJW"]) == 1
    assert "第2行 [检查对象] 检查对象不能为空" in capsys.readouterr().out


def test_a_percentage_formatted_xlsx_cell_is_read_as_percent(tmp_path, dept):
    # Excel stores 6 % as 0.06 and 0.2 % as 0.002; a cell typed 6 is the number 6.
    import xlsxwriter

    path = tmp_path / "清单.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    ratio_col = HEADER.index("抽查比例")
    for n, (code, ratio, fmt) in enumerate(
        [("SJ-A-01", 0.06, "0%"), ("SJ-A-02", 0.002, "0.0%"), ("SJ-A-03", 6, "General")], start=1
    ):
        row = list(ROW_GAS)
        row[0], row[1] = str(n), code
        sheet.write_row(n, 0, row)
        sheet.write_number(n, ratio_col, ratio, book.add_format({"num_format": fmt}))
    book.close()
    result = _import(path, dept)
    assert result.committed and not result.errors, result.errors
    ratios = {i.code: i.current.default_ratio for i in Item.objects.filter(department=dept)}
    assert ratios == {"SJ-A-01": Decimal("6"), "SJ-A-02": Decimal("0.2"), "SJ-A-03": Decimal("6")}
