"""The documents printed from a visit's page: what each is numbered on, who issues it, and
how it reads. One registry, one view (``views.visit_document``), one layout."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Model

from shuangsuiji.accounts.choices import Role
from shuangsuiji.accounts.models import User
from shuangsuiji.accounts.selectors import user_has_role
from shuangsuiji.common.errors import NotAllowed, NotFound
from shuangsuiji.documents.layout import Document
from shuangsuiji.documents.models import IssuedDocument, Letterhead
from shuangsuiji.documents.services import document_issued, document_number, issuer_for
from shuangsuiji.inspection.models import Visit

# Who gives a document its number (and so sends it): the lead department's office.
ISSUERS = (Role.OPERATOR, Role.DEPT_ADMIN, Role.REVIEWER)


@dataclass(frozen=True)
class VisitDoc:
    slug: str
    kind: str
    title: str
    # The row the document is numbered on (the visit, the current result version, a
    # follow-up); NotFound with the reason when there is none yet.
    target: Callable[[Visit], Model]
    build: Callable[[Visit, Model, IssuedDocument, Organ], Document]


@dataclass(frozen=True)
class Organ:
    """The issuing department as printed: name, address line, telephone."""

    name: str
    address: str = ""
    postcode: str = ""
    telephone: str = ""

    @property
    def contact(self) -> str:
        lines = []
        if self.address:
            lines.append(
                f"联系地址：{self.address}" + (f"（邮编 {self.postcode}）" if self.postcode else "")
            )
        if self.telephone:
            lines.append(f"联系电话：{self.telephone}")
        return "\n".join(lines)


def letter(
    visit: Visit, issued: IssuedDocument, organ: Organ, *, title: str, body: list
) -> Document:
    """A document sent to the entity: addressed to it (name and credit code), closed with the
    organ's seal line and its contact."""
    entity = visit.entity
    return Document(
        organ=organ.name,
        title=title,
        number=issued.number,
        issued_on=issued.issued_on,
        addressee=f"{entity.name}（统一社会信用代码：{entity.uscc}）"
        if entity.uscc
        else entity.name,
        body=body,
        contact=organ.contact,
        closing_note="（印章）",
    )


REGISTRY: dict[str, VisitDoc] = {}


def register(doc: VisitDoc) -> VisitDoc:
    REGISTRY[doc.slug] = doc
    return doc


def doc_for(slug: str) -> VisitDoc:
    doc = REGISTRY.get(slug)
    if doc is None:
        raise NotFound("没有这种文书")
    return doc


def organ_for(visit: Visit) -> Organ:
    issuer = issuer_for(department=visit.lead_task.department)
    head = Letterhead.objects.filter(department=issuer).first()
    if head is None:
        return Organ(issuer.name)
    return Organ(head.full_name, head.address, head.postcode, head.telephone)


def can_issue(*, user: User, visit: Visit) -> bool:
    dept = visit.lead_task.department
    return user.is_authenticated and any(
        user_has_role(user=user, role=r, department=dept) for r in ISSUERS
    )


def issued(*, doc: VisitDoc, obj: Model) -> IssuedDocument | None:
    return document_issued(kind=doc.kind, obj=obj)


def issue(*, doc: VisitDoc, visit: Visit, actor: User, today: dt.date) -> IssuedDocument:
    """Numbers the visit's document (once: a reprint keeps number and date)."""
    if not can_issue(user=actor, visit=visit):
        raise NotAllowed(f"只有牵头部门的抽查操作员、审核负责人或部门管理员可以签发{doc.title}")
    return document_number(
        kind=doc.kind,
        obj=doc.target(visit),
        department=visit.lead_task.department,
        actor=actor,
        today=today,
    )


def document(*, doc: VisitDoc, visit: Visit) -> Document:
    obj = doc.target(visit)
    numbered = issued(doc=doc, obj=obj)
    if numbered is None:
        raise NotFound(f"这份{doc.title}尚未签发编号")
    return doc.build(visit, obj, numbered, organ_for(visit))
