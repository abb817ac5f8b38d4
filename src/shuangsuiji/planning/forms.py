"""Forms of the plan and task pages. They carry input only; the rules live in services.py,
whose errors (per field) come back onto the form through ``add_service_errors``."""

import datetime as dt
import re

from django import forms

from shuangsuiji.common.forms import DepartmentPicker, ServiceErrorsMixin, TableRowFormSet
from shuangsuiji.planning.choices import ClassMode, PlanStatus, TaskKind, TaskStatus
from shuangsuiji.planning.services import ClassInput, TaskInput
from shuangsuiji.registry.choices import EntityType, FlagKind, Scale

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _text(
    label: str,
    *,
    max_length: int | None = None,
    required: bool = False,
    help_text: str = "",
    textarea: bool = False,
) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": 2}) if textarea else None
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        help_text=help_text,
        widget=widget,
        error_messages={
            "required": f"{label}不能为空",
            "max_length": f"{label}最多%(limit_value)d个字（现有%(show_value)d个）",
        },
    )


def _int(
    label: str, *, required: bool = True, min_value: int | None = None, **kwargs
) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=required,
        min_value=min_value,
        **kwargs,
        error_messages={
            "required": f"{label}不能为空",
            "invalid": f"{label}应为整数",
            "min_value": f"{label}不能小于%(limit_value)s",
        },
    )


class PlanFilterForm(forms.Form):
    department = forms.ChoiceField(label="部门", required=False)
    year = _int("年度", required=False)
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部"), *PlanStatus.choices]
    )

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", "全部"), *((d.code, d.name) for d in departments)]


class PlanCreateForm(ServiceErrorsMixin, forms.Form):
    department = forms.ChoiceField(label="部门")
    year = _int("年度", min_value=2000)
    title = _text(
        "标题", max_length=200, help_text="留空则为“部门 年度 年度“双随机、一公开”抽查事项计划”"
    )

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [(d.code, d.name) for d in departments]


class PlanRowForm(ServiceErrorsMixin, forms.Form):
    """一行计划：序号 抽查领域 检查对象 抽查事项 抽查时间 抽查比例 预估抽查数 牵头单位 配合单位 层级."""

    seq = _int("序号", min_value=1)
    field = _text("抽查领域", max_length=200)
    target_desc = _text("检查对象", max_length=300, help_text="留空则取所选抽查事项的检查对象")
    items = forms.ModelMultipleChoiceField(
        label="关联清单事项", queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    items_text = _text("抽查事项", textarea=True)
    schedule_text = _text(
        "抽查时间", max_length=200, help_text="如：1月、4月、6月、9月、12月；每季度不少于一次"
    )
    due_text = _text(
        "计划完成时间", max_length=100, help_text="如：5月底前、10月、上半年；期限督办按此跟踪"
    )
    ratio = _text("抽查比例", max_length=20, help_text="如：3% 或 0.2%")
    estimated_count = _int("预估抽查数(个)", required=False, min_value=0)
    lead_unit = _text("牵头单位", max_length=200)
    partner_units = _text("配合单位", max_length=300)
    level = _text("层级", max_length=200, help_text="如：区级部门联合抽查事项、委级")
    person_in_charge = _text("负责人", max_length=100)

    wide_fields = ("items", "items_text")

    def __init__(self, *args, items=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = items
        self.fields["items"].label_from_instance = lambda i: (
            f"{i.code} {i.current.name if i.current_id else ''}"
        )

    def row_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "items"}

    @staticmethod
    def initial_from(row) -> dict:
        data = {
            name: getattr(row, name)
            for name in (
                "seq",
                "field",
                "target_desc",
                "items_text",
                "schedule_text",
                "estimated_count",
                "lead_unit",
                "partner_units",
                "level",
                "person_in_charge",
            )
        }
        data["ratio"] = f"{row.ratio.normalize():f}%" if row.ratio is not None else ""
        data["items"] = list(row.items.all())
        return data


class PlanImportForm(ServiceErrorsMixin, forms.Form):
    file = forms.FileField(
        label="计划表文件",
        help_text="xlsx、xls、ods 或 csv，列名如：序号 抽查领域 检查对象 抽查事项 "
        "抽查时间 抽查比例 预估抽查数(个) 牵头单位 配合单位 层级",
        error_messages={"required": "请选择要导入的文件"},
    )
    replace = forms.BooleanField(label="替换现有计划事项", required=False)


class PlanFileForm(ServiceErrorsMixin, forms.Form):
    filed_to = _text(
        "备案机关",
        max_length=200,
        required=True,
        help_text="抽查计划应报上一级主管部门和同级市场监管部门备案（指引第十二条）",
    )


class TaskFilterForm(forms.Form):
    q = _text("关键词")
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部"), *TaskStatus.choices]
    )
    year = _int("年度", required=False)
    department = forms.CharField(
        label="部门代码（含下级）", required=False, max_length=32, widget=forms.HiddenInput
    )


