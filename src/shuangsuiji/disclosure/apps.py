from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "shuangsuiji.disclosure"
    verbose_name = "结果公开"
