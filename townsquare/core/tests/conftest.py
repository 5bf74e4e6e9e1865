import os
import subprocess
from pathlib import Path

import pytest


@pytest.fixture
def unwritable():
    """Make a file or folder unwritable even for root (which file permissions don't stop):
    immutable (chattr +i) as root, read-only permissions otherwise."""
    made = []

    def make(path: Path):
        if os.geteuid() != 0:
            path.chmod(0o555 if path.is_dir() else 0o444)
        elif subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
            pytest.skip("this file system can't make a file immutable for root (chattr +i)")
        made.append(path)

    yield make
    for path in made:
        if os.geteuid() != 0:
            path.chmod(0o755 if path.is_dir() else 0o644)
        else:
            subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.fixture
def shared_database(settings, monkeypatch):
    """Settings as with DATABASE_URL naming PostgreSQL (the connection itself stays the
    tests'), and no SECRET_KEY in the environment."""
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", "django.db.backends.postgresql")
    settings.SECRET_KEY_GIVEN = False
