"""Which database the tests run on, and extra database aliases for a test."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import load_backend


def engine() -> str:
    return connections[DEFAULT_DB_ALIAS].vendor


postgresql_only = pytest.mark.skipif(engine() != "postgresql",
                                     reason="reads the way PostgreSQL reads")
sqlite_only = pytest.mark.skipif(engine() != "sqlite", reason="reads the way SQLite reads")


@contextmanager
def extra_database(settings_dict: dict) -> Iterator[str]:
    """A database alias of its own for the block, set up like the site's default one and
    known to this thread only (Django's test case refuses connections to aliases from the
    settings that the test did not name; one made on the fly is allowed)."""
    alias = f"extra_{uuid.uuid4().hex[:8]}"
    connection = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias)
    connections[alias] = connection
    try:
        yield alias
    finally:
        connection.close()
        del connections[alias]
