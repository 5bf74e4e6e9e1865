"""Sources: saving them, and polling their feeds (the worker's part)."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from townsquare.core.errors import Invalid
from townsquare.core.fetch import FetchError, check_url, fetch
from townsquare.core.inputs import member_text
from townsquare.forum.models import Category

from ..feeds import FeedError, parse_feed
from ..models import Source
from .desk import NOTE_CHARS, require_editor
from .intake import take_in_item

logger = logging.getLogger(__name__)

FEED_TYPES = ("application/rss+xml, application/atom+xml, application/feed+json, "
              "application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5")
MAX_BACKOFF = timedelta(hours=24)


def save_source(*, editor, source: Source | None = None, name: str, feed_url: str,
                category: Category, interval_minutes: int, active: bool = True) -> Source:
    require_editor(editor)
    name = " ".join(member_text(name).split())
    if not name:
        raise Invalid("Give the source a name.", field="name")
    feed_url = (feed_url or "").strip()
    try:
        check_url(feed_url)
    except FetchError as error:
        raise Invalid(error.message, field="feed_url") from None
    if interval_minutes < settings.NEWS_MIN_POLL_MINUTES:
        raise Invalid(f"Poll at most every {settings.NEWS_MIN_POLL_MINUTES} minutes.",
                      field="interval_minutes")
    source = source or Source()
    source.name, source.category, source.interval_minutes = name[:120], category, interval_minutes
    source.active = active
    if source.feed_url != feed_url:
        source.feed_url, source.etag, source.last_modified = feed_url, "", ""
        source.next_poll = timezone.now()  # a new address is polled at the next tick
    elif source.next_poll is None:
        source.next_poll = timezone.now()
    try:
        with transaction.atomic():
            source.save()
    except IntegrityError:
        raise Invalid("Another source already polls that feed.", field="feed_url") from None
    return source


def poll_now(*, editor, source: Source) -> None:
    """Ask the worker to poll `source` at its next tick, whatever its schedule says."""
    require_editor(editor)
    Source.objects.filter(pk=source.pk).update(next_poll=timezone.now(), polling_since=None)


def due_sources(now: datetime) -> list[int]:
    """Mark the sources due for a poll as queued and return their ids (one tick's work)."""
    with transaction.atomic():
        ids = list(Source.objects.filter(active=True, next_poll__lte=now, polling_since=None)
                   .values_list("pk", flat=True)[:100])
        Source.objects.filter(pk__in=ids).update(polling_since=now)
    return ids


def poll_source(source_id: int, *, queue_extraction: Callable[[int, str], object]) -> str:
    """Fetch one source's feed and take in its items; returns what happened, in words.
    `queue_extraction` queues a new story's extraction (the tasks pass theirs: this module
    is below them and cannot import them)."""
    source = Source.objects.filter(pk=source_id).first()
    if source is None:
        return "gone"
    now = timezone.now()
    headers = {}
    if source.etag:
        headers["If-None-Match"] = source.etag
    if source.last_modified:
        headers["If-Modified-Since"] = source.last_modified
    try:
        fetched = fetch(source.feed_url, headers=headers, accept=FEED_TYPES)
        if fetched.status == 304:
            return _poll_succeeded(source, now, "Not modified since the last poll.")
        feed = parse_feed(fetched.body, fetched.content_type)
    except (FetchError, FeedError) as error:
        return _poll_failed(source, now, error.message)
    except Exception as error:  # a bug or a parser crash: recorded, the worker goes on
        logger.exception("polling source %s failed", source.pk)
        return _poll_failed(source, now, f"Unexpected error: {type(error).__name__}.")
    new = changed = 0
    problems = [f"Skipped {why}." for why in feed.skipped]
    for item in feed.items:
        try:
            outcome = take_in_item(source, item, now=now,
                                   queue_extraction=queue_extraction)
        except Exception as error:
            logger.exception("taking in an item of source %s failed", source.pk)
            problems.append(f"Could not take in “{item.title[:60]}”: {type(error).__name__}.")
            continue
        new += outcome == "new" or outcome == "merged"
        changed += outcome == "changed"
    source.etag = fetched.headers.get("etag", "")[:255]
    source.last_modified = fetched.headers.get("last-modified", "")[:64]
    words = f"{len(feed.items)} items, {new} new" + (f", {changed} changed" if changed else "")
    return _poll_succeeded(source, now, words + ".", new=new, problems=problems)


def _poll_succeeded(source: Source, now, result: str, *, new: int = 0,
                    problems: list[str] | None = None) -> str:
    Source.objects.filter(pk=source.pk).update(
        etag=source.etag, last_modified=source.last_modified, last_polled=now,
        last_success=now, last_result=result[:200], failures=0, polling_since=None,
        items_seen=F("items_seen") + new,
        next_poll=now + timedelta(minutes=source.interval_minutes),
        **({"last_error": " ".join(problems)[:NOTE_CHARS], "last_error_at": now}
           if problems else {}),
    )
    return result


def _poll_failed(source: Source, now, message: str) -> str:
    failures = source.failures + 1
    wait = min(timedelta(minutes=source.interval_minutes) * 2 ** min(failures, 10), MAX_BACKOFF)
    Source.objects.filter(pk=source.pk).update(
        last_polled=now, last_result="Failed.", last_error=message[:NOTE_CHARS],
        last_error_at=now, failures=failures, polling_since=None, next_poll=now + wait)
    return f"failed: {message}"
