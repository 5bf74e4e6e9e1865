import re

import pytest
from django.conf import settings

# Real images and pixel bombs (core's, whose checks avatars go through, as post images do),
# and a fresh media folder per test (the uploads app's).
from townsquare.core.tests.conftest import bomb_png, image_bytes, image_file  # noqa: F401
from townsquare.newsletter.tests.conftest import run_queued_tasks
from townsquare.uploads.tests.conftest import media, stored_files  # noqa: F401


@pytest.fixture
def worker(django_capture_on_commit_callbacks):
    """Call something as if its transaction committed, then do what the worker would: run
    the tasks it queued (the emails among them)."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            result = fn(*args, **kwargs)
        run_queued_tasks()
        return result

    return run


def link_in(message, path: str) -> str:
    """The path of the SITE_URL link under `path` in an email's text."""
    found = re.search(re.escape(settings.SITE_URL) + rf"({re.escape(path)}\S+/)", message.body)
    assert found, f"no {path} link in:\n{message.body}"
    return found.group(1)
