"""Batch import of 检查对象名录库 ("entities") and 执法检查人员名录库 ("inspectors").

[003 附件3 第六条]: 检查对象名录库 is built by batch import and single entry; the inspector
roster follows the columns of 003 附件5 (序号 姓名 性别 单位 执法区域 发证机关 执法证号
执法类别 手机号码 备注). Both run on ``common.import_engine.UpsertImporter`` (one
transaction, all-or-nothing unless skip_invalid, no per-row queries):

* entities upsert on (department, 名录编号); the 名录编号 is the 统一社会信用代码 when the file
  has no 名录编号 column or the cell is empty (projects and behaviours without a code
  carry a 名录编号 the department assigns).
* inspectors upsert on 执法证号, which is unique across the platform: a number already
  registered in another department is an error, not a silent move.

The column names below are the ones the documents and the government systems use; the
aliases are spellings seen in real files. ``entity_row_digest``/``inspector_row_digest``
give the digest of a stored record, for services that edit records by hand.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from django.db import connection

from shuangsuiji.common import ids, tabular
from shuangsuiji.common.import_engine import FieldSpec, UpsertImporter, chunked, row_digest
from shuangsuiji.common.importing import register_importer
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

C = tabular.Column
SEQ = C("seq", "序号", aliases=("编号序号", "No."))


# ---------------------------------------------------------------------------------------
# Cell parsers: each returns the stored value or raises ValueError(中文原因)
# ---------------------------------------------------------------------------------------

def memo(parse):
    """Caches a parser's answer per distinct text cell: choices, dates and tags repeat on
    most rows of a large file, and parsing each again is most of the import's work."""
    cache: dict[str, tuple[bool, Any]] = {}

    def wrapped(raw: Any) -> Any:
        if raw.__class__ is not str:
            return parse(raw)
        hit = cache.get(raw)
        if hit is None:
            try:
                hit = (True, parse(raw))
            except ValueError as exc:
                hit = (False, str(exc))
            if len(cache) > 50_000:
                cache.clear()
            cache[raw] = hit
        if hit[0]:
            return hit[1]
        raise ValueError(hit[1])

    wrapped.__wrapped__ = parse
    wrapped.cache = cache  # the engine looks answers up inline (no call) for repeated cells
    return wrapped


def text(max_length: int, *, required: bool = False):
    def parse(raw: Any) -> str:
        value = raw.strip() if raw.__class__ is str else tabular.cell_plain(raw)
        if not value:
            if required:
                raise ValueError("不能为空")
            return ""
        if len(value) > max_length:
            raise ValueError(f"超过{max_length}个字符（{len(value)}个）")
        return value
    # The engine checks a text cell inline (no call) and calls ``parse`` only for the error.
    parse.text_max = max_length
    parse.text_required = required
    return parse


def _code_text(raw: Any) -> str:
    if raw.__class__ is str:
        if raw.isascii():
            return raw.replace(" ", "").strip().upper()
        return unicodedata.normalize("NFKC", raw).replace(" ", "").strip().upper()
    return ids.normalize_code(tabular.cell_text(raw))


# GB 32100: fast check digit (the importer checks a million codes; ids.uscc_error gives the
# reason text when this says no — both are tested to agree).
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_FAST = re.compile(r"[1-9ANY][0-9A-HJ-NP-RTUWXY]{17}")


# One table per position: character → weight × value, so the sum runs in C (map).
_USCC_TABLES = [{c: w * v for c, v in _USCC_VALUE.items()} for w in _USCC_WEIGHTS]
_getitem = dict.__getitem__


def uscc_valid(code: str) -> bool:
    if len(code) != 18 or not _USCC_FAST.fullmatch(code):
        return False
    total = sum(map(_getitem, _USCC_TABLES, code))
    return _USCC_ALPHABET[-total % 31] == code[17]


def parse_uscc(raw: Any) -> str:
    code = _code_text(raw)
    if not code:
        return ""
    if uscc_valid(code):
        return code
    raise ValueError(ids.uscc_error(code) or "统一社会信用代码无效")


def parse_code(max_length: int, *, required: bool = False, what: str = "编号"):
    def parse(raw: Any) -> str:
        if tabular.number_lost_digits(raw):
            raise ValueError(f"{what}被 Excel 存成了数字，末几位已丢失：请把该列设为“文本”后重新填写")
        value = _code_text(raw)
        if not value:
            if required:
                raise ValueError("不能为空")
            return ""
        if len(value) > max_length:
            raise ValueError(f"超过{max_length}个字符")
        return value
    return parse


