"""Topic pages from ready parts.

The part of a post every reader sees alike (author, time, body, attribution) is rendered once
per post version and kept in the cache. Each page of a topic is kept, per topic version, as a
list of those parts with their reaction blocks ready for each kind of reader (`PagePost`),
in the cache for page-sized things. A page view fetches that list in one cache call, picks
each post's block for this reader (pressing their own reaction, adding their CSRF token),
adds the quote links, and brings relative times up to date in one pass. The posts are read
from the database only when the topic changed or its page was evicted; then only the posts
whose own version changed are rendered again.
"""

import time
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from townsquare.core.links import url_for
from townsquare.core.memo import LocalMemo, versioned_page_part
from townsquare.core.shell import csrf_token, hole
from townsquare.core.timefmt import refresh_relative_times
from townsquare.drafts.rendering import multiquote_button_html
from townsquare.notifications.queries import ignored_ids
from townsquare.reactions.models import Kind
from townsquare.reactions.queries import get_member_reactions, reaction_summary

from . import permissions
from .models import Post
from .queries import list_topic_posts
from .recommended import recommended_html

PART_SECONDS = 24 * 3600
KINDS = list(Kind.choices)
CSRF_HOLE = hole("csrf")
_END = "</footer>\n</article>\n"


@dataclass(frozen=True, slots=True)
class PostStamp:
    """What a page view needs of a post besides its shared HTML."""

    pk: int
    version: int
    author_id: int
    hidden: bool
    reaction_counts: dict
    created: float  # a timestamp: the edit window is counted from it
    deleted: bool
    opening: bool
    self_deleted: bool  # deleted by its author, who may then restore it

    @classmethod
    def of(cls, post: Post) -> "PostStamp":
        return cls(post.pk, post.version, post.author_id, post.hidden, post.reaction_counts,
                   post.created.timestamp(), post.deleted is not None, post.position == 1,
                   post.deleted is not None and post.deleted_by_id == post.author_id)

    @property
    def key(self) -> str:
        return f"post:{self.pk}:v{self.version}"

    @property
    def reaction_list(self):
        return reaction_summary(self.reaction_counts)


class PagePost(NamedTuple):
    """A post ready to join into a page: its shared HTML and its reaction block, built once.

    The reaction block is kept twice: counts only (guests, the post's author) and with the
    react form (other members), the latter with a CSRF hole and no button pressed.
    """

    pk: int
    author_id: int
    hidden: bool
    deleted: bool
    opening: bool
    self_deleted: bool
    created: float
    shared: str
    counts: str
    react: str
    quote: str
    # Everything after the shared HTML as most readers see it (a member who may reply, on a
    # post not their own, not a moderator), with CSRF holes: built once, so such a reader's
    # view of the post is a lookup and a replace. Empty for a hidden or deleted post.
    tail: str = ""

    @classmethod
    def of(cls, stamp: PostStamp, shared: str, topic_id: int) -> "PagePost":
        url = f"{url_for('topic_reply', topic_id)}?quote={stamp.pk}"
        quote = (f'<a class="quote-link" href="{url}#reply-area" hx-get="{url}" '
                 f'hx-target="#reply-area" hx-push-url="false">Quote</a>')
        react = _reaction_block(stamp, with_form=True)
        tail = "" if stamp.hidden or stamp.deleted else "".join((
            react, quote, multiquote_button_html(post_id=stamp.pk, selected=False,
                                                 csrf_token=CSRF_HOLE), _END))
        return cls(stamp.pk, stamp.author_id, stamp.hidden, stamp.deleted, stamp.opening,
                   stamp.self_deleted, stamp.created, shared,
                   _reaction_block(stamp, with_form=False), react, quote, tail)

    def controls(self, member_id: int | None, mine: str | None, token: str) -> str:
        if member_id is None or member_id == self.author_id:
            return self.counts
        html = self.react
        if mine:
            html = html.replace(f'value="{mine}" aria-pressed="false"',
                                f'value="{mine}" aria-pressed="true"', 1)
        return html.replace(CSRF_HOLE, token, 1)


