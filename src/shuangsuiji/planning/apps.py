from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "shuangsuiji.planning"
    verbose_name = "抽查计划与任务"

    def ready(self) -> None:
        # Registers the "plans" importer (a year's plan table) with the imports app.
        from shuangsuiji.planning import importing  # noqa: F401
