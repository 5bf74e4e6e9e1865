"""A new story's article page: its text becomes the draft, its canonical link may reveal a
duplicate, and its lead image is verified and kept."""

import logging
import re

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from townsquare.core.errors import ActionError
from townsquare.core.fetch import FetchError, fetch
from townsquare.uploads.actions import keep_image
from townsquare.uploads.models import Upload

from ..models import Carrier, Source, Story
from .desk import NOTE_CHARS, desk_account
from .intake import canonical_url, title_key

logger = logging.getLogger(__name__)


def extract_story(story_id: int, image_url: str = "") -> str:
    """Fetch the story's article page: its text (trafilatura) becomes the draft body, its
    canonical link may reveal a duplicate, and the lead image is verified and kept."""
    import trafilatura

    story = Story.objects.filter(pk=story_id, status=Story.Status.QUEUED).first()
    if story is None:
        return "not queued"
    notes, body, page_image = [], "", ""
    try:
        page = fetch(story.url, accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
        document = page.body.decode(_charset(page), errors="replace")
        body = trafilatura.extract(document, url=page.url, output_format="markdown",
                                   include_links=False, include_images=False,
                                   include_comments=False, favor_precision=True) or ""
        metadata = trafilatura.extract_metadata(document, default_url=page.url)
        if metadata is not None:
            page_image = metadata.image or ""
            if metadata.url and (other := _duplicate_of(story, metadata.url)):
                return _merge_into(story, other)
        if not body:
            notes.append("The article page had no text to extract; the feed's summary is used.")
    except FetchError as error:
        notes.append(f"The article page could not be fetched: {error.message}")
    except Exception as error:
        logger.exception("extracting story %s failed", story_id)
        notes.append(f"The article page could not be read ({type(error).__name__}).")
    image = None
    if image_url or page_image:
        image, why = _lead_image(image_url or page_image, story.title)
        if why:
            notes.append(why)
    with transaction.atomic():
        story = Story.objects.select_for_update().filter(pk=story_id).first()
        if story is None or story.status != Story.Status.QUEUED or story.edited_by_id:
            return "changed meanwhile"
        text = _clean_markdown(body, story.title) or story.summary
        if image is not None:
            text = f"![{_alt(story.title)}]({image.url})\n\n{text}"
        story.body, story.lead_image, story.extracted = text, image, bool(body)
        story.extraction_note = " ".join(notes)[:300]
        story.save(update_fields=["body", "lead_image", "extracted", "extraction_note"])
        if notes:  # the source's health page shows what went wrong with its items too
            Source.objects.filter(carriers__story=story).update(
                last_error=f"“{story.title[:80]}”: {' '.join(notes)}"[:NOTE_CHARS],
                last_error_at=timezone.now())
    return "extracted" if body else "summary only"


def _charset(page) -> str:
    match = re.search(r"charset=([\w-]+)", page.headers.get("content-type", ""))
    return match.group(1) if match else "utf-8"


def _clean_markdown(text: str, title: str) -> str:
    """Extracted Markdown, trimmed, without a first heading that repeats the headline."""
    lines = [line.rstrip() for line in (text or "").strip().splitlines()]
    if lines and lines[0].startswith("#") and title_key(lines[0].lstrip("#")) == title_key(title):
        lines = lines[1:]
    return "\n".join(lines).strip()


def _alt(title: str) -> str:
    return re.sub(r"[\[\]]", "", title)[:120]


def _duplicate_of(story: Story, page_url: str) -> Story | None:
    canonical = canonical_url(page_url)
    if canonical == story.canonical_url:
        return None
    return Story.objects.filter(canonical_url=canonical).exclude(pk=story.pk).first()


def _merge_into(story: Story, other: Story) -> str:
    """The page's canonical link names a story we have: its carriers move there."""
    with transaction.atomic():
        Carrier.objects.filter(story=story).exclude(
            source__in=Carrier.objects.filter(story=other).values("source")
        ).update(story=other)
        story.delete()
    return f"merged into story {other.pk}"


def _lead_image(url: str, title: str) -> tuple[Upload | None, str]:
    """The lead image verified and re-encoded like a member's upload, or why not."""
    try:
        data = fetch(url, max_bytes=settings.UPLOAD_MAX_BYTES, accept="image/*").body
        return keep_image(owner=desk_account(), data=data), ""
    except FetchError as error:
        return None, f"The lead image could not be fetched: {error.message}"
    except ActionError as error:
        return None, f"The lead image was refused: {error.message}"