def parse_mobile(raw: Any) -> str:
    value = _code_text(raw).replace("-", "")
    if value.startswith("+86"):
        value = value[3:]
    if not value:
        return ""
    reason = ids.mobile_error(value)
    if reason:
        raise ValueError(f"{reason}（{value}）")
    return value


_PHONE = re.compile(r"^[0-9+\-()（） 转,，/]{5,20}$")


def parse_phone(raw: Any) -> str:
    """联系电话: a mobile (checked) or a landline such as 021-57820000 (or 转 extension)."""
    if raw.__class__ is str:
        value = raw.strip()
        if len(value) == 11 and value.isdigit() and value[0] == "1" and value[1] in "3456789":
            return value  # the common case: a well-formed mobile number
    value = tabular.cell_text(raw)
    if not value:
        return ""
    compact = value.replace(" ", "").replace("-", "")
    if compact.isdigit() and len(compact) == 11 and compact.startswith("1"):
        reason = ids.mobile_error(compact)
        if reason:
            raise ValueError(reason)
        return compact
    if not _PHONE.match(value) or sum(c.isdigit() for c in value) < 7:
        raise ValueError(f"联系电话格式不正确：{value}")
    return value


def parse_id_number(raw: Any) -> str:
    if tabular.number_lost_digits(raw):
        raise ValueError("身份证号被 Excel 存成了数字，末几位已丢失：请把该列设为“文本”后重新填写")
    value = _code_text(raw)
    if not value:
        return ""
    reason = ids.id_number_error(value)
    if reason:
        raise ValueError(reason)
    return value


@memo
def parse_date(raw: Any) -> str:
    """A date as ISO text ("" when empty): the engine keeps every value as text."""
    value = tabular.cell_date(raw)
    return value.isoformat() if value else ""


def _choice_key(text: str) -> str:
    return tabular.header_key(text)


def choice(choices, *, aliases: dict[str, str] | None = None, default: str = "", what: str = ""):
    """Accepts the Chinese label, the stored value or an alias; empty → ``default``."""
    table: dict[str, str] = {}
    for value, label in choices.choices:
        table[_choice_key(str(label))] = str(value)
        if value:
            table[_choice_key(value)] = str(value)
    for alias, value in (aliases or {}).items():
        table[_choice_key(alias)] = str(value)
    allowed = "、".join(str(label) for value, label in choices.choices if value)
    default = str(default)

    def parse(raw: Any) -> str:
        key = _choice_key(tabular.cell_text(raw))
        if not key:
            return default
        found = table.get(key)
        if found is None:
            found = table.get(re.sub(r"[(（][^)）]*[)）]$", "", key))
        if found is None:
            raise ValueError(f"无法识别「{tabular.cell_text(raw)}」，可填：{allowed}")
        return found
    return memo(parse)


_RISK_WORDS = {"低": "A", "低风险": "A", "一般": "B", "一般风险": "B", "中": "B", "中风险": "B",
               "较高": "C", "较高风险": "C", "高": "D", "高风险": "D", "未分类": "", "无": ""}
_RISK_LETTER = re.compile(r"^([abcd])(?:类|级|等|类企业)?(?:[-—(（:：]?.*风险.*)?$")


@memo
def parse_risk(raw: Any) -> str:
    """信用风险分类: "A", "A类", "A级", "低风险", "A 低风险", "A类（低风险）" … → A–D."""
    key = _choice_key(tabular.cell_text(raw))
    if not key:
        return ""
    match = _RISK_LETTER.match(key)
    if match:
        return match.group(1).upper()
    word = key.removesuffix("类").removesuffix("企业")
    if word in _RISK_WORDS:
        return _RISK_WORDS[word]
    raise ValueError(f"无法识别「{tabular.cell_text(raw)}」，可填：A（低风险）、B（一般风险）、C（较高风险）、D（高风险）")


_TAG_SPLIT = re.compile(r"[、,，;；\n]+")


@memo
def parse_tags(raw: Any) -> str:
    """标签 cells: names split on 、 , ， ; ； — stored as the sorted names joined by 、."""
    value = tabular.cell_plain(raw)
    if not value:
        return ""
    names = sorted({part.strip() for part in _TAG_SPLIT.split(value) if part.strip()})
    for name in names:
        if len(name) > 64:
            raise ValueError(f"标签「{name[:20]}…」超过64个字符")
    return "、".join(names)


# ---------------------------------------------------------------------------------------
# 检查对象名录库
# ---------------------------------------------------------------------------------------

