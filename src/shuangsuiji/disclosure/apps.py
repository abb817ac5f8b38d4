from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "shuangsuiji.disclosure"
    verbose_name = "结果公开"

    def ready(self) -> None:
        from shuangsuiji.common.todo import register_todo
        from shuangsuiji.disclosure.todo import disclosure_todo

        register_todo(disclosure_todo)  # 待办 on the home page and the menu (common/todo.py)
        from shuangsuiji.disclosure.selectors import entity_history_panel
        from shuangsuiji.registry.panels import entity_panel_register

        # The entity page shows its inspections, results and follow-ups (issue 16 第 4 项).
        entity_panel_register(entity_history_panel)
        from shuangsuiji.disclosure.deadlines import open_deadlines
        from shuangsuiji.workdays.services import deadline_reader_register

        # Entering a year's holiday notice audits the provisional deadlines it corrects.
        deadline_reader_register(open_deadlines)
        from shuangsuiji.disclosure.deadlines import other_deadlines_register
        from shuangsuiji.disclosure.deadlines.plan_rows import plan_row_deadlines

        other_deadlines_register(plan_row_deadlines)  # 计划完成时间 (004 四)
