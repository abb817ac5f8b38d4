import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Evidence files go under a fresh MEDIA_ROOT per test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
