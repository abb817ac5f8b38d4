from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    """工作日历: the State Council's yearly holiday notices and working-day arithmetic."""

    name = "shuangsuiji.workdays"
    verbose_name = "工作日历"
