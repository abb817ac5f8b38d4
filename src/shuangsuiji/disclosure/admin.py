"""Django admin of 一公开: the published rows read-only; the 网站标识 (site identity) editable.

A published result is never edited in place (002 第二十八条 一经公示，不得擅自更改): its
public copy, the objections and the portal's submission log are shown to system admins
but cannot be added, changed or deleted here — a correction goes through the principal's
signature (disclosure/services/corrections.py), an objection through review and answer.
"""

from django import forms
from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html

from shuangsuiji.common.errors import ValidationFailed
from shuangsuiji.disclosure.models import (
    Objection,
    PortalSubmission,
    PublishedResult,
    SiteIdentity,
)
from shuangsuiji.disclosure.services.site import (
    LOGO_MAX_BYTES,
    LOGO_MAX_SIDE,
    SITE_FIELDS,
    site_identity_update,
    site_logo_check,
    site_values_clean,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PublishedResult)
class PublishedResultAdmin(ReadOnlyAdmin):
    list_display = (
        "entity_name",
        "credit_code",
        "department",
        "inspected_on",
        "conclusion",
        "version_number",
        "is_correction",
        "published_at",
        "superseded_at",
    )
    list_filter = ("conclusion", "is_correction", "year")
    search_fields = ("entity_name", "credit_code", "task_codes")
    date_hierarchy = "published_at"


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdmin):
    # The admin is where full contact numbers may show (accounts/admin.py).
    list_display = (
        "number",
        "credit_code",
        "applicant",
        "contact",
        "status",
        "received_on",
        "reviewed_at",
        "answered_at",
    )
    list_filter = ("status", "decision")
    search_fields = ("number", "credit_code", "applicant")


@admin.register(PortalSubmission)
class PortalSubmissionAdmin(ReadOnlyAdmin):
    list_display = ("form", "client", "accepted", "created_at")
    list_filter = ("form", "accepted")


class SiteIdentityForm(forms.ModelForm):
    """The 网站标识 form: the text and the logo checked by the service's own rules
    (``site_values_clean``, ``site_logo_check``), so an error shows beside its field."""

    logo_upload = forms.FileField(
        label="标志图片",
        required=False,
        help_text=(
            f"PNG 或 JPEG，不超过 {LOGO_MAX_BYTES // 1024} KB，长宽不超过 {LOGO_MAX_SIDE} 像素；"
            "显示在公开门户页头。不接受 SVG。"
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    logo_remove = forms.BooleanField(label="删除现有标志图片", required=False)

    class Meta:
        model = SiteIdentity
        fields = list(SITE_FIELDS)

    def clean(self):
        data = super().clean()
        try:
            site_values_clean(values={f: data.get(f) or "" for f in SITE_FIELDS})
        except ValidationFailed as exc:
            for name, messages in exc.errors.items():
                if name in self.fields and name not in self.errors:
                    self.add_error(name, messages)
        upload = data.get("logo_upload")
        self.logo = None
        if upload:
            if upload.size > LOGO_MAX_BYTES:
                # Not read into memory: refused on its announced size.
                self.add_error(
                    "logo_upload",
                    f"标志图片有 {upload.size / 1024:.0f} KB，不能超过 {LOGO_MAX_BYTES // 1024} KB",
                )
            else:
                try:
                    self.logo = site_logo_check(data=upload.read(), name=upload.name or "")
                except ValidationFailed as exc:
                    self.add_error("logo_upload", exc.message)
        return data


@admin.register(SiteIdentity)
class SiteIdentityAdmin(admin.ModelAdmin):
    """系统管理 → 网站标识: one row, changed by 系统管理员 only, saved (and audited) through
    ``site_identity_update``."""

    form = SiteIdentityForm
    list_display = ("__str__", "sponsor", "icp_number", "site_code", "updated_at", "updated_by")
    fieldsets = (
        ("网站", {"fields": ("site_name", "logo_upload", "logo_remove", "logo_preview")}),
        (
            "主办与联系方式",
            {"fields": ("sponsor", "organizer", "address", "postcode", "phone", "email")},
        ),
        ("备案与标识", {"fields": ("icp_number", "police_number", "site_code")}),
        ("修改记录", {"fields": ("updated_at", "updated_by")}),
    )
    readonly_fields = ("logo_preview", "updated_at", "updated_by")
    actions = None

    def _system_admin(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request) -> bool:
        return self._system_admin(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._system_admin(request)

    def has_add_permission(self, request) -> bool:
        return self._system_admin(request) and not SiteIdentity.objects.exists()

    def has_change_permission(self, request, obj=None) -> bool:
        return self._system_admin(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="现有标志图片")
    def logo_preview(self, obj: SiteIdentity) -> str:
        if not obj.pk or not obj.logo_sha256:
            return "（未上传）"
        url = reverse("portal:site_logo", args=[obj.logo_sha256])
        return format_html('<img src="{}" alt="网站标志" style="max-height:64px">', url)

    def changelist_view(self, request, extra_context=None):
        # One row: the list leads straight to it (or to adding it the first time).
        if self.has_change_permission(request):
            row = SiteIdentity.objects.filter(pk=1).only("pk").first()
            if row is not None:
                return redirect(reverse("admin:disclosure_siteidentity_change", args=[row.pk]))
            return redirect(reverse("admin:disclosure_siteidentity_add"))
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        saved = site_identity_update(
            actor=request.user,
            values={f: form.cleaned_data.get(f) or "" for f in SITE_FIELDS},
            logo=form.logo,
            logo_remove=bool(form.cleaned_data.get("logo_remove")),
        )
        obj.pk = saved.pk
        obj.updated_at, obj.updated_by = saved.updated_at, saved.updated_by

    def log_addition(self, request, obj, message):
        pass  # the audit event of site_identity_update is the record

    def log_change(self, request, obj, message):
        pass
