"""Forms of the inspection pages. They carry input only: the rules (states, who may act,
the consistency of a result) are in inspection/services, whose errors come back onto the
form next to the field they name."""

from django import forms

from shuangsuiji.common.errors import ServiceError
from shuangsuiji.common.forms import ServiceErrorsMixin, TableRowFormSet
from shuangsuiji.inspection.choices import (
    Conclusion,
    EvidenceKind,
    FindingOutcome,
    FollowUpKind,
    FollowUpStatus,
    NonCooperation,
    VisitStatus,
)
from shuangsuiji.inspection.models import Finding, VisitMember
from shuangsuiji.inspection.services import DraftInput, FindingInput, FollowUpInput

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _required(label: str) -> dict:
    return {"required": f"请填写{label}", "invalid": f"{label}格式不正确"}


class VisitFilterForm(forms.Form):
    q = forms.CharField(
        label="检查对象",
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "名称或统一社会信用代码"}),
    )
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部"), *VisitStatus.choices]
    )
    department = forms.ChoiceField(label="部门（含下级）", required=False)
    year = forms.IntegerField(label="年度", required=False, min_value=2000, max_value=2100)
    conclusion = forms.ChoiceField(
        label="检查结论", required=False, choices=[("", "全部"), *Conclusion.choices]
    )
    published = forms.ChoiceField(
        label="公示",
        required=False,
        choices=[("", "全部"), ("yes", "已公示"), ("no", "已形成未公示")],
    )
    joint = forms.ChoiceField(
        label="联合抽查",
        required=False,
        choices=[("", "全部"), ("yes", "部门联合抽查"), ("no", "本部门抽查")],
    )

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", "全部"), *((d.code, d.name) for d in departments)]


class FindingsForm(forms.Form):
    """One outcome and note per check point (``o_<id>``, ``n_<id>``)."""

    def __init__(self, *args, findings: list[Finding], **kwargs):
        super().__init__(*args, **kwargs)
        self.findings = findings
        for f in findings:
            self.fields[f"o_{f.pk}"] = forms.ChoiceField(
                label=f.point_text,
                choices=FindingOutcome.choices,
                initial=f.outcome,
                widget=forms.RadioSelect,
            )
            self.fields[f"n_{f.pk}"] = forms.CharField(
                label="说明",
                required=False,
                initial=f.note,
                # A table cell under the header 说明: named after its check point.
                widget=forms.TextInput(
                    attrs={"size": 30, "aria-label": f"第{f.point}项说明：{f.point_text}"[:200]}
                ),
            )

    def entries(self) -> list[FindingInput]:
        return [
            FindingInput(
                item_id=f.item_id,
                point=f.point,
                outcome=self.cleaned_data[f"o_{f.pk}"],
                note=self.cleaned_data[f"n_{f.pk}"],
            )
            for f in self.findings
        ]

    def add_service_errors(self, exc: ServiceError) -> None:
        by_key = {f"{f.item_id}:{f.point}": f for f in self.findings}
        for key, messages in (exc.errors or {}).items():
            f = by_key.get(key)
            for m in messages:
                self.add_error(f"n_{f.pk}" if f else None, m)
        if not exc.errors:
            self.add_error(None, exc.message)


