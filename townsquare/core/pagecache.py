"""Whole-page caching for guests, keyed by a version that every write bumps on commit.

A key names the version it was rendered from, so a write makes the old entry unreachable:
no reader sees a stale page after the write is acknowledged. The timeout only bounds how
old the relative times ("6 minutes ago") in a cached page can get.
"""

from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse


def guest_page(request, key: str, build: Callable[[], HttpResponse]) -> HttpResponse:
    if request.user.is_authenticated or request.htmx:
        return build()
    cached = cache.get(key)
    if cached is not None:
        return HttpResponse(cached)
    response = build()
    # A page that used a CSRF token is a member's page, never a shared one.
    if response.status_code == 200 and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        cache.set(key, response.content, settings.GUEST_PAGE_CACHE_SECONDS)
    return response
