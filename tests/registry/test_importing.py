"""Batch import of 检查对象名录库 and 执法检查人员名录库 (registry/importing.py)."""

import datetime as dt
import json
import random

import pytest

from shuangsuiji.audit.models import Event, RecordChange
from shuangsuiji.audit.services import chain_verify
from shuangsuiji.cli import main as ssj
from shuangsuiji.common.errors import NotAllowed
from shuangsuiji.common.ids import make_id_number, make_uscc, uscc_error
from shuangsuiji.imports import engine as import_engine
from shuangsuiji.imports import framework
from shuangsuiji.imports.framework import CLI_ACTOR, get_importer, import_file
from shuangsuiji.registry.models import Entity, Inspector, Tag
from shuangsuiji.registry.rules import uscc_valid
from tests import factories
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

rng = random.Random(7)
ENTITY_HEADERS = [
    "序号",
    "统一社会信用代码",
    "名称",
    "主体类型",
    "联系电话",
    "所属区域",
    "行业",
    "信用风险分类",
    "风险分类日期",
    "风险分类来源",
    "登记状态",
    "标签",
    "重点检查库",
    "备注",
]


def entity_row(n, code=None, **over):
    row = {
        "序号": n,
        "统一社会信用代码": make_uscc(rng) if code is None else code,
        "名称": f"上海测试建设工程有限公司{n}",
        "主体类型": "法人",
        "联系电话": "021-57820000",
        "所属区域": "松江区",
        "行业": "房屋建筑业",
        "信用风险分类": "A",
        "风险分类日期": "2024-01-31",
        "风险分类来源": "公共信用信息平台",
        "登记状态": "存续",
        "标签": "",
        "重点检查库": "",
        "备注": "",
    }
    row.update(over)
    return [row[h] for h in ENTITY_HEADERS]


def entities_csv(tmp_path, rows, name="entities.csv", encoding="utf-8-sig", headers=ENTITY_HEADERS):
    return write_csv(tmp_path / name, [headers, *rows], encoding=encoding)


def run(kind, path, dept, actor=CLI_ACTOR, **kw):
    return import_file(kind, path=path, department=dept, actor=actor, **kw)


def errors_of(result):
    return [(e.row, e.column, e.message) for e in result.errors]


# --- the happy path ----------------------------------------------------------------------


def test_it_imports_the_roster_of_003_annex5(tmp_path, dept):
    path = write_xlsx(tmp_path / "名录.xlsx", [ROSTER_HEADERS, *ROSTER_ROWS], title=ROSTER_TITLE)
    result = run("inspectors", path, dept)
    assert result.committed and not result.errors, result.summary()
    assert (result.total, result.created, result.header_row) == (3, 3, 2)
    wang = Inspector.objects.get(cert_no="13080716001")
    assert (
        wang.name,
        wang.gender,
        wang.unit,
        wang.area,
        wang.issuer,
        wang.category,
        wang.mobile,
    ) == (
        "王朕",
        "M",
        "漳平市住房和城乡建设局",
        "漳平市",
        "省政府",
        "住房和城乡建设",
        "13110895362",
    )
    assert wang.department == dept and wang.kind == "officer" and wang.status == "on_duty"


def test_it_imports_the_directory_of_003_article6_by_its_own_column_names(tmp_path, dept):
    """003 第六条: 市场主体名录库应当包括市场主体名称、联络人、联系方式、监管责任股室 — a
    file with exactly those headings imports; a heading nobody knows is a warning."""
    codes = [make_uscc(rng) for _ in range(2)]
    path = write_xlsx(
        tmp_path / "市场主体名录库.xlsx",
        [
            [
                "序号",
                "统一社会信用代码",
                "市场主体名称",
                "联络人",
                "联系方式",
                "监管责任股室",
                "片区",
            ],
            [1, codes[0], "漳平市恒达建筑工程有限公司", "林志强", "0597-7531234", "建管股", "城东"],
            [2, codes[1], "漳平市鑫源房地产开发有限公司", "陈丽", "138 0597 1234", "房产股", ""],
        ],
    )
    result = run("entities", path, dept)
    assert result.committed and not result.errors, errors_of(result)
    assert result.unknown_headers == ["片区"]
    first = Entity.objects.get(uscc=codes[0])
    assert (first.name, first.contact_person, first.contact_phone, first.responsible_units) == (
        "漳平市恒达建筑工程有限公司",
        "林志强",
        "0597-7531234",
        "建管股",
    )
    assert Entity.objects.get(uscc=codes[1]).responsible_units == "房产股"


