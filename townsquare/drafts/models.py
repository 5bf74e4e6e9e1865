from django.conf import settings
from django.db import models
from django.db.models import Q


class Draft(models.Model):
    """What a member is writing in a topic (or, without a topic, a new topic): the text saved
    as they type, and the posts they collected to quote."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="drafts")
    topic = models.ForeignKey("forum.Topic", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="+")
    body = models.TextField(blank=True)
    quote_ids = models.JSONField(default=list, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "topic"], name="draft_member_topic"),
            models.UniqueConstraint(fields=["member"], condition=Q(topic__isnull=True),
                                    name="draft_member_new_topic"),
        ]

    def __str__(self):
        return f"Draft by member {self.member_id} in topic {self.topic_id}"
