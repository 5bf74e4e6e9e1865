from django.conf import settings
from django.db import models

# The reaction set lives with the counts kept by it on the post row (forum's models), where
# notifications, below this app, read its words too.
from townsquare.forum.models import ReactionKind as Kind


class Reaction(models.Model):
    post = models.ForeignKey("forum.Post", on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reactions"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    created = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "user"], name="reaction_one_per_member"),
        ]

    def __str__(self):
        return f"{self.user_id} {self.kind} post {self.post_id}"
