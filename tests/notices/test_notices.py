"""站内消息 and their mail (issue 12 第 2 项): written when a draw is sealed (to its
witnesses), dispatched (to each inspector), fully signed (to the reviewer), an objection
arrives, or a deadline is 3 working days away; mailed through Django's email backend when
configured and wanted."""

import datetime as dt
import subprocess
import sys

import pytest
from django.core import mail
from django.urls import reverse

from shuangsuiji.accounts.choices import Role
from shuangsuiji.cli import main as ssj
from shuangsuiji.disclosure.deadlines import due_soon_notify
from shuangsuiji.disclosure.portal_services import objection_file
from shuangsuiji.disclosure.services import result_publish
from shuangsuiji.draw import services as draw_services
from shuangsuiji.inspection import services as inspection_services
from shuangsuiji.notices.models import Notice, NoticeKind
from shuangsuiji.notices.services import notice_send, notice_setting_set
from tests import factories
from tests.conftest import ssj_env
from tests.factories import disclosure as fd
from tests.factories.ceremony import Crew, pool_for
from tests.factories.inspection import dispatched_scene, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailing(settings):
    settings.NOTICE_EMAIL = True
    settings.NOTICE_MAIL_INLINE = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings


def kinds_of(user):
    return list(Notice.objects.filter(user=user).values_list("kind", flat=True))


def test_sealing_a_draw_tells_its_witnesses_and_nobody_else(var_dir):
    crew = Crew()
    task = crew.task()
    draw_services.draw_commit(
        task=task,
        actor=crew.operator,
        pool=pool_for(task, strata={"all": (1, crew.entities(2))}, inspectors=crew.inspectors(3)),
    )
    notice = Notice.objects.get(user=crew.witness)
    assert notice.kind == NoticeKind.DRAW_SEALED and task.code in notice.title
    assert notice.url == reverse("draw:task", args=[task.pk])
    assert kinds_of(crew.operator) == [] and kinds_of(crew.reviewer) == []


def test_dispatch_tells_each_inspector_how_many_targets_and_signing_tells_the_reviewer(
    var_dir, django_capture_on_commit_callbacks
):
    scene = dispatched_scene(targets=2, inspectors=4)
    for user in scene.inspector_users:
        visits = sum(1 for v in scene.visits if user in scene.members_users(v))
        got = list(Notice.objects.filter(user=user, kind=NoticeKind.DISPATCHED))
        if visits:
            assert len(got) == 1 and f"检查{visits}户" in got[0].body
        else:
            assert got == []
    visit, version = submitted(scene)
    assert not Notice.objects.filter(kind=NoticeKind.SIGNED).exists()
    for user in scene.members_users(visit):
        inspection_services.result_sign(version=version, actor=user)
    signed = Notice.objects.get(kind=NoticeKind.SIGNED)
    assert signed.user == scene.crew.reviewer and visit.entity.name in signed.title


def test_an_objection_tells_the_reviewer_and_mails_him_unless_he_turned_mail_off(
    mailing, var_dir, django_capture_on_commit_callbacks
):
    formed = fd.formed_scene(targets=2)
    reviewer = formed.reviewer
    reviewer.email = "shenhe@example.gov.cn"
    reviewer.save(update_fields=["email"])
    published = [result_publish(version=v, actor=formed.operator) for v in formed.versions]
    with django_capture_on_commit_callbacks(execute=True):
        objection = objection_file(
            published=published[0],
            credit_code=published[0].credit_code,
            applicant="李四",
            contact="13800138000",
            content="检查当日已整改完毕，联系人手机 139 1234 5678。",
            client="test",
        )
    notice = Notice.objects.get(user=reviewer, kind=NoticeKind.OBJECTION)
    assert objection.number in notice.title
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["shenhe@example.gov.cn"] and objection.number in message.subject
    assert "13800138000" not in message.body and "1234 5678" not in message.body
    assert notice.url in message.body
    # Turned off: the message still arrives in the box, no mail.
    notice_setting_set(user=reviewer, email=False)
    with django_capture_on_commit_callbacks(execute=True):
        objection_file(
            published=published[1],
            credit_code=published[1].credit_code,
            applicant="王五",
            contact="021-57820000",
            content="对检查结论有异议。",
            client="test",
        )
    assert Notice.objects.filter(user=reviewer, kind=NoticeKind.OBJECTION).count() == 2
    assert len(mail.outbox) == 1