def test_it_imports_the_roster_of_003_article7_by_its_own_column_names(tmp_path, dept):
    """003 第七条: 执法人员名录库包括执法人员姓名、执法证号、执法领域."""
    path = write_csv(
        tmp_path / "执法人员名录库.csv",
        [["执法人员姓名", "执法证号", "执法领域"], ["王朕", "13080716001", "住房和城乡建设"]],
    )
    result = run("inspectors", path, dept)
    assert result.committed and not result.errors, errors_of(result)
    wang = Inspector.objects.get(cert_no="13080716001")
    assert (wang.name, wang.category) == ("王朕", "住房和城乡建设")


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods", "csv"])
def test_the_roster_imports_the_same_from_every_format(tmp_path, dept, fmt):
    rows = [[ROSTER_TITLE], ROSTER_HEADERS, *ROSTER_ROWS]
    path = tmp_path / f"名录.{fmt}"
    {"xlsx": write_xlsx, "xls": write_xls, "ods": write_ods}.get(fmt, write_csv)(path, rows)
    result = run("inspectors", path, dept)
    assert (result.created, result.header_row, result.errors) == (3, 2, [])
    assert sorted(Inspector.objects.values_list("cert_no", "mobile")) == [
        ("13080716001", "13110895362"),
        ("13080716002", "18094033002"),
        ("13080716003", "13906901234"),
    ]


def test_it_imports_every_inspector_field(tmp_path, dept):
    headers = [*ROSTER_HEADERS, "人员类别", "证件有效期至", "业务专长", "职务", "身份证号", "状态"]
    idn = make_id_number(rng)
    row = [*ROSTER_ROWS[0], "专家", dt.date(2027, 6, 30), "燃气安全", "高级工程师", idn, "在岗"]
    path = write_xlsx(tmp_path / "a.xlsx", [headers, row], text_columns=[14])
    result = run("inspectors", path, dept)
    assert result.committed, errors_of(result)
    wang = Inspector.objects.get()
    assert (wang.kind, wang.cert_valid_until, wang.expertise, wang.post, wang.id_number) == (
        "expert",
        dt.date(2027, 6, 30),
        "燃气安全",
        "高级工程师",
        idn,
    )


def test_it_imports_entities_from_a_gb18030_csv(tmp_path, dept):
    code = make_uscc(rng)
    path = entities_csv(
        tmp_path,
        [
            entity_row(
                1,
                code,
                名称="上海某某（集团）有限公司",
                信用风险分类="C类",
                风险分类日期="2024年3月5日",
                登记状态="吊销，未注销",
            )
        ],
        encoding="gb18030",
    )
    result = run("entities", path, dept)
    assert result.committed, errors_of(result)
    assert result.encoding == "GB18030（GBK）"
    entity = Entity.objects.get()
    assert (entity.key, entity.uscc, entity.name) == (code, code, "上海某某（集团）有限公司")
    assert (entity.risk_class, entity.risk_date, entity.status) == (
        "C",
        dt.date(2024, 3, 5),
        "revoked",
    )
    assert entity.row_digest


@pytest.mark.parametrize(
    "text,expected",
    [
        ("A", "A"),
        ("A类", "A"),
        ("a级", "A"),
        ("低风险", "A"),
        ("A 低风险", "A"),
        ("B（一般风险）", "B"),
        ("较高风险", "C"),
        ("Ｄ", "D"),
        ("高风险", "D"),
        ("", ""),
    ],
)
def test_credit_risk_class_is_read_as_people_write_it(tmp_path, dept, text, expected):
    path = entities_csv(tmp_path, [entity_row(1, 信用风险分类=text)])
    result = run("entities", path, dept)
    assert result.committed, errors_of(result)
    assert Entity.objects.get().risk_class == expected


