"""No mobile number or 身份证号 anywhere on the public site.

A dataset where every account, inspector, entity contact and objection applicant has known
personal numbers; then a crawl from /public/ with the test client following every link
under /public/ (draw pages and downloads included; xlsx files are unzipped and their XML
scanned). No known number may appear, nor anything shaped like a mobile number or a
身份证号. The crawl must reach the pages that carry the data, or the test proves nothing.
"""

import io
import re
import zipfile
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import reverse

from shuangsuiji.accounts.models import User
from shuangsuiji.disclosure.models import PublishedResult
from shuangsuiji.draw.models import Draw
from shuangsuiji.registry.models import Entity, Inspector
from tests.factories.portal import PENDING_CONTACT, published_plan, published_scene

pytestmark = pytest.mark.django_db

# A standalone mobile number, and an 18-character 身份证号 with a plausible birth date (so
# that a 统一社会信用代码, public by design, is not taken for one).
MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
    r"(?![0-9A-Za-z])"
)
MAX_PAGES = 400


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "form" and (dict(attrs).get("method") or "get").lower() != "get":
            return  # a POST target is not a page
        for name, value in attrs:
            if name in ("href", "src", "action", "hx-get") and value:
                self.links.append(value)


def _texts(response) -> list[str]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body[:2] == b"PK":  # xlsx: scan every part of the archive
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            return [z.read(name).decode("utf-8", "replace") for name in z.namelist()]
    return [body.decode("utf-8", "replace")]


def _crawl(client) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {}
    queue = deque(["/public/"])
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        texts = _texts(response)
        seen[url] = texts
        if response.get("Content-Type", "").startswith("text/html"):
            parser = _Links()
            parser.feed(texts[0])
            for link in parser.links:
                target = urljoin(url, link)
                parts = urlsplit(target)
                if parts.netloc and parts.netloc != "testserver":
                    continue
                path = parts.path + (f"?{parts.query}" if parts.query else "")
                if parts.path.startswith("/public/") and path not in seen:
                    queue.append(path)
    return seen


def test_no_personal_number_appears_anywhere_on_the_public_site(client):
    pub = published_scene()
    scene = pub.scene
    plan = published_plan(department=scene.crew.dept, items=scene.items)
    Entity.objects.filter(department=scene.crew.dept).update(
        contact_phone="13611112222", legal_representative="法人甲"
    )
    # Numbers typed into free text in the spellings people use (issue 11 item 2), stored
    # directly as text from before the input rules would be: every one must be masked.
    variants = [
        "+8613912345678",
        "139 1234 5678",
        "137-1234-5678",
        "１３６１２３４５６７８",
        "350881 19850101 1234",
        "350881850101123",
    ]
    text = "；".join(f"联系{v}" for v in variants)
    PublishedResult.objects.filter(pk=pub.correction.pk).update(
        summary=f"现场检查。{text}", followup_text=f"责令整改：{text}", correction_reason=text
    )
    plan.rows.update(target_desc=f"燃气经营企业（联系人{variants[1]}）", lead_unit=text)
    Draw.objects.filter(pk=scene.draw.pk).update(
        seed_sources=f"纪检监督员掷骰；{text}", witnesses=f"王监督、{variants[0]}"
    )
    # Follow-up facts appended to the public result (issue 14 第 4 项): internal notes and
    # a case number typed with a mobile number in it.
    import datetime as dt

    from shuangsuiji.inspection.models import FollowUp

    FollowUp.objects.create(
        version_id=pub.correction.version_id,
        kind="rectify",
        status="done",
        recheck_on=dt.date(2024, 4, 20),
        recheck_note=f"复查：{text}",
    )
    FollowUp.objects.create(
        version_id=pub.correction.version_id,
        kind="case",
        case_no=f"松建罚〔2024〕1号 {variants[2]}",
        penalty_decided_on=dt.date(2024, 4, 25),
        detail=text,
    )
    known = {PENDING_CONTACT, pub.answered.contact, "13611112222", *variants}
    known |= {n for pair in User.objects.values_list("mobile", "id_number") for n in pair if n}
    known |= {n for pair in Inspector.objects.values_list("mobile", "id_number") for n in pair if n}
    assert len(known) > 10 and "13812345678" in known

    pages = _crawl(client)

    leaks = []
    for url, texts in pages.items():
        for text in texts:
            leaks += [(url, n) for n in known if n in text]
            leaks += [(url, m) for m in MOBILE.findall(text)]
            leaks += [(url, m) for m in ID_NUMBER.findall(text)]
    assert leaks == []

    # The crawl reached every page that carries the data (so the test can fail).
    visited = set(pages)
    assert reverse("portal:result", args=[pub.correction.pk]) in visited
    assert reverse("portal:result", args=[pub.superseded.pk]) in visited
    assert reverse("portal:entity", args=[pub.correction.credit_code]) in visited
    correction_page = " ".join(pages[reverse("portal:result", args=[pub.correction.pk])])
    assert "复查：已整改到位" in correction_page and "松建罚〔2024〕1号" in correction_page
    assert reverse("portal:bulletin", args=[scene.task.code]) in visited
    assert reverse("portal:objections") in visited
    assert any(pub.answered.number in t for t in pages[reverse("portal:objections")])
    assert any(u.startswith(reverse("portal:results_csv")) for u in visited)
    xlsx = [u for u in visited if u.startswith(reverse("portal:results_xlsx"))]
    assert xlsx and any("sheet1.xml" in t or "<sheetData>" in t for u in xlsx for t in pages[u])
    assert reverse("public_draw:task", args=[scene.task.code]) in visited
    assert reverse("public_draw:draw", args=[scene.task.code, scene.draw.number]) in visited
    assert any(
        u.startswith(f"/public/draw/{scene.task.code}/{scene.draw.number}/manifest")
        for u in visited
    )
    assert reverse("portal:items") in visited and any(
        "/public/plans/" in u and u != "/public/plans/" for u in visited
    )


def test_the_scan_would_catch_a_leak():
    """The patterns find what they must (a guard against a pattern that matches nothing)."""
    assert MOBILE.findall("电话：13812345678。") == ["13812345678"]
    assert ID_NUMBER.findall("身份证 35088119850612123X 号") == ["35088119850612123X"]
    assert ID_NUMBER.findall("代码 91310117MA1J3Y5X2Q") == []
