"""common/dbfunctions.py: LocalDate gives the local (Asia/Shanghai) day of a stored moment,
the same as Django's TruncDate on both databases — at the midnight boundary too."""

import datetime as dt

import pytest
from django.db.models.functions import TruncDate

from shuangsuiji.accounts.models import User
from shuangsuiji.common.dbfunctions import LocalDate
from tests import factories

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (dt.datetime(2024, 3, 31, 15, 59, 59, 999999, tzinfo=UTC), dt.date(2024, 3, 31)),
        (dt.datetime(2024, 3, 31, 16, 0, tzinfo=UTC), dt.date(2024, 4, 1)),
        (dt.datetime(2024, 12, 31, 16, 0, 1, tzinfo=UTC), dt.date(2025, 1, 1)),
        (dt.datetime(2024, 2, 28, 17, 30, tzinfo=UTC), dt.date(2024, 2, 29)),
    ],
)
def test_local_date_is_the_shanghai_day(moment, day):
    u = factories.user()
    User.objects.filter(pk=u.pk).update(last_login=moment)
    row = User.objects.filter(pk=u.pk).annotate(
        local=LocalDate("last_login"), django=TruncDate("last_login")
    )
    local, django = row.values_list("local", "django").get()
    assert local == django == day


def test_a_missing_moment_stays_missing():
    u = factories.user()
    User.objects.filter(pk=u.pk).update(last_login=None)
    assert User.objects.filter(pk=u.pk).annotate(d=LocalDate("last_login")).get().d is None
