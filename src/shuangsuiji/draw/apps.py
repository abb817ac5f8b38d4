from django.apps import AppConfig


class DrawConfig(AppConfig):
    name = "shuangsuiji.draw"
    verbose_name = "摇号"

    def ready(self) -> None:
        from shuangsuiji.common.todo import register_todo
        from shuangsuiji.draw.todo import draw_todo

        register_todo(draw_todo)  # 待办 on the home page and the menu (common/todo.py)
