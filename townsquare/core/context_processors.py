from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from .shell import csrf_token, hole

NAV_SECONDS = 3600


def site(request):
    # Callables: a template calls them only where it shows them, and a page shell puts
    # holes in their place instead (see core/shell.py).
    return {
        "site_name": settings.SITE_NAME,
        "user_nav": lambda: user_nav(request),
        "flash": lambda: flash(request),
    }


def user_nav(request) -> SafeString:
    """The header's member links (or sign-in links), rendered once per member and cached."""
    user = request.user
    if not user.is_authenticated:
        key = "nav:guest"
    else:
        key = f"nav:{user.pk}:{user.username}:{int(user.is_staff)}:{user.role}"
    html = cache.get(key)
    if html is None:
        html = render_to_string("base.html#user_nav", {"user": user, "csrf_token": hole("csrf"),
                                                         "bell": hole("bell")})
        cache.set(key, html, NAV_SECONDS)
    if user.is_authenticated:
        from townsquare.notifications.queries import bell_html

        html = html.replace(hole("csrf"), csrf_token(request)).replace(hole("bell"),
                                                                     bell_html(user))
    return mark_safe(html)


def flash(request) -> SafeString:
    """One-time messages ("Welcome back"), if the request carries any."""
    storage = getattr(request, "_messages", None)
    if not storage:
        return mark_safe("")
    return render_to_string("base.html#flash", {"messages": storage})
