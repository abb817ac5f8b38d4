"""检查组全体成员签字确认 (002 第二十五条) — also when the last two members sign at the same
moment: exactly one move to review, both signatures kept."""

import threading

import pytest
from django.db import connection, connections

from shuangsuiji.audit.models import Event
from shuangsuiji.inspection import services
from shuangsuiji.inspection.choices import VersionStatus, VisitStatus
from shuangsuiji.inspection.models import ResultVersion, Signature
from tests.factories.inspection import dispatched_scene, submitted


def _sign_concurrently(version, users):
    barrier = threading.Barrier(len(users))
    errors: list[BaseException] = []

    def sign(user):
        try:
            barrier.wait()
            services.result_sign(version=ResultVersion.objects.get(pk=version.pk), actor=user)
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_last_two_members_signing_at_once_make_exactly_one_move_to_review():
    if connection.vendor != "postgresql":
        pytest.skip(
            "需要 PostgreSQL 的行锁并发；SQLite 整库串行写入，顺序签字由 test_services_results 覆盖"
        )
    for round_no in range(5):
        scene = dispatched_scene(targets=1, inspectors=2)
        visit, version = submitted(scene)
        errors = _sign_concurrently(version, scene.members_users(visit))
        assert not errors, errors
        version.refresh_from_db()
        visit.refresh_from_db()
        assert (version.status, visit.status) == (VersionStatus.REVIEW, VisitStatus.REVIEW), (
            f"round {round_no}"
        )
        assert Signature.objects.filter(version=version).count() == 2
        assert (
            Event.objects.filter(action="result.signed_all", object_id=str(version.pk)).count() == 1
        )