def test_no_mail_server_means_no_mail(settings, var_dir, django_capture_on_commit_callbacks):
    settings.NOTICE_EMAIL = False
    user = factories.user(department=factories.department("SJJW"), role=Role.OPERATOR)
    user.email = "a@example.gov.cn"
    user.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        notice_send(users=[user], kind=NoticeKind.DEADLINE, title="测试")
    assert Notice.objects.filter(user=user).count() == 1 and mail.outbox == []


def test_deadline_reminders_go_once_per_item_and_due_day(var_dir):
    formed = fd.formed_scene(targets=2)
    # Formed on 2024-03-20; published within 20 working days, due 2024-04-18. Three working
    # days before: 2024-04-15 (Monday).
    written = due_soon_notify(today=dt.date(2024, 4, 15))
    dept_staff = {formed.operator, formed.reviewer, formed.scene.admin}
    got = Notice.objects.filter(kind=NoticeKind.DEADLINE)
    assert written == got.count() == 2 * len(dept_staff)
    assert {n.user for n in got} == dept_staff
    assert all("检查结果公示期限将到" in n.title and "2024年4月18日" in n.body for n in got)
    # Run again the next day: nothing new for the same items.
    assert due_soon_notify(today=dt.date(2024, 4, 16)) == 0
    # And from the shell, as cron would.
    assert ssj(["deadlines", "remind", "--today", "2024-04-17"]) == 0
    assert Notice.objects.filter(kind=NoticeKind.DEADLINE).count() == written
    # The inspectors are not told (not their deadline).
    assert not Notice.objects.filter(
        kind=NoticeKind.DEADLINE, user__in=formed.scene.inspector_users
    ).exists()


def test_the_message_box_is_private_and_marks_read(client, var_dir):
    dept = factories.department("SJJW")
    me = factories.user(department=dept, role=Role.OPERATOR)
    other = factories.user(department=dept, role=Role.OPERATOR)
    (mine,) = notice_send(users=[me], kind=NoticeKind.DEADLINE, title="我的提醒", url="/oversight/")
    (theirs,) = notice_send(users=[other], kind=NoticeKind.DEADLINE, title="别人的提醒")
    client.force_login(me)
    html = client.get(reverse("home")).content.decode()
    assert 'title="未读消息" aria-hidden="true">1</span>' in html
    page = client.get(reverse("notices:list")).content.decode()
    assert "我的提醒" in page and "别人的提醒" not in page
    assert client.get(reverse("notices:open", args=[theirs.pk])).status_code == 404
    response = client.get(reverse("notices:open", args=[mine.pk]))
    assert response.status_code == 302 and response["Location"] == "/oversight/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert 'title="未读消息"' not in client.get(reverse("home")).content.decode()


@pytest.mark.django_db(transaction=True)
def test_mail_goes_through_the_task_queue_and_the_worker(settings, var_dir, tmp_path):
    settings.NOTICE_EMAIL = True
    settings.NOTICE_MAIL_INLINE = False
    user = factories.user(department=factories.department("SJJW"), role=Role.OPERATOR)
    user.email = "caozuo@example.gov.cn"
    user.save(update_fields=["email"])
    notice_send(users=[user], kind=NoticeKind.DEADLINE, title="队列中的提醒", url="/oversight/")
    assert Notice.objects.get(user=user).emailed_at is None
    outbox = tmp_path / "mail"
    env = ssj_env(var_dir)
    env["SSJ_EMAIL_URL"] = f"file://{outbox}"
    subprocess.run(
        [sys.executable, "-m", "shuangsuiji.cli", "worker", "--batch"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    files = list(outbox.iterdir())
    assert len(files) == 1
    text = files[0].read_text()
    assert "caozuo@example.gov.cn" in text and "Subject:" in text
    assert Notice.objects.get(user=user).emailed_at is not None


def test_a_message_is_read_once_its_work_is_done(var_dir):
    # The reviewer's "待审核" message is settled by the approval, the witness's "待见证" by the
    # draw, so the unread count keeps meaning "waiting for me".
    scene = dispatched_scene(targets=1, inspectors=2)
    visit, version = submitted(scene)
    for user in scene.members_users(visit):
        inspection_services.result_sign(version=version, actor=user)
    signed = Notice.objects.get(kind=NoticeKind.SIGNED)
    assert signed.read_at is None
    inspection_services.result_approve(version=version, actor=scene.crew.reviewer)
    signed.refresh_from_db()
    assert signed.read_at is not None
    sealed = Notice.objects.filter(kind=NoticeKind.DRAW_SEALED, user=scene.crew.witness)
    assert sealed.exists() and not sealed.filter(read_at__isnull=True).exists()
