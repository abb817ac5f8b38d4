"""Staff pages: 我的检查, the list, the visit page through every step, field errors in Chinese,
refusals, the evidence download."""

import pytest

from shuangsuiji.accounts.choices import Role
from shuangsuiji.inspection.choices import VersionStatus, VisitStatus
from shuangsuiji.inspection.models import Evidence, Finding, ResultVersion, Signature
from tests import factories
from tests.factories.html import unlabelled_controls
from tests.factories.inspection import (
    JPEG,
    PDF,
    TODAY,
    dispatched_scene,
    formed,
    in_review,
    started,
    submitted,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene():
    return dispatched_scene()


def _get(client, user, url):
    client.force_login(user)
    return client.get(url)


def _post(client, user, url, data=None, **kw):
    client.force_login(user)
    return client.post(url, data or {}, **kw)


def test_my_visits_page_groups_by_status(client, scene):
    visit = started(scene)
    leader = scene.members_users(visit)[0]
    html = _get(client, leader, "/inspection/mine/").content.decode()
    assert "我的检查" in html and "检查中（1）" in html and visit.entity.name in html
    html = _get(client, scene.crew.witness, "/inspection/mine/").content.decode()
    assert "暂无分派给您的检查" in html


def test_the_staff_list_is_scoped(client, scene):
    r = _get(client, scene.crew.reviewer, "/inspection/")
    assert r.status_code == 200 and all(v.entity.name in r.content.decode() for v in scene.visits)
    outsider = factories.user(department=factories.department(), role=Role.OPERATOR)
    html = _get(client, outsider, "/inspection/").content.decode()
    assert not any(v.entity.name in html for v in scene.visits)
    html = _get(client, scene.crew.reviewer, "/inspection/?status=formed").content.decode()
    assert "没有检查" in html


def test_the_visit_page_before_start_shows_entity_team_items_and_history(client, scene):
    visit = scene.visits[0]
    leader = scene.members_users(visit)[0]
    r = _get(client, leader, f"/inspection/visits/{visit.pk}/")
    html = r.content.decode()
    assert r.status_code == 200
    for text in (
        visit.entity.name,
        visit.entity.uscc,
        "既往监督检查和行政处罚情况",
        "无既往检查结果",
        "开始检查",
        "组长",
        scene.items[0].code,
        "安全生产责任制落实情况",
    ):
        assert text in html, text
    members = list(visit.members.select_related("inspector").order_by("-is_leader"))
    assert html.index(members[0].inspector.cert_no) < html.index(members[1].inspector.cert_no)
    for m in members:  # names and 执法证号 only, never personal numbers
        assert m.inspector.cert_no in html
    assert leader.id_number not in html and leader.mobile not in html


def test_outsiders_get_404_and_other_teams_too(client, scene):
    visit = scene.visits[0]
    other_team = next(u for u in scene.inspector_users if u not in scene.members_users(visit))
    for user in (
        other_team,
        factories.user(department=factories.department(), role=Role.DEPT_ADMIN),
    ):
        r = _get(client, user, f"/inspection/visits/{visit.pk}/")
        assert r.status_code == 404 and "检查不存在或您无权查看" in r.content.decode()
        r = _post(client, user, f"/inspection/visits/{visit.pk}/start/")
        assert r.status_code == 404
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PENDING


def test_start_findings_draft_and_submit_through_the_pages(client, scene):
    visit = scene.visits[0]
    leader, member = scene.members_users(visit)
    r = _post(client, leader, f"/inspection/visits/{visit.pk}/start/")
    assert r.status_code == 302
    visit.refresh_from_db()
    assert (
        visit.status == VisitStatus.IN_PROGRESS
    )  # started today (wall time): window has passed, still allowed
    findings = list(Finding.objects.filter(visit=visit))
    data = {f"o_{f.pk}": "compliant" for f in findings} | {f"n_{f.pk}": "" for f in findings}
    data[f"o_{findings[0].pk}"] = "problem"
    r = _post(client, leader, f"/inspection/visits/{visit.pk}/findings/", data)
    assert r.status_code == 422 and "发现问题时请在说明中写明问题" in r.content.decode()
    data[f"n_{findings[0].pk}"] = "无证上岗"
    assert (
        _post(client, leader, f"/inspection/visits/{visit.pk}/findings/", data).status_code == 302
    )
    assert Finding.objects.get(pk=findings[0].pk).note == "无证上岗"
    draft = {
        "inspected_on": "2024-03-10",
        "conclusion": "rectified",
        "non_cooperation": "",
        "summary": "现场检查",
        "problems": "无证上岗",
        "followups-TOTAL_FORMS": "1",
        "followups-INITIAL_FORMS": "0",
        "followups-0-kind": "rectify",
        "followups-0-rectify_deadline": "2024-03-01",
    }
    r = _post(client, leader, f"/inspection/visits/{visit.pk}/draft/", draft)
    html = r.content.decode()
    assert r.status_code == 422 and "整改期限不能早于检查日期（2024年3月10日）" in html
    draft["followups-0-rectify_deadline"] = "2024-03-31"
    draft["submit"] = "1"
    r = _post(client, leader, f"/inspection/visits/{visit.pk}/draft/", draft)
    assert r.status_code == 302, r.content.decode()[:3000]
    version = ResultVersion.objects.get(result__visit=visit)
    assert version.status == VersionStatus.SIGNING and version.followups.get().kind == "rectify"
    html = _get(client, member, f"/inspection/visits/{visit.pk}/").content.decode()
    assert "签字确认" in html and 'id="sign-form"' in html and 'id="draft-form"' not in html


def test_the_draft_form_shows_field_errors(client, scene):
    visit = started(scene)
    leader = scene.members_users(visit)[0]
    r = _post(
        client,
        leader,
        f"/inspection/visits/{visit.pk}/draft/",
        {
            "inspected_on": "2024-02-01",
            "conclusion": "uncooperative",
            "followups-TOTAL_FORMS": "1",
            "followups-INITIAL_FORMS": "0",
            "followups-0-kind": "transfer",
        },
    )
    html = r.content.decode()
    assert r.status_code == 422
    assert "检查日期不能早于检查期间的开始日期（2024年3月1日）" in html
    assert "须选择不予配合的情形（002 第二十七条）" in html and "请填写移交/移送的单位" in html
    r = _post(
        client,
        leader,
        f"/inspection/visits/{visit.pk}/draft/",
        {"inspected_on": "昨天", "followups-TOTAL_FORMS": "0", "followups-INITIAL_FORMS": "0"},
    )
    assert r.status_code == 422 and "检查日期格式不正确" in r.content.decode()


def test_submit_lists_what_is_missing(client, scene):
    visit = started(scene)
    leader = scene.members_users(visit)[0]
    version = visit.result.versions.get()
    r = _post(client, leader, f"/inspection/versions/{version.pk}/submit/")
    html = r.content.decode()
    assert (
        r.status_code == 422
        and "检查结果不能提交签字确认" in html
        and "检查日期：请填写检查日期" in html
    )
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT


def test_evidence_upload_download_and_refusal_on_the_page(client, scene, media_root):
    visit = started(scene)
    leader = scene.members_users(visit)[0]
    url = f"/inspection/visits/{visit.pk}/evidence/"
    r = _post(client, leader, url, {"kind": "photo", "file": upload("伪装.jpg", PDF)})
    assert r.status_code == 422 and "扩展名与文件内容不符" in r.content.decode()
    assert not Evidence.objects.exists()
    r = _post(
        client, leader, url, {"kind": "", "description": "门头", "file": upload("门头.jpg", JPEG)}
    )
    assert r.status_code == 302
    ev = Evidence.objects.get()
    html = _get(client, scene.crew.operator, f"/inspection/visits/{visit.pk}/").content.decode()
    assert ev.sha256 in html and "门头.jpg" in html and "照片" in html
    # The table shows the fingerprint; the SHA-256 in full is among the technical details.
    table = html[
        html.index('id="evidence-table"') : html.index(
            "</table>", html.index('id="evidence-table"')
        )
    ]
    assert ev.sha256[:8] in table and ev.sha256 not in table
    assert html.index('id="evidence-hashes"') < html.index(ev.sha256)
    r = _get(client, scene.crew.reviewer, f"/inspection/evidence/{ev.pk}/download/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == JPEG
    assert (
        r["Content-Disposition"].startswith("attachment")
        and r["Cache-Control"] == "private, no-store"
    )
    outsider = factories.user(department=factories.department(), role=Role.DEPT_ADMIN)
    assert _get(client, outsider, f"/inspection/evidence/{ev.pk}/download/").status_code == 404
    client.logout()
    assert (
        client.get(f"/inspection/evidence/{ev.pk}/download/").status_code == 302
    )  # to the login page


def test_signing_paper_signing_and_withdrawal_on_the_page(client, scene):
    visit, version = submitted(scene)
    leader, member_user = scene.members_users(visit)
    member = visit.members.get(inspector__user=member_user)
    member.inspector.user = None
    member.inspector.save(update_fields=["user"])
    html = _get(client, leader, f"/inspection/visits/{visit.pk}/").content.decode()
    assert 'id="paper-form"' in html and 'id="withdraw-form"' in html and "无登录账号" in html
    assert 'enctype="multipart/form-data"' in html and "签字页扫描件（JPG、PNG 或 PDF）" in html
    assert unlabelled_controls(html) == []  # the member, the scan and the withdraw reason
    assert '<label for="id_reason">撤回原因</label>' in html
    assert _post(client, leader, f"/inspection/versions/{version.pk}/sign/").status_code == 302
    url = f"/inspection/versions/{version.pk}/sign-paper/"
    refused = _post(client, leader, url, {"member": str(member.pk)})
    assert refused.status_code == 422
    assert "须上传该成员签字的纸质页扫描件" in refused.content.decode()
    assert not Signature.objects.filter(member=member).exists()
    done = _post(client, leader, url, {"member": str(member.pk), "scan": upload("签字.pdf", PDF)})
    assert done.status_code == 302
    version.refresh_from_db()
    sig = Signature.objects.get(member=member)
    assert version.status == VersionStatus.REVIEW and sig.on_paper and sig.scan is not None
    html = _get(client, leader, f"/inspection/visits/{visit.pk}/").content.decode()
    assert f'href="/inspection/evidence/{sig.scan_id}/download/"' in html  # shown on the result


def test_withdraw_on_the_page_opens_a_new_draft(client, scene):
    visit, version = submitted(scene)
    leader = scene.members_users(visit)[0]
    r = _post(
        client, leader, f"/inspection/versions/{version.pk}/withdraw/", {"reason": "补充证据"}
    )
    assert r.status_code == 302
    version.refresh_from_db()
    assert version.status == VersionStatus.RETURNED
    html = _get(client, leader, f"/inspection/visits/{visit.pk}/").content.decode()
    assert "第2版" in html and 'id="draft-form"' in html


def test_review_on_the_page_needs_a_note_to_return(client, scene):
    visit, version = in_review(scene)
    html = _get(client, scene.crew.reviewer, f"/inspection/visits/{visit.pk}/").content.decode()
    assert 'id="approve-form"' in html and 'id="return-form"' in html
    r = _post(
        client, scene.crew.reviewer, f"/inspection/versions/{version.pk}/return/", {"note": ""}
    )
    assert r.status_code == 422 and "请填写退回理由" in r.content.decode()
    member = scene.members_users(visit)[1]
    r = _post(client, member, f"/inspection/versions/{version.pk}/approve/")
    assert r.status_code == 403 and "审核负责人" in r.content.decode()
    r = _post(
        client, scene.crew.reviewer, f"/inspection/versions/{version.pk}/approve/", {"note": "同意"}
    )
    assert r.status_code == 302
    version.refresh_from_db()
    assert version.status == VersionStatus.FORMED


def test_after_forming_the_page_offers_follow_up_and_refuses_edits(client, scene):
    visit, version = formed(scene)
    leader = scene.members_users(visit)[0]
    html = _get(client, leader, f"/inspection/visits/{visit.pk}/").content.decode()
    assert (
        "已形成结果" in html and 'id="draft-form"' not in html and 'id="followup-add-form"' in html
    )
    r = _post(
        client,
        leader,
        f"/inspection/visits/{visit.pk}/draft/",
        {"summary": "改", "followups-TOTAL_FORMS": "0", "followups-INITIAL_FORMS": "0"},
        follow=True,
    )
    assert "检查结果已提交签字/已形成/已公示，不能修改；如需更正请走更正流程" in r.content.decode()
    version.refresh_from_db()
    assert version.summary != "改"
    r = _post(
        client, leader, f"/inspection/versions/{version.pk}/followups/", {"add-kind": "rectify"}
    )
    assert r.status_code == 422 and "责令改正须填写整改期限" in r.content.decode()
    r = _post(
        client,
        leader,
        f"/inspection/versions/{version.pk}/followups/",
        {"add-kind": "case", "add-case_no": "松建立〔2024〕1号"},
    )
    assert r.status_code == 302 and version.followups.count() == 1
    f = version.followups.get()
    r = _post(
        client,
        leader,
        f"/inspection/followups/{f.pk}/penalty/",
        {f"f{f.pk}-penalty_decided_on": "2099-01-01"},
    )
    assert r.status_code == 422 and "处罚决定日期不能晚于今天" in r.content.decode()
    r = _post(
        client,
        leader,
        f"/inspection/followups/{f.pk}/penalty/",
        {f"f{f.pk}-penalty_decided_on": TODAY.isoformat()},
    )
    assert r.status_code == 302
    f.refresh_from_db()
    assert f.penalty_decided_on == TODAY and f.case_no == "松建立〔2024〕1号"


def test_the_nav_opens_the_list_each_role_works_from(client, scene):
    # Issue 12 第 6 项: office staff open the department's list, inspectors their own visits.
    html = _get(client, scene.crew.operator, "/inspection/mine/").content.decode()
    assert '<a href="/inspection/">检查' in html
    html = _get(client, scene.inspector_users[0], "/inspection/").content.decode()
    assert '<a href="/inspection/mine/">检查' in html


def test_a_formed_visit_offers_supplementary_evidence_marked_as_added_later(
    client, scene, media_root
):
    visit, _version = formed(scene)
    leader = scene.members_users(visit)[0]
    page = _get(client, leader, f"/inspection/visits/{visit.pk}/").content.decode()
    assert "补充证据材料" in page and "不改变已签字确认的检查结果" in page
    url = f"/inspection/visits/{visit.pk}/evidence/"
    r = _post(
        client, leader, url, {"kind": "photo", "description": "", "file": upload("复查.jpg", JPEG)}
    )
    assert r.status_code == 422 and "须在“说明”中写明用途" in r.content.decode()
    assert not Evidence.objects.exists()
    r = _post(
        client,
        leader,
        url,
        {"kind": "photo", "description": "复查现场照片", "file": upload("复查.jpg", JPEG)},
    )
    assert r.status_code == 302
    page = _get(client, leader, f"/inspection/visits/{visit.pk}/").content.decode()
    assert "结果形成后补充" in page and "复查现场照片" in page
