"""The news desk: sources the worker polls, the stories their items become, and the
corrections editors add to published topics."""

from django.conf import settings
from django.db import models

from townsquare.core.links import url_for


class Source(models.Model):
    """A feed (RSS 2.0, Atom or JSON Feed) polled every `interval_minutes`."""

    name = models.CharField(max_length=120)
    feed_url = models.URLField(max_length=1000, unique=True)
    category = models.ForeignKey("forum.Category", on_delete=models.PROTECT,
                                 related_name="+")
    interval_minutes = models.PositiveIntegerField(default=30)
    active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)
    # Conditional requests: what the feed's server said last time.
    etag = models.CharField(max_length=255, blank=True)
    last_modified = models.CharField(max_length=64, blank=True)
    # Health, kept by each poll. `failures` counts consecutive failed polls: each one doubles
    # the wait before the next (up to a day); a success resets it.
    next_poll = models.DateTimeField(null=True, blank=True)
    polling_since = models.DateTimeField(null=True, blank=True)  # queued, not yet polled
    last_polled = models.DateTimeField(null=True, blank=True)
    last_success = models.DateTimeField(null=True, blank=True)
    last_result = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)
    items_seen = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["active", "next_poll"], name="source_due")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return url_for("desk_source", self.pk)


class Story(models.Model):
    """A news item waiting for the desk: one per article, however many sources carried it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "In the queue"
        SCHEDULED = "scheduled", "Scheduled"
        PUBLISHED = "published", "Published"
        DISCARDED = "discarded", "Discarded"

    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    url = models.URLField(max_length=1000)
    # The link with tracking parameters and fragments removed, lower-case host: the same
    # article reached through two links is one story.
    canonical_url = models.CharField(max_length=1000, unique=True)
    # The title folded for near-duplicate matching (see actions.title_key).
    title_key = models.CharField(max_length=300, db_index=True)
    source_date = models.DateTimeField(null=True, blank=True)
    lead_image = models.ForeignKey("uploads.Upload", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    # The adapted text, in the editor's Markdown: the extracted article at first.
    body = models.TextField(blank=True)
    # What became of fetching the article page and the lead image, for the editor.
    extraction_note = models.CharField(max_length=300, blank=True)
    extracted = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    category = models.ForeignKey("forum.Category", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    publish_at = models.DateTimeField(null=True, blank=True)
    topic = models.OneToOneField("forum.Topic", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="story")
    created = models.DateTimeField()
    updated = models.DateTimeField()
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    # Set when a source changes an item after its story was published; cleared when an
    # editor adds a correction or marks the change seen.
    changed = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "stories"
        indexes = [
            models.Index(fields=["status", "-created"], name="story_queue"),
            models.Index(fields=["status", "publish_at"], name="story_scheduled"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return url_for("desk_story", self.pk)


class Carrier(models.Model):
    """One source's item for a story: a story carried by three sources has three."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="carriers")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="carriers")
    key = models.CharField(max_length=64)  # hash of the item's id within its source
    url = models.URLField(max_length=1000)
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    # The item as it was before the source's last change, when it changed after publishing.
    changed = models.DateTimeField(null=True, blank=True)
    previous_title = models.CharField(max_length=300, blank=True)
    previous_summary = models.TextField(blank=True)

    class Meta:
        ordering = ["first_seen", "id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "key"], name="carrier_source_item"),
        ]

    def __str__(self):
        return f"{self.source} carried {self.story_id}"


class Correction(models.Model):
    """A note shown under a published topic's opening post when its source changed."""

    topic = models.ForeignKey("forum.Topic", on_delete=models.CASCADE,
                              related_name="corrections")
    note = models.TextField()
    editor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                               on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField()

    class Meta:
        ordering = ["created", "id"]

    def __str__(self):
        return f"Correction to topic {self.topic_id}"
