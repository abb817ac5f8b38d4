"""The import job's model now belongs to ``imports`` (see imports/migrations/0001_initial.py):
forget it here without touching its table."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0003_calendar_moves_to_workdays"),
        ("imports", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name="ImportJob")],
        ),
    ]
