from django.apps import AppConfig


class StatsConfig(AppConfig):
    """统计分析 (issue 12 第 3 项): a department's year in figures, from every app's rows."""

    name = "shuangsuiji.stats"
    verbose_name = "统计分析"
