"""Recommended replies: under a long topic's opening post, the replies readers liked most.

Choosing them reads every reply of the topic, so it happens once per topic version (which
every reply, edit, deletion, hiding and reaction bumps) and the section is kept, rendered,
beside the topic's pages (`core/memo.py`) as a shell with a hole per reply (core/shell.py):
a view fills each with the reply, or with nothing when the reader ignores its author.
"""

import re
from html import unescape
from typing import NamedTuple

import nh3
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.text import Truncator

from townsquare.core.memo import versioned_page_part
from townsquare.core.shell import Shell
from townsquare.forum.queries import list_recommended_replies
from townsquare.notifications.queries import ignored_ids

SECTION_SECONDS = 24 * 3600
EXCERPT_CHARS = 200
# Block ends become spaces, so that paragraphs do not run together in the excerpt.
_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|div|pre|tr|td|th)>|<br\s*/?>")
# Quoted text is someone else's words, spoilers are hidden until opened and charts are
# pictures: none of them belongs in an excerpt.
_LEFT_OUT = {"blockquote", "details", "figure", "script", "style", "table"}


class Section(NamedTuple):
    """The section with a hole per reply, and each reply with its author."""

    shell: Shell | None
    items: tuple[tuple[int, int, str], ...]  # (post id, author id, html)


def recommended_html(request, topic) -> str:
    """The "Recommended replies" section for page 1 of the topic ("" when it has none)."""
    if topic.reply_count < settings.RECOMMENDED_MIN_REPLIES:
        return ""
    key = f"recommended:{topic.pk}:v{topic.version}"
    section = versioned_page_part(key, lambda: _build(topic), SECTION_SECONDS)
    user = request.user
    ignored = ignored_ids(user) if user.is_authenticated else frozenset()
    shown = {f"reply:{pk}": html for pk, author_id, html in section.items
             if author_id not in ignored}
    if not shown:
        return ""
    return section.shell.fill(request, shown)


def _build(topic) -> Section:
    posts = list_recommended_replies(topic)
    if not posts:
        return Section(None, ())
    items = tuple((post.pk, post.author_id, render_to_string(
        "forum/topic.html#recommended_item", {
            "post": post, "excerpt": excerpt(post.html),
            "reactions": positive_reactions(post.reaction_counts)})) for post in posts)
    shell = Shell(render_to_string("forum/topic.html#recommended", {"replies": posts}))
    return Section(shell, items)


def positive_reactions(counts: dict) -> int:
    """How many reactions of the kinds that count for reputation the post has."""
    weights = settings.REPUTATION_WEIGHTS
    return sum(n for kind, n in counts.items() if weights.get(kind, 0) > 0)


def excerpt(html: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of a post as plain text (its stored HTML without tags), for a summary."""
    text = nh3.clean(_BLOCK_END.sub(" ", html), tags=set(), attributes={},
                      clean_content_tags=_LEFT_OUT)
    return Truncator(" ".join(unescape(text).split())).chars(limit)
