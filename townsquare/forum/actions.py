"""Writes to the forum. Each action owns its transaction and re-checks permissions."""

from collections.abc import Iterable
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from townsquare.accounts.models import User
from townsquare.core.errors import Forbidden, Invalid, NotFound
from townsquare.core.markup import QuotedPost, quoted_ids, render_markdown

from . import permissions
from .models import Category, Post, Topic


def clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise Invalid("Give the topic a title.", field="title")
    if len(title) > settings.TITLE_MAX_CHARS:
        raise Invalid(
            f"Keep the title under {settings.TITLE_MAX_CHARS} characters "
            f"(it has {len(title)}).",
            field="title",
        )
    return title


def clean_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise Invalid("Write something before posting.", field="body")
    if len(body) > settings.POST_MAX_CHARS:
        raise Invalid(
            f"Posts are limited to {settings.POST_MAX_CHARS:,} characters "
            f"(this one has {len(body):,}).",
            field="body",
        )
    return body


def lookup_quotes(ids: Iterable[int]) -> dict[int, QuotedPost]:
    """Attribution for the visible posts among `ids`; hidden or missing ones are left out."""
    ids = list(ids)
    if not ids:
        return {}
    rows = (
        Post.objects.filter(pk__in=ids, hidden=False, topic__hidden=False)
        .select_related("author")
        .only("pk", "created", "author__username")
    )
    return {p.pk: QuotedPost(url=p.get_absolute_url(), author=p.author.username, created=p.created)
            for p in rows}


def render_body(body: str) -> tuple[str, int | None]:
    """Rendered HTML of a body and the first post it quotes (if any is visible)."""
    quotes = lookup_quotes(quoted_ids(body))
    first = next((pk for pk in quoted_ids(body) if pk in quotes), None)
    return render_markdown(body, quotes), first


def start_topic(
    *,
    author: User,
    category: Category,
    title: str,
    body: str,
    source_name: str = "",
    source_url: str = "",
    source_date: date | None = None,
    pinned: bool = False,
    submit_token: str | None = None,
    created: datetime | None = None,
) -> Topic:
    if not permissions.can_start_topic(author, category):
        raise Forbidden("You can't start topics in this category.")
    title, body = clean_title(title), clean_body(body)
    if submit_token and (done := _already_posted(author, submit_token)):
        return done.topic
    created = created or timezone.now()
    try:
        with transaction.atomic():
            topic = Topic.objects.create(
                category=category,
                author=author,
                title=title,
                slug=slugify(title)[:80] or "topic",
                created=created,
                last_activity=created,
                last_poster=author,
                pinned=pinned,
                source_name=source_name.strip(),
                source_url=source_url.strip(),
                source_date=source_date,
            )
            _add_post(topic=topic, author=author, body=body, created=created,
                      submit_token=submit_token, new_topic=True)
    except IntegrityError:
        if submit_token and (done := _already_posted(author, submit_token)):
            return done.topic
        raise
    topic.refresh_from_db()
    return topic


def post_reply(
    *,
    author: User,
    topic: Topic,
    body: str,
    submit_token: str | None = None,
    created: datetime | None = None,
) -> Post:
    body = clean_body(body)
    if submit_token and (done := _already_posted(author, submit_token)):
        return done
    try:
        with transaction.atomic():
            # Lock the topic row: positions are handed out one writer at a time.
            topic = Topic.objects.select_for_update().select_related("category").get(pk=topic.pk)
            if not permissions.can_view_topic(author, topic):
                raise NotFound("That topic does not exist.")
            if not permissions.can_reply(author, topic):
                raise Forbidden("This topic is locked: new replies are closed.")
            return _add_post(topic=topic, author=author, body=body,
                             created=created or timezone.now(), submit_token=submit_token)
    except IntegrityError:
        if submit_token and (done := _already_posted(author, submit_token)):
            return done
        raise


def _already_posted(author: User, submit_token: str) -> Post | None:
    return (
        Post.objects.select_related("topic")
        .filter(author=author, submit_token=submit_token)
        .first()
    )


def _add_post(*, topic, author, body, created, submit_token, new_topic=False) -> Post:
    html, quotes_post_id = render_body(body)
    post = Post.objects.create(
        topic=topic,
        position=topic.post_count + 1,
        author=author,
        created=created,
        body=body,
        html=html,
        quotes_post_id=quotes_post_id,
        submit_token=submit_token or None,
    )
    Topic.objects.filter(pk=topic.pk).update(
        post_count=F("post_count") + 1,
        last_activity=created,
        last_poster=author,
        version=F("version") + 1,
    )
    Category.objects.filter(pk=topic.category_id).update(
        post_count=F("post_count") + 1,
        topic_count=F("topic_count") + (1 if new_topic else 0),
        last_activity=created,
        version=F("version") + 1,
    )
    User.objects.filter(pk=author.pk).update(post_count=F("post_count") + 1)
    return post


def bump_topic_version(topic_id: int) -> None:
    """Mark every cached page of a topic stale; call inside the write's transaction."""
    Topic.objects.filter(pk=topic_id).update(version=F("version") + 1)


def bump_post_version(post: Post) -> None:
    """Mark a post's cached HTML and its topic's cached pages stale (inside the write)."""
    Post.objects.filter(pk=post.pk).update(version=F("version") + 1)
    bump_topic_version(post.topic_id)


def bump_category_version(category_id: int) -> None:
    """Mark a category's pages and the home page stale (inside the write)."""
    Category.objects.filter(pk=category_id).update(version=F("version") + 1)
