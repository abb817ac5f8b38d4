"""The calendar's models now belong to ``workdays`` (see workdays/migrations/0001_initial.py):
forget them here without touching their tables."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0002_calendaryear_calendarday"),
        ("workdays", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="CalendarDay"),
                migrations.DeleteModel(name="CalendarYear"),
            ],
        ),
    ]
