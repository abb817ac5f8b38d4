"""Forms of the staff pages of 一公开. They carry input only; the rules (states, roles,
reasons, what a correction may change) live in disclosure/services/, whose errors come
back onto the form."""

from django import forms

from shuangsuiji.common.forms import ServiceErrorsMixin, TableRowFormSet
from shuangsuiji.disclosure.choices import ObjectionDecision, ObjectionStatus
from shuangsuiji.disclosure.selectors import TO_ANSWER
from shuangsuiji.inspection.choices import Conclusion, FollowUpKind, NonCooperation
from shuangsuiji.inspection.models import ResultVersion


def _required(label: str) -> dict:
    return {"required": f"请填写{label}"}


def _area(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class PublishedFilterForm(forms.Form):
    q = forms.CharField(
        label="检索",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "名称、统一社会信用代码或任务编号"}),
    )
    year = forms.IntegerField(label="年度", required=False, min_value=2000, max_value=2100)
    conclusion = forms.ChoiceField(
        label="检查结论", required=False, choices=[("", "全部"), *Conclusion.choices]
    )
    current_only = forms.BooleanField(label="不含已被更正的", required=False)


class PendingFilterForm(forms.Form):
    q = forms.CharField(
        label="检索",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "名称、统一社会信用代码或任务编号"}),
    )


class ObjectionFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("", "全部"), *ObjectionStatus.choices, (TO_ANSWER, "已复核、待反馈")],
    )
    q = forms.CharField(
        label="检索",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "受理编号、名称或统一社会信用代码"}),
    )


class ReasonForm(ServiceErrorsMixin, forms.Form):
    """One reason: 不予公开的依据 (withhold) or 作废理由 (discard a correction)."""

    reason = forms.CharField(label="理由", widget=_area(3), error_messages=_required("理由"))

    def __init__(self, *args, label: str = "理由", help_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label
        self.fields["reason"].help_text = help_text
        self.fields["reason"].error_messages = _required(label)


class ContentFields(forms.Form):
    """The correctable content of a result version (002 第二十六条、第二十七条)."""

    conclusion = forms.ChoiceField(label="检查结论", choices=Conclusion.choices)
    non_cooperation = forms.ChoiceField(
        label="不予配合情形",
        required=False,
        choices=[("", "—"), *NonCooperation.choices],
        help_text="仅当结论为“不予配合情节严重”时选择（002 第二十七条）",
    )
    summary = forms.CharField(label="检查情况", required=False, widget=_area(4))
    problems = forms.CharField(label="发现的问题", required=False, widget=_area(3))

    @staticmethod
    def initial_from(version: ResultVersion) -> dict:
        return {
            "conclusion": version.conclusion,
            "non_cooperation": version.non_cooperation,
            "summary": version.summary,
            "problems": version.problems,
        }

    def edits(self) -> dict:
        return {
            k: self.cleaned_data.get(k, "")
            for k in ("conclusion", "non_cooperation", "summary", "problems")
        }


class CorrectionForm(ServiceErrorsMixin, ContentFields):
    reason = forms.CharField(
        label="更正理由",
        widget=_area(3),
        error_messages=_required("更正理由"),
        help_text="发现的错误及依据；更正经任务执行单位主要负责人签字确认后公示（002 第二十八条）",
    )
    field_order = ["reason", "conclusion", "non_cooperation", "summary", "problems"]


class FollowUpForm(forms.Form):
    kind = forms.ChoiceField(label="处理方式", choices=FollowUpKind.choices)
    rectify_deadline = forms.DateField(
        label="整改期限", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    recipient = forms.CharField(label="移交/移送单位", required=False, max_length=200)
    detail = forms.CharField(label="处理内容（不公开）", required=False, widget=_area(1))
    case_no = forms.CharField(label="案件编号（不公开）", required=False, max_length=100)


FollowUpFormSet = forms.formset_factory(
    FollowUpForm, formset=TableRowFormSet, extra=1, can_delete=True
)


def followups_from(formset) -> list[dict]:
    """The rows of a valid formset, without empty extra forms and deleted ones."""
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if not data or data.get("DELETE") or not form.has_changed():
            continue
        rows.append(
            {k: data.get(k) for k in ("kind", "rectify_deadline", "recipient", "detail", "case_no")}
        )
    return rows


class ObjectionReviewForm(ServiceErrorsMixin, ContentFields):
    """复核: the decision and the note; when upheld, the corrected content (prefilled with
    the current version) or a correction already proposed."""

    decision = forms.ChoiceField(
        label="复核结论",
        choices=ObjectionDecision.choices,
        widget=forms.RadioSelect,
        error_messages=_required("复核结论"),
    )
    note = forms.CharField(label="复核意见", widget=_area(3), error_messages=_required("复核意见"))
    correction = forms.ChoiceField(label="使用已提出的更正", required=False)
    field_order = [
        "decision",
        "note",
        "correction",
        "conclusion",
        "non_cooperation",
        "summary",
        "problems",
    ]

    def __init__(self, *args, corrections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._corrections = {str(v.pk): v for v in corrections}
        self.fields["correction"].choices = [
            ("", "不使用，按下面的内容提出更正"),
            *((str(v.pk), f"第{v.number}版：{v.reason[:40]}") for v in corrections),
        ]
        for name in ("conclusion", "non_cooperation", "summary", "problems"):
            self.fields[name].required = False

    def chosen_correction(self) -> ResultVersion | None:
        return self._corrections.get(self.cleaned_data.get("correction") or "")


class AnswerForm(ServiceErrorsMixin, forms.Form):
    answer = forms.CharField(
        label="反馈内容",
        widget=_area(4),
        error_messages=_required("反馈内容"),
        help_text="向被检查对象反馈的复核情况（复核后15个工作日内，002 第二十八条）；将在公示系统公开，请勿写入申请人姓名和联系方式",
    )
