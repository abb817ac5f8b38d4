"""Public announcement and verification pages: no login, byte-equal downloads, re-verify."""

import pytest

from shuangsuiji.draw import selectors, services
from shuangsuiji.draw.exporting import draw_export
from shuangsuiji.draw.models import Assignment
from tests.factories.ceremony import SEED, Crew, pool_for

pytestmark = pytest.mark.django_db


def crew_id_numbers(draw) -> str:
    """The 身份证号 of the operator who committed (users carry one in the factories)."""
    return draw.committed_by.id_number


@pytest.fixture
def crew():
    return Crew()


@pytest.fixture
def ceremony(crew):
    """A confirmed draw with one approved substitution, and a void draw before it."""
    task = crew.task(code="SJ-2024-07")
    ents = crew.entities(8, contact_phone="13900001111")
    insp = crew.inspectors(5)
    for i in insp:
        i.mobile, i.id_number = "13712345678", "310101199001011234"
        i.save(update_fields=["mobile", "id_number"])
    gone = crew.entities(1, name="上海排除样本有限公司")[0]

    def pool():
        return pool_for(
            task,
            strata={"all": (3, ents)},
            inspectors=insp,
            excluded=[(gone, "本年度已被抽中2次（上限2次）")],
        )

    first = services.draw_commit(task=task, actor=crew.operator, pool=pool())
    services.draw_void(draw=first, reason="封存后发现名录库漏录企业", actor=crew.operator)
    draw = services.draw_commit(task=task, actor=crew.operator, pool=pool())
    draw = services.draw_seed(
        draw=draw,
        seed_text=SEED,
        sources="纪检监督员现场掷骰20次",
        witnesses=["王监督"],
        actor=crew.witness,
    )
    member = Assignment.objects.filter(selection__draw=draw).order_by(
        "selection__rank", "position"
    )[0]
    sub = services.substitution_request(
        assignment=member, reason="身体健康状况", actor=crew.operator
    )
    services.substitution_decide(substitution=sub, approve=True, actor=crew.reviewer)
    draw = services.draw_confirm(draw=draw, actor=crew.operator)
    return task, first, draw, gone, insp


def test_the_list_and_the_announcement_need_no_login(client, ceremony):
    task, first, draw, gone, _insp = ceremony
    listing = client.get("/public/draw/")
    assert listing.status_code == 200 and task.code in listing.content.decode()
    html = client.get(f"/public/draw/{task.code}/").content.decode()
    assert draw.manifest_sha256 in html and first.manifest_sha256 in html
    assert "封存后发现名录库漏录企业" in html and "已作废" in html
    assert gone.name in html and gone.uscc in html and "本年度已被抽中2次" in html
    assert SEED in html.replace("&#x27;", "'") and draw.key_hex in html
    sub_line = selectors.draw_substitutions(draw=draw).get().line
    assert sub_line in html and "身体健康状况" in html


def test_inspectors_appear_by_name_and_certificate_only(client, ceremony):
    task, _first, draw, _gone, insp = ceremony
    pages = [
        client.get(f"/public/draw/{task.code}/"),
        client.get(f"/public/draw/{task.code}/{draw.number}/"),
        client.get(f"/public/draw/{task.code}/{draw.number}/verify/"),
        client.get(f"/public/draw/{task.code}/{draw.number}/record.json"),
        client.get(f"/public/draw/{task.code}/{draw.number}/result.txt"),
    ]
    leader = Assignment.objects.filter(selection__draw=draw, active=True).order_by(
        "selection__rank", "position"
    )[0]
    assert leader.inspector.cert_no in pages[0].content.decode()
    assert leader.inspector.name in pages[0].content.decode()
    for response in pages:
        body = response.content.decode()
        for secret in (
            "13712345678",
            "13900001111",
            "13812345678",
            "310101199001011234",
            crew_id_numbers(draw),
        ):
            assert secret not in body, response.request["PATH_INFO"]
        assert "身份证" not in body


def test_the_downloads_are_byte_equal_to_the_exported_files(client, ceremony, tmp_path):
    task, _first, draw, _gone, _insp = ceremony
    exported = draw_export(draw=draw, out_dir=tmp_path / "out")
    names = {
        "manifest": "manifest",
        "seed.txt": "seed.txt",
        "result.txt": "result.txt",
        "record.json": "record.json",
    }
    for url_name, file_name in names.items():
        response = client.get(f"/public/draw/{task.code}/{draw.number}/{url_name}")
        assert response.status_code == 200
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body == (exported.out_dir / file_name).read_bytes(), url_name
    assert (exported.out_dir / "seed.txt").read_bytes() == SEED.encode("utf-8")


def test_the_manifest_is_streamed_in_chunks(client, ceremony, monkeypatch):
    task, _first, draw, _gone, _insp = ceremony
    original = selectors.manifest_stream
    monkeypatch.setattr(
        selectors, "manifest_stream", lambda *, draw: original(draw=draw, chunk_size=64)
    )
    response = client.get(f"/public/draw/{task.code}/{draw.number}/manifest")
    assert response.streaming
    chunks = list(response.streaming_content)
    assert len(chunks) > 1 and all(len(c) <= 64 for c in chunks)
    assert b"".join(chunks) == selectors.manifest_file(draw=draw).read_bytes()
    assert int(response["Content-Length"]) == draw.manifest_size


