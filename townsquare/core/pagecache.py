"""Whole-page caching for guests, keyed by versions that every write bumps in its transaction.

A key names the version it was rendered from, so a write makes the old entry unreachable:
no reader sees a stale page after the write is acknowledged. The timeout only bounds how
old the relative times ("6 minutes ago") in a cached page can get. What changes without a
write (who is browsing a topic) is a hole in the kept page (core/shell.py), filled on every
request.
"""

from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse

from .shell import Shell

# The values of a page's holes for this request.
Fill = Callable[[], dict[str, str]]


def is_guest(request) -> bool:
    """A signed-out reader's full-page request: the kind of request a shared page serves."""
    return not (request.user.is_authenticated or request.htmx)


def cached_guest_page(request, key: str | None, fill: Fill | None = None) -> HttpResponse | None:
    """The cached page under `key` for a guest's plain GET, if there is one (with its holes
    filled by `fill` when the page has some)."""
    if key is None or not is_guest(request):
        return None
    content = caches["pages"].get(_kept_as(key, fill))
    if content is None:
        return None
    return HttpResponse(content if fill is None else content.fill(request, fill()))


def guest_page(request, key: str | None, build: Callable[[], HttpResponse],
               fill: Fill | None = None) -> HttpResponse:
    """Serve a guest from the cache, or build the page (and keep it for the next guest).
    With `fill`, `build` renders the page with holes (`shell.hole`): the page is kept as a
    shell and every request, the first included, gets the values `fill` gives."""
    if hit := cached_guest_page(request, key, fill):
        return hit
    response = build()
    shell = Shell(response.content.decode(response.charset))
    if fill is None:
        # Kept whole: what its holes hold now (relative times) is kept with it, for at most
        # GUEST_PAGE_CACHE_SECONDS.
        response.content = kept = shell.fill(request).encode(response.charset)
    else:
        kept = shell
        response.content = shell.fill(request, fill())
    # A page that used a CSRF token is a member's page, never a shared one.
    if key and is_guest(request) and response.status_code == 200 \
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        caches["pages"].set(_kept_as(key, fill), kept, settings.GUEST_PAGE_CACHE_SECONDS)
    return response


def _kept_as(key: str, fill: Fill | None) -> str:
    """A page kept as a shell has a key of its own, so that no process (of this version or
    another, during a deploy) ever takes a shell for finished bytes, or bytes for a shell."""
    return key if fill is None else f"{key}:shell"
