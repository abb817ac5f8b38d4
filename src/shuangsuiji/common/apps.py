from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "shuangsuiji.common"
    verbose_name = "公共"
