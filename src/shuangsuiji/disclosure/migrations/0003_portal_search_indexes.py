"""Indexes of the public portal's search (检查结果查询) on a million published rows.

- (year, published_at, id) and (department, year, published_at, id): pages of a year or a
  department-year are one index range (the year is correlated with published_at, so the
  planner's walk of pubresult_recent would skip every newer row first).
- PostgreSQL only: a GIN index on item_codes (the 抽查事项 filter, jsonb @>) and, where the
  pg_trgm extension can be created, a trigram index on UPPER(entity_name) for the name
  substring search (Django's icontains). Without pg_trgm the search still works, slower.
"""

from django.db import DatabaseError, migrations, models, transaction

ITEMS_GIN = (
    "CREATE INDEX IF NOT EXISTS pubresult_items_gin ON disclosure_publishedresult "
    "USING gin (item_codes jsonb_path_ops)"
)
NAME_TRGM = (
    "CREATE INDEX IF NOT EXISTS pubresult_name_trgm ON disclosure_publishedresult "
    "USING gin (UPPER(entity_name::text) gin_trgm_ops)"
)


def postgres_indexes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(ITEMS_GIN)
        try:
            # pg_trgm is a trusted extension (PostgreSQL ≥ 13): the database owner may create it.
            with transaction.atomic(using=connection.alias):
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError:
            print(
                "\n  注意：无法创建 pg_trgm 扩展，检查对象名称的模糊查询将不使用索引（请数据库管理员执行 "
                "CREATE EXTENSION pg_trgm 后重新迁移）。"
            )
            return
        cursor.execute(NAME_TRGM)


def postgres_indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS pubresult_name_trgm")
        cursor.execute("DROP INDEX IF EXISTS pubresult_items_gin")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_department_is_leading_office"),
        ("disclosure", "0002_initial"),
        ("inspection", "0003_visit_started_at_alter_visit_status_evidence_result_and_more"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="publishedresult",
            index=models.Index(
                fields=["year", "-published_at", "-id"], name="pubresult_year_recent"
            ),
        ),
        migrations.AddIndex(
            model_name="publishedresult",
            index=models.Index(
                fields=["department", "year", "-published_at", "-id"],
                name="pubresult_dept_year_recent",
            ),
        ),
        migrations.RunPython(postgres_indexes, postgres_indexes_drop, elidable=False),
    ]
