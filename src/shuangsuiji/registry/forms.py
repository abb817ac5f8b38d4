"""Forms of the registry pages. They only carry input: the services validate it and name
the bad field in Chinese; ``apply_service_error`` puts those messages next to the fields."""

from typing import Any

from django import forms

from shuangsuiji.accounts.models import Department
from shuangsuiji.common.errors import ServiceError
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
from shuangsuiji.registry.selectors import ENTITY_FIELDS, INSPECTOR_FIELDS

_ANY = [("", "全部")]


def _label(model, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


def _choice(model, name: str, choices, *, blank: str | None = None) -> forms.ChoiceField:
    label = _label(model, name)
    items = [(v, str(lbl)) for v, lbl in choices.choices if v != ""]
    if blank is not None:
        items = [("", blank), *items]
    return forms.ChoiceField(
        label=label,
        choices=items,
        required=False,
        error_messages={"invalid_choice": f"{label}：请从列表中选择"},
    )


class ServiceErrorsMixin:
    def apply_service_error(self, exc: ServiceError) -> None:
        """Shows a service's field errors beside their fields, the rest at the top."""
        placed = False
        for name, messages in (exc.errors or {}).items():
            target = name if name in self.fields else None
            for message in messages:
                self.add_error(target, message)
                placed = True
        if not placed:
            self.add_error(None, exc.message)


# --- filters -------------------------------------------------------------------------------


class EntityFilterForm(forms.Form):
    q = forms.CharField(label="名称或代码", required=False)
    department = forms.TypedChoiceField(
        label="管理部门", required=False, coerce=int, empty_value=None
    )
    region = forms.CharField(label="所属区域", required=False)
    industry = forms.CharField(label="行业", required=False)
    subject_kind = forms.ChoiceField(
        label="对象类别", required=False, choices=_ANY + list(SubjectKind.choices)
    )
    entity_type = forms.ChoiceField(
        label="主体类型", required=False, choices=_ANY + list(EntityType.choices)
    )
    scale = forms.ChoiceField(
        label="规模", required=False, choices=_ANY + [(v, lbl) for v, lbl in Scale.choices if v]
    )
    risk_class = forms.ChoiceField(
        label="信用风险分类",
        required=False,
        choices=_ANY + [(v, lbl) for v, lbl in RiskClass.choices if v] + [("none", "未分类")],
    )
    status = forms.ChoiceField(
        label="登记状态", required=False, choices=_ANY + list(EntityStatus.choices)
    )
    tag = forms.TypedChoiceField(label="子库/标签", required=False, coerce=int, empty_value=None)

    def __init__(self, *args, departments, tags, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = _ANY + [(d.id, d.name) for d in departments]
        self.fields["tag"].choices = _ANY + [
            (t.id, f"{t.name}（{t.get_kind_display()}）") for t in tags
        ]


class InspectorFilterForm(forms.Form):
    q = forms.CharField(label="姓名或执法证号", required=False)
    department = forms.TypedChoiceField(
        label="所属部门", required=False, coerce=int, empty_value=None
    )
    kind = forms.ChoiceField(
        label="人员类别", required=False, choices=_ANY + list(InspectorKind.choices)
    )
    status = forms.ChoiceField(
        label="状态", required=False, choices=_ANY + list(InspectorStatus.choices)
    )
    cert = forms.ChoiceField(
        label="证件有效期",
        required=False,
        choices=_ANY + [("valid", "有效"), ("expired", "已过期"), ("unknown", "未填有效期")],
    )

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = _ANY + [(d.id, d.name) for d in departments]


# --- records ---------------------------------------------------------------------------------


class _RecordForm(ServiceErrorsMixin, forms.Form):
    """Fields named after the model's; personal numbers are masked unless revealed.

    On the edit form a personal number shows masked as a placeholder and a blank input
    means "unchanged"; only after the department admin asks to reveal it (an audited act)
    does the form carry the full number, and then a blank input clears it.
    """

    model: type = Entity
    field_names: tuple[str, ...] = ()
    personal: tuple[str, ...] = ()
    wide = ("address", "responsible_units", "remark", "expertise")

    fingerprint = forms.CharField(required=False, widget=forms.HiddenInput)
    revealed = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, instance=None, departments=None, reveal: bool = False, **kwargs):
        self.instance = instance
        self.revealed_numbers = instance is None or reveal
        super().__init__(*args, **kwargs)
        if departments is not None:
            self.fields["department"] = forms.TypedChoiceField(
                label=_label(self.model, "department"),
                coerce=int,
                choices=[(d.id, d.name) for d in departments],
                error_messages={
                    "required": "请选择管理部门",
                    "invalid_choice": "管理部门：请从列表中选择",
                },
            )
            self.order_fields(["department"])
        if instance is not None and not self.is_bound:
            for name in self.field_names:
                value = getattr(instance, name)
                self.initial[name] = value.isoformat() if hasattr(value, "isoformat") else value
        self.initial["revealed"] = "1" if (instance is not None and reveal) else ""
        for name in self.personal:
            if instance is not None and not self.revealed_numbers:
                masked = getattr(instance, f"{name}_masked")
                self.initial[name] = ""
                self.fields[name].widget.attrs["placeholder"] = masked or "未填"
                self.fields[name].help_text = "已脱敏显示；留空表示不修改"

    def is_wide(self, name: str) -> bool:
        return name in self.wide

    def service_fields(self) -> dict[str, Any]:
        """The fields to hand to the service: all of them on create, the changed-or-not
        values on edit (the service compares and audits only the real changes)."""
        data = {name: self.cleaned_data.get(name, "") for name in self.field_names}
        if self.instance is not None and self.cleaned_data.get("revealed") != "1":
            for name in self.personal:
                if not data.get(name):
                    data.pop(name, None)
        return data


def _text(model, name: str, *, date: bool = False) -> forms.CharField:
    widget = forms.DateInput(attrs={"type": "date"}) if date else forms.TextInput
    return forms.CharField(label=_label(model, name), required=False, widget=widget)


class EntityForm(_RecordForm):
    model = Entity
    field_names = ENTITY_FIELDS
    personal = ("contact_phone",)

    name = _text(Entity, "name")
    uscc = _text(Entity, "uscc")
    key = _text(Entity, "key")
    subject_kind = _choice(Entity, "subject_kind", SubjectKind)
    entity_type = _choice(Entity, "entity_type", EntityType)
    legal_representative = _text(Entity, "legal_representative")
    contact_person = _text(Entity, "contact_person")
    contact_phone = _text(Entity, "contact_phone")
    address = _text(Entity, "address")
    region = _text(Entity, "region")
    street = _text(Entity, "street")
    industry = _text(Entity, "industry")
    scale = _choice(Entity, "scale", Scale, blank="未填")
    responsible_units = _text(Entity, "responsible_units")
    risk_class = _choice(Entity, "risk_class", RiskClass, blank="未分类")
    risk_date = _text(Entity, "risk_date", date=True)
    risk_source = _text(Entity, "risk_source")
    status = _choice(Entity, "status", EntityStatus)
    remark = _text(Entity, "remark")
    tags = forms.TypedMultipleChoiceField(
        label="子库/标签",
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "子库/标签：请从列表中选择"},
    )

    def __init__(self, *args, tags=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "key"
        ].help_text = "有统一社会信用代码的可不填（默认与代码相同）；项目、行为等请填写本部门编号"
        self.fields["uscc"].help_text = "18位，首位可为1-9、A、N、Y"
        self.fields["tags"].choices = [
            (t.id, f"{t.name}（{t.get_kind_display()}·{t.department.name}）") for t in tags
        ]
        if self.instance is not None and not self.is_bound:
            self.initial["tags"] = [t.id for t in self.instance.tags.all()]