class TaskForm(ServiceErrorsMixin, forms.Form):
    department = forms.ChoiceField(label="牵头部门")
    kind = forms.ChoiceField(label="任务类型", choices=TaskKind.choices)
    plan_row = forms.TypedChoiceField(
        label="计划事项", required=False, coerce=int, empty_value=None
    )
    code = _text(
        "任务编号", max_length=64, help_text="留空自动编号；只用字母、数字、点、下划线、连字符"
    )
    title = _text("任务名称", max_length=200, required=True)
    description = _text("任务说明 / 临时性抽查事由", textarea=True)
    items = forms.ModelMultipleChoiceField(
        label="抽查事项",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请至少选择一个抽查事项"},
    )
    partners = forms.ModelMultipleChoiceField(
        label="配合部门（联合抽查）",
        queryset=None,
        required=False,
        widget=DepartmentPicker,
    )
    window_start = forms.DateField(
        label="执行开始",
        widget=_DATE,
        error_messages={"required": "执行开始日期不能为空", "invalid": "日期格式应如 2024-09-01"},
    )
    window_end = forms.DateField(
        label="执行结束",
        widget=_DATE,
        error_messages={"required": "执行结束日期不能为空", "invalid": "日期格式应如 2024-09-30"},
    )
    team_size = _int(
        "每组人数",
        min_value=1,
        initial=2,
        help_text="每个检查对象不少于2名执法检查人员（指引第二十条）；联合抽查时为牵头部门每组人数，每个配合部门另加1名",
    )
    inspector_capacity = _int("每人最多检查对象数", min_value=1, initial=10)
    exclude_recent_days = _int(
        "排除近N天已检查", required=False, min_value=1, help_text="留空不排除"
    )
    inspector_category = _text(
        "执法类别", max_length=100, help_text="只匹配执法类别包含此文字的人员；留空不限"
    )
    include_experts = forms.BooleanField(label="专家库人员参与匹配", required=False)
    include_neighbour_inspectors = forms.BooleanField(
        label="与相邻区域人员合并匹配", required=False
    )
    neighbour_departments = forms.ModelMultipleChoiceField(
        label="相邻区域部门",
        queryset=None,
        required=False,
        widget=DepartmentPicker,
    )

    wide_fields = ("items", "description")

    def __init__(
        self,
        *args,
        departments=(),
        items=None,
        all_departments=None,
        rows=(),
        lock_department=False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [(d.code, d.name) for d in departments]
        if lock_department:
            self.fields["department"].disabled = True
        self.fields["items"].queryset = items
        self.fields["items"].label_from_instance = lambda i: (
            f"{i.code} {i.current.name if i.current_id else ''}"
        )
        if all_departments is not None:
            all_departments = all_departments.select_related("parent")
        self.fields["partners"].queryset = all_departments
        self.fields["neighbour_departments"].queryset = all_departments
        self.fields["plan_row"].choices = [
            ("", "（临时性抽查不选）"),
            *(
                (r.pk, f"{r.plan.year}年 {r.plan.department.name} 第{r.seq}行 {r.target_desc}")
                for r in rows
            ),
        ]


class TargetClassForm(forms.Form):
    """一类检查对象. Blank rows of the formset are skipped."""

    code = forms.CharField(label="类别代码", max_length=32, required=False)
    name = forms.CharField(label="类别名称", max_length=100, required=False)
    mode = forms.ChoiceField(label="抽取方式", choices=ClassMode.choices)
    sublibrary = forms.TypedChoiceField(label="子库", required=False, coerce=int, empty_value=None)
    entity_type = forms.MultipleChoiceField(
        label="主体类型",
        required=False,
        choices=EntityType.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choices"}),
    )
    scale = forms.MultipleChoiceField(
        label="规模",
        required=False,
        choices=[c for c in Scale.choices if c[0]],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choices"}),
    )
    region = forms.CharField(label="所属区域", required=False, help_text="多个用“、”分隔")
    industry = forms.CharField(label="行业", required=False, help_text="多个用“、”分隔")
    tags = forms.TypedMultipleChoiceField(
        label="标签",
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choices"}),
    )
    flags = forms.MultipleChoiceField(
        label="信用标记",
        required=False,
        choices=FlagKind.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choices"}),
        help_text="摇号当天在列（已列入、未移出）的对象",
    )
    complaints_min = forms.IntegerField(
        label="投诉件数不少于",
        required=False,
        min_value=1,
        max_value=100_000,
        error_messages={"invalid": "投诉件数应为整数", "min_value": "投诉件数至少为1"},
    )
    complaints_months = forms.IntegerField(
        label="近N个月",
        required=False,
        min_value=1,
        max_value=60,
        error_messages={"invalid": "月数应为整数"},
        help_text="留空为近12个月",
    )
    ratio = forms.CharField(label="抽查比例(%)", required=False, max_length=12)
    count = forms.IntegerField(
        label="抽查数量",
        required=False,
        min_value=1,
        error_messages={"invalid": "抽查数量应为整数", "min_value": "抽查数量至少为1"},
    )
    risk_A = forms.CharField(label="A类比例", required=False, max_length=12)
    risk_B = forms.CharField(label="B类比例", required=False, max_length=12)
    risk_C = forms.CharField(label="C类比例", required=False, max_length=12)
    risk_D = forms.CharField(label="D类比例", required=False, max_length=12)
    risk_U = forms.CharField(label="未分类比例", required=False, max_length=12)

    def __init__(self, *args, tags=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sublibrary"].choices = [
            ("", "（整个名录库）"),
            *((t.pk, t.name) for t in tags),
        ]
        self.fields["tags"].choices = [(t.pk, t.name) for t in tags]

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return not (data.get("code") or data.get("name"))

    def to_input(self, tags_by_pk: dict) -> ClassInput:
        def split(value: str) -> list[str]:
            return [p for p in re.split(r"[、,，;；\s]+", value or "") if p]

        d = self.cleaned_data
        filters = {
            "entity_type": d["entity_type"],
            "scale": d["scale"],
            "region": split(d["region"]),
            "industry": split(d["industry"]),
            "tags": d["tags"],
            "flags": d["flags"],
            "complaints_min": d["complaints_min"],
            "complaints_months": d["complaints_months"],
        }
        return ClassInput(
            code=d["code"],
            name=d["name"],
            mode=d["mode"],
            sublibrary=tags_by_pk.get(d["sublibrary"]),
            filters={k: v for k, v in filters.items() if v},
            ratio=d["ratio"] or None,
            count=d["count"],
            risk_ratios={k: d[f"risk_{k}"] for k in "ABCDU" if d[f"risk_{k}"]},
        )

    @staticmethod
    def initial_from(cls) -> dict:
        f = cls.filters or {}
        data = {
            "code": cls.code,
            "name": cls.name,
            "mode": cls.mode,
            "sublibrary": cls.sublibrary_id,
            "entity_type": f.get("entity_type", []),
            "scale": f.get("scale", []),
            "region": "、".join(f.get("region", [])),
            "industry": "、".join(f.get("industry", [])),
            "tags": f.get("tags", []),
            "flags": f.get("flags", []),
            "complaints_min": f.get("complaints_min"),
            "complaints_months": f.get("complaints_months"),
            "ratio": f"{cls.ratio.normalize():f}" if cls.ratio is not None else "",
            "count": cls.count,
        }
        for k, v in (cls.risk_ratios or {}).items():
            data[f"risk_{k}"] = v
        return data


TargetClassFormSet = forms.formset_factory(
    TargetClassForm, formset=TableRowFormSet, extra=0, min_num=1, max_num=20
)


def task_input(form: TaskForm, classes: list[ClassInput]) -> TaskInput:
    d = form.cleaned_data
    return TaskInput(
        title=d["title"],
        items=list(d["items"]),
        window_start=d["window_start"],
        window_end=d["window_end"],
        classes=classes,
        kind=d["kind"],
        code=d["code"],
        description=d["description"],
        partners=list(d["partners"]),
        team_size=d["team_size"],
        inspector_capacity=d["inspector_capacity"],
        exclude_recent_days=d["exclude_recent_days"],
        include_experts=d["include_experts"],
        inspector_category=d["inspector_category"],
        include_neighbour_inspectors=d["include_neighbour_inspectors"],
        neighbour_departments=list(d["neighbour_departments"]),
    )


class TaskCancelForm(ServiceErrorsMixin, forms.Form):
    reason = _text("撤销理由", required=True, max_length=500)


def default_year() -> int:
    return dt.date.today().year
