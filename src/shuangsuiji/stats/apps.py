from django.apps import AppConfig


class StatsConfig(AppConfig):
    """统计分析 and reports (issue 12 第 3、4 项): a department's year in figures, from every
    app's rows."""

    name = "shuangsuiji.stats"
    verbose_name = "统计分析"

    def ready(self) -> None:
        from shuangsuiji.common.todo import register_todo
        from shuangsuiji.stats.todo import stats_todo

        register_todo(stats_todo)  # 待办 on the home page and the menu (common/todo.py)

        from shuangsuiji.disclosure.deadlines import other_deadlines_register
        from shuangsuiji.stats.deadlines import report_deadlines

        other_deadlines_register(report_deadlines)  # the reports' deadlines in 期限督办
