"""The public portal's pages: no login, public fields only, cheap on large tables."""

import datetime as dt

import pytest
from django.urls import reverse

from shuangsuiji.catalog.services import content_of, item_repeal, item_revise
from shuangsuiji.disclosure import portal_selectors as sel
from shuangsuiji.disclosure.site_selectors import site_identity_public
from shuangsuiji.inspection.choices import Conclusion
from shuangsuiji.planning.choices import PlanStatus
from tests import factories
from tests.factories.portal import (
    OBJECTION_APPLICANT,
    OBJECTION_CONTACT,
    many_published,
    published_plan,
    published_scene,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pub():
    return published_scene()


def _text(response) -> str:
    return response.content.decode()


# --- home, item list, plans --------------------------------------------------------------


def test_home_links_every_public_section_without_login(client, pub):
    response = client.get("/public/")
    assert response.status_code == 200
    body = _text(response)
    for name in (
        "portal:items",
        "portal:plans",
        "public_draw:list",
        "portal:results",
        "portal:corrections",
        "portal:objections",
        "portal:objection_guide",
    ):
        assert f'href="{reverse(name)}"' in body, name
    assert (
        "随机抽取检查对象" in body and "种子" in body
    )  # what 双随机、一公开 and the verification are
    assert pub.correction.entity_name in body  # latest results
    assert 'name="viewport"' in body


def test_the_draw_pages_keep_working_under_the_portal_layout(client, pub):
    response = client.get(reverse("public_draw:task", args=[pub.scene.task.code]))
    assert response.status_code == 200
    assert f'href="{reverse("portal:results")}"' in _text(response)


def test_item_list_shows_the_current_version_and_leaves_out_repealed_items(client, pub):
    scene = pub.scene
    kept, gone = scene.items
    item_revise(
        item=kept,
        data=content_of(kept.current),
        name="建筑施工安全检查（修订）",
        default_ratio="5",
        default_frequency="每年一次",
        change_reason="条例修订",
        effective_date=dt.date(2024, 6, 1),
        actor=scene.admin,
    )
    item_repeal(
        item=gone, change_reason="法规废止", effective_date=dt.date(2024, 6, 1), actor=scene.admin
    )
    body = _text(client.get(reverse("portal:items")))
    assert "建筑施工安全检查（修订）" in body and "建筑施工安全检查1<" not in body
    assert "《建设工程安全生产管理条例》第二十一条" in body and "现场检查" in body
    assert "5%" in body and "每年一次" in body
    assert gone.code not in body


def test_plans_lists_only_published_plans_with_their_rows(client, pub):
    dept = pub.scene.crew.dept
    shown = published_plan(department=dept, year=2024, items=pub.scene.items[:1])
    hidden = published_plan(department=factories.department(), year=2024, status=PlanStatus.FILED)
    body = _text(client.get(reverse("portal:plans")))
    assert shown.title in body and hidden.title not in body
    detail = _text(client.get(reverse("portal:plan", args=[shown.pk])))
    assert "在建工程施工企业" in detail and pub.scene.items[0].code in detail and "4-6月" in detail
    assert client.get(reverse("portal:plan", args=[hidden.pk])).status_code == 404


# --- search ------------------------------------------------------------------------------


def _ids(response) -> list[int]:
    return [r.pk for r in response.context["page"].rows]


def test_search_by_part_of_a_name_finds_the_entity(client, pub):
    target = pub.rows[1]
    response = client.get(reverse("portal:results"), {"q": target.entity_name[2:6]})
    assert target.pk in _ids(response)
    assert all(
        r.entity_name == target.entity_name or target.entity_name[2:6] in r.entity_name
        for r in response.context["page"].rows
    )


def test_search_by_credit_code_is_exact_and_folds_case_and_full_width(client, pub):
    target = pub.rows[2]
    typed = target.credit_code.lower().replace("9", "９")  # 全角 digits, lower case
    response = client.get(reverse("portal:results"), {"q": f" {typed} "})
    assert _ids(response) == [target.pk]
    assert response.context["code_search"] is True
    assert (
        client.get(reverse("portal:results"), {"q": target.credit_code[:17]}).context["count"] == 0
    )


def test_search_of_a_corrected_entity_shows_both_versions_marked(client, pub):
    response = client.get(reverse("portal:results"), {"q": pub.correction.credit_code})
    assert set(_ids(response)) == {pub.correction.pk, pub.superseded.pk}
    body = _text(response)
    assert "已被更正" in body and "现行" in body
    current = client.get(
        reverse("portal:results"), {"q": pub.correction.credit_code, "status": "current"}
    )
    assert _ids(current) == [pub.correction.pk]


def test_filters_department_year_item_and_conclusion(client, pub):
    url = reverse("portal:results")
    other = factories.department()
    assert client.get(url, {"department": other.pk}).context["count"] == 0
    assert client.get(url, {"department": pub.scene.crew.dept.pk}).context["count"] == 4
    assert client.get(url, {"year": 2023}).context["count"] == 0
    assert client.get(url, {"year": 2024}).context["count"] == 4
    rectified = client.get(url, {"conclusion": Conclusion.RECTIFIED})
    assert _ids(rectified) == [pub.rows[2].pk]
    item = pub.scene.items[0]
    assert client.get(url, {"item": item.code}).context["count"] == 4
    assert client.get(url, {"item": item.code + "X"}).context["count"] == 0


def test_keyset_pages_walk_every_row_once_forwards_and_backwards(client, pub):
    many_published(pub, n=45)
    total = 45 + 4
    url = reverse("portal:results")
    seen, pages, params = [], [], {}
    while True:
        response = client.get(url, params)
        ids = _ids(response)
        pages.append(ids)
        seen += ids
        page = response.context["page"]
        if not page.has_next:
            break
        params = {"after": page.next_cursor}
    assert len(seen) == total == len(set(seen))
    assert [len(p) for p in pages] == [20, 20, 9]
    # 上一页 from the last page gives back the middle page, in the same order.
    back = client.get(url, {"before": response.context["page"].prev_cursor})
    assert _ids(back) == pages[1]
    assert (
        client.get(url, {"before": back.context["page"].prev_cursor}).context["page"].rows[0].pk
        == pages[0][0]
    )


def test_a_malformed_cursor_shows_the_first_page(client, pub):
    response = client.get(reverse("portal:results"), {"after": "not-a-cursor"})
    assert response.status_code == 200 and _ids(response)[0] == pub.correction.pk


def test_the_count_is_capped_instead_of_counting_everything(client, pub, monkeypatch):
    monkeypatch.setattr(sel, "COUNT_CAP", 2)
    response = client.get(reverse("portal:results"))
    assert response.context["count"] == 2 and response.context["count_more"] is True
    assert "2 条以上" in _text(response)


def test_the_search_never_counts_or_offsets_the_whole_table(client, pub):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    many_published(pub, n=25)
    first = client.get(reverse("portal:results"))
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("portal:results"), {"after": first.context["page"].next_cursor})
    sqls = [
        q["sql"].upper()
        for q in ctx.captured_queries
        if "DISCLOSURE_PUBLISHEDRESULT" in q["sql"].upper()
    ]
    assert sqls and all("LIMIT" in sql and "OFFSET" not in sql for sql in sqls)


