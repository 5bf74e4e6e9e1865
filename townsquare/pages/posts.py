"""A topic's posts put together for one reader.

A post reaches a reader in two layers, both from `components/post.html`: its `inner` part
(author, time, body, attribution), rendered once per post version for everyone
(forum/entries.py), and the `post` around it with the controls one *kind* of reader gets
(`May`: react, quote, edit, delete, restore, and which reaction is their own), rendered once per
post version and kind and kept as a shell (core/shell.py) whose holes take the reader's CSRF
token and the relative time. A page's run of posts as one kind of reader gets them is joined
into one shell per worker, so a member's view of a page is a lookup and one fill. The page, the
reply's htmx answer and the live push all come from here.
"""

import time
from typing import NamedTuple

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from townsquare.core.memo import LocalMemo, versioned_page_part
from townsquare.core.shell import Shell, template_shell
from townsquare.forum import permissions
from townsquare.forum.entries import Entry, entries_of
from townsquare.forum.models import Post
from townsquare.notifications.queries import ignored_ids
from townsquare.reactions.queries import KINDS, get_member_reactions, reaction_summary

PART_SECONDS = 24 * 3600


class Reader(NamedTuple):
    """What decides the controls under a topic's posts for one reader."""

    member_id: int | None  # -1: a member, not the author of any post in question
    moderator: bool
    can_reply: bool
    locked: bool
    post_count: int  # the topic's: an opening post with replies can't be deleted by its author

    @classmethod
    def of(cls, user, topic, *, can_reply: bool) -> "Reader":
        member_id = user.pk if user.is_authenticated else None
        return cls(member_id, member_id is not None and permissions.is_moderator(user),
                   can_reply, topic.locked, topic.post_count)


class May(NamedTuple):
    """The controls one reader gets under one post."""

    react: bool = False
    reply: bool = False
    edit: bool = False
    delete: bool = False
    restore: bool = False
    collected: bool = False  # the reader collects this post to quote it
    pressed: str = ""  # the reader's own reaction to it

    @classmethod
    def of(cls, entry: Entry, reader: Reader, *, edit_after: float,
           collected: bool = False, pressed: str = "") -> "May":
        if entry.hidden:
            return cls()
        moderator, own = reader.moderator, reader.member_id == entry.author_id
        if entry.deleted:
            return cls(restore=moderator or (own and entry.self_deleted))
        open_to_author = own and not reader.locked
        return cls(
            react=reader.member_id is not None and not own,
            reply=reader.can_reply, collected=reader.can_reply and collected,
            pressed=pressed if reader.member_id is not None and not own else "",
            edit=moderator or (open_to_author and entry.created >= edit_after),
            delete=moderator or (open_to_author
                                 and not (entry.opening and reader.post_count > 1)))


def post_shell(entry: Entry, may: May) -> Shell:
    """The post as this kind of reader gets it, cut at its holes (kept per version and kind)."""
    key = f"post:{entry.pk}:v{entry.version}:{may.pressed}:" + "".join(
        "1" if flag else "0" for flag in may[:-1])
    return versioned_page_part(key, lambda: Shell(render_to_string("components/post.html#post", {
        "entry": entry, "may": may, "kinds": KINDS,
        "counts": reaction_summary(entry.reaction_counts)})), PART_SECONDS)


def edit_after() -> float:
    """Authors may edit posts younger than this (moderators any); see can_edit_post."""
    return time.time() - settings.POST_EDIT_WINDOW


# A run of posts as one kind of reader gets them, joined into one shell: most members get the
# same controls on a page, so most views of it are one lookup and one fill.
_runs = LocalMemo(300)  # like core.memo.pages_memo: a few hundred pages of posts at most


def render_entries(request, topic, entries, *, can_reply: bool, mine: dict[int, str],
                   collected: frozenset[int] = frozenset()) -> str:
    reader = Reader.of(request.user, topic, can_reply=can_reply)
    after = edit_after()
    ignored = ignored_ids(request.user) if reader.member_id else frozenset()
    kinds = tuple((entry.pk, entry.version, entry.author_id in ignored,
                   May.of(entry, reader, edit_after=after, collected=entry.pk in collected,
                          pressed=mine.get(entry.pk, "")))
                  for entry in entries)
    shell = _runs.get(kinds)
    if shell is None:
        shell = Shell("".join(_source(entry, may, hide)
                              for entry, (_, _, hide, may) in zip(entries, kinds, strict=True)))
        _runs.put(kinds, shell)
    return shell.fill(request)


def _source(entry: Entry, may: May, hide: bool) -> str:
    """The post's HTML with its holes still in: wrapped for a reader who ignores its author."""
    source = post_shell(entry, may).source()
    if hide:
        source = template_shell("components/post.html#ignored").fill(None, {"post": source})
    return source


def render_posts(request, topic, posts: list[Post], *, can_reply: bool) -> SafeString:
    """Given posts (a reply just written), for this reader."""
    entries = entries_of(topic, posts)
    mine = get_member_reactions(request.user, [e.pk for e in entries])
    return mark_safe(render_entries(request, topic, entries, can_reply=can_reply, mine=mine))
