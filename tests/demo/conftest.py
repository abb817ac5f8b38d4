"""The demo (``ssj demo``) is loaded once for all the tests of this package — twice in fact,
the second time the next day, to show it changes nothing (issue 12 第 7 项) — inside a transaction rolled back after the
package; each test's own transaction nests in it. Loading is what takes time: the tests
here only read what it made (or write inside their own rolled-back transaction)."""

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from shuangsuiji.audit.models import Event
from shuangsuiji.demo import demo_load
from shuangsuiji.disclosure.models import Objection, PortalSubmission, PublishedResult
from shuangsuiji.inspection.choices import VisitStatus
from shuangsuiji.inspection.models import Evidence, FollowUp, ResultVersion, Signature, Visit
from tests.conftest import suite_now

ENTITIES = 300
SECOND_SITE = "http://ssj.example.gov.cn:8080"


def counts() -> dict[str, int]:
    return {
        "published": PublishedResult.objects.count(),
        "versions": ResultVersion.objects.count(),
        "objections": Objection.objects.count(),
        "submissions": PortalSubmission.objects.count(),
        "signatures": Signature.objects.count(),
        "evidence": Evidence.objects.count(),
        "followups": FollowUp.objects.count(),
        # Re-importing the demo's CSV files records each import (an import is an event even
        # when nothing changes); every other event would be a change.
        "events": Event.objects.exclude(action__startswith="import.").count(),
        "started": Visit.objects.exclude(status=VisitStatus.PENDING).count(),
    }


def demo_now() -> dt.datetime:
    """The demo is loaded, and its tests run, on 15 September of the suite's year: the demo
    lives in the present (demo/timeline.py), so what it shows depends on the day — fixed
    here, whatever ``SSJ_TEST_NOW`` says, so that these tests do not depend on the date.
    Early January (a year just begun) has its own test (test_present.py)."""
    return suite_now().replace(month=9, day=15, hour=10, minute=0, second=0, microsecond=0)


@pytest.fixture(autouse=True)
def _demo_clock():
    # An hour after the load began: whatever the load stamped is in the past.
    with time_machine.travel(demo_now() + dt.timedelta(hours=1), tick=True):
        yield


@pytest.fixture(scope="package")
def demo_loaded(django_db_setup, django_db_blocker, tmp_path_factory):
    var = tmp_path_factory.mktemp("demo")
    with (
        django_db_blocker.unblock(),
        override_settings(VAR_DIR=var, MEDIA_ROOT=var / "media"),
        time_machine.travel(demo_now(), tick=True),
    ):
        with transaction.atomic():
            first = demo_load(entities=ENTITIES)
            first_counts = counts()
            with time_machine.travel(timezone.now() + dt.timedelta(days=1), tick=True):
                second = demo_load(entities=ENTITIES, site=SECOND_SITE)
            yield {
                "first": first_counts,
                "second": counts(),
                "first_text": first.text(),
                "first_lines": list(first.lines),
                "text": second.text(),
                "var": var,
                "media": var / "media",
            }
            transaction.set_rollback(True)


@pytest.fixture
def demo(demo_loaded, settings):
    """The loaded demo, with this test's settings pointing at its files (manifests, evidence)."""
    settings.VAR_DIR = demo_loaded["var"]
    settings.MEDIA_ROOT = demo_loaded["media"]
    return demo_loaded