def test_re_verifying_in_place_shows_agreement(client, ceremony):
    task, _first, draw, _gone, _insp = ceremony
    html = client.get(f"/public/draw/{task.code}/{draw.number}/verify/").content.decode()
    assert "结果一致 ✓" in html and draw.key_hex in html
    page = client.get(f"/public/draw/{task.code}/{draw.number}/?run=1").content.decode()
    assert "结果一致 ✓" in page
    assert "verify_draw.py" in page and "ssj draw verify" in page


def test_a_tampered_stored_manifest_shows_a_loud_mismatch(client, ceremony):
    task, _first, draw, _gone, _insp = ceremony
    path = selectors.manifest_file(draw=draw)
    data = path.read_bytes()
    target_line = next(line for line in data.split(b"\n") if line.startswith(b"target "))
    path.write_bytes(data.replace(target_line + b"\n", b""))  # one candidate quietly removed
    html = client.get(f"/public/draw/{task.code}/{draw.number}/verify/").content.decode()
    assert "结果一致" not in html
    assert "结果不一致" in html and draw.manifest_sha256 in html and 'role="alert"' in html


def test_a_tampered_stored_seed_shows_a_mismatch(client, ceremony):
    task, _first, draw, _gone, _insp = ceremony
    type(draw).objects.filter(pk=draw.pk).update(seed_text=SEED + " 9")
    html = client.get(f"/public/draw/{task.code}/{draw.number}/verify/").content.decode()
    assert "结果不一致" in html and "重新计算的结果与公布的结果不一致" in html


def test_a_void_draw_has_its_verification_page_with_the_reason(client, ceremony):
    task, first, _draw, _gone, _insp = ceremony
    response = client.get(f"/public/draw/{task.code}/{first.number}/")
    html = response.content.decode()
    assert (
        response.status_code == 200
        and "封存后发现名录库漏录企业" in html
        and first.manifest_sha256 in html
    )
    assert client.get(f"/public/draw/{task.code}/{first.number}/seed.txt").status_code == 404
    assert client.get(f"/public/draw/{task.code}/{first.number}/manifest").status_code == 200


def test_a_task_without_a_draw_has_no_public_page(client, crew):
    task = crew.task(code="SJ-NONE")
    assert client.get(f"/public/draw/{task.code}/").status_code == 404
    assert client.get(f"/public/draw/{task.code}/1/manifest").status_code == 404


def test_the_standalone_verifier_is_offered(client):
    response = client.get("/public/draw/verify_draw.py")
    assert response.status_code == 200
    assert b"ssj-draw/1" in b"".join(response.streaming_content)


def test_the_public_pages_fit_a_phone(client, ceremony):
    task, _first, draw, _gone, _insp = ceremony
    html = client.get(f"/public/draw/{task.code}/").content.decode()
    assert 'name="viewport"' in html and 'class="scroll"' in html
    assert "退出" not in html and "/accounts/profile" not in html


def test_the_verification_page_leads_with_the_check_and_keeps_the_commands_folded(client, ceremony):
    task, _first, draw, _gone, _insp = ceremony
    html = client.get(f"/public/draw/{task.code}/{draw.number}/").content.decode()
    # The check runs as the page opens (a small manifest) and comes before everything else.
    assert html.index("结果一致 ✓") < html.index("本次摇号") < html.index('id="dl-manifest"')
    assert 'id="reverify"' not in html
    # Names and dates in the text, C as a fingerprint; full values in the folded sections.
    assert f">{draw.manifest_sha256[:8]}</span>" in html
    first_full_c = html.index(draw.manifest_sha256)
    assert html.rindex("<summary>技术细节", 0, first_full_c) > html.index("结果一致 ✓")
    assert '<details class="tech" id="self-verify"><summary>自行验证' in html
    assert html.index('id="self-verify"') < html.index("sha256sum manifest")
    assert "<dt>分层抽取</dt><dd>全部检查对象：3 个</dd>" in html


def test_a_large_manifest_is_checked_on_request_only(client, ceremony, monkeypatch):
    from shuangsuiji.draw import public_views

    task, _first, draw, _gone, _insp = ceremony
    monkeypatch.setattr(public_views, "INLINE_CHECK_LINES", draw.manifest_lines - 1)
    calls = []
    original = selectors.draw_reverify_result
    monkeypatch.setattr(
        selectors, "draw_reverify_result", lambda *, draw: calls.append(draw) or original(draw=draw)
    )
    html = client.get(f"/public/draw/{task.code}/{draw.number}/").content.decode()
    assert 'id="reverify"' in html and "结果一致" not in html and calls == []
    html = client.get(f"/public/draw/{task.code}/{draw.number}/?run=1").content.decode()
    assert "结果一致 ✓" in html and len(calls) == 1


def test_the_announcement_names_strata_and_folds_c_k_and_substitution_lines(client, ceremony):
    task, _first, draw, _gone, _insp = ceremony
    html = client.get(f"/public/draw/{task.code}/").content.decode()
    assert "<td>全部检查对象</td>" in html and "<td>all</td>" not in html
    details = html[html.index("<summary>技术细节</summary>") :]
    assert draw.key_hex in details
    sub_line = selectors.draw_substitutions(draw=draw).get().line
    assert html.index(sub_line) > html.rindex(
        "<summary>技术细节</summary>", 0, html.index(sub_line)
    )
