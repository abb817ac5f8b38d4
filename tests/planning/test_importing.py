import datetime as dt

import pytest
import xlsxwriter

from shuangsuiji.audit.models import Event
from shuangsuiji.common.errors import NotAllowed, NotFound
from shuangsuiji.imports.framework import import_file
from shuangsuiji.planning import selectors
from shuangsuiji.planning.models import PlanRow
from tests.factories.planning import make_item

HEADER = [
    "序号",
    "抽查领域",
    "检查对象",
    "抽查事项",
    "抽查时间",
    "抽查比例",
    "预估抽查数(个)",
    "牵头单位",
    "层级",
]
# The first rows of 000 附件, typed as the document prints them (ratios as text, one as a % cell).
ROWS = [
    [
        1,
        "瓶装燃气综合监管 (云监码)",
        "液化气储存充 装站点",
        "对瓶装液化气储存充装站、点日常经营…",
        "10月",
        "3%",
        1,
        "燃气所",
        "区级高频、区管事项、区级部门联合抽查事项",
    ],
    [
        2,
        "燃气经营监督执法检 查(云监码)",
        "燃气经营企业",
        "燃气经营许可证取得情况检查;燃气经营监督执法检查",
        "9月",
        0.06,
        2,
        "燃气所",
        "区级部门联合抽查事项",
    ],
    [
        3,
        "地下空间安全使用执 法检查(云监码)",
        "普通地下室",
        "地下空间安全使用情况检查",
        "1月、4月、6 月、9月、12月",
        "0.2%",
        10,
        "综管中心",
        "区级部门联合抽查事项",
    ],
]


def plan_import(*, plan, path, actor="命令行", dry_run=False, replace=False, skip_invalid=False):
    return import_file(
        "plans",
        path=path,
        department=plan.department,
        actor=actor,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        options={"plan": plan.pk, "replace": replace},
    )


def _messages(result):
    return [f"第{e.row}行「{e.column}」：{e.message}" for e in result.errors]


def _xlsx(path, rows, header=HEADER):
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("计划")
    percent = book.add_format({"num_format": "0%"})
    sheet.write(0, 0, "松江区建管委 2024 年度“双随机、一公开”抽查事项计划")
    sheet.write_row(2, 0, header)
    for r, row in enumerate(rows, start=3):
        for c, value in enumerate(row):
            if isinstance(value, float):
                sheet.write_number(r, c, value, percent)
            else:
                sheet.write(r, c, value)
    book.close()
    return path


def test_a_table_like_the_songjiang_plan_imports_and_links_items(plan, dept, tmp_path):
    gas = make_item(dept, "SJ-RQ-02", field="燃气经营监督执法检查（云监码）")
    cellar = make_item(dept, "SJ-ZG-01", name="地下空间安全使用情况检查", target_type="普通地下室")
    result = plan_import(plan=plan, path=_xlsx(tmp_path / "plan.xlsx", ROWS))
    assert not result.has_errors and result.committed, result.errors
    assert result.created == 3
    rows = {r.seq: r for r in PlanRow.objects.filter(plan=plan)}
    assert rows[1].ratio == 3 and rows[1].months == [10]
    assert rows[2].ratio == 6  # a percentage cell (0.06) is 6 %
    assert rows[3].months == [1, 4, 6, 9, 12] and str(rows[3].ratio) == "0.200"
    assert list(rows[2].items.all()) == [gas]
    assert list(rows[3].items.all()) == [cellar]
    assert any("第4行" in w and "未能关联" in w for w in result.notes)
    assert Event.objects.filter(action="plan.import", object_id=str(plan.pk)).count() == 1


def test_errors_name_row_and_column_and_nothing_is_written(plan, tmp_path):
    bad = [list(ROWS[0]), list(ROWS[1]), list(ROWS[2])]
    bad[0][5] = "三成"
    bad[2][0] = 2
    result = plan_import(plan=plan, path=_xlsx(tmp_path / "bad.xlsx", bad))
    assert result.has_errors and result.created == 0 and not result.committed
    messages = _messages(result)
    assert any(m.startswith("第4行「抽查比例」") and "三成" in m for m in messages)
    assert any(m.startswith("第6行「序号」") and "第5行重复" in m for m in messages)
    assert not PlanRow.objects.exists()