def test_search_pages_cost_a_fixed_number_of_queries(client, pub, django_assert_max_num_queries):
    many_published(pub, n=30)
    with django_assert_max_num_queries(5):
        client.get(reverse("portal:results"), {"q": "有限公司", "year": 2024})


# --- one result --------------------------------------------------------------------------


def test_result_page_shows_public_fields_inspectors_and_the_draw_link(client, pub):
    row = pub.rows[2]
    body = _text(client.get(reverse("portal:result", args=[row.pk])))
    assert row.entity_name in body and row.credit_code in body
    assert "发现问题已责令改正" in body and "责令于2024年5月10日前改正" in body
    assert "执法证号 3117" in body
    assert f'href="{reverse("public_draw:task", args=[pub.scene.task.code])}"' in body
    assert 'name="csrfmiddlewaretoken"' in body and "提交异议申请" in body


def test_result_page_shows_the_version_history_and_the_answered_objection(client, pub):
    body = _text(client.get(reverse("portal:result", args=[pub.correction.pk])))
    assert "版本记录" in body and "已被更正" in body
    assert "经异议复核，临时用电检查记录有误，予以更正" in body
    assert f'href="{reverse("portal:result", args=[pub.superseded.pk])}"' in body
    assert (
        pub.answered.number in body and "确有错误，予以更正" in body and pub.answered.answer in body
    )
    assert OBJECTION_APPLICANT not in body and OBJECTION_CONTACT not in body
    assert pub.pending.number not in body  # not answered yet


