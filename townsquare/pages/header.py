"""The site header every page has: the member's links and bell, and one-time messages."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from townsquare.core.shell import cached_shell, filled, hole
from townsquare.notifications.queries import unread_count


def site(request):
    """Context for every template. Callables: a template calls them only where it shows them,
    and a page shell puts holes in their place instead (see core/shell.py)."""
    return {
        "site_name": settings.SITE_NAME,
        "user_nav": lambda: user_nav(request),
        "flash": lambda: flash(request),
    }


def user_nav(request) -> SafeString:
    """The header's member links (or sign-in links), kept per member, with their bell."""
    user = request.user
    if not user.is_authenticated:
        key = "nav:guest"
    else:
        key = f"nav:{user.pk}:{user.username}:{int(user.is_staff)}:{user.role}"
    shell = cached_shell(key, lambda: render_to_string("base.html#user_nav", {
        "user": user, "csrf_token": hole("csrf"), "bell": hole("bell")}))
    values = {"bell": bell(request)} if user.is_authenticated else {}
    return mark_safe(shell.fill(request, values))


def bell(request) -> SafeString:
    """The bell: a link to the member's notifications with their unread count."""
    base = settings.LIVE_STREAM_URL
    return filled(request, "notifications/bell.html", count=int(unread_count(request.user)),
                  stream=f"{base}/live/me/" if base else "")


def flash(request) -> SafeString:
    """One-time messages ("Welcome back"), if the request carries any."""
    storage = getattr(request, "_messages", None)
    if not storage:
        return mark_safe("")
    return render_to_string("base.html#flash", {"messages": storage})
