from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "shuangsuiji.planning"
    verbose_name = "抽查计划与任务"

    def ready(self) -> None:
        from shuangsuiji.common.todo import register_todo
        from shuangsuiji.planning.todo import planning_todo

        register_todo(planning_todo)  # 待办 on the home page and the menu (common/todo.py)
        # Registers the "plans" importer (a year's plan table) with the imports app.
        from shuangsuiji.planning import importing  # noqa: F401
