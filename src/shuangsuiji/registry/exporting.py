"""Export of 检查对象名录库 and 执法检查人员名录库 (xlsx or CSV).

The headers are the import headers (``registry.importing``), choices are written as their
Chinese labels and tags by kind, so an exported file re-imports with 0 created / 0 updated.

Personal numbers: 手机号码 and 身份证号 of inspectors and the 联系电话 of entities are
exported only when the exporting user is a 部门管理员 of the department (the command line
counts as admin: whoever runs it operates the server and its database). For everyone else
those *columns are left out*, not masked: a masked value such as ``138****5362`` would be
wrong data if the file were ever imported again, while a missing column leaves the stored
value untouched on import.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from shuangsuiji.common.errors import NotAllowed
from shuangsuiji.imports.engine import chunked
from shuangsuiji.imports.framework import actor_is_cli, actor_may_write, register_exporter
from shuangsuiji.registry.importing import ENTITY_SPECS, INSPECTOR_SPECS, SEQ, TAG_FIELDS
from shuangsuiji.registry.models import Entity, Inspector

PERSONAL = {
    "entities": frozenset({"contact_phone"}),
    "inspectors": frozenset({"mobile", "id_number"}),
}


def _may_read(*, actor: Any, department) -> bool:
    if actor_is_cli(actor):
        return True
    if not getattr(actor, "is_authenticated", False):
        return False
    from shuangsuiji.accounts.selectors import readable_department_ids

    return department.pk in readable_department_ids(user=actor)


def _check_read(*, actor: Any, department) -> None:
    if not _may_read(actor=actor, department=department):
        raise NotAllowed(f"您无权查看「{department.name}」的名录库")


class _SpecExporter:
    kind = ""
    label = ""
    model: type = Entity
    specs: list = []

    def _specs(self, *, department, actor) -> list:
        _check_read(actor=actor, department=department)
        admin = actor_may_write(actor=actor, department=department)
        hidden = frozenset() if admin else PERSONAL[self.kind]
        return [s for s in self.specs if s.name not in hidden]

    def headers(self, *, department, actor) -> list[str]:
        return [
            SEQ.header,
            *(s.column.header for s in self._specs(department=department, actor=actor)),
        ]

    def _cell(self, spec, value: Any) -> Any:
        if value is None:
            return ""
        field = self.model._meta.get_field(spec.name)
        if field.choices and value != "":
            return str(dict(field.flatchoices).get(value, value))
        return value

    def rows(self, *, department, actor) -> Iterator[Sequence[Any]]:
        specs = self._specs(department=department, actor=actor)
        real = [s for s in specs if not s.virtual]
        names = [s.name for s in real]
        qs = (
            self.model.objects.filter(department=department)
            .order_by("id")
            .values_list("id", *names)
        )
        number = 0
        for batch in chunked(qs.iterator(chunk_size=5000), 5000):
            virtual = self._virtual([row[0] for row in batch]) if len(real) != len(specs) else {}
            for row in batch:
                number += 1
                stored = dict(zip(names, row[1:], strict=True))
                extra = virtual.get(row[0], {})
                yield [
                    number,
                    *(
                        extra.get(s.name, "") if s.virtual else self._cell(s, stored[s.name])
                        for s in specs
                    ),
                ]

    def _virtual(self, ids: Sequence[int]) -> dict[int, dict[str, str]]:
        return {}


class EntityExporter(_SpecExporter):
    kind = "entities"
    label = "检查对象名录库"
    model = Entity
    specs = ENTITY_SPECS

    def _virtual(self, ids: Sequence[int]) -> dict[int, dict[str, str]]:
        found: dict[int, dict[str, list[str]]] = {}
        for entity_id, name, kind in Entity.tags.through.objects.filter(
            entity_id__in=ids
        ).values_list("entity_id", "tag__name", "tag__kind"):
            found.setdefault(entity_id, {}).setdefault(kind, []).append(name)
        return {
            pk: {f: "、".join(sorted(by_kind.get(kind, []))) for f, kind in TAG_FIELDS.items()}
            for pk, by_kind in found.items()
        }


class InspectorExporter(_SpecExporter):
    kind = "inspectors"
    label = "执法检查人员名录库"
    model = Inspector
    specs = INSPECTOR_SPECS


register_exporter("entities", EntityExporter())
register_exporter("inspectors", InspectorExporter())
