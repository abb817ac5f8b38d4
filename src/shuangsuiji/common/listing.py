"""Lists that scale (issue 16 第 4 项): page numbers with the total, sortable columns, the
filters kept in the URL, and the very list on screen as an xlsx (``list_export``).

A view describes its columns once (``Column``: the ``?sort=`` key, the header, the ORM
ordering); ``listing`` sorts, pages and builds the links; the templates show them through
``common/_thead.html`` and ``common/_pager.html``. A list that can hold a million rows
(the entity library) passes ``cap``: it counts at most that many rows and pages through
them (deeper than that, a filter narrows the list — the header says so)."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest
from django.utils import timezone

from shuangsuiji.common.errors import ValidationFailed

PAGE_SIZE = 50
SORT = "sort"
EXPORT = "xlsx"
# An export is built while the user waits: 100,000 rows take a few seconds (benchmarks).
EXPORT_MAX_ROWS = 100_000


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    order: tuple[str, ...] = ()  # ORM ordering, ascending; empty: not sortable
    nowrap: bool = False  # codes, dates and numbers never wrap one character per line


@dataclass(frozen=True)
class Header:
    label: str
    url: str
    sortable: bool
    aria_sort: str  # "ascending" / "descending" / "none" ("" when not sortable)
    nowrap: bool

    @property
    def arrow(self) -> str:
        return {"ascending": "▲", "descending": "▼"}.get(self.aria_sort, "")


class CappedPaginator(Paginator):
    """A paginator over at most ``cap`` rows (a substring filter over a million rows would
    otherwise be read twice on every page — once for the page, once for the count). With a
    cap, one query reads the ordered primary keys of the first ``cap + 1`` rows; the count,
    the page numbers and the page's keys come from that list, and the page's rows are
    fetched by key, in its order."""

    def __init__(self, object_list, per_page: int, *, cap: int | None = None) -> None:
        super().__init__(object_list, per_page)
        self.cap = cap

    @cached_property
    def _keys(self) -> list:
        rows: Any = self.object_list
        return list(rows.values_list("pk", flat=True)[: (self.cap or 0) + 1])

    @cached_property
    def count(self) -> int:
        if self.cap is None:
            return super().count
        return len(self._keys)

    @property
    def capped(self) -> bool:
        return self.cap is not None and self.count > self.cap

    @cached_property
    def num_pages(self) -> int:
        rows = min(self.count, self.cap) if self.cap is not None else self.count
        return max(1, -(-rows // self.per_page))

    def page(self, number):
        if self.cap is None:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        keys = self._keys[bottom : min(bottom + self.per_page, self.cap)]
        rows: Any = self.object_list
        by_key = {obj.pk: obj for obj in rows.order_by().filter(pk__in=keys)}
        return Page([by_key[k] for k in keys if k in by_key], number, self)


@dataclass
class Listing:
    page: Page
    headers: list[Header]
    sort: str
    query: str  # filters and sort, no page: for the pager
    filter_query: str  # filters only: for the headers (a new sort starts on page 1)

    @property
    def total(self) -> int:
        paginator = self.page.paginator
        return min(paginator.count, paginator.cap) if paginator.cap is not None else paginator.count  # type: ignore[attr-defined]

    @property
    def capped(self) -> bool:
        return bool(getattr(self.page.paginator, "capped", False))

    @property
    def page_links(self) -> list[tuple[int | None, str]]:
        """Page numbers around the current one, first and last, "…" as ``None``."""
        out: list[tuple[int | None, str]] = []
        for n in self.page.paginator.get_elided_page_range(
            self.page.number, on_each_side=2, on_ends=1
        ):
            if isinstance(n, int):
                out.append((n, self.url(page=n)))
            else:
                out.append((None, ""))
        return out

    @property
    def prev_url(self) -> str:
        return self.url(page=self.page.number - 1) if self.page.has_previous() else ""

    @property
    def next_url(self) -> str:
        return self.url(page=self.page.number + 1) if self.page.has_next() else ""

    def url(self, *, page: int) -> str:
        return "?" + "&".join(p for p in (self.query, f"page={page}") if p)

    @property
    def export_url(self) -> str:
        return "?" + "&".join(p for p in (self.query, f"format={EXPORT}") if p)


def _query(request: HttpRequest, drop: Iterable[str]) -> str:
    dropped = set(drop)
    pairs = [
        (k, v)
        for k in request.GET
        if k not in dropped
        for v in request.GET.getlist(k)
        if v not in ("", None)
    ]
    return urlencode(pairs)


def sort_key(request: HttpRequest, columns: Sequence[Column], default: str) -> str:
    """The ``?sort=`` asked for when it names a sortable column ("-" for descending),
    else ``default``."""
    asked = (request.GET.get(SORT) or "").strip()
    keys = {c.key for c in columns if c.order}
    return asked if asked.lstrip("-") in keys and asked.count("-") <= 1 else default


def sorted_by(qs: QuerySet, columns: Sequence[Column], sort: str) -> QuerySet:
    """``qs`` in the order of ``sort``, the primary key last so pages never overlap."""
    key, descending = sort.lstrip("-"), sort.startswith("-")
    column = next((c for c in columns if c.key == key and c.order), None)
    if column is None:
        return qs
    fields = [
        f"-{f.lstrip('-')}" if descending != f.startswith("-") else f.lstrip("-")
        for f in column.order
    ]
    return qs.order_by(*fields, "-pk" if descending else "pk")


def listing(
    request: HttpRequest,
    qs: QuerySet,
    *,
    columns: Sequence[Column],
    default_sort: str,
    per_page: int = PAGE_SIZE,
    cap: int | None = None,
) -> Listing:
    sort = sort_key(request, columns, default_sort)
    ordered = sorted_by(qs, columns, sort)
    page = CappedPaginator(ordered, per_page, cap=cap).get_page(request.GET.get("page"))
    filter_query = _query(request, ("page", SORT, "format"))
    headers = []
    for c in columns:
        if not c.order:
            headers.append(Header(c.label, "", False, "", c.nowrap))
            continue
        state = "none"
        if sort.lstrip("-") == c.key:
            state = "descending" if sort.startswith("-") else "ascending"
        flip = f"-{c.key}" if state == "ascending" else c.key
        url = "?" + "&".join(p for p in (filter_query, f"{SORT}={flip}") if p)
        headers.append(Header(c.label, url, True, state, c.nowrap))
    query = "&".join(
        p for p in (filter_query, f"{SORT}={sort}" if sort != default_sort else "") if p
    )
    return Listing(page, headers, sort, query, filter_query)


def wants_export(request: HttpRequest) -> bool:
    return request.GET.get("format") == EXPORT


def export_size_check(*, qs: QuerySet) -> None:
    """Refuses an export of more than ``EXPORT_MAX_ROWS`` rows, before anything is built."""
    limit = EXPORT_MAX_ROWS
    if qs.order_by().values("pk")[: limit + 1].count() > limit:
        raise ValidationFailed(
            f"当前列表超过 {limit:,} 条，不能一次导出：请用筛选条件缩小范围后再导出"
        )


def list_export(
    *,
    qs: QuerySet,
    title: str,
    headers: Sequence[str],
    row: Callable[[Any], Sequence[Any]],
    chunk: int = 2000,
) -> FileResponse:
    """The list as shown (its filters and order) in an xlsx, one row per object, built in
    constant memory. ``row`` gives the cells: personal numbers masked as on the page. More
    than ``EXPORT_MAX_ROWS`` rows is refused, before anything is written."""
    export_size_check(qs=qs)
    from shuangsuiji.common.xlsx import book_open_file

    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 — handed to FileResponse
    book = book_open_file(out)
    sheet = book.add_worksheet(title[:31])
    head = book.add_format({"bold": True, "bg_color": "#eef1f4", "border": 1})
    day = book.add_format({"num_format": "yyyy年m月d日"})
    moment = book.add_format({"num_format": "yyyy年m月d日 hh:mm"})
    tz = timezone.get_current_timezone()
    for col, text in enumerate(headers):
        sheet.write_string(0, col, text, head)
        sheet.set_column(col, col, max(10, min(40, len(text) * 2 + 4)))
    sheet.freeze_panes(1, 0)
    r = 0
    for r, obj in enumerate(qs.iterator(chunk_size=chunk), start=1):
        for col, value in enumerate(row(obj)):
            if value is None or value == "":
                continue
            if isinstance(value, dt.datetime):
                sheet.write_datetime(
                    r, col, timezone.localtime(value, tz).replace(tzinfo=None), moment
                )
            elif isinstance(value, dt.date):
                sheet.write_datetime(r, col, dt.datetime.combine(value, dt.time()), day)
            elif isinstance(value, bool):
                sheet.write_string(r, col, "是" if value else "否")
            elif isinstance(value, int | float):
                sheet.write_number(r, col, value)
            elif isinstance(value, Decimal):
                sheet.write_number(r, col, float(value))
            else:
                sheet.write_string(r, col, str(value))
    if r:
        sheet.autofilter(0, 0, r, len(headers) - 1)
    book.close()
    out.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(
        out,
        as_attachment=True,
        filename=f"{title}-{stamp}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@dataclass(frozen=True)
class ListSpec:
    """One staff list, said once: its columns and default order, and its export (the sheet's
    title, headers, and the cells of one row)."""

    columns: Sequence[Column]
    default_sort: str
    title: str
    headers: Sequence[str]
    row: Callable[[Any], Sequence[Any]]
    per_page: int = PAGE_SIZE
    cap: int | None = None


def list_page(
    request: HttpRequest,
    qs: QuerySet,
    spec: ListSpec,
    *,
    for_export: Callable[[QuerySet], QuerySet] | None = None,
) -> Listing | FileResponse:
    """The page of the list — or, with ``?format=xlsx``, the whole list as shown (its filters
    and order; ``for_export`` adds what the rows read, e.g. ``prefetch_related``)."""
    if wants_export(request):
        ordered = sorted_by(qs, spec.columns, sort_key(request, spec.columns, spec.default_sort))
        return list_export(
            qs=for_export(ordered) if for_export else ordered,
            title=spec.title,
            headers=spec.headers,
            row=spec.row,
        )
    return listing(
        request,
        qs,
        columns=spec.columns,
        default_sort=spec.default_sort,
        per_page=spec.per_page,
        cap=spec.cap,
    )
