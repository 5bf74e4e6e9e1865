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
