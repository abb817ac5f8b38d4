"""Staff pages of the ceremony: each step's page, refusals in Chinese, role checks."""

import pytest

from shuangsuiji.draw.choices import DrawKind, DrawState, SelectionRemedy, SubstitutionStatus
from shuangsuiji.draw.models import Assignment, Draw, Substitution
from shuangsuiji.inspection.models import Visit
from shuangsuiji.planning.choices import TaskStatus
from shuangsuiji.planning.models import TargetClass
from shuangsuiji.registry.choices import EntityStatus
from tests import factories
from tests.factories.ceremony import SEED, Crew

pytestmark = pytest.mark.django_db


@pytest.fixture
def crew():
    return Crew()


def ready_task(crew, *, count=3, entities=6, inspectors=4, capacity=10, code=None, **kw):
    """A task whose real pool (draw.pool.task_pool) has ``entities`` drawable targets,
    one deregistered (excluded with its reason) and ``inspectors`` people."""
    task = crew.task(capacity=capacity, code=code, **kw)
    TargetClass.objects.create(task=task, code="all", name="全部对象", count=count)
    ents = crew.entities(entities)
    gone = crew.entities(1, status=EntityStatus.DEREGISTERED, name="上海已注销建筑有限公司")[0]
    return task, ents, crew.inspectors(inspectors), gone


def login(client, user):
    client.force_login(user)
    return client


def page(client, task):
    return client.get(f"/draw/tasks/{task.pk}/").content.decode()


def commit(client, crew, task) -> Draw:
    login(client, crew.operator).post(f"/draw/tasks/{task.pk}/commit/")
    return Draw.objects.get(task=task, state=DrawState.COMMITTED)


def seed(client, crew, draw, **overrides):
    data = {
        "seed_text": SEED,
        "sources": "纪检监督员现场掷骰20次",
        "witness_users": [str(crew.witness.pk)],
        "witness_other": "张见证",
    }
    data.update(overrides)
    return login(client, crew.witness).post(f"/draw/{draw.pk}/seed/", data)


def drawn(client, crew, **kw):
    task, ents, insp, gone = ready_task(crew, **kw)
    draw = commit(client, crew, task)
    seed(client, crew, draw)
    draw.refresh_from_db()
    return task, draw, ents, insp


def test_the_task_page_offers_only_the_commit_before_anything_is_frozen(client, crew):
    task, *_ = ready_task(crew)
    html = page(login(client, crew.operator), task)
    assert 'id="commit-button"' in html
    assert (
        "seed-form" not in html and "confirm-button" not in html and "dispatch-button" not in html
    )


def test_commit_freezes_the_pool_and_shows_c_strata_and_the_excluded_list_with_reasons(
    client, crew
):
    task, _ents, _insp, gone = ready_task(crew)
    draw = commit(client, crew, task)
    task.refresh_from_db()
    assert task.status == TaskStatus.COMMITTED
    html = page(client, task)
    # The page names the class and shows C's fingerprint; C in full sits in 技术细节.
    assert (
        f'id="manifest-c" title="名单摘要 C 的前8位，完整值见“技术细节”">{draw.manifest_sha256[:8]}<'
        in html
    )
    assert f'<dd class="digest" id="manifest-c-full">{draw.manifest_sha256}</dd>' in html
    assert html.index("<summary>技术细节</summary>") < html.index(draw.manifest_sha256)
    assert "<td>全部对象</td><td>3</td>" in html and "<td>all</td>" not in html
    assert gone.name in html and "注销" in html
    assert 'id="seed-form"' in html and "commit-button" not in html and "confirm-button" not in html


def test_a_witness_enters_the_seed_and_the_results_appear_in_selection_order(client, crew):
    task, draw, *_ = drawn(client, crew)
    assert draw.state == DrawState.DRAWN
    assert draw.seed_text == SEED
    assert draw.witnesses == f"{crew.witness}、张见证（代录）"
    assert draw.seeded_by == crew.witness
    html = page(login(client, crew.operator), task)
    sels = list(draw.selections.order_by("rank"))
    positions = [html.index(s.target_id, html.index('id="result-table"')) for s in sels]
    assert positions == sorted(positions) and len(sels) == 3
    assert "组长" in html and 'id="confirm-button"' in html and "seed-form" not in html


