"""The news desk's writes: sources, polling, stories, publishing, corrections.

Polling and extraction run in the worker; every failure there is recorded on the source's
health (or the story's note) and never stops the worker or another source. Editor actions
re-check the editor role themselves, whatever the view did.
"""

import difflib
import logging
import re
import unicodedata
from datetime import datetime, timedelta

from courlan import normalize_url
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from townsquare.accounts.models import Role, User
from townsquare.core.errors import ActionError, Conflict, Forbidden, Invalid, NotFound
from townsquare.core.fetch import FetchError, check_url, fetch
from townsquare.core.inputs import member_text
from townsquare.forum import actions as forum_actions
from townsquare.forum.models import Category, Post, Topic
from townsquare.uploads.actions import keep_image, referenced_files
from townsquare.uploads.models import Upload

from .feeds import FeedError, FeedItem, parse_feed
from .models import Carrier, Correction, Source, Story

logger = logging.getLogger(__name__)

FEED_TYPES = ("application/rss+xml, application/atom+xml, application/feed+json, "
              "application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5")
MAX_BACKOFF = timedelta(hours=24)
# Titles this alike (0..1, difflib's ratio on folded titles) from another source within
# MERGE_WINDOW are the same story.
TITLE_MATCH = 0.9
MERGE_WINDOW = timedelta(days=3)
NOTE_CHARS = 2000


def require_editor(user) -> None:
    if not (user and user.is_authenticated and user.has_role(Role.EDITOR)):
        raise Forbidden("Only editors can work on the news desk.")


# Sources ------------------------------------------------------------------------------------

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


def poll_source(source_id: int) -> str:
    """Fetch one source's feed and take in its items; returns what happened, in words."""
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
            outcome = take_in_item(source, item, now=now)
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


# Stories ------------------------------------------------------------------------------------

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


def take_in_item(source: Source, item: FeedItem, *, now) -> str:
    """File one feed item: 'new' story, 'merged' into one another source carried, 'changed'
    (the source altered an item it had sent), or 'seen' (nothing new)."""
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
            transaction.on_commit(lambda: _queue_extraction(story.pk, item.image_url))
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


def _queue_extraction(story_id: int, image_url: str) -> None:
    from .tasks import extract_story

    extract_story.enqueue(story_id, image_url)


