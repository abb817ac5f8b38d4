from django.apps import AppConfig


class DrawConfig(AppConfig):
    name = "shuangsuiji.draw"
    verbose_name = "摇号"
