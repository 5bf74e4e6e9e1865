"""Unread marks on topic lists: an `unread:<topic id>` hole after each title of a member's
list page (forum/topic_rows.html), filled for that member from one query."""

from django.utils.html import escape

from townsquare.core.shell import template_shell
from townsquare.forum.queries import list_unread

_PREFIX = "unread:"


def unread_marks(request, shell) -> dict[str, str]:
    """The values of the shell's unread holes for this member ("New", "3 new" or nothing)."""
    ids = [int(name[len(_PREFIX):]) for name in shell.names if name.startswith(_PREFIX)]
    if not ids or not request.user.is_authenticated:
        return {}
    marks, shells = {}, {}
    for topic_id, unread in list_unread(request.user.pk, ids).items():
        if not unread.all_read:
            count = unread.new_count
            kind = (unread.never_read, count != 1)
            mark = shells.get(kind)
            if mark is None:
                mark = shells[kind] = template_shell("forum/topic_rows.html#unread_mark",
                                                     never_read=kind[0], plural=kind[1])
            marks[f"{_PREFIX}{topic_id}"] = mark.fill(
                request, {"url": escape(unread.url), "count": str(count)})
    return marks