class DraftForm(ServiceErrorsMixin, forms.Form):
    inspected_on = forms.DateField(
        label="检查日期",
        required=False,
        widget=DATE,
        error_messages={"invalid": "检查日期格式不正确"},
    )
    conclusion = forms.ChoiceField(
        label="检查结论",
        required=False,
        choices=[("", "请选择"), *Conclusion.choices],
        help_text="002 第二十六条所列八种结论之一",
    )
    non_cooperation = forms.ChoiceField(
        label="不予配合情形",
        required=False,
        choices=[("", "（结论为“不予配合情节严重”时选择）"), *NonCooperation.choices],
        help_text="002 第二十七条",
    )
    summary = forms.CharField(
        label="检查情况", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    problems = forms.CharField(
        label="发现的问题", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def to_input(self, followups: tuple[FollowUpInput, ...] | None) -> DraftInput:
        d = self.cleaned_data
        return DraftInput(
            inspected_on=d["inspected_on"],
            conclusion=d["conclusion"],
            non_cooperation=d["non_cooperation"],
            summary=d["summary"],
            problems=d["problems"],
            followups=followups,
        )


class FollowUpForm(forms.Form):
    kind = forms.ChoiceField(
        label="处理方式",
        choices=[("", "—"), *FollowUpKind.choices],
        error_messages={"required": "请选择处理方式"},
    )
    detail = forms.CharField(
        label="处理内容", required=False, widget=forms.TextInput(attrs={"size": 30})
    )
    rectify_deadline = forms.DateField(
        label="整改期限",
        required=False,
        widget=DATE,
        error_messages={"invalid": "整改期限格式不正确"},
    )
    recipient = forms.CharField(label="移交/移送单位", required=False, max_length=200)
    case_no = forms.CharField(label="案件编号", required=False, max_length=100)

    def to_input(self) -> FollowUpInput:
        d = self.cleaned_data
        return FollowUpInput(
            kind=d["kind"],
            detail=d["detail"],
            rectify_deadline=d["rectify_deadline"],
            recipient=d["recipient"],
            case_no=d["case_no"],
        )

    def add_service_errors(self, exc: ServiceError) -> None:
        for name, messages in (exc.errors or {None: [exc.message]}).items():
            for m in messages:
                self.add_error(name if name in self.fields else None, m)


FollowUpFormSet = forms.formset_factory(
    FollowUpForm, formset=TableRowFormSet, extra=1, can_delete=True
)


class DraftForms:
    """The draft form and its follow-up formset, submitted together."""

    def __init__(self, data=None, *, initial=None, followups=()):
        self.form = DraftForm(data, initial=initial)
        self.formset = FollowUpFormSet(data, prefix="followups", initial=list(followups) or None)
        self._kept: list[int] = []

    def is_valid(self) -> bool:
        return all([self.form.is_valid(), self.formset.is_valid()])

    def to_input(self) -> DraftInput:
        followups = []
        self._kept = []
        extra_from = self.formset.initial_form_count()
        for i, f in enumerate(self.formset.forms):
            # A blank extra row is no follow-up; a row the draft already had stays unless deleted.
            if f.cleaned_data.get("DELETE") or (i >= extra_from and not f.has_changed()):
                continue
            self._kept.append(i)
            followups.append(f.to_input())
        return self.form.to_input(tuple(followups))

    def add_service_errors(self, exc: ServiceError) -> None:
        if not exc.errors:
            self.form.add_error(None, exc.message)
            return
        for key, messages in exc.errors.items():
            parts = key.split(".")
            if parts[0] == "followups" and len(parts) == 3 and int(parts[1]) < len(self._kept):
                form = self.formset.forms[self._kept[int(parts[1])]]
                for m in messages:
                    form.add_error(parts[2] if parts[2] in form.fields else None, m)
            else:
                for m in messages:
                    self.form.add_error(key if key in self.form.fields else None, m)


class EvidenceForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(
        label="类型", required=False, choices=[("", "按扩展名判断"), *EvidenceKind.choices]
    )
    file = forms.FileField(
        label="文件", error_messages={"required": "请选择要上传的文件", "empty": "文件是空的"}
    )
    description = forms.CharField(label="说明", required=False, max_length=255)


class NoteForm(ServiceErrorsMixin, forms.Form):
    note = forms.CharField(
        label="审核意见", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReturnForm(ServiceErrorsMixin, forms.Form):
    note = forms.CharField(
        label="退回理由",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages=_required("退回理由"),
    )


class WithdrawForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(label="撤回原因", required=False, max_length=500)


class PaperSignForm(ServiceErrorsMixin, forms.Form):
    member = forms.ChoiceField(label="纸质签字的成员", error_messages={"required": "请选择成员"})
    # Required by result_sign_on_paper (one rule, one message), not here.
    scan = forms.FileField(
        label="签字页扫描件（JPG、PNG 或 PDF）",
        required=False,
        widget=forms.FileInput(attrs={"accept": ".jpg,.jpeg,.png,.pdf"}),
    )

    def __init__(self, *args, members: list[VisitMember] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self._by_pk = {str(m.pk): m for m in members}
        self.fields["member"].choices = [
            (str(m.pk), f"{m.inspector.name}（{m.inspector.cert_no}）") for m in members
        ]

    def chosen(self) -> VisitMember:
        return self._by_pk[self.cleaned_data["member"]]


class RecheckForm(ServiceErrorsMixin, forms.Form):
    recheck_on = forms.DateField(
        label="复查日期", widget=DATE, error_messages=_required("复查日期")
    )
    status = forms.ChoiceField(
        label="复查结果",
        choices=[
            (FollowUpStatus.DONE, "已整改（办结）"),
            (FollowUpStatus.FAILED, FollowUpStatus.FAILED.label),
        ],
    )
    recheck_note = forms.CharField(
        label="复查情况",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages=_required("复查情况"),
    )


class PenaltyForm(ServiceErrorsMixin, forms.Form):
    case_no = forms.CharField(label="案件编号", required=False, max_length=100)
    penalty_decided_on = forms.DateField(
        label="处罚决定日期", widget=DATE, error_messages=_required("处罚决定日期")
    )


class PenaltyPublishedForm(ServiceErrorsMixin, forms.Form):
    penalty_published_on = forms.DateField(
        label="处罚信息公开日期", widget=DATE, error_messages=_required("处罚信息公开日期")
    )


class CloseForm(ServiceErrorsMixin, forms.Form):
    note = forms.CharField(
        label="办结情况",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages=_required("办结情况"),
    )