def test_scores_and_k_sit_in_the_technical_details_not_in_the_result_table(client, crew):
    task, draw, *_ = drawn(client, crew)
    html = page(login(client, crew.operator), task)
    table = html[
        html.index('id="result-table"') : html.index("</table>", html.index('id="result-table"'))
    ]
    assert "得分" not in table and "<td>全部对象</td>" in table
    scores = html[html.index('<details class="tech" id="scores">') :]
    for s in draw.selections.all():
        assert s.score not in table and s.score in scores
    assert html.rindex("<summary>技术细节</summary>", 0, html.index(draw.key_hex)) > html.index(
        'id="step-seed"'
    )


def test_the_seed_is_kept_verbatim_with_spaces_and_line_breaks(client, crew):
    task, _e, _i, _g = ready_task(crew)
    draw = commit(client, crew, task)
    seed(client, crew, draw, seed_text="  骰子 3 1 4\r\n1 5 9  ")
    draw.refresh_from_db()
    assert draw.seed_text == "  骰子 3 1 4\n1 5 9  "


def test_a_seed_without_witnesses_is_refused_naming_the_field_and_changes_nothing(client, crew):
    task, _e, _i, _g = ready_task(crew)
    draw = commit(client, crew, task)
    # Entered by the operator, nobody confirmed present and no name given.
    response = login(client, crew.operator).post(
        f"/draw/{draw.pk}/seed/",
        {"seed_text": SEED, "sources": "掷骰", "witness_users": [], "witness_other": ""},
    )
    assert response.status_code == 422
    assert "请填写见证人" in response.content.decode()
    draw.refresh_from_db()
    assert draw.state == DrawState.COMMITTED and not draw.selections.exists()


def test_a_second_seed_is_refused_in_chinese(client, crew):
    _task, draw, *_ = drawn(client, crew)
    key = draw.key_hex
    response = seed(client, crew, draw, seed_text="另一个种子 1 2 3")
    assert response.status_code == 422
    assert "只能在封存名单之后、摇号之前录入种子" in response.content.decode()
    draw.refresh_from_db()
    assert draw.key_hex == key and draw.seed_text == SEED


def test_a_reviewer_may_not_enter_the_seed(client, crew):
    task, _e, _i, _g = ready_task(crew)
    draw = commit(client, crew, task)
    response = login(client, crew.reviewer).post(
        f"/draw/{draw.pk}/seed/", {"seed_text": SEED, "sources": "掷骰", "witness_other": "王五"}
    )
    assert response.status_code == 403
    assert "纪检监督员" in response.content.decode()
    draw.refresh_from_db()
    assert draw.state == DrawState.COMMITTED


def test_witnesses_are_offered_from_the_departments_witness_role(client, crew):
    task, _e, _i, _g = ready_task(crew)
    commit(client, crew, task)
    stranger = factories.user(
        department=factories.department(), role="witness", full_name="别处的监督员"
    )
    html = page(login(client, crew.operator), task)
    assert str(crew.witness) in html and str(stranger) not in html


def test_confirm_then_dispatch_creates_the_visits(client, crew):
    task, draw, *_ = drawn(client, crew)
    login(client, crew.operator).post(f"/draw/{draw.pk}/confirm/")
    draw.refresh_from_db()
    assert draw.state == DrawState.CONFIRMED
    assert 'id="dispatch-button"' in page(client, task)
    response = client.post(f"/draw/{draw.pk}/dispatch/", follow=True)
    html = response.content.decode()
    assert "新建检查 3 个，并入已有检查 0 个" in html
    task.refresh_from_db()
    assert task.status == TaskStatus.DISPATCHED
    assert Visit.objects.filter(lead_task=task).count() == 3
    assert 'id="visits"' in html and "dispatch-button" not in html


