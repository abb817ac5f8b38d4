from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "shuangsuiji.registry"
    verbose_name = "名录库"

    def ready(self) -> None:
        from shuangsuiji.common.todo import register_todo
        from shuangsuiji.registry.todo import registry_todo

        register_todo(registry_todo)  # 待办 on the home page and the menu (common/todo.py)
        # Registers the "entities" and "inspectors" importers and exporters with the imports
        # app (the CLI, the web import page and the job runner all find them there).
        from shuangsuiji.registry import credit, exporting, importing  # noqa: F401
