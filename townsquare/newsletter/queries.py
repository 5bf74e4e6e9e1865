"""Newsletter reads: the topics a digest lists, subscribers, and the editors' desk."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from townsquare.forum.models import Post, Topic
from townsquare.forum.permissions import visible_filter
from townsquare.reactions.models import Reaction

from .models import Delivery, Digest, Subscriber

DESK_DIGESTS = 20
DESK_LOG = 50


@dataclass
class Pick:
    topic: Topic
    replies: int
    reactions: int

    @property
    def score(self) -> int:
        return self.replies + self.reactions


def visible_topics() -> QuerySet[Topic]:
    """Topics anyone may read: not hidden, not in a private category, with their opening
    post shown."""
    opening = Post.objects.filter(topic=OuterRef("pk"), position=1, hidden=False,
                                  deleted__isnull=True)
    return Topic.objects.filter(visible_filter(None, Topic)).filter(Exists(opening))


def list_digest_topics(start: datetime, end: datetime, limit: int) -> list[Pick]:
    """The `limit` topics with the most replies plus reactions made in [start, end), on
    posts anyone can see. One grouped count per kind, then one query for the topics."""
    shown = visible_topics().values("pk")
    replies = dict(
        Post.objects.filter(created__gte=start, created__lt=end, position__gt=1, hidden=False,
                            deleted__isnull=True, topic__in=shown)
        .values_list("topic").annotate(n=Count("pk")).order_by())
    reactions = dict(
        Reaction.objects.filter(created__gte=start, created__lt=end, post__hidden=False,
                                post__deleted__isnull=True, post__topic__in=shown)
        .values_list("post__topic").annotate(n=Count("pk")).order_by())
    scores = {pk: (replies.get(pk, 0) + reactions.get(pk, 0), replies.get(pk, 0), pk)
              for pk in replies.keys() | reactions.keys()}
    top = sorted(scores, key=lambda pk: scores[pk], reverse=True)[:limit]
    topics = Topic.objects.select_related("category").in_bulk(top)
    return [Pick(topics[pk], replies.get(pk, 0), reactions.get(pk, 0)) for pk in top]


def get_latest_digest(frequency: str) -> Digest | None:
    return Digest.objects.filter(frequency=frequency).order_by("-period_end").first()


def list_active_subscriber_ids(frequency: str) -> QuerySet:
    return (Subscriber.objects.filter(status=Subscriber.Status.ACTIVE, frequency=frequency)
            .order_by("pk").values_list("pk", flat=True))


def stall_cutoff(now: datetime | None = None) -> datetime:
    """Sending rows older than this were abandoned (their worker died): nothing sends for
    that long while it is alive, since each message has a bounded time to go out."""
    return (now or timezone.now()) - timedelta(seconds=settings.NEWSLETTER_STALL_SECONDS)


def delivery_counts(digest_ids: list[int], now: datetime | None = None) -> dict[int, dict]:
    """sent, failed, unknown and pending per digest, from one grouped query. A row left
    `sending` past the stall cutoff is unknown; a fresh one is still pending."""
    cutoff = stall_cutoff(now)
    S = Delivery.Status
    rows = (Delivery.objects.filter(digest_id__in=digest_ids).values("digest_id").order_by()
            .annotate(sent=Count("pk", filter=Q(status=S.SENT)),
                      failed=Count("pk", filter=Q(status=S.FAILED)),
                      unknown=Count("pk", filter=Q(status=S.SENDING, attempted__lt=cutoff)),
                      pending=Count("pk", filter=Q(status=S.PENDING) | Q(
                          status=S.SENDING, attempted__gte=cutoff))))
    return {row.pop("digest_id"): row for row in rows}


def get_subscriber_counts() -> dict[str, int]:
    St = Subscriber.Status
    return Subscriber.objects.aggregate(
        pending=Count("pk", filter=Q(status=St.PENDING)),
        active=Count("pk", filter=Q(status=St.ACTIVE)),
        unsubscribed=Count("pk", filter=Q(status=St.UNSUBSCRIBED)),
        daily=Count("pk", filter=Q(status=St.ACTIVE, frequency="daily")),
        weekly=Count("pk", filter=Q(status=St.ACTIVE, frequency="weekly")),
    )


def list_desk_digests(now: datetime | None = None) -> list[Digest]:
    """Recent digests, each with `.counts` (live for those still sending)."""
    digests = list(Digest.objects.order_by("-created", "-pk")[:DESK_DIGESTS])
    sending = [d.pk for d in digests if d.status == Digest.Status.SENDING]
    live = delivery_counts(sending, now) if sending else {}
    for digest in digests:
        digest.counts = live.get(digest.pk) or {
            "sent": digest.sent, "failed": digest.failed, "unknown": digest.unknown,
            "pending": 0}
    return digests


def list_send_log(now: datetime | None = None) -> list[Delivery]:
    """The most recent delivery attempts, newest first, with `.unknown` set on rows left
    sending by a worker that died."""
    cutoff = stall_cutoff(now)
    rows = list(Delivery.objects.filter(attempted__isnull=False).order_by("-attempted", "-pk")
                .select_related("subscriber", "digest")[:DESK_LOG])
    for row in rows:
        row.unknown = row.status == Delivery.Status.SENDING and row.attempted < cutoff
    return rows
