from django.apps import AppConfig


class LicencesConfig(AppConfig):
    """双告知 (004 一, issue 14 第 5 项): notices of licences granted, received from the
    approving office, acknowledged (反馈) by the department within its working days, and —
    when accepted — added to its library."""

    name = "shuangsuiji.licences"
    verbose_name = "双告知"

    def ready(self) -> None:
        from shuangsuiji.common.todo import register_todo
        from shuangsuiji.disclosure.deadlines import other_deadlines_register
        from shuangsuiji.licences import importing  # noqa: F401 - registers the importer
        from shuangsuiji.licences.selectors import licence_deadlines, licence_todo

        other_deadlines_register(licence_deadlines)  # 期限督办
        register_todo(licence_todo)  # 待办
