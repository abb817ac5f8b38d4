from django.contrib import admin

from shuangsuiji.stats.models import ReportSetting


@admin.register(ReportSetting)
class ReportSettingAdmin(admin.ModelAdmin):
    list_display = ("department", "annual_due_month", "annual_due_day")
