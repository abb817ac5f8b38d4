"""The rules of a 检查对象 and an 执法检查人员 record, in one place (style.md rule 14).

Hand entry (forms), the API and the batch import all read a field through the same parser
here and check the same cross-field rules, so a value refused by hand is refused in a file
too, with the same reason (issue 10 item 3: an imported 信用风险分类 without its date and
source used to be stored while the same values typed by hand were refused, 001 三(六)).

A parser takes what a person gave — a spreadsheet cell, a form field, a JSON value — and
returns the stored value, or raises ``ValueError`` with the reason in Chinese (without the
field's name: the importer names the row and column, the service the field). The importer
(``registry/importing.py``) runs them column by column at a million rows a minute; the
services call ``entity_clean``/``inspector_clean``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from shuangsuiji.common import ids
from shuangsuiji.common.errors import ValidationFailed
from shuangsuiji.imports import tabular
from shuangsuiji.registry.choices import (
    EntityStatus,
    EntityType,
    Gender,
    InspectorKind,
    InspectorStatus,
    Scale,
    SubjectKind,
)

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

    # Attributes the import engine reads: it looks answers up inline (no call) for repeated cells.
    setattr(wrapped, "__wrapped__", parse)  # noqa: B010 - a function attribute, set on purpose
    setattr(wrapped, "cache", cache)  # noqa: B010
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
    setattr(parse, "text_max", max_length)  # noqa: B010 - read by the engine
    setattr(parse, "text_required", required)  # noqa: B010
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
            raise ValueError(
                f"{what}被 Excel 存成了数字，末几位已丢失：请把该列设为“文本”后重新填写"
            )
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


def choice(choices, *, aliases: Mapping[str, str] | None = None, default: str = "", what: str = ""):
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


_RISK_WORDS = {
    "低": "A",
    "低风险": "A",
    "一般": "B",
    "一般风险": "B",
    "中": "B",
    "中风险": "B",
    "较高": "C",
    "较高风险": "C",
    "高": "D",
    "高风险": "D",
    "未分类": "",
    "无": "",
}
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
    raise ValueError(
        f"无法识别「{tabular.cell_text(raw)}」，可填：A（低风险）、B（一般风险）、C（较高风险）、D（高风险）"
    )


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
# Aliases seen in real files and systems
# ---------------------------------------------------------------------------------------

ENTITY_STATUS_ALIASES = {
    "开业": EntityStatus.ACTIVE,
    "在营": EntityStatus.ACTIVE,
    "在册": EntityStatus.ACTIVE,
    "存续(在营、开业、在册)": EntityStatus.ACTIVE,
    "正常": EntityStatus.ACTIVE,
    "营业": EntityStatus.OPERATING,
    "吊销,未注销": EntityStatus.REVOKED,
    "吊销未注销": EntityStatus.REVOKED,
    "吊销,已注销": EntityStatus.DEREGISTERED,
    "已注销": EntityStatus.DEREGISTERED,
    "已吊销": EntityStatus.REVOKED,
    "歇业": EntityStatus.SUSPENDED,
    "停产": EntityStatus.SUSPENDED,
    "已迁出": EntityStatus.MOVED_OUT,
}
_ENTITY_TYPE_ALIASES = {
    "企业法人": EntityType.LEGAL_PERSON,
    "法人单位": EntityType.LEGAL_PERSON,
    "非法人组织": EntityType.OTHER_ORG,
    "个体": EntityType.INDIVIDUAL,
    "个体户": EntityType.INDIVIDUAL,
    "工程项目": EntityType.PROJECT,
}
_SCALE_ALIASES = {
    "大": Scale.LARGE,
    "中": Scale.MEDIUM,
    "小": Scale.SMALL,
    "微": Scale.MICRO,
    "大型企业": Scale.LARGE,
    "中型企业": Scale.MEDIUM,
    "小型企业": Scale.SMALL,
    "微型企业": Scale.MICRO,
}
_KIND_ALIASES = {
    "执法": InspectorKind.OFFICER,
    "行政执法人员": InspectorKind.OFFICER,
    "执法检查人员": InspectorKind.OFFICER,
    "辅助": InspectorKind.ASSISTANT,
    "检测机构人员": InspectorKind.ASSISTANT,
    "专家学者": InspectorKind.EXPERT,
}
_STATUS_ALIASES = {
    "在职": InspectorStatus.ON_DUTY,
    "正常": InspectorStatus.ON_DUTY,
    "可用": InspectorStatus.ON_DUTY,
    "不可用": InspectorStatus.AWAY,
    "请假": InspectorStatus.AWAY,
    "已调离": InspectorStatus.TRANSFERRED,
    "已退休": InspectorStatus.RETIRED,
}


# ---------------------------------------------------------------------------------------
# The fields of each record type
# ---------------------------------------------------------------------------------------

ENTITY_PARSERS: dict[str, Callable[[Any], Any]] = {
    "key": parse_code(64, what="名录编号"),
    "uscc": parse_uscc,
    "name": text(200, required=True),
    "subject_kind": choice(
        SubjectKind,
        aliases={"企业": SubjectKind.ENTITY, "主体": SubjectKind.ENTITY},
        default=SubjectKind.ENTITY,
    ),
    "entity_type": choice(
        EntityType, aliases=_ENTITY_TYPE_ALIASES, default=EntityType.LEGAL_PERSON
    ),
    "legal_representative": text(50),
    "contact_person": text(50),
    "contact_phone": parse_phone,
    "address": text(255),
    "region": text(50),
    "street": text(50),
    "industry": text(100),
    "scale": choice(Scale, aliases=_SCALE_ALIASES),
    "responsible_units": text(255),
    "risk_class": parse_risk,
    "risk_date": parse_date,
    "risk_source": text(100),
    "status": choice(EntityStatus, aliases=ENTITY_STATUS_ALIASES, default=EntityStatus.ACTIVE),
    "remark": text(255),
    "tags_sub": parse_tags,
    "tags_key": parse_tags,
    "tags_campaign": parse_tags,
}

INSPECTOR_PARSERS: dict[str, Callable[[Any], Any]] = {
    "name": text(50, required=True),
    "gender": choice(Gender, aliases={"男性": Gender.MALE, "女性": Gender.FEMALE}),
    "unit": text(100),
    "area": text(100),
    "issuer": text(100),
    "cert_no": parse_code(64, required=True, what="执法证号"),
    "category": text(100),
    "mobile": parse_mobile,
    "remark": text(255),
    "kind": choice(InspectorKind, aliases=_KIND_ALIASES, default=InspectorKind.OFFICER),
    "cert_valid_until": parse_date,
    "expertise": text(255),
    "post": text(100),
    "status": choice(InspectorStatus, aliases=_STATUS_ALIASES, default=InspectorStatus.ON_DUTY),
    "id_number": parse_id_number,
}


# ---------------------------------------------------------------------------------------
# Rules across fields, and the whole record
# ---------------------------------------------------------------------------------------

RISK_DATE_MISSING = "已填写信用风险分类，请填写风险分类日期"
RISK_SOURCE_MISSING = "已填写信用风险分类，请填写风险分类来源（如：市场监管部门信用风险分类结果）"
RISK_DATE_FUTURE = "风险分类日期不能晚于今天"
KEY_MISSING = "统一社会信用代码与名录编号至少填写一项（项目、行为等无代码的对象请填写名录编号）"


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value or "")


def entity_row_errors(*, values: Mapping[str, Any], today: dt.date) -> dict[str, list[str]]:
    """The rules between an entity's fields, on parsed values (dates as date or ISO text).
    信用风险分类 always carries its date and source [001 三(六)]: a later draw's ratio per
    class depends on it, so an undated or unsourced class could not be checked; and a class
    cannot be dated in the future."""
    errors: dict[str, list[str]] = {}
    if values.get("risk_class"):
        if not values.get("risk_date"):
            errors.setdefault("risk_date", []).append(RISK_DATE_MISSING)
        if not values.get("risk_source"):
            errors.setdefault("risk_source", []).append(RISK_SOURCE_MISSING)
    if values.get("risk_date") and _iso(values["risk_date"]) > today.isoformat():
        errors.setdefault("risk_date", []).append(RISK_DATE_FUTURE)
    if not values.get("key") and not values.get("uscc"):
        # The draw manifest needs a stable key: the credit code, or one the department gives
        # (a project number) for targets that have none [000 三(三)].
        errors.setdefault("key", []).append(KEY_MISSING)
    return errors


_DATE_FIELDS = {"risk_date": "风险分类日期", "cert_valid_until": "证件有效期"}


def _message(label: str, name: str, reason: str) -> str:
    if name in _DATE_FIELDS:
        return f"{_DATE_FIELDS[name]}不是有效日期（{reason}）"
    if reason == "不能为空":
        return label + reason
    return reason if reason.startswith(label) else f"{label}：{reason}"


def _parse_fields(
    parsers: Mapping[str, Callable[[Any], Any]],
    labels: Mapping[str, str],
    values: Mapping[str, Any],
    errors: dict[str, list[str]],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, parse in parsers.items():
        raw = values.get(name)
        try:
            value = parse("" if raw is None else raw)
        except ValueError as exc:
            errors.setdefault(name, []).append(_message(labels.get(name, name), name, str(exc)))
            value = ""
        if name in _DATE_FIELDS:
            value = dt.date.fromisoformat(value) if value else None
        out[name] = value
    return out


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationFailed(
            "；".join(m for msgs in errors.values() for m in msgs), errors=errors
        )


def entity_clean(
    *, values: Mapping[str, Any], labels: Mapping[str, str], today: dt.date
) -> dict[str, Any]:
    """A full set of entity fields as stored, or ``ValidationFailed`` naming every bad field.
    ``labels``: field → the name a person knows it by (the model's verbose names)."""
    errors: dict[str, list[str]] = {}
    parsers = {k: v for k, v in ENTITY_PARSERS.items() if not k.startswith("tags_")}
    out = _parse_fields(parsers, labels, values, errors)
    if not out["key"]:
        out["key"] = out["uscc"]
    for name, messages in entity_row_errors(values=out, today=today).items():
        if name == "risk_date" and name in errors:
            continue  # the date itself is already wrong
        errors.setdefault(name, []).extend(messages)
    _raise(errors)
    return out


def inspector_clean(*, values: Mapping[str, Any], labels: Mapping[str, str]) -> dict[str, Any]:
    """A full set of inspector fields as stored, or ``ValidationFailed`` naming every bad field."""
    errors: dict[str, list[str]] = {}
    out = _parse_fields(INSPECTOR_PARSERS, labels, values, errors)
    _raise(errors)
    return out
