from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "shuangsuiji.registry"
    verbose_name = "名录库"
