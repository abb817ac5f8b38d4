from django.apps import AppConfig


class InspectionConfig(AppConfig):
    name = "shuangsuiji.inspection"
    verbose_name = "检查"
