import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Each test stores its files in a folder of its own, so that it sees only those."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"