class InspectorForm(_RecordForm):
    model = Inspector
    field_names = INSPECTOR_FIELDS
    personal = ("mobile", "id_number")

    name = _text(Inspector, "name")
    gender = _choice(Inspector, "gender", Gender, blank="未填")
    cert_no = _text(Inspector, "cert_no")
    kind = _choice(Inspector, "kind", InspectorKind)
    cert_valid_until = _text(Inspector, "cert_valid_until", date=True)
    issuer = _text(Inspector, "issuer")
    category = _text(Inspector, "category")
    unit = _text(Inspector, "unit")
    area = _text(Inspector, "area")
    post = _text(Inspector, "post")
    mobile = _text(Inspector, "mobile")
    id_number = _text(Inspector, "id_number")
    status = _choice(Inspector, "status", InspectorStatus)
    expertise = _text(Inspector, "expertise")
    remark = _text(Inspector, "remark")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "cert_no"
        ].help_text = "执法人员填写执法证号；辅助人员、专家可填写聘书或证书编号"


# --- tags and conflicts -------------------------------------------------------------------


class TagForm(ServiceErrorsMixin, forms.Form):
    department = forms.TypedChoiceField(
        label="所属部门",
        coerce=int,
        error_messages={"required": "请选择所属部门", "invalid_choice": "所属部门：请从列表中选择"},
    )
    name = forms.CharField(label=_label(Tag, "name"), required=False)
    kind = _choice(Tag, "kind", TagKind)
    description = forms.CharField(label=_label(Tag, "description"), required=False)

    def __init__(self, *args, departments: list[Department], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [(d.id, d.name) for d in departments]


class ConflictDeclareForm(ServiceErrorsMixin, forms.Form):
    entity = forms.CharField(label="检查对象（统一社会信用代码或名录编号）", required=False)
    reason = forms.CharField(label="回避事由", required=False)
    declared_on = forms.DateField(
        label="申报日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "申报日期不是有效日期（格式：2024-06-30）"},
    )


class ConflictWithdrawForm(ServiceErrorsMixin, forms.Form):
    withdraw_reason = forms.CharField(label="撤销理由", required=False)


class InspectorAccountForm(ServiceErrorsMixin, forms.Form):
    """登录账号 of an inspector: one of the eligible accounts, or none (unlink)."""

    user = forms.TypedChoiceField(
        label="登录账号",
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={
            "invalid_choice": "该账号不能关联（须在本部门具有“执法检查人员”角色且未关联他人）"
        },
    )

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.accounts = {u.pk: u for u in accounts}
        self.fields["user"].choices = [("", "（不关联）")] + [
            (u.pk, f"{u.username}（{u.full_name}）" if u.full_name else u.username)
            for u in accounts
        ]

    def chosen(self):
        pk = self.cleaned_data.get("user")
        return None if pk is None else self.accounts[pk]
