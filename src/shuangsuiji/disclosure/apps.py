from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "shuangsuiji.disclosure"
    verbose_name = "结果公开"

    def ready(self) -> None:
        from shuangsuiji.disclosure.deadlines import open_deadlines
        from shuangsuiji.workdays.services import deadline_reader_register

        # Entering a year's holiday notice audits the provisional deadlines it corrects.
        deadline_reader_register(open_deadlines)
