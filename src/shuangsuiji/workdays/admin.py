"""Django admin for system admins: 节假日安排 (the State Council's yearly notice).

Only superusers (系统管理员) see it. Every save and delete is audited in the admin's own
transaction through workdays/services.py; the per-process working-day cache notices the
change through ``CalendarYear.updated_at``.
"""

from django import forms
from django.contrib import admin
from django.utils import timezone

from shuangsuiji.workdays.models import CalendarDay, CalendarDayKind, CalendarYear
from shuangsuiji.workdays.services import (
    calendar_days_check,
    calendar_year_audit,
    calendar_year_state,
)


class SystemAdminOnly:
    """The calendar decides every legal deadline: only 系统管理员 may change or see it here."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


class CalendarDayFormSet(forms.BaseInlineFormSet):
    """Checks the days as ``calendar_year_enter`` does: in the year, no date both 放假 and
    上班, 调休上班日 on a weekend."""

    def clean(self):
        super().clean()
        year = getattr(self.instance, "year", None)
        if not year:
            return
        holidays, workdays = [], []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE") or not data.get("date") or not data.get("kind"):
                continue
            target = holidays if data["kind"] == CalendarDayKind.HOLIDAY else workdays
            target.append((data["date"], data.get("name") or ""))
        errors = calendar_days_check(year=year, holidays=holidays, workdays=workdays)
        if errors:
            raise forms.ValidationError([m for messages in errors.values() for m in messages])


class CalendarDayInline(SystemAdminOnly, admin.TabularInline):
    model = CalendarDay
    formset = CalendarDayFormSet
    extra = 3
    fields = ("date", "kind", "name")


@admin.register(CalendarYear)
class CalendarYearAdmin(SystemAdminOnly, admin.ModelAdmin):
    list_display = ("year", "source", "complete", "entered_by", "entered_at")
    list_filter = ("complete",)
    search_fields = ("source",)
    fields = ("year", "source", "complete", "entered_by", "entered_at")
    readonly_fields = ("entered_by", "entered_at")
    inlines = [CalendarDayInline]
    actions = None  # no bulk delete: each deletion goes through delete_model and is audited

    def save_model(self, request, obj, form, change):
        request._calendar_before = (
            calendar_year_state(calendar_year=CalendarYear.objects.get(pk=obj.pk))
            if change
            else None
        )
        obj.entered_by = request.user
        obj.entered_at = timezone.now()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        calendar_year_audit(
            calendar_year=form.instance,
            actor=request.user,
            before=getattr(request, "_calendar_before", None),
        )

    def delete_model(self, request, obj):
        before = calendar_year_state(calendar_year=obj)
        calendar_year_audit(calendar_year=obj, actor=request.user, before=before, deleted=True)
        super().delete_model(request, obj)
