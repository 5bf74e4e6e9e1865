"""Topic pages from ready parts.

The part of a post every reader sees alike (author, time, body, attribution) is rendered once
per post version and kept in the cache, and so is each page's list of post stamps (id,
version, author, counts) per topic version. A page view fetches both in two cache calls,
adds each reader's own controls (their reaction, the react and quote buttons, a CSRF token)
with plain string formatting, and brings relative times up to date in one pass. The posts
themselves are read from the database only when the topic changed or a part was evicted.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from townsquare.core.links import url_for
from townsquare.core.timefmt import refresh_relative_times
from townsquare.reactions.models import Kind
from townsquare.reactions.queries import get_member_reactions, reaction_summary

from .models import Post
from .queries import list_topic_posts

PART_SECONDS = 24 * 3600
KINDS = list(Kind.choices)


@dataclass(frozen=True, slots=True)
class PostStamp:
    """What a page view needs of a post besides its shared HTML."""

    pk: int
    version: int
    author_id: int
    hidden: bool
    reaction_counts: dict

    @classmethod
    def of(cls, post: Post) -> "PostStamp":
        return cls(post.pk, post.version, post.author_id, post.hidden, post.reaction_counts)

    @property
    def key(self) -> str:
        return f"post:{self.pk}:v{self.version}"

    @property
    def reaction_list(self):
        return reaction_summary(self.reaction_counts)


def render_page(request, topic, page: int, *, can_reply: bool) -> SafeString:
    """The posts of one page of a topic, for this reader."""
    key = f"posts:{topic.pk}:v{topic.version}:p{page}"
    stamps = cache.get(key)
    posts = []
    if stamps is None:
        posts = list_topic_posts(topic, page)
        stamps = [PostStamp.of(post) for post in posts]
        cache.set(key, stamps, PART_SECONDS)
    mine = get_member_reactions(request.user, [s.pk for s in stamps])
    return _join(request, topic, stamps, posts, my_reactions=mine, can_reply=can_reply)


def render_posts(request, topic, posts: list[Post], *, my_reactions: dict,
                 can_reply: bool) -> SafeString:
    """Given posts (a reply just written), for this reader."""
    return _join(request, topic, [PostStamp.of(p) for p in posts], posts,
                 my_reactions=my_reactions, can_reply=can_reply)


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


def _join(request, topic, stamps, posts, *, my_reactions, can_reply) -> SafeString:
    shared = _shared_parts(topic, stamps, posts)
    member = request.user if request.user.is_authenticated else None
    token = get_token(request) if member else ""
    parts = []
    for stamp in stamps:
        parts.append(shared.get(stamp.key, ""))
        if stamp.hidden:
            parts.append("</article>\n")
            continue
        parts.append(reactions_html(stamp, member=member, mine=my_reactions.get(stamp.pk),
                                    csrf_token=token))
        if can_reply:
            parts.append(_quote_link(topic.pk, stamp.pk))
        parts.append("</footer>\n</article>\n")
    return mark_safe(refresh_relative_times("".join(parts)))


def _quote_link(topic_id: int, post_id: int) -> str:
    url = f"{url_for('topic_reply', topic_id)}?quote={post_id}"
    return (f'<a class="quote-link" href="{url}#reply-area" hx-get="{url}" '
            f'hx-target="#reply-area" hx-push-url="false">Quote</a>')


def reactions_html(post, *, member, mine: str | None, csrf_token: str) -> SafeString:
    """A post's reaction counts and, for members other than its author, the react buttons."""
    counts = "".join(
        f'<li class="reaction reaction-{kind}">{label} {count}</li>'
        for kind, label, count in post.reaction_list
    )
    html = [f'<div class="reactions" id="reactions-{post.pk}">']
    if counts:
        html.append(f'<ul class="reaction-counts" aria-label="Reactions">{counts}</ul>')
    if member is not None and post.author_id != member.pk:
        url = url_for("post_react", post.pk)
        buttons = "".join(
            f'<button type="submit" name="kind" value="{kind}" '
            f'aria-pressed="{"true" if mine == kind else "false"}">{label}</button>'
            for kind, label in KINDS
        )
        html.append(
            f'<form class="react-form" method="post" action="{url}" hx-post="{url}" '
            f'hx-target="#reactions-{post.pk}">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
            f"<fieldset><legend>React</legend>{buttons}</fieldset></form>"
        )
    html.append("</div>")
    return mark_safe("".join(html))
