"""Django admin for system admins: the list is read-only here.

Every change must go through services.py, which keeps the versions immutable and writes
the audit event (全程留痕 [002 第六条]); an edit in the admin would bypass both.
"""

from django.contrib import admin

from shuangsuiji.catalog.models import Item, ItemVersion


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ItemVersionInline(admin.TabularInline):
    model = ItemVersion
    fields = (
        "number",
        "name",
        "change_kind",
        "change_reason",
        "effective_date",
        "created_by",
        "created_at",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-number",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Item)
class ItemAdmin(ReadOnlyAdmin):
    list_display = ("code", "current", "department", "is_repealed", "copied_from")
    list_filter = ("is_repealed", "department")
    search_fields = ("code", "current__name")
    list_select_related = ("current", "department", "copied_from")
    inlines = [ItemVersionInline]


@admin.register(ItemVersion)
class ItemVersionAdmin(ReadOnlyAdmin):
    list_display = (
        "item",
        "number",
        "name",
        "category",
        "change_kind",
        "effective_date",
        "created_by",
    )
    list_filter = ("change_kind", "category")
    search_fields = ("name", "item__code")
    list_select_related = ("item", "created_by")
