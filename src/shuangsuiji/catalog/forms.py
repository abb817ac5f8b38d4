"""Forms of the 抽查事项清单 pages. They only carry input: the rules live in services.py,
whose errors (per field) are put back on the form by ``add_service_errors``."""

from django import forms

from shuangsuiji.catalog.choices import ChangeKind, InspectionMethod, ItemCategory
from shuangsuiji.catalog.models import ItemVersion
from shuangsuiji.common.errors import ServiceError

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _date() -> forms.CharField:
    # Parsed by the service, so that a bad date is reported together with the other fields.
    return forms.CharField(label="生效日期", required=False, widget=_DATE)


def _text(
    label: str, *, max_length: int | None = None, textarea: bool = False, help_text: str = ""
) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": 3}) if textarea else None
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        widget=widget,
        help_text=help_text,
        error_messages={"max_length": f"{label}最多%(limit_value)d个字（现有%(show_value)d个）"},
    )


class ItemFilterForm(forms.Form):
    q = forms.CharField(
        label="关键词",
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "事项名称、编码或检查对象"}),
    )
    category = forms.ChoiceField(
        label="事项类别", required=False, choices=[("", "全部"), *ItemCategory.choices]
    )
    department = forms.ChoiceField(label="部门", required=False)
    include_repealed = forms.BooleanField(label="含已废止", required=False)

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", "全部"), *((d.code, d.name) for d in departments)]


class ItemContentForm(forms.Form):
    """The content of a version (all fields of domain.md)."""

    name = _text("事项名称", max_length=200)
    category = forms.ChoiceField(
        label="事项类别", choices=ItemCategory.choices, initial=ItemCategory.GENERAL
    )
    field = _text("抽查领域", max_length=100)
    target_type = _text("检查对象", max_length=200, help_text="如：燃气经营企业、建筑工地参建单位")
    content = _text("检查内容", textarea=True)
    methods = forms.MultipleChoiceField(
        label="检查方式",
        choices=InspectionMethod.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    basis = _text("检查依据", textarea=True, help_text="法律、法规、规章名称及条款")
    subject = _text("检查主体", max_length=100)
    responsible_unit = _text("责任单位", max_length=100)
    level = _text("实施层级", max_length=100, help_text="如：区级部门联合抽查事项、委级")
    default_ratio = _text(
        "抽查比例（%）", max_length=20, help_text="0到100之间的百分比，如 5 或 0.2"
    )
    default_frequency = _text(
        "抽查频次", max_length=100, help_text="如：每季度不少于一次、1月、4月、9月"
    )
    checklist = _text("检查表单", textarea=True, help_text="检查要点，每行一项（也可用“；”分隔）")
    random_exempt = forms.BooleanField(label="不适用随机抽查", required=False)
    exempt_reason = _text(
        "不适用随机抽查的理由", textarea=True, help_text="对无法进行双随机抽查的事项须提出充分理由"
    )

    wide_fields = ("methods", "content", "basis", "checklist", "exempt_reason", "change_reason")

    def content_data(self) -> dict:
        return {
            name: self.cleaned_data.get(name)
            for name in (
                "name",
                "category",
                "field",
                "target_type",
                "content",
                "methods",
                "basis",
                "subject",
                "responsible_unit",
                "level",
                "default_ratio",
                "default_frequency",
                "checklist",
                "random_exempt",
                "exempt_reason",
            )
        }

    @classmethod
    def initial_from(cls, version: ItemVersion) -> dict:
        data = {
            name: getattr(version, name)
            for name in (
                "name",
                "category",
                "field",
                "target_type",
                "content",
                "methods",
                "basis",
                "subject",
                "responsible_unit",
                "level",
                "default_ratio",
                "default_frequency",
                "random_exempt",
                "exempt_reason",
            )
        }
        data["checklist"] = "\n".join(version.checklist)
        if version.default_ratio is not None:
            data["default_ratio"] = format(version.default_ratio.normalize(), "f")
        return data

    def add_service_errors(self, exc: ServiceError) -> None:
        """Puts each error of a service beside its field (the rest on top of the form)."""
        if not exc.errors:
            self.add_error(None, exc.message)
            return
        for name, messages in exc.errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class ItemCreateForm(ItemContentForm):
    department = forms.ChoiceField(label="所属部门")
    code = _text("事项编码", max_length=64, help_text="本部门清单内唯一")
    effective_date = _date()
    change_reason = _text("设立理由", textarea=True, help_text="可不填，默认“新增抽查事项”")

    field_order = ["department", "code"]

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [(d.code, d.name) for d in departments]
        self.fields["department"].error_messages["invalid_choice"] = "请选择您管理的部门"


class ItemReviseForm(ItemContentForm):
    change_kind = forms.ChoiceField(
        label="变更类型",
        choices=[(k.value, k.label) for k in (ChangeKind.AMEND, ChangeKind.INTERPRET)],
    )
    change_reason = _text("变更理由", textarea=True, help_text="如：《XX条例》修订，第X条调整")
    effective_date = _date()
    expected_number = forms.IntegerField(widget=forms.HiddenInput, required=False)

    field_order = ["change_kind", "change_reason", "effective_date"]


class ItemRepealForm(forms.Form):
    change_reason = _text("废止理由", textarea=True, help_text="如：依据的法规已废止、职责已划转")
    effective_date = _date()
    expected_number = forms.IntegerField(widget=forms.HiddenInput, required=False)

    wide_fields = ("change_reason",)
    add_service_errors = ItemContentForm.add_service_errors


class ItemCopyForm(forms.Form):
    items = forms.MultipleChoiceField(
        label="上级事项", required=False, widget=forms.CheckboxSelectMultiple
    )
    effective_date = _date()
    change_reason = _text("引用说明", textarea=True, help_text="可不填，默认“引用上级部门清单事项”")

    add_service_errors = ItemContentForm.add_service_errors

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [
            (str(i.pk), f"{i.code} {i.current.name}") for i in candidates
        ]
        self.fields["items"].error_messages["invalid_choice"] = (
            "所选事项不在可引用的上级清单中：%(value)s"
        )
