"""Reads for the news desk's pages."""

from django.db.models import Count, Prefetch

from .models import Carrier, Source, Story

QUEUE_VIEWS = {
    "queued": ("In the queue", {"status": Story.Status.QUEUED}, ["-created", "-id"]),
    "scheduled": ("Scheduled", {"status": Story.Status.SCHEDULED}, ["publish_at", "id"]),
    "changed": ("Changed after publishing", {"status": Story.Status.PUBLISHED,
                                             "changed__isnull": False}, ["-changed", "-id"]),
    "published": ("Published", {"status": Story.Status.PUBLISHED}, ["-updated", "-id"]),
    "discarded": ("Discarded", {"status": Story.Status.DISCARDED}, ["-updated", "-id"]),
}


def queue_counts() -> dict[str, int]:
    counts = dict(Story.objects.values_list("status").annotate(n=Count("pk")).order_by())
    counts["changed"] = Story.objects.filter(status=Story.Status.PUBLISHED,
                                             changed__isnull=False).count()
    return {view: counts.get(view, 0) for view in QUEUE_VIEWS}


def list_stories(view: str):
    """Stories of one queue view with the sources that carried them (two queries a page)."""
    _, where, order = QUEUE_VIEWS[view]
    carriers = Carrier.objects.select_related("source").only(
        "story_id", "url", "source__name", "first_seen", "changed")
    return (Story.objects.filter(**where).order_by(*order)
            .select_related("lead_image", "topic")
            .defer("body", "summary")
            .prefetch_related(Prefetch("carriers", queryset=carriers)))


def list_sources():
    return Source.objects.select_related("category").order_by("name", "id")


def uploads_in_stories(uploads) -> set[int]:
    """Lead images and editors' images in stories waiting to be published (kept from
    pruning; a discarded story's images go with the next prune)."""
    ids = {u.pk for u in uploads}
    waiting = [Story.Status.QUEUED, Story.Status.SCHEDULED]
    held = set(Story.objects.filter(lead_image_id__in=ids, status__in=waiting)
               .values_list("lead_image_id", flat=True))
    bodies = Story.objects.filter(status__in=waiting).exclude(body="").values_list(
        "body", flat=True)
    files = {u.file: u.pk for u in uploads if u.pk not in held}
    for body in bodies.iterator():
        held |= {pk for name, pk in files.items() if name in body}
    return held
