"""Raw bulk writes for the few places where the ORM is too slow (a 50,000-target draw, its
dispatch): values formatted once as the database stores them, rows inserted in batches."""

import datetime as dt
from typing import Any

from django.db import connection


def db_datetime(value: dt.datetime) -> Any:
    """``value`` as the ORM would store it, for raw inserts: formatted once, not per row
    by the driver's adapter (on SQLite the same text as a ``DateTimeField`` save)."""
    return connection.ops.adapt_datetimefield_value(value)


def db_date(value: dt.date) -> Any:
    return connection.ops.adapt_datefield_value(value)


def rows_insert(model: Any, columns: list[str], rows: list[tuple], *, batch: int = 10_000) -> None:
    """Raw ``executemany`` in batches: 50,000 selections and 100,000 team rows in well
    under a second, where per-object ORM saves would take minutes. Values must already be
    what the database stores (see ``db_datetime``; choices as plain ``str``)."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"
    with connection.cursor() as cur:
        for i in range(0, len(rows), batch):
            cur.executemany(sql, rows[i : i + batch])
