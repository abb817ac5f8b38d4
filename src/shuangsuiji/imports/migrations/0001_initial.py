"""The import jobs move out of ``common`` into their own app (issue 10 item 2).

State only: the table stays ``common_importjob``, so an existing database keeps its jobs;
``common.0004`` forgets the model there.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0001_initial"),
        ("common", "0003_calendar_moves_to_workdays"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="ImportJob",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("entities", "检查对象名录库"),
                                    ("inspectors", "执法检查人员名录库"),
                                    ("items", "抽查事项清单"),
                                ],
                                max_length=16,
                                verbose_name="名录",
                            ),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="上传时间"),
                        ),
                        (
                            "started_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="开始时间"),
                        ),
                        (
                            "finished_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="结束时间"),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "排队中"),
                                    ("running", "进行中"),
                                    ("succeeded", "已完成"),
                                    ("failed", "失败"),
                                ],
                                default="pending",
                                max_length=16,
                                verbose_name="状态",
                            ),
                        ),
                        ("dry_run", models.BooleanField(default=True, verbose_name="仅预检")),
                        (
                            "skip_invalid",
                            models.BooleanField(default=False, verbose_name="跳过错误行"),
                        ),
                        ("file_name", models.CharField(max_length=255, verbose_name="文件名")),
                        ("file_path", models.CharField(blank=True, max_length=500)),
                        ("file_size", models.BigIntegerField(default=0, verbose_name="文件大小")),
                        (
                            "file_sha256",
                            models.CharField(max_length=64, verbose_name="文件SHA-256"),
                        ),
                        (
                            "progress_done",
                            models.BigIntegerField(default=0, verbose_name="已处理行数"),
                        ),
                        (
                            "progress_total",
                            models.BigIntegerField(blank=True, null=True, verbose_name="总行数"),
                        ),
                        ("result", models.JSONField(blank=True, null=True, verbose_name="结果")),
                        ("message", models.TextField(blank=True, verbose_name="说明")),
                        ("error_report_path", models.CharField(blank=True, max_length=500)),
                        ("runner_pid", models.IntegerField(blank=True, null=True)),
                        (
                            "created_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="import_jobs",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="上传人",
                            ),
                        ),
                        (
                            "department",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="import_jobs",
                                to="accounts.department",
                                verbose_name="部门",
                            ),
                        ),
                        (
                            "parent",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="commits",
                                to="imports.importjob",
                                verbose_name="所确认的预检",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "导入任务",
                        "verbose_name_plural": "导入任务",
                        "db_table": "common_importjob",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [
                            models.Index(
                                fields=["created_by", "-created_at"], name="importjob_user_idx"
                            )
                        ],
                    },
                ),
            ],
        ),
    ]
