from django.apps import AppConfig


class NoticesConfig(AppConfig):
    """站内消息 (issue 12 第 2 项): messages to a user when work arrives for him, by email too
    when the platform has a mail server and the user has not turned email off."""

    name = "shuangsuiji.notices"
    verbose_name = "消息"
