"""Reading a fetched feed: RSS and Atom through feedparser, JSON Feed by its (small) spec.

Every item comes out as a FeedItem with plain-text title and summary: whatever HTML the feed
carried is reduced to text here (nh3 with no tags allowed), so no script or markup from a
source ever reaches a page. An item the parser cannot use (no link and no id, no title and no
text) is skipped and counted, never fatal; a body that is no feed at all is a FeedError.
"""

import hashlib
import html
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import feedparser
import nh3
from django.utils.dateparse import parse_datetime

from townsquare.core.inputs import member_text

MAX_ITEMS = 200
SUMMARY_CHARS = 1200


class FeedError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class FeedItem:
    guid: str
    url: str
    title: str
    summary: str
    published: datetime | None
    image_url: str

    @property
    def key(self) -> str:
        """A fixed-length name for the item within its source."""
        return hashlib.sha256((self.guid or self.url).encode()).hexdigest()

    @property
    def content_hash(self) -> str:
        """Changes when the item's visible content does (a source's later correction)."""
        return hashlib.sha256(f"{self.title}\n{self.summary}\n{self.url}".encode()).hexdigest()


@dataclass
class ParsedFeed:
    title: str
    items: list[FeedItem]
    skipped: list[str]  # why each unusable item was left out


def parse_feed(body: bytes, content_type: str = "") -> ParsedFeed:
    stripped = body.lstrip()[:1]
    if "json" in content_type or stripped == b"{":
        return _parse_json_feed(body)
    parsed = feedparser.parse(body, sanitize_html=True, resolve_relative_uris=False)
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        detail = f" ({_short(str(problem))})" if problem else ""
        raise FeedError(f"This address did not return a feed (RSS, Atom or JSON Feed){detail}.")
    items, skipped = [], []
    for entry in parsed.entries[:MAX_ITEMS]:
        item = _item(
            guid=entry.get("id") or "",
            url=entry.get("link") or "",
            title=entry.get("title") or "",
            summary=_entry_summary(entry),
            published=_struct_time(entry.get("published_parsed") or entry.get("updated_parsed")),
            image_url=_entry_image(entry),
        )
        (items if isinstance(item, FeedItem) else skipped).append(item)
    return ParsedFeed(text(parsed.feed.get("title", "")), items, skipped)


def _parse_json_feed(body: bytes) -> ParsedFeed:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise FeedError(f"The JSON Feed is not valid JSON ({_short(str(error))}).") from None
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(
            "https://jsonfeed.org/version/"):
        raise FeedError("This JSON is not a JSON Feed (it has no jsonfeed.org version).")
    raw_items = data.get("items")
    if not isinstance(raw_items, list):
        raise FeedError("The JSON Feed has no list of items.")
    items, skipped = [], []
    for raw in raw_items[:MAX_ITEMS]:
        if not isinstance(raw, dict):
            skipped.append("an item that is not an object")
            continue
        when = raw.get("date_published") or raw.get("date_modified")
        item = _item(
            guid=_str(raw.get("id")),
            url=_str(raw.get("url") or raw.get("external_url")),
            title=_str(raw.get("title")),
            summary=_str(raw.get("summary") or raw.get("content_text")
                         or raw.get("content_html")),
            published=_iso(when),
            image_url=_str(raw.get("image") or raw.get("banner_image")),
        )
        (items if isinstance(item, FeedItem) else skipped).append(item)
    return ParsedFeed(text(_str(data.get("title"))), items, skipped)


def _item(*, guid, url, title, summary, published, image_url) -> FeedItem | str:
    """A FeedItem, or why the item can't be used."""
    url, guid = url.strip(), guid.strip()[:1000]
    if not url.startswith(("http://", "https://")):
        url = guid if guid.startswith(("http://", "https://")) else ""
    title, summary = text(title)[:300], text(summary)
    if not url:
        return f"an item without a web link ({_short(title) or 'untitled'})"
    if not title:
        if not summary:
            return f"an item with neither title nor text ({url[:80]})"
        title = _short(summary, 120)
    if len(summary) > SUMMARY_CHARS:
        summary = summary[:SUMMARY_CHARS].rsplit(" ", 1)[0] + "…"
    image_url = image_url.strip() if image_url.strip().startswith(("http://", "https://")) else ""
    return FeedItem(guid or url, url[:1000], title, summary, published, image_url[:1000])


def text(value: str) -> str:
    """Plain text from a feed's HTML or text: tags dropped, entities decoded, spaces folded."""
    value = nh3.clean(value or "", tags=set(), clean_content_tags={"script", "style"})
    return " ".join(member_text(html.unescape(value)).split())


def _entry_summary(entry) -> str:
    if entry.get("summary"):
        return entry["summary"]
    for content in entry.get("content") or []:
        if content.get("value"):
            return content["value"]
    return ""


def _entry_image(entry) -> str:
    for media in (entry.get("media_content") or []) + (entry.get("media_thumbnail") or []):
        url = media.get("url", "")
        if url and media.get("medium", "image") == "image":
            return url
    for link in entry.get("enclosures") or entry.get("links") or []:
        if link.get("type", "").startswith("image/") and link.get("href"):
            return link["href"]
    return ""


def _struct_time(value) -> datetime | None:
    if not value:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _iso(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        return None
    if parsed and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _str(value) -> str:
    return value if isinstance(value, str) else ""


def _short(value: str, limit: int = 60) -> str:
    value = re.sub(r"\s+", " ", value).strip()
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"
