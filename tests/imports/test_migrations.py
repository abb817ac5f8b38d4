"""The import job moved from ``common`` into ``imports`` with state-only migrations: a database
from before the move upgrades with ``ssj migrate`` and keeps its jobs (same table)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from shuangsuiji.accounts.models import Department, User
from shuangsuiji.imports.models import ImportJob

BEFORE = [("common", "0003_calendar_moves_to_workdays"), ("imports", None)]


@pytest.mark.django_db(transaction=True)
def test_a_database_from_before_the_move_keeps_its_import_jobs():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state([BEFORE[0]]).apps
    OldJob = old.get_model("common", "ImportJob")
    # accounts stays at its latest migration: its rows are made with today's models.
    dept = Department.objects.create(code="MIG", name="迁移测试局")
    user = User.objects.create(username="mig")
    OldJob.objects.create(
        kind="entities",
        department_id=dept.pk,
        created_by_id=user.pk,
        status="succeeded",
        file_name="名录.xlsx",
        file_sha256="a" * 64,
        result={"created": 3},
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    job = ImportJob.objects.get()
    assert (job.file_name, job.result, job.department.code) == ("名录.xlsx", {"created": 3}, "MIG")
    assert ImportJob._meta.db_table == "common_importjob"
