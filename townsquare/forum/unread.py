"""Unread marks on topic lists, added to a list rendered once for every member.

The home and category pages keep their topic lists in the template fragment cache. A member's
copy of the fragment holds a slot after each topic's title (an HTML comment: titles and names
are escaped, so nothing a member writes can make one); the view fills the slots for that
member from one query and leaves nothing behind. Guests get the fragment without slots.
"""

import re

from django.http import HttpResponse
from django.utils.html import format_html

from .queries import Unread, list_unread

_SLOT = re.compile(r"<!--unread (\d+)-->")


def with_unread_marks(request, response: HttpResponse) -> HttpResponse:
    """The rendered list page with the member's unread marks in its slots."""
    if request.user.is_authenticated and response.status_code == 200:
        html = response.content.decode()
        response.content = fill_unread_marks(html, request.user.pk).encode()
    return response


def fill_unread_marks(html: str, member_id: int) -> str:
    ids = [int(found) for found in _SLOT.findall(html)]
    if not ids:
        return html
    unread = list_unread(member_id, ids)
    return _SLOT.sub(lambda match: unread_mark(unread.get(int(match.group(1)))), html)


def unread_mark(unread: Unread | None) -> str:
    """"New" (never opened) or "N new" (since the last visit), linking to the first unread
    post; nothing when the topic is read."""
    if unread is None or unread.all_read:
        return ""
    if unread.never_read:
        return format_html(' <a class="badge unread-badge" href="{}">New'
                           '<span class="visually-hidden"> topic: you have not opened it</span>'
                           "</a>", unread.url)
    count = unread.new_count
    return format_html(' <a class="badge unread-badge" href="{}">{} new'
                       '<span class="visually-hidden"> {}, go to the first unread</span></a>',
                       unread.url, count, "post" if count == 1 else "posts")
