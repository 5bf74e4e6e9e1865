"""The in-process layer for immutable, version-keyed page parts."""

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache

from townsquare.core.memo import LocalMemo, pages_memo, versioned_page_part


def test_the_memo_forgets_the_least_recently_used_entry_first():
    memo = LocalMemo(2)
    memo.put("a", 1)
    memo.put("b", 2)
    assert memo.get("a") == 1  # "a" is now the most recent
    memo.put("c", 3)
    assert "b" not in memo._entries and memo.get("a") == 1 and memo.get("c") == 3
    assert len(memo._entries) == 2


def test_a_part_is_built_once_per_worker_and_shared_through_a_shared_cache():
    built = []

    def build():
        built.append(1)
        return ("page", len(built))

    assert versioned_page_part("posts:1:v1:p1", build, 60) == ("page", 1)
    assert versioned_page_part("posts:1:v1:p1", build, 60) == ("page", 1)
    assert len(built) == 1
    pages_memo.clear()  # as another worker would start
    if isinstance(caches["pages"], LocMemCache):
        # A local cache is per worker: no second, pickled copy is kept there.
        assert caches["pages"].get("posts:1:v1:p1") is None
        assert versioned_page_part("posts:1:v1:p1", build, 60) == ("page", 2)
    else:
        # A shared cache (Redis) spares the other worker the build.
        assert versioned_page_part("posts:1:v1:p1", build, 60) == ("page", 1)
        assert caches["pages"].get("posts:1:v1:p1") == ("page", 1)


def test_a_new_version_is_a_new_entry():
    assert versioned_page_part("posts:1:v1:p1", lambda: "old", 60) == "old"
    assert versioned_page_part("posts:1:v2:p1", lambda: "new", 60) == "new"
