"""The site's addresses as the URL conf has them, for the tests that try every one."""

from django.urls import URLResolver, get_resolver


def site_routes(resolver=None, prefix: str = ""):
    """(route, url name) of every pattern the site resolves, admin's aside."""
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith("admin/"):
            continue
        if isinstance(pattern, URLResolver):
            yield from site_routes(pattern, route)
        else:
            yield route, pattern.name
