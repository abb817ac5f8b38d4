"""《抽查工作记录表》 as PDF and xlsx: the Chinese text renders and extracts, the verifiable
data (C, K, seed, witnesses) and the results are on it, personal numbers are not."""

import datetime as dt
import io
import shutil
import subprocess

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from shuangsuiji.catalog.services import item_create
from shuangsuiji.draw import record, services
from shuangsuiji.draw.record import record_pdf, record_xlsx
from shuangsuiji.planning.models import PartnerResponse, Task
from shuangsuiji.registry.models import Entity
from tests import factories
from tests.factories.ceremony import SEED, Crew, pool_for, tid
from tests.factories.files import pdf_text

pytestmark = pytest.mark.django_db

TITLE = "松江区瓶装液化气储存充装站点联合抽查"


def _pdftotext(pdf: bytes, tmp_path) -> str:
    return pdf_text(pdf, tmp_path)


def _squash(text: str) -> str:
    return "".join(text.split())


def _xlsx_cells(data: bytes) -> dict[str, list[list]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def _flat(sheets: dict[str, list[list]]) -> str:
    return "\n".join(str(c) for rows in sheets.values() for row in rows for c in row)


def _people(crew, count: int):
    return [
        factories.inspector(
            department=crew.dept,
            name=f"{'赵钱孙李周吴郑王'[i % 8]}{'一二三四五六七八'[i // 8]}检",
            mobile=f"1391234{i:04d}",
            id_number=factories.make_id_number(factories.rng),
        )
        for i in range(count)
    ]


def _ceremony():
    """Draw 1 voided (with reason), draw 2 confirmed with one approved substitution."""
    crew = Crew()
    partner = factories.department("SJSC-T", name="松江区市场监督管理局（测试）")
    task = crew.task(code="SJJW-2024-T01")
    Task.objects.filter(pk=task.pk).update(title=TITLE, description="燃气所牵头，区市场监管局配合")
    task.refresh_from_db()
    task.partners.add(partner)
    # The partner takes part (issue 14 第 1 项: the lead seals only then).
    PartnerResponse.objects.create(
        task=task, department=partner, accepted=True, responded_by=crew.operator
    )
    item = item_create(
        department=crew.dept,
        code="SJ-RQ-01",
        actor="测试",
        name="瓶装液化气储存充装站点日常经营检查",
        field="瓶装燃气综合监管",
        target_type="液化气储存充装站点",
        content="日常经营检查",
        methods=["on_site"],
        basis="依据",
        subject=crew.dept.name,
        responsible_unit=crew.dept.name,
        change_reason="建立",
        effective_date=dt.date(2024, 1, 1),
    )
    task.items.add(item)
    ents = [
        factories.entity(
            department=crew.dept,
            name=f"松江燃气供应站{i}号有限公司",
            contact_phone=f"1380000{i:04d}",
        )
        for i in range(10)
    ]
    gone = factories.entity(department=crew.dept, name="已注销的燃气公司", status="deregistered")
    insp = _people(crew, 6)
    pool = pool_for(
        task,
        strata={"gas.A": (2, ents[:5]), "gas.D": (3, ents[5:])},
        inspectors=insp,
        excluded=[(gone, "登记状态为“注销”，不可抽取")],
    )
    first = services.draw_commit(task=task, actor=crew.operator, pool=pool)
    services.draw_void(
        draw=first,
        reason="封存后发现D类高风险对象比例设置有误，作废后重新封存",
        actor=crew.operator,
    )
    draw = services.draw_commit(task=task, actor=crew.operator, pool=pool)
    draw = services.draw_seed(
        draw=draw,
        seed_text=SEED,
        sources="福彩双色球2024年第116期开奖号码；纪检监督员现场掷骰20次",
        witnesses=["孙立纪", "王见证"],
        actor=crew.witness,
    )
    draw = services.draw_confirm(draw=draw, actor=crew.operator)
    member = draw.selections.order_by("rank").first().assignments.get(position=1)
    sub = services.substitution_request(
        assignment=member, reason="身体健康状况（住院治疗）", actor=crew.operator
    )
    services.substitution_decide(substitution=sub, approve=True, actor=crew.reviewer)
    return crew, task, draw, first, ents, insp


def _personal_numbers(crew, insp, ents) -> list[str]:
    numbers = (
        [i.mobile for i in insp] + [i.id_number for i in insp] + [e.contact_phone for e in ents]
    )
    for user in (crew.operator, crew.witness, crew.reviewer):
        numbers += [user.mobile, user.id_number]
    return [n for n in numbers if n]


def test_pdf_text_carries_title_c_k_seed_witnesses_and_results(tmp_path, settings):
    settings.SITE_URL = "https://ssj.example.gov.cn"
    crew, task, draw, first, ents, insp = _ceremony()
    pdf = record_pdf(draw=draw)
    assert (
        pdf.startswith(b"%PDF") and b"/FontFile2" in pdf
    )  # an embedded TrueType font, not a bare CID font
    text = _pdftotext(pdf, tmp_path)
    flat = _squash(text)
    assert "抽查工作记录表" in text and TITLE in text
    assert draw.manifest_sha256 in flat and draw.key_hex in flat
    assert _squash(SEED) in flat
    assert "孙立纪" in text and "王见证" in text
    assert "松江区市场监督管理局（测试）" in flat and "SJ-RQ-01" in flat
    first_sel = draw.selections.order_by("rank").select_related("entity").first()
    assert first_sel.entity.name in flat and first_sel.entity.uscc in flat
    # every selected target is listed, in selection order
    positions = [
        flat.index(s.entity.uscc) for s in draw.selections.order_by("rank").select_related("entity")
    ]
    assert positions == sorted(positions) and len(positions) == 5
    assert "组长" in text and "身体健康状况（住院治疗）" in flat
    # the void draw of the task stays on the record, with its reason and its C
    assert (
        "封存后发现D类高风险对象比例设置有误，作废后重新封存" in flat
        and first.manifest_sha256 in flat
    )
    assert "登记状态为“注销”，不可抽取" in flat
    assert "gas.A" in flat and "gas.D" in flat
    url = f"https://ssj.example.gov.cn/public/draw/{task.code}/{draw.number}/"
    assert url in flat and url == settings.SITE_URL + reverse(
        "public_draw:draw", args=[task.code, draw.number]
    )
    for number in _personal_numbers(crew, insp, ents):
        assert number not in flat


def test_pdf_first_page_renders_chinese_glyphs(tmp_path):
    """pdftoppm draws page 1: a page full of embedded glyphs has plenty of dark pixels."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("未安装 poppler-utils")
    _crew, _task, draw, *_ = _ceremony()
    (tmp_path / "r.pdf").write_bytes(record_pdf(draw=draw))
    subprocess.run(
        [
            "pdftoppm",
            "-f",
            "1",
            "-l",
            "1",
            "-r",
            "40",
            "-gray",
            str(tmp_path / "r.pdf"),
            str(tmp_path / "p"),
        ],
        check=True,
    )
    page = next(tmp_path.glob("p*.pgm")).read_bytes()
    pixels = page.split(b"\n", 3)[3]  # P5 header: magic, size, maxval
    dark = sum(1 for b in pixels if b < 128)
    assert dark > 1000


def test_pdf_shows_direct_assignment_as_not_random(tmp_path):
    crew = Crew()
    task = crew.task(code="ZPZJ-2024-T02")
    ents = crew.entities(2)
    lone = _people(crew, 1)
    draw = services.draw_commit(
        task=task,
        actor=crew.operator,
        pool=pool_for(task, strata={"all": (1, ents)}, inspectors=lone),
    )
    draw = services.draw_seed(
        draw=draw,
        seed_text="骰子 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0",
        sources="现场掷骰",
        witnesses=["官登对"],
        actor=crew.witness,
    )
    draw = services.draw_confirm(draw=draw, actor=crew.operator)
    selection = draw.selections.get()
    assert selection.unstaffed
    helpers = _people(crew, 2)
    services.assignment_direct(
        selection=selection,
        inspectors=helpers,
        reason="本区域执法检查人员不足",
        actor=crew.operator,
    )
    text = _squash(_pdftotext(record_pdf(draw=draw), tmp_path))
    assert "直接委派（非随机）" in text and "本区域执法检查人员不足" in text
    assert helpers[0].cert_no in text and helpers[0].name in text
    cells = _flat(_xlsx_cells(record_xlsx(draw=draw)))
    assert "直接委派·非随机" in cells and "本区域执法检查人员不足" in cells


def test_long_selection_table_breaks_pages_and_repeats_its_header(tmp_path):
    crew = Crew()
    task = crew.task(code="SJJW-2024-T03", capacity=100)
    ents = crew.entities(260)
    draw = services.draw_commit(
        task=task,
        actor=crew.operator,
        pool=pool_for(task, strata={"all": (250, ents)}, inspectors=_people(crew, 8)),
    )
    draw = services.draw_seed(
        draw=draw, seed_text=SEED, sources="现场掷骰", witnesses=["孙立纪"], actor=crew.witness
    )
    long_name = "上海松江" + "超长名称建筑工程" * 8 + "有限公司"
    Entity.objects.filter(pk=draw.selections.get(rank=7).entity_id).update(name=long_name)
    pages = _pdftotext(record_pdf(draw=draw), tmp_path).split("\f")
    with_rows = [pg for pg in pages if any(e.uscc in pg for e in ents)]
    assert len(with_rows) >= 5
    assert all("统一社会信用代码" in pg and "检查组（组长在前）" in pg for pg in with_rows)
    flat = _squash("".join(pages))
    sels = list(draw.selections.order_by("rank").select_related("entity"))
    positions = [flat.index(s.entity.uscc) for s in sels]
    assert len(positions) == 250 and positions == sorted(positions)
    assert long_name in flat  # a long name wraps inside its cell, nothing is cut
    assert f"共{len([p for p in pages if p.strip()])}页" in _squash(pages[0])


def test_xlsx_holds_the_same_record_and_neutralises_formulas(tmp_path):
    crew, task, draw, first, ents, insp = _ceremony()
    sheets = _xlsx_cells(record_xlsx(draw=draw))
    assert list(sheets) == ["记录表", "抽中对象及检查组", "抽取范围", "更换与作废"]
    main = {row[0]: row[1] for row in sheets["记录表"] if len(row) > 1 and row[0]}
    assert main["任务名称"] == TITLE
    assert main["名单摘要 C（SHA-256）"] == draw.manifest_sha256 and main["密钥 K"] == draw.key_hex
    assert main["种子文本（原样）"] == SEED
    assert main["见证人（纪检监督人员）"] == f"{crew.witness}、孙立纪（代录）、王见证（代录）"
    assert main["公开页面"].endswith(f"/public/draw/{task.code}/{draw.number}/")
    rows = sheets["抽中对象及检查组"]
    assert rows[0][:5] == ["序号", "检查对象名称", "统一社会信用代码", "层", "组长"]
    sels = list(draw.selections.order_by("rank").select_related("entity"))
    assert [r[2] for r in rows[1:]] == [s.entity.uscc for s in sels]
    assert [int(r[0]) for r in rows[1:]] == [1, 2, 3, 4, 5]
    flat = _flat(sheets)
    assert (
        "身体健康状况（住院治疗）" in flat
        and "封存后发现D类高风险对象比例设置有误，作废后重新封存" in flat
    )
    assert first.manifest_sha256 in flat
    for number in _personal_numbers(crew, insp, ents):
        assert number not in flat
    # a name a spreadsheet would run as a formula stays inert text
    Entity.objects.filter(pk=sels[0].entity_id).update(name='=HYPERLINK("http://x","点我")')
    again = _xlsx_cells(record_xlsx(draw=draw))["抽中对象及检查组"]
    assert again[1][1] == '\'=HYPERLINK("http://x","点我")'


def test_pdf_without_a_cjk_truetype_font_fails_clearly(monkeypatch):
    from shuangsuiji.common import pdf as common_pdf

    monkeypatch.setattr(common_pdf, "_font_path_cache", [])
    monkeypatch.setenv("SSJ_PDF_FONT", "/nonexistent/font.ttf")
    crew = Crew()
    task = crew.task()
    draw = services.draw_commit(
        task=task,
        actor=crew.operator,
        pool=pool_for(task, strata={"all": (1, crew.entities(2))}, inspectors=_people(crew, 2)),
    )
    with pytest.raises(record.FontMissing, match="SSJ_PDF_FONT"):
        record_pdf(draw=draw)


def test_a_committed_draw_prints_its_c_before_the_seed(tmp_path):
    crew = Crew()
    task = crew.task()
    ents = crew.entities(3)
    draw = services.draw_commit(
        task=task,
        actor=crew.operator,
        pool=pool_for(task, strata={"all": (1, ents)}, inspectors=_people(crew, 2)),
    )
    flat = _squash(_pdftotext(record_pdf(draw=draw), tmp_path))
    assert draw.manifest_sha256 in flat and "尚未录入" in flat and "尚未摇号" in flat
    assert tid(ents[0]) not in flat  # nothing is selected yet


def test_staff_download_the_record_and_outsiders_do_not(client):
    crew, task, draw, first, ents, insp = _ceremony()
    client.force_login(crew.operator)
    pdf = client.get(reverse("draw:record", args=[draw.pk, "pdf"]))
    assert (
        pdf.status_code == 200
        and pdf["Content-Type"] == "application/pdf"
        and pdf.content.startswith(b"%PDF")
    )
    assert (
        "抽查工作记录表" in pdf["Content-Disposition"] or "%E6%8A%BD" in pdf["Content-Disposition"]
    )
    xlsx = client.get(reverse("draw:record", args=[draw.pk, "xlsx"]))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get(reverse("draw:record", args=[draw.pk, "doc"])).status_code == 404
    outsider = factories.user(department=factories.department("OUT1"), role="operator")
    client.force_login(outsider)
    assert client.get(reverse("draw:record", args=[draw.pk, "pdf"])).status_code == 404


def test_the_record_pdf_without_a_font_is_a_chinese_503_with_the_paths_only_in_the_log(
    client, monkeypatch, caplog
):
    """Issue 13 第 1 项: never 403, never a server path on the page; the administrator finds
    what was tried in the log."""
    from shuangsuiji.common import pdf as common_pdf

    monkeypatch.setattr(common_pdf, "_font_path_cache", [])
    monkeypatch.setenv("SSJ_PDF_FONT", "/nonexistent/fonts/font.ttf")
    crew = Crew()
    task = crew.task()
    draw = services.draw_commit(
        task=task,
        actor=crew.operator,
        pool=pool_for(task, strata={"all": (1, crew.entities(2))}, inspectors=_people(crew, 2)),
    )
    client.force_login(crew.operator)
    with caplog.at_level("ERROR", logger="shuangsuiji.common.pdf"):
        response = client.get(f"/draw/{draw.pk}/record.pdf")
    body = response.content.decode()
    assert response.status_code == 503 and "暂时无法办理" in body and "中文 TrueType 字体" in body
    assert "/nonexistent" not in body and "fonts-wqy-microhei" in body
    assert "/nonexistent/fonts/font.ttf" in caplog.text
