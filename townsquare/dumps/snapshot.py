"""Reading the whole database as it was at one moment, without holding writers up.

`townsquare export` and `townsquare backup` read every table inside `read_snapshot()`:

- PostgreSQL: a REPEATABLE READ, READ ONLY transaction. Its snapshot is taken by its first
  query and every later query sees the same rows; READ COMMITTED (Django's default) would
  see each table as it was when that table was read, so a reply written half-way through
  could land in the export without its author. `Snapshot.export_id()` hands the snapshot
  to pg_dump, so a backup's row counts and its dump describe the same moment.
- SQLite (WAL): a plain deferred read transaction pinned by a first read. The site's own
  connections open their transactions with BEGIN IMMEDIATE, which takes the write lock: an
  export in one of those stopped every writer until it ended. A WAL reader takes no lock
  that writers wait for; it only keeps the WAL from being checkpointed past its snapshot
  until it ends.

Both refuse writes for the length of the block.
"""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.transaction import TransactionManagementError


@dataclass
class Snapshot:
    connection: BaseDatabaseWrapper

    @property
    def vendor(self) -> str:
        return self.connection.vendor

    def export_id(self) -> str:
        """PostgreSQL: a name other sessions (pg_dump --snapshot) can read this snapshot by,
        for as long as the block lasts."""
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            return cursor.fetchone()[0]


@contextmanager
def read_snapshot(using: str = DEFAULT_DB_ALIAS) -> Iterator[Snapshot]:
    """Every query on `using` inside the block reads the database as it was when the block
    began. It must be the outermost transaction: nested in another, it could only share
    that one's view."""
    connection = connections[using]
    if connection.in_atomic_block:
        raise TransactionManagementError("A read snapshot must be the outermost transaction.")
    if connection.vendor == "sqlite":
        with _sqlite_snapshot(connection, using):
            yield Snapshot(connection)
        return
    with transaction.atomic(using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield Snapshot(connection)


@contextmanager
def _sqlite_snapshot(connection: BaseDatabaseWrapper, using: str) -> Iterator[None]:
    connection.ensure_connection()  # connecting sets transaction_mode from the settings
    try:
        with ExitStack() as stack:
            mode, connection.transaction_mode = connection.transaction_mode, "DEFERRED"
            try:
                stack.enter_context(transaction.atomic(using))
            finally:
                connection.transaction_mode = mode
            with connection.cursor() as cursor:
                # A deferred transaction starts reading at its first read: pin it now.
                cursor.execute("SELECT count(*) FROM sqlite_master")
                cursor.execute("PRAGMA query_only = ON")
            yield
    finally:
        if connection.connection is not None:
            connection.connection.execute("PRAGMA query_only = OFF")