def render_page(request, topic, page: int, *, can_reply: bool,
                collected: frozenset[int] = frozenset()) -> SafeString:
    """The posts of one page of a topic, for this reader (`collected`: the posts they are
    collecting to quote)."""
    key = f"posts:{topic.pk}:v{topic.version}:p{page}"
    entries = versioned_page_part(key, lambda: _page_posts(topic, page), PART_SECONDS)
    mine = get_member_reactions(request.user, [e.pk for e in entries], topic_id=topic.pk)
    shared = _timed_shared(key, entries)
    join = partial(_join, request, topic, my_reactions=mine, can_reply=can_reply,
                   collected=collected)
    recommended = recommended_html(request.user, topic) if page == 1 and entries else ""
    if not recommended:
        return join(entries, shared)
    # Recommended replies go right under the opening post.
    return mark_safe(join(entries[:1], shared[:1]) + recommended
                     + join(entries[1:], shared[1:]))


# Relative times are shown to the minute, so each worker brings a page's times up to date
# once a minute rather than on every view.
_timed = LocalMemo(150)


def _timed_shared(key: str, entries) -> tuple[str, ...]:
    now = timezone.now().replace(second=0, microsecond=0)
    timed_key = f"{key}@{int(now.timestamp()) // 60}"
    shared = _timed.get(timed_key)
    if shared is None:
        shared = tuple(refresh_relative_times(e.shared, now) for e in entries)
        _timed.put(timed_key, shared)
    return shared


def _page_posts(topic, page: int) -> tuple[PagePost, ...]:
    posts = list_topic_posts(topic, page)
    stamps = [PostStamp.of(post) for post in posts]
    shared = _shared_parts(topic, stamps, posts)
    return tuple(PagePost.of(stamp, shared[stamp.key], topic.pk) for stamp in stamps)


def render_posts(request, topic, posts: list[Post], *, my_reactions: dict,
                 can_reply: bool) -> SafeString:
    """Given posts (a reply just written), for this reader."""
    stamps = [PostStamp.of(p) for p in posts]
    shared = _shared_parts(topic, stamps, posts)
    entries = [PagePost.of(stamp, shared[stamp.key], topic.pk) for stamp in stamps]
    timed = [refresh_relative_times(e.shared) for e in entries]
    return _join(request, topic, entries, timed, my_reactions=my_reactions, can_reply=can_reply)


def counts_html(post: Post) -> str:
    """A post's reaction counts block, as guests and its author see it."""
    return _reaction_block(PostStamp.of(post), with_form=False)


def live_entry(post: Post) -> PagePost:
    """A post's page entry for the event stream (its shared HTML from the cache if there)."""
    stamp = PostStamp.of(post)
    shared = _shared_parts(post.topic, [stamp], [post])
    return PagePost.of(stamp, refresh_relative_times(shared[stamp.key]), post.topic_id)


def _shared_parts(topic, stamps: list[PostStamp], posts: list[Post]) -> dict[str, str]:
    found = cache.get_many([s.key for s in stamps])
    missing = [s.pk for s in stamps if s.key not in found]
    if not missing:
        return found
    loaded = {p.pk: p for p in posts if p.pk in missing}
    if len(loaded) < len(missing):
        rest = Post.objects.select_related("author").defer("body").filter(pk__in=missing)
        loaded |= {p.pk: p for p in rest}
    fresh = {}
    for post in loaded.values():
        context = {"post": post, "topic": topic, "site_name": settings.SITE_NAME}
        fresh[PostStamp.of(post).key] = render_to_string("forum/topic.html#post_shared",
                                                         context)
    cache.set_many(fresh, PART_SECONDS)
    return found | fresh


class ReaderKind(NamedTuple):
    """What decides the controls under a post for one reader of a topic."""

    member_id: int | None
    moderator: bool
    can_reply: bool
    locked: bool
    post_count: int  # the topic's: an opening post with replies can't be deleted by its author

    @classmethod
    def of(cls, user, topic, *, can_reply: bool) -> "ReaderKind":
        member_id = user.pk if user.is_authenticated else None
        return cls(member_id, member_id is not None and permissions.is_moderator(user),
                   can_reply, topic.locked, topic.post_count)


