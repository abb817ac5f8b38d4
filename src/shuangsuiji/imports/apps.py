from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """导入: reading tables (xlsx/xls/ods/csv) within limits, the import engine, the
    preview → confirm jobs and their pages. Each library registers its importer and
    exporter in its own ``AppConfig.ready()``."""

    name = "shuangsuiji.imports"
    verbose_name = "导入导出"
