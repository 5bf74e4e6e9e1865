from django.conf import settings
from django.db import models
from django.db.models.functions import Lower


class Frequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"


class Subscriber(models.Model):
    """An email address that asked for the digest. It receives digests only once the
    address has confirmed (double opt-in): status pending -> active -> unsubscribed."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for confirmation"
        ACTIVE = "active", "Subscribed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"

    email = models.EmailField("email address")
    # Set when the address is that of the member who subscribed while signed in.
    member = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="newsletter_subscriptions")
    frequency = models.CharField(max_length=8, choices=Frequency.choices,
                                 default=Frequency.WEEKLY)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # Part of every confirmation link: renewed on unsubscribing, so a confirmation link
    # from before can never turn a later subscription on without a new opt-in.
    confirm_nonce = models.CharField(max_length=32)
    # Part of every manage and unsubscribe link (they never expire).
    manage_key = models.CharField(max_length=32)
    created = models.DateTimeField()
    confirmation_sent = models.DateTimeField(null=True, blank=True)
    confirmed = models.DateTimeField(null=True, blank=True)
    unsubscribed = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="subscriber_email_ci_unique"),
        ]
        indexes = [models.Index(fields=["status", "frequency"], name="subscriber_status")]

    def __str__(self):
        return self.email


class Digest(models.Model):
    """One edition of the daily or weekly digest: the topics of its period, rendered once,
    and a Delivery row per subscriber it goes to."""

    class Status(models.TextChoices):
        SENDING = "sending", "Sending"
        DONE = "done", "Sent"
        SKIPPED = "skipped", "Skipped"

    frequency = models.CharField(max_length=8, choices=Frequency.choices)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    subject = models.CharField(max_length=200, blank=True)
    # The topic list, shared by every message; each message wraps it with its own links.
    html = models.TextField(blank=True)
    text = models.TextField(blank=True)
    topic_ids = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.SENDING)
    # Why a digest was skipped ("No topics...") or who sent it by hand.
    note = models.CharField(max_length=200, blank=True)
    # Counts: recipients when it was made; the others once sending has finished
    # (while it runs, the desk counts the delivery rows).
    recipients = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    unknown = models.PositiveIntegerField(default=0)
    created = models.DateTimeField()
    # When a batch task was last queued for it (the clock re-queues a stalled digest).
    queued = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One digest per frequency and period, however many clocks (or editors) make
            # one at once: a period starts where the last one ended, so two digests made
            # from the same last one share their start.
            models.UniqueConstraint(fields=["frequency", "period_end"],
                                    name="digest_one_per_period"),
            models.UniqueConstraint(fields=["frequency", "period_start"],
                                    name="digest_one_after_each"),
        ]
        indexes = [models.Index(fields=["status"], name="digest_status")]

    def __str__(self):
        return f"{self.get_frequency_display()} digest to {self.period_end:%Y-%m-%d %H:%M}"


class Delivery(models.Model):
    """One digest to one subscriber. `sending` is committed before the message goes out and
    `sent` after, so a row left `sending` by a killed worker is never sent again: its fate
    is unknown, and at most once beats twice."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE,
                                   related_name="deliveries")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempted = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["digest", "subscriber"],
                                    name="delivery_one_per_subscriber"),
        ]
        indexes = [
            models.Index(fields=["digest", "status"], name="delivery_digest_status"),
            models.Index(fields=["-attempted"], name="delivery_recent"),
        ]
        verbose_name_plural = "deliveries"

    def __str__(self):
        return f"Digest {self.digest_id} to subscriber {self.subscriber_id}: {self.status}"
