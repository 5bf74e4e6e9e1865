"""A small in-process layer in front of the shared cache, for entries that never change.

Page shells and a page's ready posts are keyed by the version they were built from, so an
entry is never updated in place: a write bumps the version and readers ask for a new key.
Such entries can be kept as live Python objects in each worker, skipping the unpickling (and,
with Redis, the network round trip) that a cache read costs on every view. The layer is
bounded by entry count and forgets the least recently used entry first.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache

_MISSING = object()


class LocalMemo:
    """A bounded, least-recently-used dict of this worker's own."""

    _all: list["LocalMemo"] = []

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        LocalMemo._all.append(self)

    @classmethod
    def clear_all(cls) -> None:
        """Forget everything every memo holds (tests, where ids and versions repeat)."""
        for memo in cls._all:
            memo.clear()

    def get(self, key: str, default=None):
        with self._lock:
            value = self._entries.get(key, _MISSING)
            if value is _MISSING:
                return default
            self._entries.move_to_end(key)
            return value

    def put(self, key: str, value) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


# Page-sized entries (30-60 KB): 300 of them stay under 20 MB per worker.
pages_memo = LocalMemo(300)


def is_process_local(cache) -> bool:
    """True for a local-memory cache: it is this worker's own, so keeping a pickled copy there
    of what a LocalMemo holds live would only double the memory."""
    return isinstance(cache, LocMemCache)


def versioned_page_part(key: str, build: Callable[[], object], seconds: int):
    """The immutable page-sized entry under `key`: from this worker, the shared cache, or
    `build` (whose result is then kept in both)."""
    value = pages_memo.get(key, _MISSING)
    if value is not _MISSING:
        return value
    shared = caches["pages"]
    # A shared cache (Redis) spares other workers the build.
    if is_process_local(shared):
        value = build()
    elif (value := shared.get(key)) is None:
        value = build()
        shared.set(key, value, seconds)
    pages_memo.put(key, value)
    return value
