"""Whole-page caching for guests, keyed by versions that every write bumps in its transaction.

A key names the version it was rendered from, so a write makes the old entry unreachable:
no reader sees a stale page after the write is acknowledged. The timeout only bounds how
old the relative times ("6 minutes ago") in a cached page can get.
"""

from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse


def is_guest(request) -> bool:
    """A signed-out reader's full-page request: the kind of request a shared page serves."""
    return not (request.user.is_authenticated or request.htmx)


def cached_guest_page(request, key: str | None) -> HttpResponse | None:
    """The cached page under `key` for a guest's plain GET, if there is one."""
    if key is None or not is_guest(request):
        return None
    content = caches["pages"].get(key)
    return HttpResponse(content) if content is not None else None


def guest_page(request, key: str | None, build: Callable[[], HttpResponse]) -> HttpResponse:
    """Serve a guest from the cache, or build the page (and keep it for the next guest)."""
    if hit := cached_guest_page(request, key):
        return hit
    response = build()
    # A page that used a CSRF token is a member's page, never a shared one.
    if key and is_guest(request) and response.status_code == 200 \
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        caches["pages"].set(key, response.content, settings.GUEST_PAGE_CACHE_SECONDS)
    return response