_ENTITY_STATUS_ALIASES = {
    "开业": EntityStatus.ACTIVE, "在营": EntityStatus.ACTIVE, "在册": EntityStatus.ACTIVE,
    "存续(在营、开业、在册)": EntityStatus.ACTIVE, "正常": EntityStatus.ACTIVE,
    "营业": EntityStatus.OPERATING, "吊销,未注销": EntityStatus.REVOKED, "吊销未注销": EntityStatus.REVOKED,
    "吊销,已注销": EntityStatus.DEREGISTERED, "已注销": EntityStatus.DEREGISTERED, "已吊销": EntityStatus.REVOKED,
    "歇业": EntityStatus.SUSPENDED, "停产": EntityStatus.SUSPENDED, "已迁出": EntityStatus.MOVED_OUT,
}
_ENTITY_TYPE_ALIASES = {"企业法人": EntityType.LEGAL_PERSON, "法人单位": EntityType.LEGAL_PERSON,
                        "非法人组织": EntityType.OTHER_ORG, "个体": EntityType.INDIVIDUAL,
                        "个体户": EntityType.INDIVIDUAL, "工程项目": EntityType.PROJECT}
_SCALE_ALIASES = {"大": Scale.LARGE, "中": Scale.MEDIUM, "小": Scale.SMALL, "微": Scale.MICRO,
                  "大型企业": Scale.LARGE, "中型企业": Scale.MEDIUM, "小型企业": Scale.SMALL, "微型企业": Scale.MICRO}
TAG_FIELDS = {"tags_sub": TagKind.SUBLIBRARY, "tags_key": TagKind.KEY, "tags_campaign": TagKind.CAMPAIGN}

ENTITY_SPECS = [
    FieldSpec("key", C("key", "名录编号", aliases=("对象编号", "项目编号", "登记编号")), parse_code(64, what="名录编号")),
    FieldSpec("uscc", C("uscc", "统一社会信用代码", aliases=("社会信用代码", "信用代码", "统一代码", "统一社会信用代码/注册号")),
              parse_uscc),
    FieldSpec("name", C("name", "名称", required=True,
                        aliases=("单位名称", "企业名称", "主体名称", "对象名称", "检查对象名称", "检查对象", "项目名称")),
              text(200, required=True)),
    FieldSpec("subject_kind", C("subject_kind", "对象类别", aliases=("检查对象类别",)),
              choice(SubjectKind, aliases={"企业": SubjectKind.ENTITY, "主体": SubjectKind.ENTITY}, default=SubjectKind.ENTITY),
              default=SubjectKind.ENTITY),
    FieldSpec("entity_type", C("entity_type", "主体类型", aliases=("市场主体类型",)),
              choice(EntityType, aliases=_ENTITY_TYPE_ALIASES, default=EntityType.LEGAL_PERSON),
              default=EntityType.LEGAL_PERSON),
    FieldSpec("legal_representative", C("legal_representative", "法定代表人", aliases=("法人代表", "法定代表人(负责人)", "负责人")),
              text(50)),
    FieldSpec("contact_person", C("contact_person", "联系人"), text(50)),
    FieldSpec("contact_phone", C("contact_phone", "联系电话", aliases=("联系方式", "电话")), parse_phone),
    FieldSpec("address", C("address", "地址", aliases=("住所", "注册地址", "经营场所", "经营地址", "住所(经营场所)")), text(255)),
    FieldSpec("region", C("region", "所属区域", aliases=("区域", "所属区县", "行政区划", "所在区域")), text(50)),
    FieldSpec("street", C("street", "街镇", aliases=("所属街镇", "街道", "街道(镇)", "乡镇街道")), text(50)),
    FieldSpec("industry", C("industry", "行业", aliases=("所属行业", "行业类别", "行业门类")), text(100)),
    FieldSpec("scale", C("scale", "规模", aliases=("企业规模",)), choice(Scale, aliases=_SCALE_ALIASES), default=Scale.UNKNOWN),
    FieldSpec("responsible_units", C("responsible_units", "监管责任单位", aliases=("责任单位", "监管部门", "监管单位")),
              text(255)),
    FieldSpec("risk_class", C("risk_class", "信用风险分类", aliases=("风险分类", "信用风险等级", "风险等级", "信用风险类别")),
              parse_risk, default=RiskClass.UNKNOWN),
    FieldSpec("risk_date", C("risk_date", "风险分类日期", aliases=("分类日期", "评定日期", "信用风险分类日期")),
              parse_date),
    FieldSpec("risk_source", C("risk_source", "风险分类来源", aliases=("分类来源", "评定机关", "信用风险分类来源")), text(100)),
    FieldSpec("status", C("status", "登记状态", aliases=("状态", "经营状态", "企业状态", "登记状态(存续/注销/吊销)")),
              choice(EntityStatus, aliases=_ENTITY_STATUS_ALIASES, default=EntityStatus.ACTIVE),
              default=EntityStatus.ACTIVE),
    FieldSpec("remark", C("remark", "备注"), text(255)),
    # 子库 by 分类标注 [000 三(三)]: names split on 、，, — virtual fields come last.
    FieldSpec("tags_sub", C("tags_sub", "标签", aliases=("子库", "子库标签", "分类标注")), parse_tags, virtual=True),
    FieldSpec("tags_key", C("tags_key", "重点检查库"), parse_tags, virtual=True),
    FieldSpec("tags_campaign", C("tags_campaign", "专项整治库"), parse_tags, virtual=True),
]


