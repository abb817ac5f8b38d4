"""Export of the 抽查事项清单 ("items"): ``ssj export items --department CODE --format xlsx|csv``.

The headers are the import headers (``catalog.importing.COLUMNS``), so an exported file
re-imports with no change. Only the items in force are exported (repealed ones are history,
readable on the item's page); each row is the current version.
"""

from collections.abc import Iterator
from typing import Any

from shuangsuiji.accounts.selectors import readable_department_ids
from shuangsuiji.catalog.importing import COLUMNS, item_row
from shuangsuiji.catalog.selectors import items_for_export
from shuangsuiji.common.errors import NotAllowed
from shuangsuiji.imports.framework import actor_is_cli, register_exporter


class ItemExporter:
    kind = "items"
    label = "抽查事项清单"

    def _check(self, *, department, actor) -> None:
        if actor_is_cli(actor) or actor is None:
            return
        if department.pk not in readable_department_ids(user=actor):
            raise NotAllowed(f"您无权导出「{department.name}」的抽查事项清单")

    def headers(self, *, department, actor) -> list[str]:
        self._check(department=department, actor=actor)
        return [c.header for c in COLUMNS]

    def rows(self, *, department, actor) -> Iterator[list[Any]]:
        self._check(department=department, actor=actor)
        for number, item in enumerate(
            items_for_export(department=department).iterator(chunk_size=500), start=1
        ):
            row = item_row(item)
            row[0] = number
            yield row


register_exporter("items", ItemExporter())
