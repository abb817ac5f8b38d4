"""API of the documents (/api/v1/documents/): a visit's document as PDF once numbered, the
numbering of it (签发), and a task's case file — the same services as the pages."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.utils import timezone
from ninja import Field, Router, Schema

from shuangsuiji.common.api import READ_ERRORS, WRITE_ERRORS
from shuangsuiji.documents import visit_docs
from shuangsuiji.documents.layout import document_pdf

router = Router(tags=["文书"])

SLUGS = "notice 检查通知书 / site-record 现场检查记录 / rectify-order 责令改正通知书 / result-letter 抽查检查结果告知书"


class IssuedOut(Schema):
    kind: str
    number: str = Field(description="文号")
    issued_on: dt.date = Field(description="成文日期")
    pdf_url: str


def _visit(request, visit_id: int):
    from shuangsuiji.inspection.selectors import visit_get

    return visit_get(user=request.user, pk=visit_id)


@router.post(
    "/visits/{visit_id}/{slug}/issue",
    response={200: IssuedOut, **WRITE_ERRORS},
    url_name="documents_issue",
    summary=f"签发（编号）一户检查的文书；已签发的返回原文号。文书：{SLUGS}",
)
def issue(request, visit_id: int, slug: str):
    visit = _visit(request, visit_id)
    doc = visit_docs.doc_for(slug)
    numbered = visit_docs.issue(
        doc=doc, visit=visit, actor=request.user, today=timezone.localdate()
    )
    return IssuedOut(
        kind=numbered.kind,
        number=numbered.number,
        issued_on=numbered.issued_on,
        pdf_url=f"/api/v1/documents/visits/{visit.pk}/{slug}/pdf",
    )


@router.get(
    "/visits/{visit_id}/{slug}/pdf",
    response={200: None, **READ_ERRORS},
    url_name="documents_pdf",
    summary="已签发文书的 PDF（未签发时 404 并说明）",
)
def pdf(request, visit_id: int, slug: str):
    visit = _visit(request, visit_id)
    doc = visit_docs.doc_for(slug)
    body = document_pdf(visit_docs.document(doc=doc, visit=visit))
    response = HttpResponse(body, content_type="application/pdf")
    response["Cache-Control"] = "private, no-store"
    return response
