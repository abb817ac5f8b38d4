from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "shuangsuiji.catalog"
    verbose_name = "抽查事项清单"

    def ready(self) -> None:
        # Registers the "items" importer and exporter with imports.framework as soon as
        # Django is set up (the CLI, the web import page and the job runner all find it).
        from shuangsuiji.catalog import exporting, importing  # noqa: F401
