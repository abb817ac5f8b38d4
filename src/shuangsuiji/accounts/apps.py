from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "shuangsuiji.accounts"
    verbose_name = "部门与账号"
