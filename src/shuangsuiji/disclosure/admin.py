"""Django admin of 一公开: read-only.

A published result is never edited in place (002 第二十八条 一经公示，不得擅自更改): its
public copy, the objections and the portal's submission log are shown to system admins
but cannot be added, changed or deleted here — a correction goes through the principal's
signature (disclosure/services/corrections.py), an objection through review and answer.
"""

from django.contrib import admin

from shuangsuiji.disclosure.models import Objection, PortalSubmission, PublishedResult


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
