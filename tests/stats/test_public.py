"""年度统计 on the portal (issue 12 第 5 项): counts of what is public, nothing personal."""

import re

import pytest
from django.urls import reverse

from shuangsuiji.disclosure.services import result_publish
from shuangsuiji.inspection.choices import Conclusion
from tests.factories import disclosure as fd

pytestmark = pytest.mark.django_db


def test_the_portal_counts_published_results_only(client, var_dir):
    formed = fd.formed_scene(targets=2)
    result_publish(version=formed.versions[0], actor=formed.operator)
    html = client.get(reverse("public_stats") + "?year=2024").content.decode()
    row = re.search(rf"<tr><td>{formed.dept.name}</td>(.*?)</tr>", html).group(1)
    cells = re.findall(r"<td>([^<]*)</td>", row)
    # tasks, entities with a published result, then the 8 conclusions in order, then 公示率
    assert cells[0] == "1" and cells[1] == "1"
    order = [c.value for c in Conclusion]
    assert cells[2 + order.index(Conclusion.RECTIFIED)] == "1"
    assert sum(int(c) for c in cells[2:10]) == 1
    # No person: the inspectors' and the follow-up's phone numbers never appear.
    assert "13912345678" not in html and "检查员" not in html


def test_an_unknown_year_is_said_plainly(client, var_dir):
    fd.formed_scene(targets=1)
    response = client.get(reverse("public_stats") + "?year=1999")
    assert response.status_code == 404 and "没有 1999 年度的统计" in response.content.decode()
    response = client.get(reverse("public_stats") + "?year=%00abc")
    assert response.status_code in (400, 404)
