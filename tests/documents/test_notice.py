"""检查通知书 (issue 13 第 2 项), read back from the PDF: the department, the number, the
entity, the items and their basis, the window, the team with 执法证号, the office telephone;
numbered once by the office, printed again with the same number; others refused."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from shuangsuiji.accounts.choices import Role
from shuangsuiji.documents.models import IssuedDocument
from shuangsuiji.documents.services import letterhead_set
from shuangsuiji.registry.models import Inspector
from tests import factories
from tests.factories.files import pdf_text_flat as _flat
from tests.factories.inspection import dispatched_scene

pytestmark = pytest.mark.django_db


def test_the_office_issues_the_notice_and_it_reads_back(client, var_dir, tmp_path):
    scene = dispatched_scene(targets=1)
    dept = scene.crew.dept
    admin = factories.user(department=dept, role=Role.DEPT_ADMIN)
    letterhead_set(
        department=dept,
        actor=admin,
        full_name="上海市松江区建设和管理委员会",
        short_name="松建管",
        address="上海市松江区乐都路 xx 号",
        postcode="201600",
        telephone="021-57682316",
    )
    visit = scene.visits[0]
    url = f"/documents/visits/{visit.pk}/notice.pdf"
    Inspector.objects.filter(visit_memberships__visit=visit).update(mobile="13912345678")

    # A team member can read the visit but not number the notice.
    member = scene.members_users(visit)[0]
    client.force_login(member)
    page = client.get(url).content.decode()
    assert "尚未签发" in page and "签发并打印" not in page
    assert client.post(url).status_code == 403
    assert not IssuedDocument.objects.exists()

    client.force_login(scene.crew.operator)
    page = client.get(url).content.decode()
    assert "签发并打印" in page and "松建管检通〔" in page
    response = client.post(url)
    assert response.status_code == 302
    pdf = client.get(url)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    issued = IssuedDocument.objects.get()
    text = _flat(pdf.content, tmp_path)
    year = timezone.localdate().year  # the suite's clock
    for expected in [
        "上海市松江区建设和管理委员会",
        "检查通知书",
        f"松建管检通〔{year}〕第1号",
        visit.entity.name,
        visit.lead_task.code,
        f"{visit.window_start.year}年{visit.window_start.month}月{visit.window_start.day}日",
        "021-57682316",
        *[i.current.name for i in scene.items],
        *[m.inspector.cert_no for m in visit.members.all()],
        *[m.inspector.name for m in visit.members.all()],
    ]:
        assert re.sub(r"\s+", "", expected) in text, expected
    pages = re.findall(r"第(\d+)页共(\d+)页", text)  # the footer on every page
    assert pages and [int(p) for p, _ in pages] == list(range(1, int(pages[-1][1]) + 1))
    for m in visit.members.all():  # 亮证: names and 执法证号, never a mobile
        assert m.inspector.mobile and m.inspector.mobile not in text
    # Printed again (another day, another person): the same number and date.
    client.force_login(member)
    again = _flat(client.get(url).content, tmp_path)
    assert issued.number.replace(" ", "") in again
    assert IssuedDocument.objects.count() == 1
    assert (
        'href="/documents/visits/' in client.get(f"/inspection/visits/{visit.pk}/").content.decode()
    )


def test_someone_who_cannot_see_the_visit_gets_nothing(client, var_dir):
    scene = dispatched_scene(targets=1)
    stranger = factories.user(department=factories.department(), role=Role.OPERATOR)
    client.force_login(stranger)
    url = f"/documents/visits/{scene.visits[0].pk}/notice.pdf"
    assert client.get(url).status_code == 404 and client.post(url).status_code in (302, 404)
    assert not IssuedDocument.objects.exists()


def test_the_result_letter_and_the_rectification_order_read_back(client, var_dir, tmp_path):
    from shuangsuiji.disclosure.portal_services import objection_deadlines
    from tests.factories import disclosure as fd

    formed = fd.formed_scene(targets=1)  # 责令改正 by 2024-04-15
    visit = formed.scene.visits[0]
    client.force_login(formed.operator)
    base = f"/documents/visits/{visit.pk}"
    page = client.get(f"/inspection/visits/{visit.pk}/").content.decode()
    assert "result-letter.pdf" in page and "rectify-order.pdf" in page

    assert client.post(f"{base}/result-letter.pdf").status_code == 302
    letter = client.get(f"{base}/result-letter.pdf")
    assert letter.status_code == 200
    text = _flat(letter.content, tmp_path)
    issued = IssuedDocument.objects.get(kind="result_letter")
    due = objection_deadlines(received_on=issued.issued_on)
    for expected in [
        "抽查检查结果告知书",
        issued.number,
        visit.entity.name,
        "发现问题已责令改正",
        "配电箱未设置漏电保护器",
        "整改期限至2024年4月15日",
        "20个工作日内进行复核",
        f"{due.review_by.year}年{due.review_by.month}月{due.review_by.day}日",
        f"{due.answer_by.year}年{due.answer_by.month}月{due.answer_by.day}日",
    ]:
        assert expected in text, expected
    # The follow-up's free text names a person's mobile: masked, as on every staff page.
    assert "13912345678" not in text and "139****5678" in text

    assert client.post(f"{base}/rectify-order.pdf").status_code == 302
    order = _flat(client.get(f"{base}/rectify-order.pdf").content, tmp_path)
    number = IssuedDocument.objects.get(kind="rectify_order").number
    for expected in [
        "责令改正通知书",
        number,
        "2024年4月15日前改正",
        "配电箱未设置漏电保护器",
        "复查",
    ]:
        assert expected in order, expected
    # A visit without a formed result has no letter yet: said, not a 500.
    other = dispatched_scene(targets=1)
    client.force_login(other.crew.operator)
    response = client.get(f"/documents/visits/{other.visits[0].pk}/result-letter.pdf")
    assert response.status_code == 404 and "尚未形成" in response.content.decode()


def test_the_site_record_lists_points_evidence_and_signatures(
    client, var_dir, media_root, tmp_path
):
    import hashlib

    from django.core.files.base import ContentFile

    from shuangsuiji.inspection import services as inspection
    from tests.factories.inspection import formed

    scene = dispatched_scene(targets=1)
    visit = scene.visits[0]
    url = f"/documents/visits/{visit.pk}/site-record.pdf"
    client.force_login(scene.crew.operator)
    response = client.get(url)
    assert response.status_code == 404 and "检查尚未开始" in response.content.decode()

    formed(scene, visit)  # started, every point recorded, signed by the team, approved
    photo = b"\x89PNG\r\n\x1a\n" + b"demo" * 100
    inspection.evidence_upload(  # 补充材料 after the signatures (a described photo)
        visit=visit,
        upload=ContentFile(photo, name="现场照片.png"),
        kind="",
        actor=scene.crew.operator,
        description="经营场所门口",
    )
    assert client.post(url).status_code == 302
    text = _flat(client.get(url).content, tmp_path)
    number = IssuedDocument.objects.get(kind="site_record").number
    for expected in [
        "现场检查记录",
        number,
        visit.entity.name,
        "现场核查",
        "符合",
        "现场照片.png",
        hashlib.sha256(photo).hexdigest()[:8],
        "被检查对象负责人",
        *[m.inspector.cert_no for m in visit.members.all()],
    ]:
        assert expected in text, expected
    assert hashlib.sha256(photo).hexdigest() not in text  # the short form only


def test_the_api_issues_and_serves_the_same_documents(client, var_dir, tmp_path):
    scene = dispatched_scene(targets=1)
    visit = scene.visits[0]
    client.force_login(scene.members_users(visit)[0])  # a team member may read, not issue
    assert client.post(f"/api/v1/documents/visits/{visit.pk}/notice/issue").status_code == 403
    missing = client.get(f"/api/v1/documents/visits/{visit.pk}/notice/pdf")
    assert missing.status_code == 404 and "尚未签发" in missing.json()["detail"]
    client.force_login(scene.crew.operator)
    issued = client.post(f"/api/v1/documents/visits/{visit.pk}/notice/issue")
    assert issued.status_code == 200 and issued.json()["number"].endswith("第1号")
    again = client.post(f"/api/v1/documents/visits/{visit.pk}/notice/issue").json()
    assert again["number"] == issued.json()["number"]  # once
    pdf = client.get(issued.json()["pdf_url"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert issued.json()["number"].replace(" ", "") in _flat(pdf.content, tmp_path)
    assert client.get(f"/api/v1/documents/visits/{visit.pk}/nonsense/pdf").status_code == 404


def test_late_notices_are_said_and_records_carry_the_inspection_day(
    client, var_dir, tmp_path, time_machine
):
    """A notice issued after its window opened says so before it is issued; the on-site
    record is dated the day it records; the order's refusal names the order."""

    from tests.factories.inspection import formed

    scene = dispatched_scene(targets=1)
    visit = scene.visits[0]
    client.force_login(scene.crew.operator)
    time_machine.move_to(
        dt.datetime.combine(visit.window_start + dt.timedelta(days=5), dt.time(10))
    )
    page = client.get(f"/documents/visits/{visit.pk}/notice.pdf").content.decode()
    assert "检查通知书应在检查前送达" in page
    response = client.get(f"/documents/visits/{visit.pk}/rectify-order.pdf")
    assert response.status_code == 404 and "还不能出具责令改正通知书" in response.content.decode()
    _visit, version = formed(scene, visit)
    time_machine.move_to(
        dt.datetime.combine(visit.window_start + dt.timedelta(days=40), dt.time(10))
    )
    assert client.post(f"/documents/visits/{visit.pk}/site-record.pdf").status_code == 302
    text = _flat(client.get(f"/documents/visits/{visit.pk}/site-record.pdf").content, tmp_path)
    day = version.inspected_on
    assert f"{day.year}年{day.month}月{day.day}日" in text  # the closing date: the inspection's
    numbered = visit.window_start + dt.timedelta(days=40)
    assert (
        f"{numbered.year}年{numbered.month}月{numbered.day}日" not in text
    )  # not the numbering day
