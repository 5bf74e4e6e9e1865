"""An editor's work on a story: adapting, publishing now or on schedule, discarding and
restoring, and corrections to published ones."""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from townsquare.core.errors import Conflict, Invalid, NotFound
from townsquare.core.inputs import member_text
from townsquare.core.invalidation import changes, outcome
from townsquare.forum import actions as forum_actions
from townsquare.forum.actions import CATEGORY, POST
from townsquare.forum.models import Category, Post, Topic
from townsquare.uploads.actions import referenced_files
from townsquare.uploads.models import Upload

from ..models import Carrier, Correction, Story
from .desk import NOTE_CHARS, desk_account, require_editor

logger = logging.getLogger(__name__)


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
    return _record_correction(editor=editor, story=story, note=note)


# The opening post's HTML shows the corrections; the category's version as it was before.
@changes(POST.of("opening"), CATEGORY.of("category_id"))
def _record_correction(*, editor, story: Story, note: str) -> Correction:
    story = _locked(story, Story.Status.PUBLISHED)
    if story.topic_id is None:
        raise Conflict("The story's topic no longer exists.")
    correction = Correction.objects.create(topic_id=story.topic_id, note=note,
                                           editor=editor, created=timezone.now())
    Story.objects.filter(pk=story.pk).update(changed=None)
    Carrier.objects.filter(story=story).update(changed=None)
    opening = Post.objects.filter(topic_id=story.topic_id, position=1).first()
    return outcome(correction, opening=opening, category_id=story.topic.category_id)


def dismiss_change(*, editor, story: Story) -> None:
    """The source's change needs no correction: stop showing it as pending."""
    require_editor(editor)
    Story.objects.filter(pk=story.pk).update(changed=None)
    Carrier.objects.filter(story=story).update(changed=None)
