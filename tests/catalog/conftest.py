import pytest

from tests.factories.catalog import make_item


@pytest.fixture
def item(trio):
    """One item (version 1) of the owner's department."""
    return make_item(department=trio["dept"], actor=trio["owner"])
