"""Export of the two 名录库 (registry/exporting.py) and ``ssj export``."""

import datetime as dt
import random

import pytest

from shuangsuiji.cli import main as ssj
from shuangsuiji.common.errors import NotAllowed
from shuangsuiji.common.ids import make_id_number, make_uscc
from shuangsuiji.imports.framework import CLI_ACTOR, export_file, import_file
from shuangsuiji.registry.models import Tag
from tests import factories
from tests.factories.files import read_sheet

rng = random.Random(11)


@pytest.fixture
def library(trio):
    dept = trio["dept"]
    gas = Tag.objects.create(department=dept, name="燃气企业", kind="sub")
    key = Tag.objects.create(department=dept, name="2024重点", kind="key")
    first = factories.entity(
        department=dept,
        uscc=make_uscc(rng),
        name="上海某某（集团）有限公司",
        contact_phone="13812345678",
        risk_class="B",
        risk_date=dt.date(2024, 3, 5),
        risk_source="信用平台",
        status="revoked",
        industry="燃气供应",
    )
    first.tags.set([gas, key])
    factories.entity(department=dept, uscc=make_uscc(rng), name='=HYPERLINK("http://x")有限公司')
    factories.entity(
        department=dept,
        key="XM-001",
        uscc="",
        name="松江某地块项目",
        subject_kind="project",
        entity_type="project",
    )
    factories.inspector(
        department=dept,
        cert_no="13080716001",
        name="王朕",
        gender="M",
        mobile="13110895362",
        id_number=make_id_number(rng),
        kind="expert",
        cert_valid_until=dt.date(2027, 6, 30),
    )
    factories.inspector(department=trio["other"], cert_no="99990001", name="别人")
    return trio


def test_an_entity_export_reimports_unchanged(tmp_path, library):
    dept = library["dept"]
    for fmt in ("xlsx", "csv"):
        out = tmp_path / f"entities.{fmt}"
        assert export_file("entities", department=dept, actor=CLI_ACTOR, fmt=fmt, out=out) == 3
        result = import_file("entities", path=out, department=dept, actor=CLI_ACTOR)
        assert result.committed, [e.text() for e in result.errors]
        assert (result.created, result.updated, result.unchanged) == (0, 0, 3), fmt


def test_an_inspector_export_reimports_unchanged(tmp_path, library):
    out = tmp_path / "inspectors.xlsx"
    assert (
        export_file("inspectors", department=library["dept"], actor=CLI_ACTOR, fmt="xlsx", out=out)
        == 1
    )
    result = import_file("inspectors", path=out, department=library["dept"], actor=CLI_ACTOR)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)


def test_an_export_imports_into_an_empty_department_as_the_same_records(tmp_path, library):
    out = tmp_path / "entities.xlsx"
    export_file("entities", department=library["dept"], actor=CLI_ACTOR, fmt="xlsx", out=out)
    fresh = factories.department("NEW", name="新部门")
    result = import_file("entities", path=out, department=fresh, actor=CLI_ACTOR)
    assert result.created == 3
    moved = fresh.entities.get(name="上海某某（集团）有限公司")
    assert (moved.risk_class, moved.risk_date, moved.status, moved.contact_phone) == (
        "B",
        dt.date(2024, 3, 5),
        "revoked",
        "13812345678",
    )
    assert sorted(moved.tags.values_list("name", "kind")) == [
        ("2024重点", "key"),
        ("燃气企业", "sub"),
    ]


def test_the_export_uses_the_import_headers_and_chinese_labels(tmp_path, library):
    out = tmp_path / "entities.xlsx"
    export_file("entities", department=library["dept"], actor=CLI_ACTOR, fmt="xlsx", out=out)
    rows = read_sheet(out)
    header = rows[0]
    assert header[:4] == ["序号", "名录编号", "统一社会信用代码", "名称"]
    assert {"联系电话", "信用风险分类", "登记状态", "标签", "重点检查库", "专项整治库"} <= set(
        header
    )
    first = dict(zip(header, rows[1], strict=True))
    assert first["登记状态"] == "吊销" and first["信用风险分类"] == "B 一般风险"
    assert first["标签"] == "燃气企业" and first["重点检查库"] == "2024重点"
    assert first["风险分类日期"] == dt.date(2024, 3, 5)


def test_formula_cells_are_neutralised_on_export(tmp_path, library):
    out = tmp_path / "entities.csv"
    export_file("entities", department=library["dept"], actor=CLI_ACTOR, fmt="csv", out=out)
    text = out.read_bytes().decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text


def test_personal_numbers_only_in_an_admins_export(tmp_path, library):
    dept = library["dept"]
    for actor, has_numbers in (
        (CLI_ACTOR, True),
        (library["owner"], True),
        (library["colleague"], False),
    ):
        out = tmp_path / "inspectors.xlsx"
        export_file("inspectors", department=dept, actor=actor, fmt="xlsx", out=out)
        header = read_sheet(out)[0]
        assert ("手机号码" in header, "身份证号" in header) == (has_numbers, has_numbers)
        out = tmp_path / "entities.xlsx"
        export_file("entities", department=dept, actor=actor, fmt="xlsx", out=out)
        assert ("联系电话" in read_sheet(out)[0]) == has_numbers


def test_a_colleagues_export_without_numbers_reimports_without_clearing_them(tmp_path, library):
    out = tmp_path / "inspectors.xlsx"
    export_file(
        "inspectors", department=library["dept"], actor=library["colleague"], fmt="xlsx", out=out
    )
    result = import_file("inspectors", path=out, department=library["dept"], actor=library["owner"])
    assert (result.updated, result.unchanged) == (0, 1)
    assert library["dept"].inspectors.get().mobile == "13110895362"


def test_an_outsider_may_not_export(tmp_path, library):
    with pytest.raises(NotAllowed):
        export_file(
            "entities",
            department=library["dept"],
            actor=library["outsider"],
            fmt="xlsx",
            out=tmp_path / "x.xlsx",
        )


def test_ssj_export(tmp_path, library, capsys):
    out = tmp_path / "inspectors.csv"
    assert (
        ssj(
            [
                "export",
                "inspectors",
                "--department",
                library["dept"].code,
                "--format",
                "csv",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "1 条" in capsys.readouterr().out
    lines = out.read_bytes().decode("utf-8-sig").splitlines()
    assert (
        lines[0].startswith("序号,姓名,性别,单位")
        and "王朕" in lines[1]
        and "13110895362" in lines[1]
    )
