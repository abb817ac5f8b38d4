from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "shuangsuiji.catalog"
    verbose_name = "抽查事项清单"
