"""URL resolution remembered per path.

Django resolves a request's path by trying the site's patterns in order; each app's patterns
that do not match raise and collect a list of what was tried (for the debug 404 page). A topic
page's address comes after four apps' patterns, and working that out again on every view cost
about as much as one of the page's queries. Paths that resolved are remembered per process
(least recently used first out); a path that does not resolve is worked out each time.
"""

from django.urls.resolvers import RoutePattern, URLResolver

from .memo import LocalMemo


class RememberingResolver(URLResolver):
    """A URLResolver for a list of patterns (like `path("", include(patterns))`) that keeps
    the match for each path it resolved."""

    def __init__(self, patterns: list, max_paths: int = 5000):
        super().__init__(RoutePattern("", is_endpoint=False), patterns)
        self._matches = LocalMemo(max_paths)

    def resolve(self, path):
        path = str(path)
        match = self._matches.get(path)
        if match is None:
            match = super().resolve(path)  # Resolver404 when nothing matches: not kept
            # What was tried before the match is for debug 404 pages, which a match never
            # shows; the site's resolver copies it on every request.
            match.tried = match.tried[-1:]
            self._matches.put(path, match)
        return match
