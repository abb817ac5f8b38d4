from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    """工作日历: the State Council's yearly holiday notices and working-day arithmetic."""

    name = "shuangsuiji.workdays"
    verbose_name = "工作日历"

    def ready(self) -> None:
        from shuangsuiji.common.todo import register_todo
        from shuangsuiji.workdays.todo import workdays_todo

        register_todo(workdays_todo)  # 待办 on the home page (common/todo.py)
