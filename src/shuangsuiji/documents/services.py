"""Letterheads and document numbers (文号) (issue 13 第 3 项).

A number is given once per document (kind and object): printing it again shows the same
number and date. Numbers run per issuing department, kind and year without gaps: the
series' counter row is locked while a number is taken, and the number and the document
row are written in the same transaction (a failure returns the number to the series).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import Department, User
from shuangsuiji.accounts.selectors import user_has_role
from shuangsuiji.audit.services import event_record
from shuangsuiji.common.errors import NotAllowed, ValidationFailed
from shuangsuiji.common.masking import personal_numbers
from shuangsuiji.common.text import text_problem
from shuangsuiji.documents.choices import DEFAULT_PATTERNS, DocumentKind
from shuangsuiji.documents.models import IssuedDocument, Letterhead, NumberCounter, NumberPattern

# The placeholders of a number's form: 机关代字, 年, 号 (optionally zero-padded: {号:3} → 007).
_TOKEN = re.compile(r"\{(代字|年|号)(?::([2-6]))?\}")
PATTERN_HELP = "可用占位符：{代字}（机关代字）、{年}（年度）、{号}（序号；{号:3} 补足3位，如 007）"


def _issuer(department: Department) -> Department:
    """The department whose name and series a document carries: the nearest one, itself
    first, with a letterhead; else the top of its tree (a 科室 issues as its 委)."""
    chain = [department, *department.ancestors()]
    with_head = set(
        Letterhead.objects.filter(department__in=chain).values_list("department_id", flat=True)
    )
    return next((d for d in chain if d.id in with_head), chain[-1])


def issuer_for(*, department: Department) -> Department:
    return _issuer(department)


def number_pattern_check(pattern: str) -> str:
    """The pattern as it will be used, or a Chinese message naming what is wrong. Only the
    three placeholders are read — the text is never passed to ``str.format``."""
    text = (pattern or "").strip()
    if not text:
        raise ValidationFailed("请填写文号格式", field="pattern")
    if len(text) > 60:
        raise ValidationFailed("文号格式过长（最多60字）", field="pattern")
    if problem := text_problem(text):
        raise ValidationFailed(f"文号格式{problem}", field="pattern")
    rest = _TOKEN.sub("", text)
    if "{" in rest or "}" in rest:
        bad = re.search(r"\{[^}]*\}?|\}", rest)
        raise ValidationFailed(
            f"文号格式中的“{bad.group() if bad else '{'}”不是可用的占位符。{PATTERN_HELP}",
            field="pattern",
        )
    if not any(m.group(1) == "年" for m in _TOKEN.finditer(text)):
        # Numbers start again at 1 each year: without the year two documents would share one.
        raise ValidationFailed(
            f"文号格式须含年度占位符 {{年}}（序号每年从1起，否则不同年度的文号会重复）。{PATTERN_HELP}",
            field="pattern",
        )
    if sum(1 for m in _TOKEN.finditer(text) if m.group(1) == "号") != 1:
        raise ValidationFailed(
            f"文号格式须含且只含一个序号占位符 {{号}}。{PATTERN_HELP}", field="pattern"
        )
    return text


def number_render(pattern: str, *, short_name: str, year: int, seq: int) -> str:
    def one(m: re.Match) -> str:
        name, width = m.group(1), m.group(2)
        if name == "代字":
            return short_name
        if name == "年":
            return str(year)
        return str(seq).zfill(int(width)) if width else str(seq)

    return _TOKEN.sub(one, pattern)


def pattern_for(*, department: Department, kind: str) -> str:
    row = NumberPattern.objects.filter(department=department, kind=kind).first()
    return row.pattern if row else DEFAULT_PATTERNS[DocumentKind(kind)]


def _check_admin(actor: User, department: Department) -> None:
    if not (
        actor.is_superuser or user_has_role(user=actor, role=Role.DEPT_ADMIN, department=department)
    ):
        raise NotAllowed("只有本部门的部门管理员可以设置文书抬头和文号格式")


def _clean(value: Any, *, field: str, label: str, limit: int, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationFailed(f"请填写{label}", field=field)
    if len(text) > limit:
        raise ValidationFailed(f"{label}过长（最多{limit}字）", field=field)
    if problem := text_problem(text):
        raise ValidationFailed(f"{label}{problem}", field=field)
    return text


_PHONE = re.compile(r"^[0-9０-９()（）\-－ 、,，转]+$")


def letterhead_set(
    *,
    department: Department,
    actor: User,
    full_name: str,
    short_name: str,
    address: str = "",
    postcode: str = "",
    telephone: str = "",
    retention_years: int | str | None = None,
    patterns: dict[str, str] | None = None,
) -> Letterhead:
    """Sets the department's letterhead and, optionally, its number forms (by kind). The
    telephone is the office's: a mobile number is refused (it would be printed on every
    notice to the entities)."""
    _check_admin(actor, department)
    data = {
        "full_name": _clean(
            full_name, field="full_name", label="发文机关全称", limit=100, required=True
        ),
        "short_name": _clean(
            short_name, field="short_name", label="机关代字", limit=20, required=True
        ),
        "address": _clean(address, field="address", label="地址", limit=200),
        "postcode": _clean(postcode, field="postcode", label="邮政编码", limit=6),
        "telephone": _clean(telephone, field="telephone", label="联系电话", limit=40),
    }
    if retention_years not in (None, ""):
        try:
            years = int(str(retention_years).strip())
        except ValueError:
            raise ValidationFailed(
                "档案保管期限应为年数（1—100）", field="retention_years"
            ) from None
        if not 1 <= years <= 100:
            raise ValidationFailed("档案保管期限应为年数（1—100）", field="retention_years")
        data["retention_years"] = years  # type: ignore[assignment]
    if data["postcode"] and not re.fullmatch(r"\d{6}", data["postcode"]):
        raise ValidationFailed("邮政编码应为6位数字", field="postcode")
    if data["telephone"]:
        # A mobile first, in any spelling (+86, spaces, full-width): it would be printed on
        # every notice sent to the entities.
        if personal_numbers(data["telephone"]):
            raise ValidationFailed(
                "联系电话将印在发给检查对象的文书上，请填写办公电话，不要填写个人手机号",
                field="telephone",
            )
        if not _PHONE.match(data["telephone"]):
            raise ValidationFailed(
                "联系电话只能包含数字、区号连接符和“转”（如 021-57682316 转 8012）",
                field="telephone",
            )
    clean_patterns = {}
    for kind, pattern in (patterns or {}).items():
        if kind not in DocumentKind.values:
            raise ValidationFailed(f"文书种类无效：{kind}", field="kind")
        try:
            clean_patterns[kind] = number_pattern_check(pattern)
        except ValidationFailed as exc:
            label = DocumentKind(kind).label
            raise ValidationFailed(f"{label}：{exc.message}", field=f"pattern_{kind}") from None
    with transaction.atomic():
        head = Letterhead.objects.select_for_update().filter(department=department).first()
        before = {f: getattr(head, f) for f in data} if head else {}
        before_patterns = dict(
            NumberPattern.objects.filter(department=department).values_list("kind", "pattern")
        )
        if head is None:
            head = Letterhead.objects.create(department=department, **data)
        else:
            for f, v in data.items():
                setattr(head, f, v)
            head.save()
        for kind, pattern in clean_patterns.items():
            NumberPattern.objects.update_or_create(
                department=department, kind=kind, defaults={"pattern": pattern}
            )
        after_patterns = dict(
            NumberPattern.objects.filter(department=department).values_list("kind", "pattern")
        )
        event_record(
            actor=actor,
            action="letterhead.set",
            obj=head,
            department=department,
            before={**before, "patterns": before_patterns},
            after={**data, "patterns": after_patterns},
        )
    return head


def document_issued(*, kind: str, obj: Model) -> IssuedDocument | None:
    """The numbered document of ``kind`` for ``obj``, if it has been issued."""
    return IssuedDocument.objects.filter(
        kind=kind, object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).first()


def document_number(
    *,
    kind: str,
    obj: Model,
    department: Department,
    actor: User | str | None,
    today: dt.date,
) -> IssuedDocument:
    """The number of ``obj``'s document of ``kind``: the one given before, else the next of
    the issuing department's series for ``today``'s year (``issued_on`` = ``today``)."""
    if kind not in DocumentKind.values:
        raise ValidationFailed(f"文书种类无效：{kind}", field="kind")
    object_type, object_id = obj._meta.label_lower, str(obj.pk)
    found = document_issued(kind=kind, obj=obj)
    if found is not None:
        return found
    issuer = _issuer(department)
    head = Letterhead.objects.filter(department=issuer).first()
    short = head.short_name if head else issuer.name
    try:
        with transaction.atomic():
            counter, _ = NumberCounter.objects.get_or_create(
                department=issuer, kind=kind, year=today.year
            )
            # The series' row lock: whoever comes second waits, then takes the next number.
            counter = NumberCounter.objects.select_for_update().get(pk=counter.pk)
            again = document_issued(kind=kind, obj=obj)
            if again is not None:  # given while we waited
                return again
            counter.last += 1
            counter.save(update_fields=["last"])
            doc = IssuedDocument.objects.create(
                department=issuer,
                kind=kind,
                year=today.year,
                seq=counter.last,
                number=number_render(
                    pattern_for(department=issuer, kind=kind),
                    short_name=short,
                    year=today.year,
                    seq=counter.last,
                ),
                issued_on=today,
                object_type=object_type,
                object_id=object_id,
                created_by=actor if isinstance(actor, User) else None,
            )
            event_record(
                actor=actor,
                action="document.number",
                obj=doc,
                department=issuer,
                after={
                    "kind": kind,
                    "number": doc.number,
                    "issued_on": today.isoformat(),
                    "object": f"{object_type}:{object_id}",
                },
            )
            return doc
    except IntegrityError:
        # The counter row was created by someone else at the same moment, or the same
        # document was numbered by another request: the row now exists — read it.
        found = document_issued(kind=kind, obj=obj)
        if found is not None:
            return found
        return document_number(kind=kind, obj=obj, department=department, actor=actor, today=today)
