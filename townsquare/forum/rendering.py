"""Topic pages from ready parts.

The part of a post every reader sees alike (author, time, body, attribution) is rendered once
per post version and kept in the cache; a page view fetches the page's parts in one call,
adds each reader's own controls (their reaction, the react and quote buttons, a CSRF token)
with plain string formatting, and brings relative times up to date in one pass.
"""

from django.conf import settings
from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from townsquare.core.links import url_for
from townsquare.core.timefmt import refresh_relative_times
from townsquare.reactions.models import Kind

FRAGMENT_SECONDS = 24 * 3600


def fragment_key(post) -> str:
    return f"post:{post.pk}:v{post.version}"


def shared_parts(topic, posts) -> dict[int, str]:
    keys = {post.pk: fragment_key(post) for post in posts}
    found = cache.get_many(list(keys.values()))
    missing = {}
    for post in posts:
        if keys[post.pk] not in found:
            context = {"post": post, "topic": topic, "site_name": settings.SITE_NAME}
            html = render_to_string("forum/topic.html#post_shared", context)
            found[keys[post.pk]] = missing[keys[post.pk]] = html
    if missing:
        cache.set_many(missing, FRAGMENT_SECONDS)
    return {pk: found[key] for pk, key in keys.items()}


def render_posts(request, topic, posts, *, my_reactions: dict, can_reply: bool) -> SafeString:
    shared = shared_parts(topic, posts)
    member = request.user if request.user.is_authenticated else None
    token = get_token(request) if member else ""
    parts = []
    for post in posts:
        parts.append(shared[post.pk])
        if post.hidden:
            parts.append("</article>\n")
            continue
        parts.append(reactions_html(post, member=member, mine=my_reactions.get(post.pk),
                                    csrf_token=token))
        if can_reply:
            parts.append(_quote_link(topic.pk, post.pk))
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
            for kind, label in Kind.choices
        )
        html.append(
            f'<form class="react-form" method="post" action="{url}" hx-post="{url}" '
            f'hx-target="#reactions-{post.pk}">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
            f"<fieldset><legend>React</legend>{buttons}</fieldset></form>"
        )
    html.append("</div>")
    return mark_safe("".join(html))
