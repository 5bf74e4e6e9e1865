"""Feed items becoming stories: new ones, the same story from another source, and items a
source changed."""

import difflib
import re
import unicodedata
from collections.abc import Callable
from datetime import timedelta

from courlan import normalize_url
from django.db import transaction

from ..feeds import FeedItem
from ..models import Carrier, Source, Story

# Titles this alike (0..1, difflib's ratio on folded titles) from another source within
# MERGE_WINDOW are the same story.
TITLE_MATCH = 0.9
MERGE_WINDOW = timedelta(days=3)


def canonical_url(url: str) -> str:
    """The link without tracking parameters or fragment, host lower-cased (courlan's rules)."""
    try:
        return normalize_url(url, strict=True)[:1000]
    except (ValueError, TypeError):
        return url[:1000]


def title_key(title: str) -> str:
    """A title folded for comparison: accents, case, punctuation and spacing ignored."""
    folded = unicodedata.normalize("NFKD", title.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w\s]", " ", folded).split())[:300]


def take_in_item(source: Source, item: FeedItem, *, now,
                 queue_extraction: Callable[[int, str], object]) -> str:
    """File one feed item: 'new' story, 'merged' into one another source carried, 'changed'
    (the source altered an item it had sent), or 'seen' (nothing new). A new story's
    extraction is queued with `queue_extraction(story_id, image_url)` once it commits."""
    with transaction.atomic():
        carrier = (Carrier.objects.select_for_update().select_related("story")
                   .filter(source=source, key=item.key).first())
        if carrier is not None:
            return _item_seen_again(carrier, item, now)
        canonical = canonical_url(item.url)
        key = title_key(item.title)
        story = Story.objects.filter(canonical_url=canonical).first() or _same_title(
            source, key, now)
        outcome = "merged"
        if story is None:
            story = Story.objects.create(
                title=item.title, summary=item.summary, url=item.url, canonical_url=canonical,
                title_key=key, source_date=item.published, created=now, updated=now,
                category=source.category, body=item.summary,
            )
            outcome = "new"
            transaction.on_commit(lambda: queue_extraction(story.pk, item.image_url))
        Carrier.objects.create(story=story, source=source, key=item.key, url=item.url,
                               title=item.title, summary=item.summary,
                               content_hash=item.content_hash, first_seen=now, last_seen=now)
        return outcome


def _same_title(source: Source, key: str, now) -> Story | None:
    """A recent story from another source whose title is all but the same as `key`."""
    if len(key) < 12:  # short titles ("Live updates") say too little to merge on
        return None
    recent = (Story.objects.filter(created__gte=now - MERGE_WINDOW)
              .exclude(carriers__source=source).values_list("pk", "title_key")[:1000])
    matcher = difflib.SequenceMatcher(b=key, autojunk=False)
    for pk, other in recent:
        matcher.set_seq1(other)
        if matcher.real_quick_ratio() >= TITLE_MATCH and matcher.quick_ratio() >= TITLE_MATCH \
                and matcher.ratio() >= TITLE_MATCH:
            return Story.objects.get(pk=pk)
    return None


def _item_seen_again(carrier: Carrier, item: FeedItem, now) -> str:
    if carrier.content_hash == item.content_hash:
        Carrier.objects.filter(pk=carrier.pk).update(last_seen=now)
        return "seen"
    story = carrier.story
    carrier.previous_title, carrier.previous_summary = carrier.title, carrier.summary
    carrier.title, carrier.summary, carrier.url = item.title, item.summary, item.url
    carrier.content_hash, carrier.last_seen = item.content_hash, now
    if story.status == Story.Status.PUBLISHED:
        carrier.changed = now
        Story.objects.filter(pk=story.pk).update(changed=now)
    elif story.edited_by_id is None:
        # Nobody has adapted it yet: the queue shows the source's latest version.
        Story.objects.filter(pk=story.pk).update(title=item.title, summary=item.summary,
                                                 updated=now)
    carrier.save()
    return "changed"
