from django.contrib import admin

from shuangsuiji.audit.labels import action_label
from shuangsuiji.audit.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only; nobody edits or deletes events here."""

    list_display = ("seq", "created_at", "actor_name", "action_words", "object_repr")
    list_filter = ("action",)
    search_fields = ("object_repr", "actor_name", "object_id")

    @admin.display(description="操作", ordering="action")
    def action_words(self, obj: Event) -> str:
        """The action in words (audit/labels.py), its code after it for searching."""
        return f"{action_label(obj.action)}（{obj.action}）"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
