"""Accessibility as a check (issue 16 第 7 项): axe-core, vendored from its npm package
(tests/browser/vendor/axe-core-4.14.1.min.js, MPL-2.0, licence beside it), runs in the real
browser on the main staff and public pages, on a desktop and on a 375 px phone: no serious
or critical violation. The script is given to the page through Playwright's evaluate,
which the pages' content security policy does not apply to — the site never serves it."""

from pathlib import Path

import pytest

from shuangsuiji.disclosure import services as disclosure_services
from tests.factories.browser import login
from tests.factories.disclosure import formed_scene

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js").read_text(encoding="utf-8")
BLOCKING = ("serious", "critical")
STAFF_PAGES = [
    "/",
    "/catalog/items/",
    "/registry/entities/",
    "/registry/inspectors/",
    "/planning/plans/",
    "/planning/tasks/",
    "/planning/tasks/new/",
    "/draw/",
    "/inspection/",
    "/disclosure/",
    "/disclosure/published/",
    "/oversight/",
    "/stats/",
    "/search/?q=公司",
    "/notices/",
    "/accounts/me/",
]
PUBLIC_PAGES = [
    "/public/",
    "/public/items/",
    "/public/plans/",
    "/public/results/",
    "/public/objections/",
    "/public/objections/how/",
    "/public/corrections/",
    "/public/draw/",
    "/public/stats/",
    "/accounts/login/",
]


def _violations(page) -> list[str]:
    page.evaluate(AXE)
    found = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ["violations"]});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
            }));
        }"""
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {', '.join(v['nodes'])}"
        for v in found
        if v["impact"] in BLOCKING
    ]


def _check(page, base: str, paths: list[str]) -> dict[str, list[str]]:
    problems = {}
    for path in paths:
        response = page.goto(base + path)
        assert response is not None and response.status < 400, (path, response and response.status)
        bad = _violations(page)
        # On a phone the page itself never scrolls sideways: wide tables scroll in place.
        wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if wide > 1:
            bad.append(f"页面比屏幕宽 {wide} px")
        if bad:
            problems[path] = bad
    return problems


@pytest.mark.parametrize("width", [1280, 375])
def test_the_main_pages_have_no_serious_accessibility_violation(page, live_server, width):
    formed = formed_scene(targets=2)
    disclosure_services.result_publish(version=formed.version, actor=formed.operator)
    page.set_viewport_size({"width": width, "height": 900})
    task = formed.scene.task
    entity = formed.scene.visits[0].entity
    public = _check(
        page,
        live_server.url,
        [
            *PUBLIC_PAGES,
            f"/public/draw/{task.code}/",
            f"/public/draw/{task.code}/1/",
            f"/public/entities/{entity.uscc}/",
            f"/public/results/{formed.version.published.pk}/",
        ],
    )
    login(page, live_server, formed.operator)
    staff = _check(
        page,
        live_server.url,
        [
            *STAFF_PAGES,
            f"/planning/tasks/{task.pk}/",
            f"/draw/tasks/{task.pk}/",
            f"/inspection/visits/{formed.scene.visits[0].pk}/",
            f"/registry/entities/{entity.pk}/",
        ],
    )
    problems = {**public, **staff}
    assert not problems, "\n".join(f"{path}: {'; '.join(v)}" for path, v in problems.items())
