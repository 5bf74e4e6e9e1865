"""A fresh media folder for every test, and real images made with Pillow (core's fixtures:
core/images.py checks them)."""

import pytest
from django.core.files.storage import default_storage

from townsquare.core.tests.conftest import bomb_png, image_bytes, image_file  # noqa: F401


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Each test stores its files in its own empty MEDIA_ROOT (inside tmp_path, so that a
    path escaping it has somewhere to point)."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def stored_files(media):
    """Every file in the test's storage, as storage names."""
    def files() -> list[str]:
        return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())

    return files


@pytest.fixture
def bucket(settings):
    """A storage that is not local files, whose URLs point elsewhere (as a bucket's do)."""
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.InMemoryStorage",
        "OPTIONS": {"base_url": "https://bucket.example/town/"}}}
    return default_storage
