"""Django admin for system admins: the only place full 身份证号 and mobile numbers show."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from shuangsuiji.accounts.models import ApiToken, Department, Membership, User


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "parent",
        "kind",
        "yearly_draw_cap",
        "publish_deadline_workdays",
        "is_active",
    )
    search_fields = ("code", "name")
    list_filter = ("kind", "is_active")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "full_name", "id_number", "mobile", "is_active", "is_superuser")
    search_fields = ("username", "full_name")
    fieldsets = BaseUserAdmin.fieldsets + (
        ("实名信息", {"fields": ("full_name", "id_number", "mobile")}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        ("实名信息", {"fields": ("full_name", "id_number", "mobile")}),
    )
    inlines = [MembershipInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "created_at", "last_used_at", "is_active")
    readonly_fields = ("digest",)
