"""Django admin for system admins: inspection records are read-only here.

Every change goes through inspection/services, which keeps the states, the signatures
and the audit trail (全程留痕 [002 第六条]); an edit in the admin would bypass all three
and could rewrite a formed result (一经公示，不得擅自更改 [002 第二十八条]).
"""

from django.contrib import admin

from shuangsuiji.inspection.models import (
    Evidence,
    Finding,
    FollowUp,
    Result,
    ResultVersion,
    Signature,
    Visit,
    VisitMember,
    VisitTask,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class VisitTaskInline(ReadOnlyInline):
    model = VisitTask
    fields = readonly_fields = ("task", "selection", "joined_at")


class VisitMemberInline(ReadOnlyInline):
    model = VisitMember
    fields = readonly_fields = ("inspector", "task", "is_leader")


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = (
        "target_id",
        "entity",
        "window_start",
        "window_end",
        "lead_task",
        "status",
        "started_at",
    )
    list_filter = ("status",)
    search_fields = ("target_id", "entity__name")
    list_select_related = ("entity", "lead_task")
    inlines = [VisitTaskInline, VisitMemberInline]


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ("visit", "item", "point", "point_text", "outcome", "updated_by", "updated_at")
    list_filter = ("outcome",)
    search_fields = ("visit__target_id", "point_text")
    list_select_related = ("visit", "item", "updated_by")


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    # The file itself is not linked here: evidence is served only through the visit page,
    # which checks who may read it and records the download.
    list_display = (
        "visit",
        "kind",
        "original_name",
        "size",
        "sha256",
        "uploaded_by",
        "uploaded_at",
    )
    fields = readonly_fields = (
        "visit",
        "kind",
        "original_name",
        "content_type",
        "size",
        "sha256",
        "description",
        "uploaded_by",
        "uploaded_at",
    )
    list_filter = ("kind",)
    search_fields = ("sha256", "original_name", "visit__target_id")
    list_select_related = ("visit", "uploaded_by")


class SignatureInline(ReadOnlyInline):
    model = Signature
    fields = readonly_fields = ("member", "signed_by", "on_paper", "signed_at")


class FollowUpInline(ReadOnlyInline):
    model = FollowUp
    fields = readonly_fields = (
        "kind",
        "status",
        "detail",
        "rectify_deadline",
        "recheck_on",
        "recipient",
        "case_no",
        "penalty_decided_on",
        "penalty_published_on",
    )


@admin.register(Result)
class ResultAdmin(ReadOnlyAdmin):
    list_display = ("visit", "current", "formed_at", "first_published_at")
    search_fields = ("visit__target_id", "visit__entity__name")
    list_select_related = ("visit", "current")


@admin.register(ResultVersion)
class ResultVersionAdmin(ReadOnlyAdmin):
    list_display = (
        "result",
        "number",
        "kind",
        "status",
        "conclusion",
        "inspected_on",
        "submitted_at",
        "reviewed_by",
    )
    list_filter = ("status", "kind", "conclusion")
    search_fields = ("result__visit__target_id", "result__visit__entity__name")
    list_select_related = ("result__visit", "reviewed_by")
    inlines = [SignatureInline, FollowUpInline]


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdmin):
    list_display = (
        "version",
        "kind",
        "status",
        "rectify_deadline",
        "recheck_on",
        "case_no",
        "penalty_decided_on",
    )
    list_filter = ("kind", "status")
    list_select_related = ("version__result__visit",)
