"""Every form field has a label (issue “pages for civil servants and citizens” 第 6 项: “the
withdraw field has no label”): the demo's pages, crawled as each kind of user and as a
citizen on the portal, carry no input, select or textarea without a <label> or aria-label."""

from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from shuangsuiji.accounts.models import User
from tests.factories.html import unlabelled_controls

pytestmark = pytest.mark.django_db

MAX_PAGES = 120  # per user: enough to reach every kind of page the menus lead to
SKIP = ("/admin/", "/accounts/logout", "/api/", "/static/")
USERS = [
    "sj_operator",
    "sj_reviewer",
    "sj_admin",
    "sj_witness",
    "sj_auditor",
    "zp_admin",
    "zp_inspector",
]


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


def _crawl(client, start: str, prefix: str = "/") -> dict[str, list[str]]:
    """url → its unlabelled controls, for the HTML pages reached from ``start``."""
    found: dict[str, list[str]] = {}
    queue, seen = deque([start]), {start}
    per_kind: dict[str, int] = {}
    while queue and len(found) < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith(
            "text/html"
        ):
            continue
        html = response.content.decode()
        found[url] = unlabelled_controls(html)
        parser = _Links()
        parser.feed(html)
        for link in parser.links:
            parts = urlsplit(urljoin(url, link))
            if parts.netloc and parts.netloc != "testserver":
                continue
            path = parts.path
            if not path.startswith(prefix) or path.startswith(SKIP):
                continue
            # One page of each shape is enough: /inspection/visits/12/ stands for all visits.
            kind = "/".join("N" if p.isdigit() else p for p in path.split("/"))
            if path in seen or per_kind.get(kind, 0) >= 2:
                continue
            per_kind[kind] = per_kind.get(kind, 0) + 1
            seen.add(path)
            queue.append(path)
    return found


def test_no_form_field_without_a_label_on_the_staff_pages_or_the_portal(demo, client):
    problems = {}
    pages = 0
    for username in USERS:
        client.force_login(User.objects.get(username=username))
        crawled = _crawl(client, "/")
        pages += len(crawled)
        problems.update({f"{username} {u}": c for u, c in crawled.items() if c})
    client.logout()
    portal = _crawl(client, "/public/", prefix="/public/")
    pages += len(portal)
    problems.update({f"公众 {u}": c for u, c in portal.items() if c})
    assert pages > 150  # the crawl reached the pages, or it proves nothing
    assert not problems, "\n".join(f"{page}: {', '.join(c)}" for page, c in problems.items())
