"""Relative times ("6 minutes ago") for `<time>` elements, computed when a page is rendered."""

import re
from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
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


def time_element(moment: datetime, now: datetime | None = None) -> str:
    absolute = timezone.localtime(moment).strftime("%d %b %Y %H:%M")
    return format_html(
        '<time class="rel" datetime="{}" title="{}">{}</time>',
        moment.isoformat(),
        absolute,
        relative(moment, now),
    )


_TIME_RE = re.compile(r'<time class="rel" datetime="([^"]+)"([^>]*)>[^<]*</time>')


def refresh_relative_times(html: str, now: datetime | None = None) -> str:
    """Rewrite the text of every `<time class="rel">` in stored HTML to be relative to now."""
    now = now or timezone.now()

    def repl(match):
        moment = parse_datetime(match.group(1))
        if moment is None:
            return match.group(0)
        attrs = f'class="rel" datetime="{match.group(1)}"{match.group(2)}'
        return f"<time {attrs}>{relative(moment, now)}</time>"

    return _TIME_RE.sub(repl, html)
