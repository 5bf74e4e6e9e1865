"""Topic view counts, gathered in memory and written in batches.

A write per page view would put every reader behind SQLite's single writer (and make a
cached guest page cost a write). Each app process counts views in memory and adds them to
the topics' rows at most once per interval, in one short transaction.
"""

import threading
import time
from collections import Counter

from django.db import DatabaseError, transaction
from django.db.models import F

from townsquare.core.errors import is_read_only

from .models import Topic

FLUSH_SECONDS = 30.0

_lock = threading.Lock()
_pending: Counter = Counter()
_last_flush = time.monotonic()


def count_view(topic_id: int) -> None:
    global _last_flush
    with _lock:
        _pending[topic_id] += 1
        if time.monotonic() - _last_flush < FLUSH_SECONDS:
            return
        counts = dict(_pending)
        _pending.clear()
        _last_flush = time.monotonic()
    write_counts(counts)


def flush() -> None:
    """Write whatever this process has counted (at shutdown, and in tests)."""
    global _last_flush
    with _lock:
        counts = dict(_pending)
        _pending.clear()
        _last_flush = time.monotonic()
    write_counts(counts)


def write_counts(counts: dict[int, int]) -> None:
    if not counts:
        return
    try:
        with transaction.atomic():
            for topic_id, views in sorted(counts.items()):
                # Only the counter: views are not shown on cached pages, so no version bump.
                Topic.objects.filter(pk=topic_id).update(views=F("views") + views)
    except DatabaseError as error:
        if not is_read_only(error):
            raise
        # A read-only database must not cost a reader the page: count on, write later.
        with _lock:
            _pending.update(counts)
