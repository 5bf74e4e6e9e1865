from django.conf import settings
from django.db import models


class Presence(models.Model):
    """A member seen on a topic; rows older than the presence window are ignored."""

    topic = models.ForeignKey("forum.Topic", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["topic", "user"], name="presence_topic_user"),
        ]
        indexes = [models.Index(fields=["topic", "-seen_at"], name="presence_recent")]

    def __str__(self):
        return f"{self.user_id} on topic {self.topic_id} at {self.seen_at:%H:%M}"


class Event(models.Model):
    """Something readers of a topic should see without reloading, in the order it happened.

    Written after the change it describes is committed; the stream processes tail this table
    (when no Redis is configured) and its id is the cursor a reconnecting reader resumes from.
    """

    topic_id = models.BigIntegerField()
    kind = models.CharField(max_length=24)
    # Who may receive it: "public" (anyone who can see the topic), "moderators", "member:ID".
    audience = models.CharField(max_length=32, default="public")
    data = models.JSONField(default=dict)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["topic_id", "id"], name="event_topic_cursor")]

    def __str__(self):
        return f"{self.kind} on topic {self.topic_id} (#{self.pk})"
