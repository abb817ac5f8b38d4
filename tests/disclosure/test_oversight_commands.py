"""``ssj deadlines overdue`` and ``ssj deadlines due``."""

import datetime as dt
import json

import pytest

from shuangsuiji.cli import main
from tests import factories
from tests.factories import deadlines as f

pytestmark = pytest.mark.django_db
D = dt.date


def test_due_prints_the_penalty_deadline_on_the_make_up_saturday(capsys):
    # From Friday 2024-09-27: Sun 09-29 (1), 09-30 (2), [10-01…10-07 off], 10-08…10-11 (6), Sat 10-12 (7).
    assert main(["deadlines", "due", "--start", "2024-09-27", "--kind", "penalty"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "2024-10-12"


def test_due_follows_the_department_publication_setting(capsys):
    dept = factories.department("ZPZJ", name="漳平市住房和城乡建设局")
    dept.publish_deadline_workdays = 10
    dept.save(update_fields=["publish_deadline_workdays"])
    # From Friday 2024-02-02: Sun 02-04 (1), 02-05…02-09 (6), [02-10…02-17 off], Sun 02-18 (7), 02-19…02-21 (10).
    assert (
        main(
            [
                "deadlines",
                "due",
                "--start",
                "2024-02-02",
                "--kind",
                "publish",
                "--department",
                "ZPZJ",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.splitlines()[0] == "2024-02-21"
    # Without a department, the default 20: … 02-22, 02-23, 02-26…03-01, 03-04…03-06.
    assert main(["deadlines", "due", "--start", "2024-02-02", "--kind", "publish"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "2024-03-06"


def test_due_in_a_year_without_data_is_provisional_and_names_the_year(capsys):
    assert main(["deadlines", "due", "--start", "2031-03-02", "--kind", "objection_review"]) == 0
    out = capsys.readouterr().out
    assert (
        out.splitlines()[0] == "2031-03-28"
        and "暂按双休日推算，待2031年节假日安排录入后自动更正" in out
    )


def test_overdue_lists_rows_as_text_and_json(capsys):
    s = f.scene(start=D(2024, 9, 2), end=D(2024, 9, 20), targets=1)
    other = f.scene(start=D(2024, 9, 2), end=D(2024, 9, 20), targets=1)
    assert (
        main(["deadlines", "overdue", "--today", "2024-10-24", "--department", s.crew.dept.code])
        == 0
    )
    out = capsys.readouterr().out
    assert (
        "逾期 1 项" in out
        and s.visits[0].entity.name in out
        and other.visits[0].entity.name not in out
    )
    assert "截止2024-10-23" in out and "逾期1个工作日" in out
    assert main(["deadlines", "overdue", "--today", "2024-10-24", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {(r["department"], r["kind"], r["due"], r["workdays_overdue"]) for r in rows} == {
        (s.crew.dept.code, "result", "2024-10-23", 1),
        (other.crew.dept.code, "result", "2024-10-23", 1),
    }


def test_overdue_on_the_due_day_lists_nothing(capsys):
    f.scene(start=D(2024, 9, 2), end=D(2024, 9, 20), targets=1)
    assert main(["deadlines", "overdue", "--today", "2024-10-23", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_an_unknown_department_is_refused(capsys):
    assert main(["deadlines", "overdue", "--department", "NOPE"]) == 1
    assert "部门代码不存在：NOPE" in capsys.readouterr().err
