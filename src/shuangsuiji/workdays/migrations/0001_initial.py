"""The working-day calendar moves out of ``common`` into its own app (issue 10 item 2).

State only: the tables stay where they are (``common_calendaryear``, ``common_calendarday``),
so an existing database keeps every entered year; ``common.0003`` forgets the models there.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("common", "0002_calendaryear_calendarday"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="CalendarYear",
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
                            "year",
                            models.PositiveSmallIntegerField(unique=True, verbose_name="年份"),
                        ),
                        (
                            "source",
                            models.CharField(
                                help_text="如：国务院办公厅关于2027年部分节假日安排的通知 国办发明电〔2026〕X号",
                                max_length=255,
                                verbose_name="依据",
                            ),
                        ),
                        (
                            "complete",
                            models.BooleanField(
                                default=False,
                                help_text="勾选后该年度可用于计算工作日；未勾选的年度仅作为对内置数据的更正",
                                verbose_name="已完整录入",
                            ),
                        ),
                        (
                            "entered_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="录入时间"),
                        ),
                        (
                            "updated_at",
                            models.DateTimeField(auto_now=True, verbose_name="更新时间"),
                        ),
                        (
                            "entered_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="录入人",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "节假日安排",
                        "verbose_name_plural": "节假日安排",
                        "ordering": ["-year"],
                        "db_table": "common_calendaryear",
                    },
                ),
                migrations.CreateModel(
                    name="CalendarDay",
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
                        ("date", models.DateField(unique=True, verbose_name="日期")),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("holiday", "法定节假日/休息日"),
                                    ("workday", "调休上班日"),
                                ],
                                max_length=16,
                                verbose_name="类型",
                            ),
                        ),
                        (
                            "name",
                            models.CharField(
                                blank=True,
                                help_text="如：春节、国庆节",
                                max_length=64,
                                verbose_name="名称",
                            ),
                        ),
                        (
                            "calendar_year",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="days",
                                to="workdays.calendaryear",
                                verbose_name="年度",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "节假日/调休日",
                        "verbose_name_plural": "节假日/调休日",
                        "ordering": ["date"],
                        "db_table": "common_calendarday",
                    },
                ),
            ],
        ),
    ]