_E_IX = {s.name: i for i, s in enumerate(ENTITY_SPECS)}
_E_KEY, _E_USCC = _E_IX["key"], _E_IX["uscc"]
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

    def key_header(self, bound: tabular.BoundTable) -> str:
        return bound.header_of("key" if "key" in bound.field_index else "uscc")

    def check_columns(self, bound: tabular.BoundTable) -> None:
        if "uscc" not in bound.field_index and "key" not in bound.field_index:
            raise tabular.TableError("缺少「统一社会信用代码」列（没有统一社会信用代码的项目、行为请用「名录编号」列）")

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
                errors.add(row, bound.header_of("uscc"), "统一社会信用代码不能为空（没有代码的项目、行为请填写名录编号）")
                return None
            values[_E_KEY] = key
        return key

    def preload_extra(self, department) -> None:
        self._department = department
        self._tags = {name: (pk, kind) for pk, name, kind in
                      Tag.objects.filter(department=department).values_list("id", "name", "kind")}

    def has_virtual(self, values) -> bool:
        return bool(values[_E_TAGS[0]] or values[_E_TAGS[1]] or values[_E_TAGS[2]])

    def check_row(self, values, key, row, bound, errors, is_new) -> bool:
        if not self.has_virtual(values):
            return True
        ok = True
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
                    errors.add(row, header, f"标签「{name}」已是「{TagKind(known_kind).label}」，不能作为「{TagKind(kind).label}」使用")
                    ok = False
                elif known is None:
                    self._new_tags.setdefault(name, kind)
        return ok

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
                "entity_id", "tag__name", "tag__kind"):
            found.setdefault(entity_id, {}).setdefault(kind, []).append(name)
        out: dict[int, dict[str, Any]] = {}
        for pk in ids_:
            by_kind = found.get(pk, {})
            out[pk] = {f: "、".join(sorted(by_kind.get(kind, []))) for f, kind in TAG_FIELDS.items()}
        return out

    def _tag_id(self, name: str, kind: str) -> int:
        known = self._tags.get(name)
        if known is None:
            tag = Tag.objects.create(department=self._department, name=name, kind=kind)
            known = self._tags[name] = (tag.pk, kind)
        return known[0]

    def write_virtual(self, department, *, created, updated) -> None:
        through = Entity.tags.through
        qn = connection.ops.quote_name
        table = qn(through._meta.db_table)
        links: list[tuple[int, int]] = []
        removals: list[tuple[int, int]] = []
        wanted = [(key, values) for key, values in created if any(values.get(f) for f in TAG_FIELDS)]
        for batch in chunked(wanted, 500):
            id_of = dict(Entity.objects.filter(department=department, key__in=[k for k, _ in batch])
                         .values_list("key", "id"))
            for key, values in batch:
                for fieldname, kind in TAG_FIELDS.items():
                    for name in filter(None, (values.get(fieldname) or "").split("、")):
                        links.append((id_of[key], self._tag_id(name, kind)))
        for pk, old, new in updated:
            for fieldname, kind in TAG_FIELDS.items():
                before = set(filter(None, (old.get(fieldname) or "").split("、")))
                after = set(filter(None, (new.get(fieldname) or "").split("、")))
                links.extend((pk, self._tag_id(name, kind)) for name in after - before)
                removals.extend((pk, self._tags[name][0]) for name in before - after if name in self._tags)
        with connection.cursor() as cursor:
            if removals:
                cursor.executemany(f"DELETE FROM {table} WHERE {qn('entity_id')} = %s AND {qn('tag_id')} = %s", removals)
            if links:
                cursor.executemany(f"INSERT INTO {table} ({qn('entity_id')}, {qn('tag_id')}) VALUES (%s, %s)", links)