def extract_story(story_id: int, image_url: str = "") -> str:
    """Fetch the story's article page: its text (trafilatura) becomes the draft body, its
    canonical link may reveal a duplicate, and the lead image is verified and kept."""
    import trafilatura

    story = Story.objects.filter(pk=story_id, status=Story.Status.QUEUED).first()
    if story is None:
        return "not queued"
    notes, body, page_image = [], "", ""
    try:
        page = fetch(story.url, accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
        document = page.body.decode(_charset(page), errors="replace")
        body = trafilatura.extract(document, url=page.url, output_format="markdown",
                                   include_links=False, include_images=False,
                                   include_comments=False, favor_precision=True) or ""
        metadata = trafilatura.extract_metadata(document, default_url=page.url)
        if metadata is not None:
            page_image = metadata.image or ""
            if metadata.url and (other := _duplicate_of(story, metadata.url)):
                return _merge_into(story, other)
        if not body:
            notes.append("The article page had no text to extract; the feed's summary is used.")
    except FetchError as error:
        notes.append(f"The article page could not be fetched: {error.message}")
    except Exception as error:
        logger.exception("extracting story %s failed", story_id)
        notes.append(f"The article page could not be read ({type(error).__name__}).")
    image = None
    if image_url or page_image:
        image, why = _lead_image(image_url or page_image, story.title)
        if why:
            notes.append(why)
    with transaction.atomic():
        story = Story.objects.select_for_update().filter(pk=story_id).first()
        if story is None or story.status != Story.Status.QUEUED or story.edited_by_id:
            return "changed meanwhile"
        text = _clean_markdown(body, story.title) or story.summary
        if image is not None:
            text = f"![{_alt(story.title)}]({image.url})\n\n{text}"
        story.body, story.lead_image, story.extracted = text, image, bool(body)
        story.extraction_note = " ".join(notes)[:300]
        story.save(update_fields=["body", "lead_image", "extracted", "extraction_note"])
        if notes:  # the source's health page shows what went wrong with its items too
            Source.objects.filter(carriers__story=story).update(
                last_error=f"“{story.title[:80]}”: {' '.join(notes)}"[:NOTE_CHARS],
                last_error_at=timezone.now())
    return "extracted" if body else "summary only"


def _charset(page) -> str:
    match = re.search(r"charset=([\w-]+)", page.headers.get("content-type", ""))
    return match.group(1) if match else "utf-8"


def _clean_markdown(text: str, title: str) -> str:
    """Extracted Markdown, trimmed, without a first heading that repeats the headline."""
    lines = [line.rstrip() for line in (text or "").strip().splitlines()]
    if lines and lines[0].startswith("#") and title_key(lines[0].lstrip("#")) == title_key(title):
        lines = lines[1:]
    return "\n".join(lines).strip()


def _alt(title: str) -> str:
    return re.sub(r"[\[\]]", "", title)[:120]


def _duplicate_of(story: Story, page_url: str) -> Story | None:
    canonical = canonical_url(page_url)
    if canonical == story.canonical_url:
        return None
    return Story.objects.filter(canonical_url=canonical).exclude(pk=story.pk).first()


def _merge_into(story: Story, other: Story) -> str:
    """The page's canonical link names a story we have: its carriers move there."""
    with transaction.atomic():
        Carrier.objects.filter(story=story).exclude(
            source__in=Carrier.objects.filter(story=other).values("source")
        ).update(story=other)
        story.delete()
    return f"merged into story {other.pk}"


def _lead_image(url: str, title: str) -> tuple[Upload | None, str]:
    """The lead image verified and re-encoded like a member's upload, or why not."""
    try:
        data = fetch(url, max_bytes=settings.UPLOAD_MAX_BYTES, accept="image/*").body
        return keep_image(owner=desk_account(), data=data), ""
    except FetchError as error:
        return None, f"The lead image could not be fetched: {error.message}"
    except ActionError as error:
        return None, f"The lead image was refused: {error.message}"


def desk_account() -> User:
    """The account news topics are posted by (created on first use)."""
    user = User.objects.filter(username__iexact=settings.NEWS_DESK_USERNAME).first()
    if user is None:
        try:
            with transaction.atomic():
                user = User(username=settings.NEWS_DESK_USERNAME, role=Role.EDITOR,
                            bio="Stories adapted by the site's editors.")
                user.set_unusable_password()
                user.save()
        except IntegrityError:
            user = User.objects.get(username__iexact=settings.NEWS_DESK_USERNAME)
    return user


def get_story(story_id: int, *, editor) -> Story:
    require_editor(editor)
    story = Story.objects.select_related("topic", "category", "lead_image").filter(
        pk=story_id).first()
    if story is None:
        raise NotFound("That story does not exist.")
    return story


def save_story(*, editor, story: Story, title: str, body: str,
               category: Category | None) -> Story:
    """Keep an editor's adaptation without publishing it."""
    require_editor(editor)
    title, body = forum_actions.clean_title(title), forum_actions.clean_body(body)
    with transaction.atomic():
        story = _locked(story, Story.Status.QUEUED, Story.Status.SCHEDULED)
        story.title, story.body, story.category = title[:300], body, category
        story.edited_by, story.updated = editor, timezone.now()
        story.save()
    return story


def publish_story(*, editor, story: Story, title: str, body: str, category: Category,
                  publish_at: datetime | None = None) -> Story:
    """Publish the adapted story now as the desk's topic, or schedule it for `publish_at`."""
    require_editor(editor)
    if category is None:
        raise Invalid("Choose the category to publish in.", field="category")
    title, body = forum_actions.clean_title(title), forum_actions.clean_body(body)
    now = timezone.now()
    if publish_at is not None and publish_at <= now:
        publish_at = None  # a time already past means now
    with transaction.atomic():
        story = _locked(story, Story.Status.QUEUED, Story.Status.SCHEDULED)
        story.title, story.body, story.category = title[:300], body, category
        story.edited_by, story.updated = editor, now
        if publish_at is not None:
            # Refuse now what would be refused at the time.
            forum_actions.render_body(body, writer=editor, destination=category)
            story.status, story.publish_at = Story.Status.SCHEDULED, publish_at
            story.save()
            return story
        _publish(story, editor=editor)
    return story


def _publish(story: Story, *, editor) -> Topic:
    """Post a story as the desk (inside the caller's transaction, the story row locked)."""
    desk = desk_account()
    names = referenced_files(story.body)
    # Images the editor uploaded while adapting become the desk's, so they attach to its post.
    Upload.objects.filter(file__in=names, owner=editor, post__isnull=True).update(owner=desk)
    first = story.carriers.select_related("source").first()
    source_date = timezone.localdate(story.source_date) if story.source_date else None
    topic = forum_actions.start_topic(
        author=desk, category=story.category, title=story.title, body=story.body,
        source_name=first.source.name if first else "", source_url=story.url,
        source_date=source_date,
    )
    story.status, story.topic, story.publish_at = Story.Status.PUBLISHED, topic, None
    story.save()
    return topic


def publish_due(now: datetime | None = None) -> int:
    """Publish the scheduled stories whose time has come (the worker's tick calls this)."""
    now = now or timezone.now()
    done = 0
    for pk in Story.objects.filter(status=Story.Status.SCHEDULED, publish_at__lte=now
                                   ).values_list("pk", flat=True)[:50]:
        try:
            with transaction.atomic():
                story = Story.objects.select_for_update().get(pk=pk)
                if story.status != Story.Status.SCHEDULED:
                    continue
                _publish(story, editor=story.edited_by)
                done += 1
        except Exception as error:
            # Left scheduled with the reason: an editor sees it and can fix or reschedule.
            logger.exception("publishing scheduled story %s failed", pk)
            message = getattr(error, "message", type(error).__name__)
            Story.objects.filter(pk=pk).update(
                extraction_note=f"Scheduled publishing failed: {message}"[:300])
    return done


def discard_story(*, editor, story: Story) -> Story:
    require_editor(editor)
    with transaction.atomic():
        story = _locked(story, Story.Status.QUEUED, Story.Status.SCHEDULED)
        story.status, story.publish_at = Story.Status.DISCARDED, None
        story.edited_by, story.updated = editor, timezone.now()
        story.save()
    return story


def restore_story(*, editor, story: Story) -> Story:
    """Put a discarded story back in the queue."""
    require_editor(editor)
    with transaction.atomic():
        story = _locked(story, Story.Status.DISCARDED)
        story.status, story.updated = Story.Status.QUEUED, timezone.now()
        story.save()
    return story


def _locked(story: Story, *statuses: str) -> Story:
    story = Story.objects.select_for_update().filter(pk=story.pk).first()
    if story is None:
        raise NotFound("That story does not exist.")
    if story.status not in statuses:
        raise Conflict(f"This story is {story.get_status_display().lower()} already: "
                       "reload to see it as it is now.")
    return story


# Corrections --------------------------------------------------------------------------------

def add_correction(*, editor, story: Story, note: str) -> Correction:
    """A visible correction under the published topic's opening post."""
    require_editor(editor)
    note = member_text(note).replace("\r\n", "\n").strip()
    if not note:
        raise Invalid("Write the correction readers will see.", field="note")
    if len(note) > NOTE_CHARS:
        raise Invalid(f"Keep a correction under {NOTE_CHARS:,} characters.", field="note")
    with transaction.atomic():
        story = _locked(story, Story.Status.PUBLISHED)
        if story.topic_id is None:
            raise Conflict("The story's topic no longer exists.")
        correction = Correction.objects.create(topic_id=story.topic_id, note=note,
                                               editor=editor, created=timezone.now())
        Story.objects.filter(pk=story.pk).update(changed=None)
        Carrier.objects.filter(story=story).update(changed=None)
        opening = Post.objects.filter(topic_id=story.topic_id, position=1).first()
        if opening is not None:  # its cached HTML shows the corrections
            forum_actions.bump_post_version(opening)
        forum_actions.bump_category_version(story.topic.category_id)
    return correction


def dismiss_change(*, editor, story: Story) -> None:
    """The source's change needs no correction: stop showing it as pending."""
    require_editor(editor)
    Story.objects.filter(pk=story.pk).update(changed=None)
    Carrier.objects.filter(story=story).update(changed=None)