def test_codes_beginning_with_a_n_or_y_are_valid(tmp_path, dept):
    codes = [make_uscc(rng, first=f, kind="1") for f in "ANY"]
    path = entities_csv(tmp_path, [entity_row(i, c) for i, c in enumerate(codes, 1)])
    assert run("entities", path, dept).created == 3


def test_full_width_and_spaced_codes_are_normalised(tmp_path, dept):
    code = make_uscc(rng)
    typed = " ".join(code[:9]) + code[9:].translate(
        {ord(c): ord(c) + 0xFEE0 for c in "0123456789ABCDEFGHJKLMNPQRTUWXY"}
    )
    path = entities_csv(tmp_path, [entity_row(1, typed)])
    result = run("entities", path, dept)
    assert result.committed, errors_of(result)
    assert Entity.objects.get().uscc == code


def test_the_fast_check_digit_agrees_with_ids(tmp_path):
    for _ in range(2000):
        code = make_uscc(rng, first=rng.choice("19ANY"))
        bad = code[:17] + rng.choice(
            [c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY" if c != code[17]]
        )
        assert uscc_valid(code) and uscc_error(code) is None
        assert not uscc_valid(bad) and uscc_error(bad)


def test_tags_make_sub_libraries_of_their_kind(tmp_path, dept):
    path = entities_csv(
        tmp_path,
        [
            entity_row(1, 标签="燃气企业、在建工地", 重点检查库="2024重点"),
            entity_row(2, 标签="燃气企业，物业小区"),
        ],
    )
    result = run("entities", path, dept)
    assert result.committed, errors_of(result)
    assert dict(Tag.objects.values_list("name", "kind")) == {
        "燃气企业": "sub",
        "在建工地": "sub",
        "物业小区": "sub",
        "2024重点": "key",
    }
    assert Tag.objects.get(name="燃气企业").entities.count() == 2
    assert "新建标签 4 个" in result.notes[0]


def test_entities_without_a_code_use_the_registry_key(tmp_path, dept):
    headers = ["名录编号", "统一社会信用代码", "名称", "对象类别"]
    path = write_csv(
        tmp_path / "p.csv", [headers, ["XM-2024-001", "", "松江新城某地块住宅项目", "项目"]]
    )
    result = run("entities", path, dept)
    assert result.committed, errors_of(result)
    entity = Entity.objects.get()
    assert (entity.key, entity.uscc, entity.subject_kind) == ("XM-2024-001", "", "project")


# --- validation: every error names row, column and reason ------------------------------


def test_every_kind_of_entity_error_is_reported_with_row_and_column(tmp_path, dept):
    good = make_uscc(rng)
    wrong_digit = good[:17] + ("0" if good[17] != "0" else "1")
    rows = [
        entity_row(1, good),
        entity_row(2, wrong_digit),
        entity_row(3, "91310117MA1I00000X"),
        entity_row(4, "12345"),
        entity_row(5, 名称=""),
        entity_row(6, 风险分类日期="2024-02-30"),
        entity_row(7, 信用风险分类="E"),
        entity_row(8, 登记状态="营业执照作废"),
        entity_row(9, 联系电话="13812"),
        entity_row(10, good),
        entity_row(11, ""),
        entity_row(12, 名称="长" * 201),
    ]
    result = run("entities", entities_csv(tmp_path, rows), dept)
    assert not result.committed
    # Row numbers as the user sees them in Excel: the header is row 1.
    by_row = {row: (col, msg) for row, col, msg in errors_of(result)}
    assert by_row[3] == ("统一社会信用代码", f"统一社会信用代码校验位错误（应为{good[17]}）")
    assert "不允许的字符" in by_row[4][1]
    assert "应为18位" in by_row[5][1]
    assert by_row[6] == ("名称", "不能为空")
    assert by_row[7] == ("风险分类日期", "日期不存在：2024-02-30")
    assert by_row[8][0] == "信用风险分类" and "可填" in by_row[8][1]
    assert by_row[9][0] == "登记状态" and "存续" in by_row[9][1]
    assert by_row[10] == ("联系电话", "联系电话格式不正确：13812")
    assert by_row[11] == ("统一社会信用代码", f"与第2行重复（{good}）")
    assert by_row[12][0] == "统一社会信用代码" and "不能为空" in by_row[12][1]
    assert by_row[13][0] == "名称" and "超过200个字符" in by_row[13][1]
    assert result.error_count == 11
    assert Entity.objects.count() == 0


def test_every_kind_of_inspector_error_is_reported(tmp_path, dept, trio):
    factories.inspector(department=trio["other"], cert_no="99990001")
    idn = make_id_number(rng)
    headers = ["姓名", "性别", "执法证号", "手机号码", "身份证号", "证件有效期至", "人员类别"]
    rows = [
        ["王朕", "男", "13080716001", "13110895362", idn, "2027-01-01", "执法人员"],
        ["", "男", "13080716002", "", "", "", ""],
        ["石金文", "不详", "13080716003", "", "", "", ""],
        ["王培相", "男", "13080716004", "12345678901", "", "", ""],
        ["李四", "男", "13080716005", "", idn[:17] + ("0" if idn[17] != "0" else "1"), "", ""],
        ["张三", "男", "13080716006", "", "350881199913320012", "", ""],
        ["赵五", "男", "13080716007", "", "", "明年", ""],
        ["钱六", "男", "13080716008", "", "", "", "协管员"],
        ["孙七", "男", "13080716001", "", "", "", ""],
        ["周八", "男", "99990001", "", "", "", ""],
        ["吴九", "男", "", "", "", "", ""],
    ]
    result = run("inspectors", write_csv(tmp_path / "i.csv", [headers, *rows]), dept)
    by_row = {}
    for row, col, msg in errors_of(result):
        by_row.setdefault(row, []).append((col, msg))
    assert by_row[3] == [("姓名", "不能为空")]
    assert by_row[4][0][0] == "性别"
    assert by_row[5][0][0] == "手机号码" and "1开头的11位" in by_row[5][0][1]
    assert by_row[6][0][0] == "身份证号" and "校验位错误" in by_row[6][0][1]
    assert by_row[7][0][0] == "身份证号" and "出生日期无效" in by_row[7][0][1]
    assert by_row[8][0][0] == "证件有效期至"
    assert by_row[9][0][0] == "人员类别"
    assert by_row[10] == [("执法证号", "与第2行重复（13080716001）")]
    assert by_row[11] == [
        ("执法证号", "执法证号 99990001 已登记在「闵行区绿化和市容管理局」的人员名录中")
    ]
    assert by_row[12] == [("执法证号", "不能为空")]
    assert Inspector.objects.filter(department=dept).count() == 0


def test_an_id_number_excel_stored_as_a_number_is_refused(tmp_path, dept):
    path = write_xlsx(
        tmp_path / "a.xlsx",
        [["姓名", "执法证号", "身份证号"], ["王朕", "13080716001", 3.50881198001011e17]],
    )
    result = run("inspectors", path, dept)
    assert result.errors[0].column == "身份证号" and "存成了数字" in result.errors[0].message


def test_a_file_level_problem_is_one_clear_error(tmp_path, dept):
    path = write_csv(tmp_path / "a.csv", [["姓名", "性别"], ["王朕", "男"]])
    result = run("inspectors", path, dept)
    assert errors_of(result) == [(0, "", "缺少必填列：执法证号（表头在第1行）")]
    assert "未写入任何数据" in result.summary()


# --- all or nothing, skip invalid, dry run ---------------------------------------------


def test_a_file_with_any_error_writes_nothing(tmp_path, dept):
    events = Event.objects.count()
    rows = [entity_row(i, 标签="燃气企业") for i in range(1, 40)] + [entity_row(40, "bad")]
    result = run("entities", entities_csv(tmp_path, rows), dept)
    assert not result.committed and result.error_count == 1
    assert Entity.objects.count() == 0 and Tag.objects.count() == 0
    assert Event.objects.count() == events
    assert "未写入任何数据" in result.summary()


def test_writes_already_made_are_rolled_back_when_a_late_row_is_bad(tmp_path, dept, monkeypatch):
    monkeypatch.setattr(import_engine, "INSERT_CHUNK", 10)
    rows = [entity_row(i) for i in range(1, 100)] + [entity_row(100, 名称="")]
    result = run("entities", entities_csv(tmp_path, rows), dept)
    assert not result.committed
    assert Entity.objects.count() == 0


def test_a_chunk_whose_write_fails_rolls_the_whole_import_back(tmp_path, dept, monkeypatch):
    """A failing write of a later chunk (COPY on PostgreSQL, INSERT on SQLite) reaches the
    import as a database error and nothing of the earlier chunks stays written."""
    from django.db import DatabaseError, connection

    monkeypatch.setattr(import_engine, "INSERT_CHUNK", 10)
    original = import_engine._Run.__init__

    def broken(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.copy_sql = self.copy_sql.replace("registry_entity", "no_such_table")
        self.insert_sql = self.insert_sql.replace("registry_entity", "no_such_table")

    monkeypatch.setattr(import_engine._Run, "__init__", broken)
    rows = [entity_row(i) for i in range(1, 40)]
    with pytest.raises(DatabaseError):
        run("entities", entities_csv(tmp_path, rows), dept)
    assert connection.vendor in ("sqlite", "postgresql")
    assert Entity.objects.count() == 0


def test_skip_invalid_imports_the_good_rows_and_writes_an_error_report(tmp_path, dept):
    rows = [
        entity_row(1),
        entity_row(2, "bad-code"),
        entity_row(3),
        entity_row(4, 名称="=HYPERLINK(1)", 信用风险分类="X"),
    ]
    report = tmp_path / "report.xlsx"
    result = run(
        "entities", entities_csv(tmp_path, rows), dept, skip_invalid=True, error_report=report
    )
    assert result.committed
    assert (result.created, result.skipped, result.error_count) == (2, 2, 2)
    assert Entity.objects.count() == 2
    sheet = read_sheet(report)
    assert sheet[0][0] == "行号" and sheet[0][-1] == "错误原因"
    assert [r[0] for r in sheet[1:]] == [3, 5]
    assert "统一社会信用代码" in sheet[1][-1]
    # The bad row's own cells are in the report, neutralised against formula injection.
    assert sheet[2][3] == "'=HYPERLINK(1)"
    listing = read_sheet(report, 1)
    assert listing[0] == ["行号", "列名", "错误原因"] and len(listing) == 3


def test_skip_invalid_without_a_path_puts_the_report_next_to_the_file(tmp_path, dept):
    result = run("entities", entities_csv(tmp_path, [entity_row(1, "x")]), dept, skip_invalid=True)
    assert result.error_report == str(tmp_path / "entities-错误报告.xlsx")


def test_dry_run_reports_and_writes_nothing(tmp_path, dept):
    factories.entity(department=dept, uscc=(code := make_uscc(rng)), name="旧名称")
    result = run(
        "entities", entities_csv(tmp_path, [entity_row(1, code), entity_row(2)]), dept, dry_run=True
    )
    assert (result.created, result.updated, result.committed, result.dry_run) == (1, 1, False, True)
    assert Entity.objects.count() == 1 and Entity.objects.get().name == "旧名称"
    assert "预检" in result.summary()


def test_an_interrupted_import_leaves_the_database_as_it_was(tmp_path, dept, monkeypatch):
    monkeypatch.setattr(import_engine, "INSERT_CHUNK", 50)
    monkeypatch.setattr(import_engine, "PROGRESS_EVERY", 500)
    events = Event.objects.count()
    rows = [entity_row(i) for i in range(1, 1200)]

    def interrupt(done, total):
        if done >= 1000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run("entities", entities_csv(tmp_path, rows), dept, progress=interrupt)
    assert Entity.objects.count() == 0 and Event.objects.count() == events


# --- re-import and updates -------------------------------------------------------------


def test_reimporting_the_same_file_changes_nothing_and_says_so(tmp_path, dept):
    path = entities_csv(tmp_path, [entity_row(i, 标签="燃气企业") for i in range(1, 6)])
    first = run("entities", path, dept)
    assert first.created == 5
    changes = RecordChange.objects.count()
    second = run("entities", path, dept)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 5)
    assert "未发生任何变更" in second.summary()
    assert RecordChange.objects.count() == changes


def test_reimporting_the_roster_changes_nothing(tmp_path, dept):
    path = write_xlsx(tmp_path / "名录.xlsx", [ROSTER_HEADERS, *ROSTER_ROWS], title=ROSTER_TITLE)
    run("inspectors", path, dept)
    again = run("inspectors", path, dept)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_an_update_writes_a_record_change_and_one_chained_event(tmp_path, dept):
    code, other = make_uscc(rng), make_uscc(rng)
    run("entities", entities_csv(tmp_path, [entity_row(1, code), entity_row(2, other)]), dept)
    path = entities_csv(
        tmp_path,
        [entity_row(1, code, 信用风险分类="D", 标签="燃气企业"), entity_row(2, other)],
        name="v2.csv",
    )
    result = run("entities", path, dept)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    entity = Entity.objects.get(uscc=code)
    assert entity.risk_class == "D"
    assert list(entity.tags.values_list("name", flat=True)) == ["燃气企业"]
    change = RecordChange.objects.get(object_type="registry.entity", object_id=str(entity.pk))
    assert change.changes == {"risk_class": ["A", "D"], "tags_sub": ["", "燃气企业"]}
    event = change.event
    assert event.action == "import.entities" and event.department_id == dept.pk
    assert event.after["updated"] == 1 and event.after["file_sha256"] == result.file_sha256
    assert event.after["record_changes"]["registry.entity"]["count"] == 1
    assert event.actor_name == "命令行"
    assert chain_verify().ok


def test_tags_removed_in_the_file_are_unlinked(tmp_path, dept):
    code = make_uscc(rng)
    run("entities", entities_csv(tmp_path, [entity_row(1, code, 标签="燃气企业、在建工地")]), dept)
    run(
        "entities",
        entities_csv(tmp_path, [entity_row(1, code, 标签="在建工地")], name="v2.csv"),
        dept,
    )
    assert list(Entity.objects.get().tags.values_list("name", flat=True)) == ["在建工地"]


def test_a_tag_used_with_another_kind_is_an_error(tmp_path, dept):
    Tag.objects.create(department=dept, name="燃气企业", kind="key")
    result = run("entities", entities_csv(tmp_path, [entity_row(1, 标签="燃气企业")]), dept)
    assert result.errors[0].column == "标签" and "已是「重点检查库」" in result.errors[0].message


def test_columns_missing_from_the_file_keep_their_values(tmp_path, dept):
    code = make_uscc(rng)
    run(
        "entities",
        entities_csv(tmp_path, [entity_row(1, code, 行业="燃气供应", 标签="燃气企业")]),
        dept,
    )
    path = write_csv(
        tmp_path / "partial.csv", [["统一社会信用代码", "名称"], [code, "改了名字有限公司"]]
    )
    result = run("entities", path, dept)
    assert (result.updated, result.unchanged) == (1, 0)
    entity = Entity.objects.get()
    assert (entity.name, entity.industry, entity.risk_class) == (
        "改了名字有限公司",
        "燃气供应",
        "A",
    )
    assert list(entity.tags.values_list("name", flat=True)) == ["燃气企业"]
    assert run("entities", path, dept).unchanged == 1


def test_a_record_edited_by_hand_is_compared_field_by_field(tmp_path, dept):
    code = make_uscc(rng)
    path = entities_csv(tmp_path, [entity_row(1, code)])
    run("entities", path, dept)
    Entity.objects.filter(uscc=code).update(name="手工改名", row_digest="")
    result = run("entities", path, dept)
    assert result.updated == 1 and Entity.objects.get().name == "上海测试建设工程有限公司1"
    Entity.objects.filter(uscc=code).update(row_digest="")
    again = run("entities", path, dept)
    assert (again.updated, again.unchanged) == (0, 1)
    assert Entity.objects.get().row_digest


def test_a_department_only_upserts_its_own_records(tmp_path, trio):
    code = make_uscc(rng)
    factories.entity(department=trio["other"], uscc=code, name="别的部门的对象")
    result = run("entities", entities_csv(tmp_path, [entity_row(1, code)]), trio["dept"])
    assert result.created == 1
    assert Entity.objects.get(department=trio["other"]).name == "别的部门的对象"


# --- scope -------------------------------------------------------------------------------


def test_only_the_departments_admin_may_import(tmp_path, trio):
    path = entities_csv(tmp_path, [entity_row(1)])
    for who in ("outsider", "colleague"):
        with pytest.raises(NotAllowed, match="部门管理员"):
            run("entities", path, trio["dept"], actor=trio[who])
    assert Entity.objects.count() == 0
    assert run("entities", path, trio["dept"], actor=trio["owner"]).created == 1
    assert Event.objects.filter(action="import.entities").get().actor == trio["owner"]


def test_the_admin_of_a_parent_department_may_import_into_a_child(tmp_path, trio):
    child = factories.department("SJJW-JG", name="监管科", parent=trio["dept"])
    assert (
        run("entities", entities_csv(tmp_path, [entity_row(1)]), child, actor=trio["owner"]).created
        == 1
    )


# --- the command line ---------------------------------------------------------------------


def test_ssj_import_exits_0_and_prints_the_summary(tmp_path, dept, capsys):
    path = entities_csv(tmp_path, [entity_row(1), entity_row(2)])
    assert ssj(["import", "entities", str(path), "--department", dept.code]) == 0
    out = capsys.readouterr()
    assert "新增 2 条" in out.out
    assert Entity.objects.count() == 2


def test_ssj_import_exits_1_and_prints_each_error(tmp_path, dept, capsys):
    path = entities_csv(tmp_path, [entity_row(1), entity_row(2, 名称="")])
    assert ssj(["import", "entities", str(path), "--department", dept.code]) == 1
    out = capsys.readouterr().out
    assert "第3行 [名称] 不能为空" in out
    assert Entity.objects.count() == 0


def test_ssj_import_json_dry_run(tmp_path, dept, capsys):
    path = entities_csv(tmp_path, [entity_row(1)])
    assert (
        ssj(["import", "entities", str(path), "--department", dept.code, "--dry-run", "--json"])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert (data["created"], data["committed"], data["dry_run"]) == (1, False, True)
    assert Entity.objects.count() == 0


def test_ssj_import_skip_invalid_with_error_report(tmp_path, dept, capsys):
    path = entities_csv(tmp_path, [entity_row(1), entity_row(2, "x")])
    report = tmp_path / "out" / "errors.xlsx"
    code = ssj(
        [
            "import",
            "entities",
            str(path),
            "--department",
            dept.code,
            "--skip-invalid",
            "--error-report",
            str(report),
        ]
    )
    assert code == 1 and report.exists() and Entity.objects.count() == 1
    assert "错误报告" in capsys.readouterr().out


def test_ssj_import_names_an_unknown_department(tmp_path, db, capsys):
    assert ssj(["import", "entities", str(tmp_path / "a.csv"), "--department", "NOPE"]) == 1
    assert "部门代码「NOPE」不存在" in capsys.readouterr().err


def test_ssj_import_names_a_missing_file_without_a_traceback(tmp_path, dept, capsys):
    assert ssj(["import", "entities", str(tmp_path / "nope.csv"), "--department", dept.code]) == 1
    assert "文件不存在" in capsys.readouterr().err


def test_ssj_import_items_says_so_when_no_importer_is_registered(
    tmp_path, dept, capsys, monkeypatch
):
    # As when the catalog app is not installed: its ready() is what registers the importer.
    monkeypatch.delitem(framework._IMPORTERS, "items")
    path = write_csv(tmp_path / "items.csv", [["事项名称"], ["x"]])
    assert ssj(["import", "items", str(path), "--department", dept.code]) == 1
    assert "抽查事项清单的导入功能尚未提供" in capsys.readouterr().err


def test_the_importers_are_registered():
    assert get_importer("entities").label == "检查对象名录库"
    assert get_importer("inspectors").label == "执法检查人员名录库"


def test_reimporting_after_a_hand_edit_restores_the_file_values(tmp_path, dept):
    from shuangsuiji.registry.services import entity_update

    owner = factories.user(department=dept, role="dept_admin")
    path = entities_csv(tmp_path, [entity_row(1)])
    assert run("entities", path, dept).created == 1
    entity = Entity.objects.get()
    entity_update(actor=owner, entity=entity, fields={"name": "手工改过的名称"})
    result = run("entities", path, dept)
    assert result.updated == 1 and result.unchanged == 0
    assert Entity.objects.get().name == "上海测试建设工程有限公司1"