# ---------------------------------------------------------------------------------------
# 执法检查人员名录库
# ---------------------------------------------------------------------------------------

_KIND_ALIASES = {"执法": InspectorKind.OFFICER, "行政执法人员": InspectorKind.OFFICER, "执法检查人员": InspectorKind.OFFICER,
                 "辅助": InspectorKind.ASSISTANT, "检测机构人员": InspectorKind.ASSISTANT, "专家学者": InspectorKind.EXPERT}
_STATUS_ALIASES = {"在职": InspectorStatus.ON_DUTY, "正常": InspectorStatus.ON_DUTY, "可用": InspectorStatus.ON_DUTY,
                   "不可用": InspectorStatus.AWAY, "请假": InspectorStatus.AWAY, "已调离": InspectorStatus.TRANSFERRED,
                   "已退休": InspectorStatus.RETIRED}

INSPECTOR_SPECS = [
    FieldSpec("name", C("name", "姓名", required=True), text(50, required=True)),
    FieldSpec("gender", C("gender", "性别"), choice(Gender, aliases={"男性": Gender.MALE, "女性": Gender.FEMALE}),
              default=Gender.UNKNOWN),
    FieldSpec("unit", C("unit", "单位", aliases=("所在单位", "工作单位")), text(100)),
    FieldSpec("area", C("area", "执法区域", aliases=("执法地域",)), text(100)),
    FieldSpec("issuer", C("issuer", "发证机关", aliases=("发证单位",)), text(100)),
    FieldSpec("cert_no", C("cert_no", "执法证号", required=True, aliases=("执法证件号", "执法证件号码", "证件号", "执法证编号")),
              parse_code(64, required=True, what="执法证号")),
    FieldSpec("category", C("category", "执法类别", aliases=("执法门类", "执法种类")), text(100)),
    FieldSpec("mobile", C("mobile", "手机号码", aliases=("手机号", "手机", "联系电话")), parse_mobile),
    FieldSpec("remark", C("remark", "备注"), text(255)),
    FieldSpec("kind", C("kind", "人员类别", aliases=("人员类型", "类别")),
              choice(InspectorKind, aliases=_KIND_ALIASES, default=InspectorKind.OFFICER), default=InspectorKind.OFFICER),
    FieldSpec("cert_valid_until", C("cert_valid_until", "证件有效期至", aliases=("有效期至", "证件有效期", "执法证有效期至")),
              parse_date),
    FieldSpec("expertise", C("expertise", "业务专长", aliases=("专长",)), text(255)),
    FieldSpec("post", C("post", "职务", aliases=("职务/岗位", "岗位", "职务岗位")), text(100)),
    FieldSpec("status", C("status", "状态", aliases=("人员状态", "在岗状态")),
              choice(InspectorStatus, aliases=_STATUS_ALIASES, default=InspectorStatus.ON_DUTY),
              default=InspectorStatus.ON_DUTY),
    FieldSpec("id_number", C("id_number", "身份证号", aliases=("身份证号码", "公民身份号码", "身份证")), parse_id_number),
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
        self._elsewhere = dict(Inspector.objects.exclude(department=department)
                               .values_list("cert_no", "department__name"))

    def check_row(self, values, key, row, bound, errors, is_new) -> bool:
        other = self._elsewhere.get(key)
        if other is not None:
            errors.add(row, bound.header_of("cert_no"), f"执法证号 {key} 已登记在「{other}」的人员名录中")
            return False
        return True


register_importer("entities", EntityImporter())
register_importer("inspectors", InspectorImporter())


# ---------------------------------------------------------------------------------------
# Digests of stored records (for services that edit by hand)
# ---------------------------------------------------------------------------------------

def entity_row_digest(entity: Entity) -> str:
    """The ``row_digest`` an import of this record's exported row would compute."""
    tags: dict[str, list[str]] = {}
    for tag in entity.tags.all():
        tags.setdefault(tag.kind, []).append(tag.name)
    values = []
    for spec in ENTITY_SPECS:
        if spec.virtual:
            values.append("、".join(sorted(tags.get(TAG_FIELDS[spec.name], []))))
        else:
            values.append(getattr(entity, spec.name))
    return row_digest(values)


def inspector_row_digest(inspector: Inspector) -> str:
    return row_digest([getattr(inspector, spec.name) for spec in INSPECTOR_SPECS])