def test_void_needs_a_reason_and_a_new_round_needs_a_new_commit(client, crew):
    task, draw, *_ = drawn(client, crew)
    response = login(client, crew.operator).post(
        f"/draw/{draw.pk}/void/", {"reason": "  "}, follow=True
    )
    assert "作废摇号必须填写理由" in response.content.decode()
    draw.refresh_from_db()
    assert draw.state == DrawState.DRAWN
    client.post(f"/draw/{draw.pk}/void/", {"reason": "名录库漏录两家企业"})
    draw.refresh_from_db()
    task.refresh_from_db()
    assert draw.state == DrawState.VOID and task.status == TaskStatus.DRAFT
    html = page(client, task)
    assert "新一轮摇号" in html and "名录库漏录两家企业" in html
    second = commit(client, crew, task)
    assert second.number == 2 and second.replaces == draw


def test_void_after_confirmation_is_refused(client, crew):
    _task, draw, *_ = drawn(client, crew)
    login(client, crew.operator).post(f"/draw/{draw.pk}/confirm/")
    response = client.post(f"/draw/{draw.pk}/void/", {"reason": "想重新摇"}, follow=True)
    assert "确认锁定后的摇号不能作废" in response.content.decode()
    draw.refresh_from_db()
    assert draw.state == DrawState.CONFIRMED


def test_a_substitution_is_requested_by_the_operator_and_approved_only_by_the_reviewer(
    client, crew
):
    task, draw, *_ = drawn(client, crew)
    member = Assignment.objects.filter(selection__draw=draw, active=True).order_by(
        "selection__rank", "position"
    )[0]
    response = login(client, crew.operator).post(
        f"/draw/assignments/{member.pk}/substitute/", {"reason": ""}, follow=True
    )
    assert "更换执法检查人员必须填写理由" in response.content.decode()
    assert not Substitution.objects.exists()
    client.post(f"/draw/assignments/{member.pk}/substitute/", {"reason": "身体健康状况"})
    sub = Substitution.objects.get()
    response = client.post(
        f"/draw/substitutions/{sub.pk}/decide/", {"decision": "approve"}, follow=True
    )
    assert "审核负责人" in response.content.decode()
    sub.refresh_from_db()
    assert sub.status == SubstitutionStatus.PENDING
    login(client, crew.reviewer).post(
        f"/draw/substitutions/{sub.pk}/decide/", {"decision": "approve"}
    )
    sub.refresh_from_db()
    member.refresh_from_db()
    assert sub.status == SubstitutionStatus.APPROVED and not member.active
    assert sub.line in page(client, task)


def test_an_outsider_gets_404_and_changes_nothing(client, crew):
    task, _e, _i, _g = ready_task(crew)
    draw = commit(client, crew, task)
    outsider = factories.user(department=factories.department(), role="operator")
    login(client, outsider)
    assert client.get(f"/draw/tasks/{task.pk}/").status_code == 404
    assert client.get(f"/draw/{draw.pk}/").status_code == 404
    assert client.get(f"/draw/{draw.pk}/present/").status_code == 404
    assert client.post(f"/draw/{draw.pk}/void/", {"reason": "捣乱"}).status_code == 404
    draw.refresh_from_db()
    assert draw.state == DrawState.COMMITTED


