"""Forms of the draw ceremony pages. They carry input only; the rules (states, roles,
reasons) live in draw/services/, whose errors come back onto the form."""

import re

from django import forms

from shuangsuiji.accounts.models import Department
from shuangsuiji.common.errors import ServiceError
from shuangsuiji.common.forms import DepartmentPicker, ServiceErrorsMixin

_SPLIT = re.compile(r"[、，,;；\n\r]+")


def _required(label: str) -> dict:
    return {"required": f"请填写{label}"}


class SeedForm(ServiceErrorsMixin, forms.Form):
    """录入种子: the text exactly as produced (not stripped), its sources, the witnesses —
    纪检监督员 of the department chosen from a list, others typed by name."""

    seed_text = forms.CharField(
        label="种子文本",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text="原样录入：现场掷骰结果、封存后开奖的彩票号码或公开随机信标值",
        error_messages=_required("种子文本"),
    )
    sources = forms.CharField(
        label="种子来源",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="如：纪检监督员现场掷骰20次；福彩3D第088期开奖号码",
        error_messages=_required("种子来源"),
    )
    witness_users = forms.MultipleChoiceField(
        label="见证人（纪检监督员）", required=False, widget=forms.CheckboxSelectMultiple
    )
    witness_other = forms.CharField(
        label="其他见证人",
        required=False,
        max_length=200,
        help_text="不在名单中的见证人姓名，多人用“、”分隔",
    )

    def __init__(self, *args, witnesses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["witness_users"].choices = [(str(u.pk), str(u)) for u in witnesses]
        self._names = {str(u.pk): str(u) for u in witnesses}

    def clean_seed_text(self) -> str:
        # A <textarea> submits line breaks as CRLF (HTML spec); the person typed LF.
        return self.cleaned_data["seed_text"].replace("\r\n", "\n")

    def witness_names(self) -> list[str]:
        chosen = [self._names[pk] for pk in self.cleaned_data.get("witness_users") or []]
        typed = [n.strip() for n in _SPLIT.split(self.cleaned_data.get("witness_other") or "")]
        return list(dict.fromkeys([*chosen, *[n for n in typed if n]]))

    def add_service_errors(self, exc: ServiceError) -> None:
        if exc.field == "witnesses":
            self.add_error("witness_other", exc.message)
            return
        super().add_service_errors(exc)


class WidenForm(ServiceErrorsMixin, forms.Form):
    """扩大人员范围 for one match-only or remedy draw (a new draw with a wider pool
    [draw-protocol §4, 002 第二十条]): departments whose inspectors join, and experts."""

    extra_departments = forms.ModelMultipleChoiceField(
        label="增加执法检查人员的部门",
        required=False,
        queryset=Department.objects.none(),
        widget=DepartmentPicker,
        help_text="相邻区域或指定部门（含其下级部门）的执法检查人员一并参与本次随机匹配；"
        "可输入名称或地区筛选，不选则为任务原有人员范围。所选范围随本次摇号公开",
        error_messages={
            "invalid_choice": "部门 %(value)s 不可选",
            "invalid_pk_value": "部门编号无效",
        },
    )
    include_experts = forms.BooleanField(
        label="含专家库人员",
        required=False,
        help_text="专家库人员一并参与本次随机匹配（指引第二十条）",
    )

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        if departments is not None:
            self.fields["extra_departments"].queryset = departments.select_related("parent")

    def widening(self) -> dict:
        """Keyword arguments for ``services.match_commit``."""
        return {
            "extra_departments": list(self.cleaned_data.get("extra_departments") or []),
            "include_experts": bool(self.cleaned_data.get("include_experts")),
        }


class MatchOnlyForm(WidenForm):
    """仅匹配执法检查人员 for targets already drawn: their 统一社会信用代码, one per line."""

    field_order = ["codes", "extra_departments", "include_experts"]

    codes = forms.CharField(
        label="检查对象统一社会信用代码",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="已经抽定的检查对象，每行一个统一社会信用代码（或名录编号）",
        error_messages=_required("检查对象统一社会信用代码"),
    )

    def code_list(self) -> list[str]:
        return list(
            dict.fromkeys(c.strip() for c in _SPLIT.split(self.cleaned_data["codes"]) if c.strip())
        )


class DirectForm(ServiceErrorsMixin, forms.Form):
    """直接委派 for an unstaffed target: chosen people and the reason (shown as not random)."""

    inspectors = forms.MultipleChoiceField(
        label="执法检查人员",
        widget=forms.CheckboxSelectMultiple,
        error_messages=_required("执法检查人员"),
    )
    reason = forms.CharField(
        label="委派理由",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="如：本区域符合条件的执法检查人员不足",
        error_messages=_required("委派理由"),
    )

    def __init__(self, *args, inspectors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._by_pk = {str(i.pk): i for i in inspectors}
        self.fields["inspectors"].choices = [
            (str(i.pk), f"{i.name}（{i.cert_no}）") for i in inspectors
        ]

    def chosen(self) -> list:
        return [self._by_pk[pk] for pk in self.cleaned_data["inspectors"]]
