"""Django admin for system admins: the only place full 联系电话, 手机号码 and 身份证号 show.

Business edits belong in the library pages (audited services); the admin is for repair
and support, so lists are paginated and never count a million-row table exactly.
"""

from django.contrib import admin

from shuangsuiji.registry.models import Conflict, Entity, Inspector, Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "department", "description")
    list_filter = ("kind",)
    search_fields = ("name",)
    autocomplete_fields = ("department",)


@admin.register(Entity)
class EntityAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "uscc",
        "key",
        "department",
        "entity_type",
        "risk_class",
        "status",
        "contact_phone",
    )
    list_filter = ("risk_class", "status", "entity_type", "scale")
    search_fields = ("=uscc", "=key", "name")
    list_select_related = ("department",)
    raw_id_fields = ("department",)
    filter_horizontal = ("tags",)
    readonly_fields = ("row_digest", "created_at", "updated_at")
    # The entity table may hold a million rows: an exact COUNT(*) per page is too slow.
    show_full_result_count = False
    list_per_page = 50


@admin.register(Inspector)
class InspectorAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "cert_no",
        "department",
        "kind",
        "cert_valid_until",
        "mobile",
        "id_number",
        "status",
    )
    list_filter = ("kind", "status")
    search_fields = ("name", "cert_no")
    list_select_related = ("department",)
    raw_id_fields = ("department", "user")
    readonly_fields = ("row_digest", "created_at", "updated_at")


@admin.register(Conflict)
class ConflictAdmin(admin.ModelAdmin):
    list_display = ("inspector", "entity", "reason", "declared_on", "is_active", "withdrawn_at")
    list_filter = ("is_active",)
    raw_id_fields = ("inspector", "entity", "declared_by", "withdrawn_by")
    list_select_related = ("inspector", "entity")
