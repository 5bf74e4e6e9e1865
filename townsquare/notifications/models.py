"""What keeps members coming back: notifications, and what they follow, mute or ignore."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from townsquare.forum.models import ReactionKind


class Notification(models.Model):
    """Something a member should know about one post. Reactions to a post group into one
    unread notification ("Haha and 4 more on your post") instead of one each."""

    class Kind(models.TextChoices):
        QUOTE = "quote", "quoted you"
        MENTION = "mention", "mentioned you"
        REPLY = "reply", "replied"
        TOPIC = "topic", "started a topic"
        REACTION = "reaction", "reacted"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="notifications")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    post = models.ForeignKey("forum.Post", on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey("forum.Topic", on_delete=models.CASCADE, related_name="+")
    # Who did it (the latest, for grouped reactions), and how many more did the same.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                              related_name="+")
    others = models.PositiveIntegerField(default=0)
    reaction = models.CharField(max_length=16, blank=True)
    created = models.DateTimeField()
    updated = models.DateTimeField()
    read = models.DateTimeField(null=True, blank=True)
    # Set before an email about it is sent (never mailed twice), or when none is due.
    emailed = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["recipient", "read", "-updated"], name="notification_inbox"),
            models.Index(fields=["emailed", "created"], name="notification_email_due"),
        ]
        constraints = [
            # One unread notification per post and member for reactions (they group) and
            # one for everything else (a reply that quotes and mentions you is one).
            models.UniqueConstraint(fields=["recipient", "post"], condition=Q(
                read__isnull=True, kind="reaction"), name="notification_unread_reactions"),
            models.UniqueConstraint(fields=["recipient", "post"], condition=~Q(
                kind="reaction"), name="notification_post_once"),
        ]

    def __str__(self):
        return f"{self.kind} for {self.recipient_id} on post {self.post_id}"

    @property
    def text(self) -> str:
        """What happened, in words ("Haha and 4 more on your post in “Title”")."""
        title = f"“{self.topic.title}”"
        if self.kind == self.Kind.REACTION:
            label = ReactionKind(self.reaction).label if self.reaction in ReactionKind.values \
                else "A reaction"
            more = f" and {self.others} more" if self.others else ""
            return f"{label}{more} on your post in {title}"
        actor = self.actor.username if self.actor else "Someone"
        if self.kind == self.Kind.TOPIC:
            return f"{actor} started {title}"
        if self.kind == self.Kind.REPLY:
            return f"{actor} replied in {title}"
        return f"{actor} {self.get_kind_display()} in {title}"


class Preferences(models.Model):
    """A member's notification settings (no row: the defaults)."""

    class Email(models.TextChoices):
        IMMEDIATELY = "immediately", "As they happen"
        DAILY = "daily", "A daily summary"
        NEVER = "never", "Never"

    member = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  primary_key=True, related_name="notification_preferences")
    email = models.CharField(max_length=16, choices=Email.choices, default=Email.IMMEDIATELY)
    # Follow a topic when starting it or replying to it.
    follow_on_reply = models.BooleanField(default=True)
    notify_reactions = models.BooleanField(default=True)

    def __str__(self):
        return f"Notification settings of {self.member_id}"


class TopicWatch(models.Model):
    """Following a topic (notified of replies), or muting it (never notified about it)."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="+")
    topic = models.ForeignKey("forum.Topic", on_delete=models.CASCADE, related_name="+")
    muted = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "topic"],
                                               name="topicwatch_once")]
        indexes = [models.Index(fields=["topic", "muted"], name="topicwatch_topic")]

    def __str__(self):
        return f"{self.member_id} {'mutes' if self.muted else 'follows'} {self.topic_id}"


class CategoryFollow(models.Model):
    """Notified of new topics in a category."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="+")
    category = models.ForeignKey("forum.Category", on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "category"],
                                               name="categoryfollow_once")]

    def __str__(self):
        return f"{self.member_id} follows category {self.category_id}"


class MemberFollow(models.Model):
    """Notified of a member's new topics and replies."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="+")
    followed = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                 related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "followed"], name="memberfollow_once"),
            models.CheckConstraint(condition=~Q(member=models.F("followed")),
                                   name="memberfollow_not_self"),
        ]

    def __str__(self):
        return f"{self.member_id} follows {self.followed_id}"


class Ignore(models.Model):
    """A member whose posts collapse for `member`, and who cannot notify them."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="+")
    ignored = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "ignored"], name="ignore_once"),
            models.CheckConstraint(condition=~Q(member=models.F("ignored")),
                                   name="ignore_not_self"),
        ]

    def __str__(self):
        return f"{self.member_id} ignores {self.ignored_id}"