def _join(request, topic, entries, shared_html, *, my_reactions, can_reply,
          collected=frozenset()) -> SafeString:
    reader = ReaderKind.of(request.user, topic, can_reply=can_reply)
    token = csrf_token(request) if reader.member_id else ""
    # Authors may edit posts younger than this (moderators any); see can_edit_post.
    edit_after = time.time() - settings.POST_EDIT_WINDOW
    ignored = ignored_ids(request.user) if reader.member_id else frozenset()
    parts = []
    for entry, shared in zip(entries, shared_html, strict=True):
        # A member the reader ignores: the post collapses behind a control that shows it.
        hide = entry.author_id in ignored
        if hide:
            parts.append('<details class="ignored-post"><summary>A post by a member you '
                         "ignore: show it</summary>")
        parts.append(shared)
        parts.append(post_controls(entry, reader, token=token, edit_after=edit_after,
                                   mine=my_reactions.get(entry.pk),
                                   selected=entry.pk in collected))
        if hide:
            parts.append("</details>\n")
    return mark_safe("".join(parts))


def post_controls(entry: PagePost, reader: ReaderKind, *, token: str, edit_after: float,
                  mine: str | None = None, selected: bool = False) -> str:
    """What follows a post's shared HTML for this reader, to the end of its article (also
    built by the event stream, with the CSRF hole left for the page's script to fill)."""
    if entry.hidden:
        return "</article>\n"
    moderator, own = reader.moderator, reader.member_id == entry.author_id
    if entry.tail and reader.can_reply and not (own or moderator or selected) \
            and reader.member_id is not None:
        html = entry.tail
        if mine:
            html = html.replace(f'value="{mine}" aria-pressed="false"',
                                f'value="{mine}" aria-pressed="true"', 1)
        return html.replace(CSRF_HOLE, token)
    parts = []
    if entry.deleted:
        if moderator or (own and entry.self_deleted):
            parts.append(_post_form(entry.pk, "post_restore", "Restore", token))
        parts.append("</footer>\n</article>\n")
        return "".join(parts)
    parts.append(entry.controls(reader.member_id, mine, token))
    if reader.can_reply:
        parts.append(entry.quote)
        parts.append(multiquote_button_html(post_id=entry.pk, selected=selected,
                                            csrf_token=token))
    if moderator or (own and not reader.locked and entry.created >= edit_after):
        parts.append(f'<a class="post-edit" href="{url_for("post_edit", entry.pk)}">'
                     "Edit</a>")
    if moderator or (own and not reader.locked
                     and not (entry.opening and reader.post_count > 1)):
        parts.append(_post_form(entry.pk, "post_delete", "Delete", token))
    parts.append(_END)
    return "".join(parts)


def _post_form(post_id: int, action: str, label: str, token: str) -> str:
    url = url_for(action, post_id)
    return (f'<form class="post-action" method="post" action="{url}">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
            f'<button type="submit" class="link-button">{label}</button></form>')


def reactions_html(post, *, member, mine: str | None, csrf_token: str) -> SafeString:
    """A post's reaction counts and, for members other than its author, the react buttons."""
    entry = PagePost.of(PostStamp.of(post), "", post.topic_id)
    return mark_safe(entry.controls(member.pk if member else None, mine, csrf_token))


def _reaction_block(post: PostStamp, *, with_form: bool) -> str:
    counts = "".join(
        f'<li class="reaction reaction-{kind}">{label} {count}</li>'
        for kind, label, count in post.reaction_list
    )
    html = [f'<div class="reactions" id="reactions-{post.pk}">']
    if counts:
        html.append(f'<ul class="reaction-counts" aria-label="Reactions">{counts}</ul>')
    if with_form:
        url = url_for("post_react", post.pk)
        buttons = "".join(
            f'<button type="submit" name="kind" value="{kind}" aria-pressed="false">'
            f"{label}</button>"
            for kind, label in KINDS
        )
        html.append(
            f'<form class="react-form" method="post" action="{url}" hx-post="{url}" '
            f'hx-target="#reactions-{post.pk}">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{CSRF_HOLE}">'
            f"<fieldset><legend>React</legend>{buttons}</fieldset></form>"
        )
    html.append("</div>")
    return "".join(html)