def test_pages_need_a_login(client, crew):
    task, _e, _i, _g = ready_task(crew)
    response = client.get(f"/draw/tasks/{task.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_match_only_ceremony_for_targets_already_drawn(client, crew):
    task, ents, _i, _g = ready_task(crew)
    login(client, crew.operator)
    response = client.post(
        f"/draw/tasks/{task.pk}/match/", {"codes": f"{ents[0].uscc}\n91310000NOSUCH0000"}
    )
    assert response.status_code == 422
    assert "检查对象名录库中没有：91310000NOSUCH0000" in response.content.decode()
    assert not Draw.objects.exists()
    client.post(f"/draw/tasks/{task.pk}/match/", {"codes": f"{ents[0].uscc}\n{ents[1].uscc}"})
    draw = Draw.objects.get(task=task)
    assert draw.kind == DrawKind.MATCH_ONLY
    seed(client, crew, draw)
    draw.refresh_from_db()
    assert sorted(draw.selections.values_list("target_id", flat=True)) == sorted(
        [ents[0].uscc, ents[1].uscc]
    )


def test_an_unstaffed_target_gets_a_direct_assignment_shown_as_not_random(client, crew):
    # 3 inspectors, each at most 1 target, teams of 2: the second target is left unstaffed.
    task, draw, _ents, insp = drawn(client, crew, count=2, inspectors=3, capacity=1)
    login(client, crew.operator).post(f"/draw/{draw.pk}/confirm/")
    unstaffed = draw.selections.get(unstaffed=True)
    html = page(client, task)
    assert "未配齐人员" in html and "封存补充匹配名单" in html and "dispatch-button" not in html
    response = client.post(
        f"/draw/selections/{unstaffed.pk}/direct/",
        {"inspectors": [str(insp[0].pk)], "reason": "人员不足"},
    )
    assert response.status_code == 422 and "不少于2名" in response.content.decode()
    client.post(
        f"/draw/selections/{unstaffed.pk}/direct/",
        {"inspectors": [str(insp[0].pk), str(insp[1].pk)], "reason": "本区域执法检查人员不足"},
    )
    unstaffed.refresh_from_db()
    assert unstaffed.remedy == SelectionRemedy.DIRECT
    html = page(client, task)
    assert "直接委派·非随机" in html and 'id="dispatch-button"' in html


def test_an_unstaffed_target_gets_a_remedy_match_draw_with_its_own_ceremony(client, crew):
    task, draw, _ents, _insp = drawn(client, crew, count=2, inspectors=3, capacity=1)
    login(client, crew.operator).post(f"/draw/{draw.pk}/confirm/")
    task.inspector_capacity = 2  # a wider pool: each inspector may now take a second target
    task.save(update_fields=["inspector_capacity"])
    client.post(f"/draw/{draw.pk}/remedy/")
    remedy = Draw.objects.get(source=draw)
    assert remedy.kind == DrawKind.MATCH_ONLY and remedy.state == DrawState.COMMITTED
    assert "补充匹配" in client.get(f"/draw/{remedy.pk}/").content.decode()
    seed(client, crew, remedy)
    login(client, crew.operator).post(f"/draw/{remedy.pk}/confirm/")
    assert draw.selections.get(unstaffed=True).remedy == SelectionRemedy.MATCH
    assert 'id="dispatch-button"' in page(client, task)


def test_the_presentation_polls_while_waiting_and_shows_the_results_after_the_seed(client, crew):
    task, _e, _i, _g = ready_task(crew)
    draw = commit(client, crew, task)
    login(client, crew.reviewer)  # may watch, may not enter the seed: the stage waits and polls
    html = client.get(f"/draw/{draw.pk}/present/").content.decode()
    assert (
        draw.manifest_sha256 in html
        and 'hx-trigger="every 2s"' in html
        and "等待纪检监督员录入种子" in html
    )
    assert "present-seed-form" not in html
    seed(client, crew, draw)
    login(client, crew.operator)
    state = client.get(f"/draw/{draw.pk}/present/state/").content.decode()
    assert "hx-trigger" not in state and "present-results" in state
    first = draw.selections.order_by("rank")[0]
    assert first.entity.name in state and "animation-delay: 0ms" in state


def test_the_visit_list_shows_which_tasks_a_visit_merges(client, crew):
    login(client, crew.operator)
    tasks = []
    for code in ("T-A", "T-B"):
        task, *_ = (
            ready_task(crew, count=2, entities=0, inspectors=0, code=code)
            if tasks
            else ready_task(crew, count=2, entities=2, inspectors=4, code=code)
        )
        tasks.append(task)
    for task in tasks:
        draw = commit(client, crew, task)
        seed(client, crew, draw)
        login(client, crew.operator).post(f"/draw/{draw.pk}/confirm/")
        client.post(f"/draw/{draw.pk}/dispatch/")
    html = client.get("/draw/visits/?merged=1").content.decode()
    assert "合并 2 项任务" in html and "T-A" in html and "T-B" in html
    assert Visit.objects.count() == 2


def test_the_draw_list_shows_the_users_draws_only(client, crew):
    task, _e, _i, _g = ready_task(crew, code="T-MINE")
    commit(client, crew, task)
    other = Crew()
    theirs, *_ = ready_task(other, code="T-THEIRS")
    commit(client, other, theirs)
    html = login(client, crew.reviewer).get("/draw/").content.decode()
    assert "T-MINE" in html and "T-THEIRS" not in html