def test_a_superseded_result_points_to_the_current_one_and_takes_no_objection(client, pub):
    body = _text(client.get(reverse("portal:result", args=[pub.superseded.pk])))
    assert "已被更正" in body and "发现问题待后续处理" in body
    assert f'href="{reverse("portal:result", args=[pub.correction.pk])}"' in body
    assert "提交异议申请" not in body


def test_result_page_runs_at_most_three_queries(client, pub, django_assert_max_num_queries):
    site_identity_public()  # the footer's 网站标识 is read once a minute, not per request
    with django_assert_max_num_queries(3):
        response = client.get(reverse("portal:result", args=[pub.correction.pk]))
    assert response.status_code == 200


def test_an_unknown_result_is_404(client, pub):
    assert client.get(reverse("portal:result", args=[999999])).status_code == 404


def test_entity_page_lists_every_result_of_the_code(client, pub):
    response = client.get(reverse("portal:entity", args=[pub.correction.credit_code.lower()]))
    assert response.status_code == 200
    assert {r.pk for r in response.context["rows"]} == {pub.correction.pk, pub.superseded.pk}
    assert client.get(reverse("portal:entity", args=["91310117MA1J000000"])).status_code == 404


# --- corrections, objection outcomes -----------------------------------------------------


def test_corrections_list_shows_the_correction_with_its_reason_and_the_old_version(client, pub):
    response = client.get(reverse("portal:corrections"))
    assert [r.pk for r in response.context["page"].rows] == [pub.correction.pk]
    body = _text(response)
    assert "经异议复核，临时用电检查记录有误，予以更正" in body
    assert f'href="{reverse("portal:result", args=[pub.superseded.pk])}"' in body


def test_objection_outcomes_list_answered_ones_without_applicant_or_contact(client, pub):
    body = _text(client.get(reverse("portal:objections")))
    assert (
        pub.answered.number in body
        and pub.answered.answer in body
        and pub.correction.entity_name in body
    )
    assert pub.pending.number not in body
    for secret in (
        OBJECTION_APPLICANT,
        OBJECTION_CONTACT,
        pub.pending.applicant,
        pub.pending.contact,
        pub.answered.content,
    ):
        assert secret not in body


def test_staff_free_text_with_a_mobile_is_masked_on_the_portal(client, pub):
    row = pub.rows[1]
    type(row).objects.filter(pk=row.pk).update(summary="现场联系人电话13912345678")
    body = _text(client.get(reverse("portal:result", args=[row.pk])))
    assert "13912345678" not in body and "139****5678" in body


# --- caching -----------------------------------------------------------------------------


def test_public_pages_are_cacheable_and_pages_with_the_form_are_private(client, pub):
    listing = client.get(reverse("portal:results"))
    assert "public" in listing["Cache-Control"] and "max-age=120" in listing["Cache-Control"]
    detail = client.get(reverse("portal:result", args=[pub.correction.pk]))
    assert "private" in detail["Cache-Control"] and "public" not in detail["Cache-Control"]
    missing = client.get(reverse("portal:result", args=[999999]))
    assert missing.status_code == 404


def test_an_answer_that_names_the_applicant_or_quotes_the_contact_is_blotted(client, pub):
    type(pub.answered).objects.filter(pk=pub.answered.pk).update(
        answer=f"已电话联系{OBJECTION_APPLICANT}（{OBJECTION_CONTACT}），复核后予以更正。"
    )
    for url in (reverse("portal:result", args=[pub.correction.pk]), reverse("portal:objections")):
        body = _text(client.get(url))
        assert "复核后予以更正" in body, url
        assert OBJECTION_APPLICANT not in body and OBJECTION_CONTACT not in body, url


@pytest.mark.parametrize("path", ["/public/", "/public/results/", "/public/items/"])
def test_public_pages_answer_head_for_monitors_and_link_checkers(client, path, db):
    assert client.head(path).status_code == 200
