from django.apps import AppConfig


class InspectionConfig(AppConfig):
    name = "shuangsuiji.inspection"
    verbose_name = "检查"

    def ready(self) -> None:
        from shuangsuiji.common.todo import register_todo
        from shuangsuiji.inspection.todo import inspection_todo

        register_todo(inspection_todo)  # 待办 on the home page and the menu (common/todo.py)
        # The draw asks for the visits of a dispatch and keeps their teams in step with
        # substitutions through these hooks (draw/hooks.py): inspection owns the visit rows
        # and sits above the draw, which must not import it.
        from shuangsuiji.draw.hooks import VisitHooks, visit_hooks_register
        from shuangsuiji.inspection.selectors import visits_list
        from shuangsuiji.inspection.services.dispatch import (
            visits_dispatch,
            visits_resync,
            visits_started_refuse,
        )

        visit_hooks_register(
            VisitHooks(
                dispatch=visits_dispatch,
                team_change_check=visits_started_refuse,
                team_resync=visits_resync,
                visits_list=visits_list,
            )
        )
