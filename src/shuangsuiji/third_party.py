"""Chinese names in 系统管理 (the Django admin) for the third-party apps, which ship none.

Three parts, each the library's own extension point, so an upgrade keeps them:

- the apps' names (shown as the admin's section titles, not translatable in the libraries):
  ``AppConfig`` subclasses named in ``settings.INSTALLED_APPS``;
- their models' and fields' names and the admin's words: a translation catalog,
  ``locale/zh_Hans/LC_MESSAGES/django.po`` (``settings.LOCALE_PATHS``);
- the few admin column titles the libraries write as plain strings: their ``ModelAdmin``
  subclassed and registered again in ``ready()``.

``tests/test_admin_chinese.py`` lists every admin page's titles, columns, filters and
fields: an upgrade that brings a new English name fails there.
"""

from axes.apps import AppConfig as AxesAppConfig
from django_tasks_db.apps import TasksAppConfig


class AxesConfig(AxesAppConfig):
    verbose_name = "登录失败锁定"

    def ready(self) -> None:
        super().ready()
        from axes import admin as axes_admin
        from axes.conf import settings as axes_settings
        from axes.models import AccessAttempt
        from django.contrib import admin

        class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
            @admin.display(description="锁定状态")
            def status(self, obj: AccessAttempt) -> str:
                left = axes_settings.AXES_FAILURE_LIMIT - obj.failures_since_start
                return f"还可尝试 {left} 次" if left > 0 else "已锁定"

            @admin.display(description="失效时间")
            def expiration(self, obj: AccessAttempt):
                return super().expiration(obj)

        if admin.site.is_registered(AccessAttempt):
            admin.site.unregister(AccessAttempt)
            admin.site.register(AccessAttempt, AccessAttemptAdmin)


class TasksDatabaseConfig(TasksAppConfig):
    verbose_name = "后台任务"

    def ready(self) -> None:
        super().ready()
        from django.contrib import admin
        from django_tasks_db import admin as tasks_admin
        from django_tasks_db.models import DBTaskResult

        class DBTaskResultAdmin(tasks_admin.DBTaskResultAdmin):
            list_display = (
                "task_id",
                "task_title",
                "status",
                "enqueued_at",
                "started_at",
                "finished_at",
                "priority",
                "queue_name",
            )

            def get_readonly_fields(self, request, obj=None) -> list[str]:
                # The primary key has no translatable name (“id”): shown through task_id.
                fields = super().get_readonly_fields(request, obj)
                return ["task_id" if f == "id" else f for f in fields]

            @admin.display(description="任务编号", ordering="id")
            def task_id(self, obj: DBTaskResult) -> str:
                return str(obj.id)

            @admin.display(description="任务名称")
            def task_title(self, obj: DBTaskResult) -> str:
                return obj.task_name

            @admin.display(description="错误堆栈")
            def formatted_traceback(self, obj: DBTaskResult) -> str:
                return super().formatted_traceback(obj)

            @admin.display(description="最早执行时间")
            def display_run_after(self, obj: DBTaskResult):
                return super().display_run_after(obj)

        if admin.site.is_registered(DBTaskResult):
            admin.site.unregister(DBTaskResult)
            admin.site.register(DBTaskResult, DBTaskResultAdmin)
