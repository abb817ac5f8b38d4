"""Batch import of 检查对象名录库 ("entities") and 执法检查人员名录库 ("inspectors").

[003 附件3 第六条]: 检查对象名录库 is built by batch import and single entry; the inspector
roster follows the columns of 003 附件5 (序号 姓名 性别 单位 执法区域 发证机关 执法证号
执法类别 手机号码 备注). Both run on ``imports.engine.UpsertImporter`` (one
transaction, all-or-nothing unless skip_invalid, no per-row queries):

* entities upsert on (department, 名录编号); the 名录编号 is the 统一社会信用代码 when the file
  has no 名录编号 column or the cell is empty (projects and behaviours without a code
  carry a 名录编号 the department assigns).
* inspectors upsert on 执法证号, which is unique across the platform: a number already
  registered in another department is an error, not a silent move.

The column names below are the ones the documents and the government systems use; the
aliases are spellings seen in real files. What a cell may hold is decided in
``registry/rules.py``, which hand entry and the API use too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.utils import timezone

from shuangsuiji.imports import tabular
from shuangsuiji.imports.engine import FieldSpec, UpsertImporter, chunked
from shuangsuiji.imports.framework import register_importer
from shuangsuiji.registry import rules
from shuangsuiji.registry.choices import (
    EntityStatus,
    EntityType,
    Gender,
    InspectorKind,
    InspectorStatus,
    RiskClass,
    Scale,
    SubjectKind,
    TagKind,
)
from shuangsuiji.registry.models import Entity, Inspector, Tag
from shuangsuiji.registry.rules import ENTITY_PARSERS, INSPECTOR_PARSERS

C = tabular.Column
SEQ = C("seq", "序号", aliases=("编号序号", "No."))


# ---------------------------------------------------------------------------------------
# 检查对象名录库
# ---------------------------------------------------------------------------------------

TAG_FIELDS = {
    "tags_sub": TagKind.SUBLIBRARY,
    "tags_key": TagKind.KEY,
    "tags_campaign": TagKind.CAMPAIGN,
}

ENTITY_SPECS = [
    FieldSpec(
        "key",
        C("key", "名录编号", aliases=("对象编号", "项目编号", "登记编号")),
        ENTITY_PARSERS["key"],
    ),
    FieldSpec(
        "uscc",
        C(
            "uscc",
            "统一社会信用代码",
            aliases=(
                "社会信用代码",
                "信用代码",
                "统一代码",
                "统一社会信用代码/注册号",
                "统一社会信用代码或注册号",
                "社会统一信用代码",  # a transposition seen in real files
                "统一信用代码",
            ),
        ),
        ENTITY_PARSERS["uscc"],
    ),
    FieldSpec(
        "name",
        C(
            "name",
            "名称",
            required=True,
            aliases=(
                "市场主体名称",  # 003 第六条
                "经营主体名称",
                "市场主体",
                "单位名称",
                "企业名称",
                "企业(单位)名称",
                "单位(企业)名称",
                "名称(项目名称)",
                "主体名称",
                "对象名称",
                "检查对象名称",
                "检查对象",
                "项目名称",
            ),
        ),
        ENTITY_PARSERS["name"],
    ),
    FieldSpec(
        "subject_kind",
        C("subject_kind", "对象类别", aliases=("检查对象类别",)),
        ENTITY_PARSERS["subject_kind"],
        default=SubjectKind.ENTITY,
    ),
    FieldSpec(
        "entity_type",
        C("entity_type", "主体类型", aliases=("市场主体类型",)),
        ENTITY_PARSERS["entity_type"],
        default=EntityType.LEGAL_PERSON,
    ),
    FieldSpec(
        "legal_representative",
        C(
            "legal_representative",
            "法定代表人",
            aliases=(
                "法人代表",
                "法定代表人(负责人)",
                "负责人",
                "法定代表人姓名",
                "法人",
                "经营者",  # 个体工商户
                "投资人",  # 个人独资企业
            ),
        ),
        ENTITY_PARSERS["legal_representative"],
    ),
    FieldSpec(
        "contact_person",
        C(
            "contact_person",
            "联系人",
            aliases=("联络人", "联系人姓名", "联络员", "企业联系人", "联络人姓名"),  # 003 第六条
        ),
        ENTITY_PARSERS["contact_person"],
    ),
    FieldSpec(
        "contact_phone",
        C(
            "contact_phone",
            "联系电话",
            aliases=(
                "联系方式",  # 003 第六条
                "电话",
                "联系人电话",
                "联络电话",
                "联系人手机",
                "联系手机",
                "联系方式(电话)",
            ),
        ),
        ENTITY_PARSERS["contact_phone"],
    ),
    FieldSpec(
        "address",
        C(
            "address",
            "地址",
            aliases=(
                "住所",
                "注册地址",
                "经营场所",
                "经营地址",
                "住所(经营场所)",
                "企业地址",
                "单位地址",
                "项目地址",
                "详细地址",
            ),
        ),
        ENTITY_PARSERS["address"],
    ),
    FieldSpec(
        "region",
        C("region", "所属区域", aliases=("区域", "所属区县", "行政区划", "所在区域")),
        ENTITY_PARSERS["region"],
    ),
    FieldSpec(
        "street",
        C("street", "街镇", aliases=("所属街镇", "街道", "街道(镇)", "乡镇街道")),
        ENTITY_PARSERS["street"],
    ),
    FieldSpec(
        "industry",
        C("industry", "行业", aliases=("所属行业", "行业类别", "行业门类")),
        ENTITY_PARSERS["industry"],
    ),
    FieldSpec(
        "scale",
        C("scale", "规模", aliases=("企业规模",)),
        ENTITY_PARSERS["scale"],
        default=Scale.UNKNOWN,
    ),
    FieldSpec(
        "responsible_units",
        C(
            "responsible_units",
            "监管责任单位",
            aliases=(
                "监管责任股室",  # 003 第六条: the section (股室) responsible for the entity
                "责任股室",
                "监管股室",
                "事项监管股室",
                "监管责任科室",
                "责任科室",
                "监管科室",
                "责任单位",
                "监管部门",
                "监管单位",
                "监管责任部门",
            ),
        ),
        ENTITY_PARSERS["responsible_units"],
    ),
    FieldSpec(
        "risk_class",
        C(
            "risk_class",
            "信用风险分类",
            aliases=("风险分类", "信用风险等级", "风险等级", "信用风险类别"),
        ),
        ENTITY_PARSERS["risk_class"],
        default=RiskClass.UNKNOWN,
    ),
    FieldSpec(
        "risk_date",
        C("risk_date", "风险分类日期", aliases=("分类日期", "评定日期", "信用风险分类日期")),
        ENTITY_PARSERS["risk_date"],
    ),
    FieldSpec(
        "risk_source",
        C("risk_source", "风险分类来源", aliases=("分类来源", "评定机关", "信用风险分类来源")),
        ENTITY_PARSERS["risk_source"],
    ),
    FieldSpec(
        "status",
        C(
            "status",
            "登记状态",
            aliases=("状态", "经营状态", "企业状态", "登记状态(存续/注销/吊销)"),
        ),
        ENTITY_PARSERS["status"],
        default=EntityStatus.ACTIVE,
    ),
    FieldSpec("remark", C("remark", "备注"), ENTITY_PARSERS["remark"]),
    # 子库 by 分类标注 [000 三(三)]: names split on 、，, — virtual fields come last.
    FieldSpec(
        "tags_sub",
        C("tags_sub", "标签", aliases=("子库", "子库标签", "分类标注")),
        ENTITY_PARSERS["tags_sub"],
        virtual=True,
    ),
    FieldSpec("tags_key", C("tags_key", "重点检查库"), ENTITY_PARSERS["tags_key"], virtual=True),
    FieldSpec(
        "tags_campaign",
        C("tags_campaign", "专项整治库"),
        ENTITY_PARSERS["tags_campaign"],
        virtual=True,
    ),
]


_E_IX = {s.name: i for i, s in enumerate(ENTITY_SPECS)}
_E_KEY, _E_USCC = _E_IX["key"], _E_IX["uscc"]
_E_RISK, _E_RISK_DATE, _E_RISK_SOURCE = (
    _E_IX["risk_class"],
    _E_IX["risk_date"],
    _E_IX["risk_source"],
)
_E_TAGS = tuple(_E_IX[f] for f in TAG_FIELDS)


class EntityImporter(UpsertImporter):
    """检查对象名录库 import."""

    kind = "entities"
    label = "检查对象名录库"
    model = Entity
    key_field = "key"
    specs = ENTITY_SPECS
    leading_columns = [SEQ]
    derived_fields = frozenset({"key"})

    def __init__(self) -> None:
        self._tags: dict[str, tuple[int, str]] = {}
        self._new_tags: dict[str, str] = {}
        self._department = None
        self._today = dt.date.min  # set by preload_extra for each run
        self._today_iso = ""

    def key_header(self, bound: tabular.BoundTable) -> str:
        return bound.header_of("key" if "key" in bound.field_index else "uscc")

    def check_columns(self, bound: tabular.BoundTable) -> None:
        if "uscc" not in bound.field_index and "key" not in bound.field_index:
            raise tabular.TableError(
                "缺少「统一社会信用代码」列（没有统一社会信用代码的项目、行为请用「名录编号」列）"
            )

    def row_key(self, values, failed, row, bound, errors) -> str | None:
        key = values[_E_KEY]
        if not key:
            if "uscc" not in bound.field_index:
                if not failed:
                    errors.add(row, bound.header_of("key"), "名录编号不能为空")
                return None
            if failed and _E_USCC in failed:
                return None  # the 统一社会信用代码 cell already has its error
            key = values[_E_USCC]
            if not key:
                errors.add(
                    row,
                    bound.header_of("uscc"),
                    "统一社会信用代码不能为空（没有代码的项目、行为请填写名录编号）",
                )
                return None
            values[_E_KEY] = key
        return key

    def preload_extra(self, department) -> None:
        self._department = department
        self._created_tags: list[int] = []
        self._today = timezone.localdate()
        self._today_iso = self._today.isoformat()
        self._tags = {
            name: (pk, kind)
            for pk, name, kind in Tag.objects.filter(department=department).values_list(
                "id", "name", "kind"
            )
        }

    def has_virtual(self, values) -> bool:
        return bool(values[_E_TAGS[0]] or values[_E_TAGS[1]] or values[_E_TAGS[2]])

    def check_row(self, values, key, row, bound, errors, is_new) -> bool:
        ok = self._check_rules(values, row, bound, errors)
        if not self.has_virtual(values):
            return ok
        kinds_seen: dict[str, str] = {}
        for (fieldname, kind), position in zip(TAG_FIELDS.items(), _E_TAGS, strict=True):
            value = values[position]
            if not value:
                continue
            header = bound.header_of(fieldname)
            for name in value.split("、"):
                if name in kinds_seen and kinds_seen[name] != kind:
                    errors.add(row, header, f"「{name}」同时出现在两个标签列中")
                    ok = False
                kinds_seen[name] = kind
                known = self._tags.get(name)
                known_kind = known[1] if known else self._new_tags.get(name)
                if known_kind is not None and known_kind != kind:
                    errors.add(
                        row,
                        header,
                        f"标签「{name}」已是「{TagKind(known_kind).label}」，不能作为「{TagKind(kind).label}」使用",
                    )
                    ok = False
                elif known is None:
                    self._new_tags.setdefault(name, kind)
        return ok

    def _check_rules(self, values, row, bound, errors) -> bool:
        """The rules between fields that hand entry applies too (registry/rules.py). Only a
        row that sets a 信用风险分类 can break them, so the common row costs one test."""
        risk, date = values[_E_RISK], values[_E_RISK_DATE]
        if not risk and not date:
            return True
        if risk and date and values[_E_RISK_SOURCE] and date <= self._today_iso:
            return True  # a complete, past classification: the rules would find nothing
        found = rules.entity_row_errors(
            values={name: values[i] for name, i in _E_IX.items()}, today=self._today
        )
        found.pop("key", None)  # a missing key is ``row_key``'s, with the column's name
        for name, messages in found.items():
            for message in messages:
                errors.add(row, bound.header_of(name), message)
        return not found

    def notes(self) -> list[str]:
        if not self._new_tags:
            return []
        names = sorted(self._new_tags)
        shown = "、".join(names[:20]) + ("等" if len(names) > 20 else "")
        return [f"新建标签 {len(names)} 个：{shown}"]

    def load_virtual(self, ids_: Sequence[int]) -> dict[int, dict[str, Any]]:
        through = Entity.tags.through
        found: dict[int, dict[str, list[str]]] = {}
        for entity_id, name, kind in through.objects.filter(entity_id__in=ids_).values_list(
            "entity_id", "tag__name", "tag__kind"
        ):
            found.setdefault(entity_id, {}).setdefault(kind, []).append(name)
        out: dict[int, dict[str, Any]] = {}
        for pk in ids_:
            by_kind = found.get(pk, {})
            out[pk] = {
                f: "、".join(sorted(by_kind.get(kind, []))) for f, kind in TAG_FIELDS.items()
            }
        return out

    def _tag_id(self, name: str, kind: str) -> int:
        known = self._tags.get(name)
        if known is None:
            tag = Tag.objects.create(department=self._department, name=name, kind=kind)
            known = self._tags[name] = (tag.pk, kind)
            self._created_tags.append(tag.pk)
        return known[0]

    def undo_virtual(self, department) -> None:
        # A staged SQLite import was undone (imports/staging.py): the tag names it added
        # go too, unless a record entered meanwhile uses them.
        if self._created_tags:
            Tag.objects.filter(pk__in=self._created_tags, entities__isnull=True).delete()

    def write_virtual(self, department, *, created, updated) -> None:
        through = Entity.tags.through
        qn = connection.ops.quote_name
        table = qn(through._meta.db_table)
        links: list[tuple[int, int]] = []
        removals: list[tuple[int, int]] = []
        wanted = [
            (key, values) for key, values in created if any(values.get(f) for f in TAG_FIELDS)
        ]
        for batch in chunked(wanted, 500):
            id_of = dict(
                Entity.objects.filter(
                    department=department, key__in=[k for k, _ in batch]
                ).values_list("key", "id")
            )
            for key, values in batch:
                for fieldname, kind in TAG_FIELDS.items():
                    for name in filter(None, (values.get(fieldname) or "").split("、")):
                        links.append((id_of[key], self._tag_id(name, kind)))
        for pk, old, new in updated:
            for fieldname, kind in TAG_FIELDS.items():
                before = set(filter(None, (old.get(fieldname) or "").split("、")))
                after = set(filter(None, (new.get(fieldname) or "").split("、")))
                links.extend((pk, self._tag_id(name, kind)) for name in after - before)
                removals.extend(
                    (pk, self._tags[name][0]) for name in before - after if name in self._tags
                )
        with connection.cursor() as cursor:
            if removals:
                cursor.executemany(
                    f"DELETE FROM {table} WHERE {qn('entity_id')} = %s AND {qn('tag_id')} = %s",
                    removals,
                )
            if links:
                cursor.executemany(
                    f"INSERT INTO {table} ({qn('entity_id')}, {qn('tag_id')}) VALUES (%s, %s)",
                    links,
                )


# ---------------------------------------------------------------------------------------
# 执法检查人员名录库
# ---------------------------------------------------------------------------------------

INSPECTOR_SPECS = [
    FieldSpec(
        "name",
        C("name", "姓名", required=True, aliases=("执法人员姓名", "检查人员姓名", "人员姓名")),
        INSPECTOR_PARSERS["name"],
    ),
    FieldSpec("gender", C("gender", "性别"), INSPECTOR_PARSERS["gender"], default=Gender.UNKNOWN),
    FieldSpec(
        "unit",
        C("unit", "单位", aliases=("所在单位", "工作单位", "所属单位", "所在股室", "科室")),
        INSPECTOR_PARSERS["unit"],
    ),
    FieldSpec("area", C("area", "执法区域", aliases=("执法地域",)), INSPECTOR_PARSERS["area"]),
    FieldSpec(
        "issuer", C("issuer", "发证机关", aliases=("发证单位",)), INSPECTOR_PARSERS["issuer"]
    ),
    FieldSpec(
        "cert_no",
        C(
            "cert_no",
            "执法证号",
            required=True,
            aliases=(
                "执法证件号",
                "执法证件号码",
                "证件号",
                "执法证编号",
                "执法证件编号",
                "执法证号码",
            ),
        ),
        INSPECTOR_PARSERS["cert_no"],
    ),
    FieldSpec(
        "category",
        C("category", "执法类别", aliases=("执法领域", "执法门类", "执法种类")),  # 003 第七条
        INSPECTOR_PARSERS["category"],
    ),
    FieldSpec(
        "mobile",
        C("mobile", "手机号码", aliases=("手机号", "手机", "联系电话", "联系方式")),
        INSPECTOR_PARSERS["mobile"],
    ),
    FieldSpec("remark", C("remark", "备注"), INSPECTOR_PARSERS["remark"]),
    FieldSpec(
        "kind",
        C("kind", "人员类别", aliases=("人员类型", "类别")),
        INSPECTOR_PARSERS["kind"],
        default=InspectorKind.OFFICER,
    ),
    FieldSpec(
        "cert_valid_until",
        C("cert_valid_until", "证件有效期至", aliases=("有效期至", "证件有效期", "执法证有效期至")),
        INSPECTOR_PARSERS["cert_valid_until"],
    ),
    FieldSpec(
        "expertise", C("expertise", "业务专长", aliases=("专长",)), INSPECTOR_PARSERS["expertise"]
    ),
    FieldSpec(
        "post",
        C("post", "职务", aliases=("职务/岗位", "岗位", "职务岗位")),
        INSPECTOR_PARSERS["post"],
    ),
    FieldSpec(
        "status",
        C("status", "状态", aliases=("人员状态", "在岗状态")),
        INSPECTOR_PARSERS["status"],
        default=InspectorStatus.ON_DUTY,
    ),
    FieldSpec(
        "id_number",
        C("id_number", "身份证号", aliases=("身份证号码", "公民身份号码", "身份证")),
        INSPECTOR_PARSERS["id_number"],
    ),
]


_I_CERT = [s.name for s in INSPECTOR_SPECS].index("cert_no")


class InspectorImporter(UpsertImporter):
    """执法检查人员名录库 import (the roster of 003 附件5 and more)."""

    kind = "inspectors"
    label = "执法检查人员名录库"
    model = Inspector
    key_field = "cert_no"
    specs = INSPECTOR_SPECS
    leading_columns = [SEQ]

    def __init__(self) -> None:
        self._elsewhere: dict[str, str] = {}

    def row_key(self, values, failed, row, bound, errors) -> str | None:
        return values[_I_CERT] or None

    def preload_extra(self, department) -> None:
        # 执法证号 is unique platform-wide (Inspector.cert_no unique=True).
        self._elsewhere = dict(
            Inspector.objects.exclude(department=department).values_list(
                "cert_no", "department__name"
            )
        )

    def check_row(self, values, key, row, bound, errors, is_new) -> bool:
        other = self._elsewhere.get(key)
        if other is not None:
            errors.add(
                row, bound.header_of("cert_no"), f"执法证号 {key} 已登记在「{other}」的人员名录中"
            )
            return False
        return True


register_importer("entities", EntityImporter())
register_importer("inspectors", InspectorImporter())
