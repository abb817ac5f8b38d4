from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "shuangsuiji.disclosure"
    verbose_name = "结果公开"

    def ready(self) -> None:
        from shuangsuiji.common.workdays import deadline_reader_register
        from shuangsuiji.disclosure.deadlines import open_deadlines

        # Entering a year's holiday notice audits the provisional deadlines it corrects.
        deadline_reader_register(open_deadlines)
