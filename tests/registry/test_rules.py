"""One rule set per record (registry/rules.py; issue 10 item 3): every value hand entry
refuses is refused by the batch import too, for the same field, and what one accepts the
other accepts. The files are real CSVs read by the real importer."""

import csv
import datetime as dt

import pytest
from django.utils import timezone

from shuangsuiji.common.errors import ValidationFailed
from shuangsuiji.imports.framework import import_file
from shuangsuiji.registry.importing import ENTITY_SPECS, INSPECTOR_SPECS
from shuangsuiji.registry.models import Entity, Inspector
from shuangsuiji.registry.services import entity_create, inspector_create
from tests import factories

pytestmark = pytest.mark.django_db

RISK = {"risk_class": "B", "risk_date": "2024-06-30", "risk_source": "市场监管部门信用风险分类结果"}
TOMORROW = "tomorrow"  # replaced by the day after the suite's today

# (what is typed, the field that must be refused)
ENTITY_REFUSALS = [
    ({"name": ""}, "name"),
    ({"name": "甲" * 201}, "name"),
    ({"uscc": "91310117MA1G000000"}, "uscc"),
    ({"contact_phone": "12345"}, "contact_phone"),
    ({"contact_phone": "12812345678"}, "contact_phone"),
    ({"status": "倒闭"}, "status"),
    ({"scale": "巨型"}, "scale"),
    ({"entity_type": "外星企业"}, "entity_type"),
    ({"risk_class": "E"}, "risk_class"),
    (
        {"risk_class": "B", "risk_date": "", "risk_source": "市场监管部门"},
        "risk_date",
    ),  # 001 三(六)
    ({"risk_class": "A", "risk_date": "2024-06-30", "risk_source": ""}, "risk_source"),
    ({**RISK, "risk_date": TOMORROW}, "risk_date"),
    ({**RISK, "risk_date": "2026-02-30"}, "risk_date"),
    ({"address": "路" * 256}, "address"),
]
ENTITY_ACCEPTED = [
    {"contact_phone": "021-57821234"},
    {"contact_phone": "13912345678"},
    {"contact_phone": "400-820-8820"},
    RISK,
    {"risk_class": "A类", "risk_date": "2024/6/30", "risk_source": "市场监管部门"},
    {"status": "在业"},
    {"scale": "小型"},
]
INSPECTOR_REFUSALS = [
    ({"name": ""}, "name"),
    ({"cert_no": ""}, "cert_no"),
    ({"mobile": "139"}, "mobile"),
    ({"id_number": "110101199003071234"}, "id_number"),
    ({"cert_valid_until": "not-a-date"}, "cert_valid_until"),
    ({"kind": "临时工"}, "kind"),
    ({"gender": "未知生物"}, "gender"),
]


def _entity_fields(over: dict) -> dict:
    fields = {"name": "上海某某建设有限公司", "uscc": factories.uscc(), **over}
    if fields.get("risk_date") == TOMORROW:
        fields["risk_date"] = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    return fields


def _inspector_fields(over: dict) -> dict:
    return {"name": "张三", "cert_no": f"SH{factories.uscc()[-8:]}", **over}


def _write(tmp_path, specs, fields: dict) -> tuple:
    header = {s.name: s.column.header for s in specs}
    path = tmp_path / "rows.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([header[k] for k in fields])
        writer.writerow(list(fields.values()))
    return path, header


def _import(kind, path, trio):
    return import_file(kind, path=path, department=trio["dept"], actor=trio["owner"], dry_run=True)


@pytest.mark.parametrize(("over", "field"), ENTITY_REFUSALS)
def test_an_entity_refused_by_hand_is_refused_by_the_import_on_the_same_column(
    trio, tmp_path, over, field
):
    fields = _entity_fields(over)
    with pytest.raises(ValidationFailed) as refused:
        entity_create(actor=trio["owner"], department=trio["dept"], fields=fields)
    assert field in refused.value.errors
    path, header = _write(tmp_path, ENTITY_SPECS, fields)
    result = _import("entities", path, trio)
    assert header[field] in {e.column for e in result.errors}, [
        (e.column, e.message) for e in result.errors
    ]
    assert not Entity.objects.exists()


@pytest.mark.parametrize("over", ENTITY_ACCEPTED)
def test_an_entity_accepted_by_hand_is_accepted_by_the_import(trio, tmp_path, over):
    fields = _entity_fields(over)
    path, _ = _write(tmp_path, ENTITY_SPECS, fields)
    result = _import("entities", path, trio)
    assert not result.errors, [(e.column, e.message) for e in result.errors]
    entity_create(actor=trio["owner"], department=trio["dept"], fields=fields)


@pytest.mark.parametrize(("over", "field"), INSPECTOR_REFUSALS)
def test_an_inspector_refused_by_hand_is_refused_by_the_import_on_the_same_column(
    trio, tmp_path, over, field
):
    fields = _inspector_fields(over)
    with pytest.raises(ValidationFailed) as refused:
        inspector_create(actor=trio["owner"], department=trio["dept"], fields=fields)
    assert field in refused.value.errors
    path, header = _write(tmp_path, INSPECTOR_SPECS, fields)
    result = _import("inspectors", path, trio)
    assert header[field] in {e.column for e in result.errors}, [
        (e.column, e.message) for e in result.errors
    ]
    assert not Inspector.objects.exists()


def test_hand_entry_reads_numbers_as_the_import_does(trio):
    # A mobile typed with spaces, dashes or +86, and full-width digits, is stored as 11 digits.
    inspector = inspector_create(
        actor=trio["owner"],
        department=trio["dept"],
        fields=_inspector_fields({"mobile": "+86 139-1234-5678"}),
    )
    assert inspector.mobile == "13912345678"
    entity = entity_create(
        actor=trio["owner"],
        department=trio["dept"],
        fields=_entity_fields({"contact_phone": "１３９ １２３４ ５６７８"}),
    )
    assert entity.contact_phone == "13912345678"
