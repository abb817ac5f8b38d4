"""Form helpers every app's forms share."""

from django import forms

from shuangsuiji.common.errors import ServiceError


class ServiceErrorsMixin:
    """Shows a service's refusal beside the fields it names (``ValidationFailed(field=…)`` or
    ``errors={field: [...]}``); a message naming no field of the form goes on top."""

    def add_service_errors(self, exc: ServiceError) -> None:
        if not exc.errors:
            self.add_error(None, exc.message)  # type: ignore[attr-defined]
            return
        for name, messages in exc.errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)  # type: ignore[attr-defined]


class DepartmentPicker(forms.CheckboxSelectMultiple):
    """A department picker that searches and groups (issue 16 第 3 项), instead of a Ctrl-click
    list mixing every city's departments: check boxes grouped by 所在地区, each sub-unit
    (科室/股室) right under its parent and named with it, and a filter box (static/js/app.js,
    ``data-picker``) that hides what does not match. Works without script too."""

    template_name = "common/widgets/department_picker.html"

    def optgroups(self, name, value, attrs=None):
        flat = super().optgroups(name, value, attrs)
        options = [option for _group, group_options, _i in flat for option in group_options]
        by_region: dict[str, list[tuple[tuple, dict]]] = {}
        for option in options:
            dept = getattr(option["value"], "instance", None)
            if dept is None:
                by_region.setdefault("", []).append(((str(option["label"]),), option))
                continue
            parent = dept.parent if dept.parent_id else None
            if parent is not None:
                option["label"] = f"{parent.name} · {dept.name}"
            key = (parent.code if parent else dept.code, 1 if parent else 0, dept.code)
            by_region.setdefault(dept.region or "", []).append((key, option))
        groups = []
        for index, region in enumerate(sorted(by_region, key=lambda r: (r == "", r))):
            rows = [option for _key, option in sorted(by_region[region], key=lambda t: t[0])]
            groups.append((region or "未填所在地区", rows, index))
        return groups


def widgets_labelled(form: forms.BaseForm) -> None:
    """Gives every widget of ``form`` its field's label as ``aria-label``: for a form laid out
    as a table row, whose captions are the column headers, so each field still has a name
    for a screen reader (and the label test finds no field without one)."""
    for name, field in form.fields.items():
        if isinstance(field.widget, forms.CheckboxSelectMultiple):
            continue  # each box has its option's own <label>; one name for all would hide it
        field.widget.attrs.setdefault("aria-label", str(field.label or name))


class TableRowFormSet(forms.BaseFormSet):
    """A formset shown one form a table row: each field, the formset's own 删除 box included,
    is named by ``widgets_labelled``."""

    def add_fields(self, form: forms.BaseForm, index: int | None) -> None:
        super().add_fields(form, index)
        widgets_labelled(form)
