import pytest
from django.db import connection, transaction

from shuangsuiji.audit.models import Event
from shuangsuiji.audit.services import chain_verify, event_record
from shuangsuiji.cli import main as ssj

pytestmark = pytest.mark.django_db


def _events(n: int) -> None:
    for i in range(n):
        with transaction.atomic():
            event_record(
                actor="测试",
                action="test.step",
                object_type="demo",
                object_id=str(i),
                object_repr=f"第{i}步",
                after={"i": i, "名称": "中文"},
            )


def test_a_fresh_chain_verifies_and_the_command_says_so(capsys):
    _events(5)
    assert chain_verify().ok and chain_verify().checked == 5
    assert ssj(["audit", "verify"]) == 0
    assert "共 5 个事件" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_record_outside_a_transaction():
    with pytest.raises(RuntimeError):
        event_record(actor=None, action="x", object_type="y", object_id="1")


def test_an_altered_event_is_named(capsys):
    _events(5)
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {Event._meta.db_table} SET after = %s WHERE seq = 3", ['{"i": 99}'])
    report = chain_verify()
    assert not report.ok and report.bad_seq == 3 and "篡改" in report.reason
    assert ssj(["audit", "verify"]) == 1
    assert "第 3 号事件" in capsys.readouterr().out


def test_a_deleted_event_is_named():
    _events(5)
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {Event._meta.db_table} WHERE seq = 2")
    report = chain_verify()
    assert not report.ok and report.bad_seq == 2


def test_a_deleted_tail_is_noticed():
    _events(4)
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {Event._meta.db_table} WHERE seq = 4")
    report = chain_verify()
    assert not report.ok and "末尾" in report.reason


def test_reordered_events_are_noticed():
    _events(4)
    table = Event._meta.db_table
    with connection.cursor() as cur:
        # Swap the seq of events 2 and 3 (through a temporary value to respect uniqueness).
        cur.execute(f"UPDATE {table} SET seq = -2 WHERE seq = 2")
        cur.execute(f"UPDATE {table} SET seq = 2 WHERE seq = 3")
        cur.execute(f"UPDATE {table} SET seq = 3 WHERE seq = -2")
    report = chain_verify()
    assert not report.ok and report.bad_seq == 2


def test_an_event_rolled_back_with_its_change_leaves_no_gap():
    _events(2)
    with pytest.raises(ValueError), transaction.atomic():
        event_record(actor=None, action="doomed", object_type="x", object_id="1")
        raise ValueError
    _events(1)
    assert chain_verify().ok and Event.objects.count() == 3