def test_a_dry_run_writes_nothing(plan, tmp_path):
    result = plan_import(plan=plan, path=_xlsx(tmp_path / "plan.xlsx", ROWS), dry_run=True)
    assert not result.has_errors and len(result.parsed["rows"]) == 3 and result.created == 3
    assert not result.committed
    assert not PlanRow.objects.exists()


def test_a_missing_required_column_is_a_file_error(plan, tmp_path):
    header = [h for h in HEADER if h != "抽查事项"]
    rows = [r[:3] + r[4:] for r in ROWS]
    result = plan_import(plan=plan, path=_xlsx(tmp_path / "p.xlsx", rows, header))
    assert "抽查事项" in result.file_error.message
    assert not PlanRow.objects.exists()


def test_the_minhang_layout_with_its_own_column_names_imports_from_csv(plan, dept, tmp_path):
    item = make_item(
        dept, "MH-XK-01", name="临时使用公共绿地抽查", target_type="临时使用公共绿地的单位"
    )
    path = tmp_path / "minhang.csv"
    path.write_text(
        "序号,双随机抽查名称,计划完成时间,负责人\n"
        "1,2021年1-2月临时使用公共绿地抽查,5月底前,吉泽青\n"
        "2,2021年3-4月临时使用公共绿地抽查,5月底前,吉泽青\n",
        encoding="utf-8-sig",
    )
    result = plan_import(plan=plan, path=path)
    assert result.committed, result.errors
    row = PlanRow.objects.get(plan=plan, seq=1)
    # The months are the round's own (1-2月, from its name); 5月底前 is its deadline.
    assert row.person_in_charge == "吉泽青" and row.months == [1, 2]
    assert row.due_text == "5月底前" and row.due_date == dt.date(plan.year, 5, 31)
    assert row.target_desc == "临时使用公共绿地的单位"
    assert list(row.items.all()) == [item]
    second = PlanRow.objects.get(plan=plan, seq=2)
    assert second.months == [3, 4] and second.due_date == dt.date(plan.year, 5, 31)
    # Two rounds finished by the same day are not two inspections in May: no merge warning.
    assert not [w for w in selectors.plan_warnings(plan=plan) if "合并" in w]


def test_existing_seq_is_an_error_unless_replacing(plan, tmp_path):
    path = _xlsx(tmp_path / "plan.xlsx", ROWS)
    assert plan_import(plan=plan, path=path).created == 3
    again = plan_import(plan=plan, path=path)
    assert again.created == 0 and "已在计划中" in again.errors[0].message
    assert plan_import(plan=plan, path=path, replace=True).created == 3
    assert PlanRow.objects.filter(plan=plan).count() == 3


def test_skipping_the_rows_with_errors_imports_the_others(plan, tmp_path):
    bad = [list(ROWS[0]), list(ROWS[1]), list(ROWS[2])]
    bad[0][5] = "三成"
    result = plan_import(plan=plan, path=_xlsx(tmp_path / "bad.xlsx", bad), skip_invalid=True)
    assert result.committed and result.created == 2 and result.skipped == 1
    assert sorted(PlanRow.objects.filter(plan=plan).values_list("seq", flat=True)) == [2, 3]
    event = Event.objects.get(action="plan.import")
    assert event.after["skipped_rows"] == 1 and len(event.after["sha256"]) == 64


def test_only_a_planner_of_the_plans_department_may_import(plan, trio, tmp_path):
    path = _xlsx(tmp_path / "plan.xlsx", ROWS)
    with pytest.raises(NotAllowed):
        plan_import(plan=plan, path=path, actor=trio["outsider"])
    # a plan id of another department is no plan of this one
    with pytest.raises(NotFound):
        import_file(
            "plans",
            path=path,
            department=trio["other"],
            actor="命令行",
            options={"plan": plan.pk},
        )
    assert not PlanRow.objects.exists()
