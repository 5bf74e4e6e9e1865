"""Relative times ("6 minutes ago") for `<time>` elements, computed when a page is rendered."""

from datetime import datetime

from django.utils import timezone
from django.utils.html import format_html

_UNITS = [
    (365 * 86400, "year"),
    (30 * 86400, "month"),
    (7 * 86400, "week"),
    (86400, "day"),
    (3600, "hour"),
    (60, "minute"),
]


def relative(moment: datetime, now: datetime | None = None) -> str:
    now = now or timezone.now()
    seconds = int((now - moment).total_seconds())
    if seconds < 0:
        return "just now"
    if seconds < 60:
        return "just now"
    for size, name in _UNITS:
        if seconds >= size:
            n = seconds // size
            return f"{n} {name}{'' if n == 1 else 's'} ago"
    return "just now"


def absolute(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%d %b %Y %H:%M")


def time_element(moment: datetime, now: datetime | None = None) -> str:
    return format_html(
        '<time class="rel" datetime="{}" title="{}">{}</time>',
        moment.isoformat(),
        absolute(moment),
        relative(moment, now),
    )
