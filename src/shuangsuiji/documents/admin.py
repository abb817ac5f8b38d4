from django.contrib import admin

from shuangsuiji.documents.models import IssuedDocument, Letterhead, NumberPattern


@admin.register(Letterhead)
class LetterheadAdmin(admin.ModelAdmin):
    """Read here; set by the department admin on 文书设置 (through the service, audited)."""

    list_display = ("department", "full_name", "short_name", "telephone")
    readonly_fields = ("department", "full_name", "short_name", "address", "postcode", "telephone")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(NumberPattern)
class NumberPatternAdmin(admin.ModelAdmin):
    list_display = ("department", "kind", "pattern")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(admin.ModelAdmin):
    list_display = ("number", "kind", "department", "issued_on", "object_type", "object_id")
    list_filter = ("kind", "year")
    search_fields = ("number",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
