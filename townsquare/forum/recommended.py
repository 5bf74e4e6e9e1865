"""Recommended replies: under a long topic's opening post, the replies readers liked most.

Choosing them reads every reply of the topic, so it happens once per topic version (which
every reply, edit, deletion, hiding and reaction bumps) and the section is kept, rendered,
beside the topic's pages (`core/memo.py`). A view joins the kept pieces, leaving out replies
by members the reader ignores.
"""

import re
from html import unescape
from typing import NamedTuple

import nh3
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.text import Truncator

from townsquare.core.memo import versioned_page_part
from townsquare.core.shell import hole
from townsquare.notifications.queries import ignored_ids

from .queries import list_recommended_replies

SECTION_SECONDS = 24 * 3600
EXCERPT_CHARS = 200
# Block ends become spaces, so that paragraphs do not run together in the excerpt.
_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|div|pre|tr|td|th)>|<br\s*/?>")
# Quoted text is someone else's words, spoilers are hidden until opened and charts are
# pictures: none of them belongs in an excerpt.
_LEFT_OUT = {"blockquote", "details", "figure", "script", "style", "table"}


class Section(NamedTuple):
    """The section's markup around its items, and each item with its author."""

    before: str
    after: str
    items: tuple[tuple[int, str], ...]


def recommended_html(user, topic) -> str:
    """The "Recommended replies" section for page 1 of the topic ("" when it has none)."""
    if topic.reply_count < settings.RECOMMENDED_MIN_REPLIES:
        return ""
    key = f"recommended:{topic.pk}:v{topic.version}"
    section = versioned_page_part(key, lambda: _build(topic), SECTION_SECONDS)
    if not section.items:
        return ""
    ignored = ignored_ids(user) if user.is_authenticated else frozenset()
    items = [html for author_id, html in section.items if author_id not in ignored]
    if not items:
        return ""
    return section.before + "".join(items) + section.after


def _build(topic) -> Section:
    items = tuple(
        (post.author_id, render_to_string("forum/topic.html#recommended_item", {
            "post": post,
            "excerpt": excerpt(post.html),
            "reactions": positive_reactions(post.reaction_counts),
        }))
        for post in list_recommended_replies(topic)
    )
    if not items:
        return Section("", "", ())
    items_hole = hole("items")
    before, after = render_to_string("forum/topic.html#recommended",
                                     {"items": items_hole}).split(items_hole)
    return Section(before, after, items)


def positive_reactions(counts: dict) -> int:
    """How many reactions of the kinds that count for reputation the post has."""
    weights = settings.REPUTATION_WEIGHTS
    return sum(n for kind, n in counts.items() if weights.get(kind, 0) > 0)


def excerpt(html: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of a post as plain text (its stored HTML without tags), for a summary."""
    text = nh3.clean(_BLOCK_END.sub(" ", html), tags=set(), attributes={},
                      clean_content_tags=_LEFT_OUT)
    return Truncator(" ".join(unescape(text).split())).chars(limit)
