"""Writes to the forum. Each action owns its transaction and re-checks permissions, and says
which cached pages it changes (`@changes`, see core/invalidation.py)."""

from collections.abc import Iterable
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify

from townsquare.accounts.models import User
from townsquare.core import hooks
from townsquare.core.errors import Conflict, Forbidden, Invalid, NotFound
from townsquare.core.inputs import member_text
from townsquare.core.invalidation import Versioned, add_one, changes, unchanged
from townsquare.core.markup import (
    QuotedPost,
    mentioned_usernames,
    quoted_ids,
    render_markdown,
)
from townsquare.drafts.actions import clear_draft
from townsquare.uploads.actions import attach_uploads, referenced_files
from townsquare.uploads.queries import image_sizes

from . import live, permissions
from .models import Category, Mention, Post, PostQuote, PostRevision, Topic


def _bump_posts(posts: list[Post]) -> None:
    add_one(Post, posts)
    add_one(Topic, {post.topic_id for post in posts})


# A topic's pages (for guests and members' shells, their lists of posts, the cached topic
# row); a post's rendered HTML, listed in its topic's pages, so a post's bump is its topic's
# too (a target is a Post row); a category's pages and, through the forum stamp, the home
# page, which list its topics. Targets: ids, rows, or a queryset of rows.
TOPIC = Versioned("topic", lambda topics: add_one(Topic, topics))
POST = Versioned("post", _bump_posts)
CATEGORY = Versioned("category", lambda categories: add_one(Category, categories))


def clean_title(title: str) -> str:
    title = " ".join(member_text(title).split())
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
    body = member_text(body).replace("\r\n", "\n").strip()
    if not body:
        raise Invalid("Write something before posting.", field="body")
    if len(body) > settings.POST_MAX_CHARS:
        raise Invalid(
            f"Posts are limited to {settings.POST_MAX_CHARS:,} characters "
            f"(this one has {len(body):,}).",
            field="body",
        )
    return body


def lookup_quotes(ids: Iterable[int], *, writer, destination) -> dict[int, QuotedPost]:
    """Attribution for the posts among `ids` that `writer` may attribute in `destination`
    (see permissions.can_attribute_quote); the rest are left out, as missing ones are.
    Deleted ones are marked removed (their quoted text is then not shown)."""
    ids = [i for i in ids if i < 2**63]
    if not ids:
        return {}
    rows = (
        Post.objects.filter(pk__in=ids)
        .select_related("author", "topic__category")
        .only("pk", "created", "deleted", "hidden", "author__username", "topic__hidden",
              "topic__category__read_role")
    )
    return {p.pk: QuotedPost(url=p.get_absolute_url(), author=p.author.username,
                             created=p.created, removed=p.deleted is not None)
            for p in rows if permissions.can_attribute_quote(writer, p, destination)}


def lookup_mentions(names: list[str]) -> dict[str, tuple[str, str]]:
    """(username, profile URL) of the members among lower-cased `names`, in one query."""
    if not names:
        return {}
    if len(names) > settings.MENTIONS_MAX_PER_POST:
        raise Invalid(f"A post can mention at most {settings.MENTIONS_MAX_PER_POST} members "
                      f"(this one mentions {len(names)}).", field="body")
    members = _members_named(names).only("pk", "username")
    return {m.username.lower(): (m.username, m.get_absolute_url()) for m in members}


def render_body(body: str, *, writer, destination) -> tuple[str, list[int]]:
    """Rendered HTML of a body `writer` posts in `destination` (a topic, or the category of a
    topic about to start), and the posts it quotes with attribution, in order: quotes,
    mentions and image sizes resolved. The one place a post body becomes HTML."""
    ids = quoted_ids(body)
    quotes = lookup_quotes(ids, writer=writer, destination=destination)
    mentions = lookup_mentions(mentioned_usernames(body))
    images = image_sizes(f"{settings.MEDIA_URL}{name}" for name in referenced_files(body))
    html = render_markdown(body, quotes, mentions=mentions, images=images)
    return html, [pk for pk in ids if pk in quotes]


def _record_links(post: Post, body: str, quoted: list[int], *, editing: bool = False) -> None:
    """What a post's body points at: its uploads, the members it mentions, the posts it
    quotes with attribution (`quoted`, from render_body)."""
    shown = attach_uploads(owner=post.author, post=post, body=body, quoted=quoted)
    if post.position == 1:
        # Topic lists show the opening post's first image, small.
        names = referenced_files(body)
        first = min(shown, key=lambda u: names.index(u.file), default=None)
        thumbnail = first.thumbnail_url if first else ""
        if thumbnail != post.topic.thumbnail:
            _show_thumbnail(topic=post.topic, thumbnail=thumbnail)
    names = mentioned_usernames(body)
    members = list(_members_named(names).values_list("pk", flat=True)) if names else []
    if editing:
        Mention.objects.filter(post=post).exclude(member_id__in=members).delete()
        PostQuote.objects.filter(post=post).delete()
    Mention.objects.bulk_create([Mention(post=post, member_id=m) for m in members],
                                ignore_conflicts=True)
    PostQuote.objects.bulk_create([PostQuote(post=post, quoted_id=q) for q in quoted
                                   if q != post.pk], ignore_conflicts=True)


@changes(CATEGORY.of(lambda topic, **_: topic.category_id), atomic=False)
def _show_thumbnail(*, topic: Topic, thumbnail: str) -> None:
    """Topic lists show the opening post's first image, small (inside the post's write)."""
    Topic.objects.filter(pk=topic.pk).update(thumbnail=thumbnail)


def _members_named(names: list[str]):
    query = Q()
    for name in names:
        query |= Q(username__iexact=name)
    return User.objects.filter(query, is_active=True)


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
        topic = _open_topic(
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
            body=body,
            submit_token=submit_token,
        )
    except IntegrityError:
        if submit_token and (done := _already_posted(author, submit_token)):
            return done.topic
        raise
    topic.refresh_from_db()
    return topic


# Nothing is cached under a new topic's version yet: its category's lists change.
@changes(CATEGORY.of("category"))
def _open_topic(*, category: Category, author: User, body: str, submit_token: str | None,
                **fields) -> Topic:
    topic = Topic.objects.create(category=category, author=author, **fields)
    opening = _add_post(topic=topic, author=author, body=body, created=topic.created,
                        submit_token=submit_token, new_topic=True)
    clear_draft(member=author, topic=None)
    opening.topic = topic
    hooks.run("post_written", opening, new_topic=True)
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
        return _add_reply(author=author, topic_id=topic.pk, body=body,
                          created=created or timezone.now(), submit_token=submit_token)
    except IntegrityError:
        if submit_token and (done := _already_posted(author, submit_token)):
            return done
        raise


@changes(TOPIC.of(lambda result, **_: result.topic),
         CATEGORY.of(lambda result, **_: result.topic.category_id))
def _add_reply(*, author: User, topic_id: int, body: str, created: datetime,
               submit_token: str | None) -> Post:
    # Lock the topic row: positions are handed out one writer at a time.
    topic = Topic.objects.select_for_update().select_related("category").get(pk=topic_id)
    if not permissions.can_view_topic(author, topic):
        raise NotFound("That topic does not exist.")
    if not permissions.can_reply(author, topic):
        raise Forbidden("This topic is locked: new replies are closed.")
    post = _add_post(topic=topic, author=author, body=body, created=created,
                     submit_token=submit_token)
    clear_draft(member=author, topic=topic)
    post.topic = topic
    hooks.run("post_written", post)
    live.publish_post_added(post)
    return post


def _already_posted(author: User, submit_token: str) -> Post | None:
    return (
        Post.objects.select_related("topic")
        .filter(author=author, submit_token=submit_token)
        .first()
    )


def _add_post(*, topic, author, body, created, submit_token, new_topic=False) -> Post:
    html, quoted = render_body(body, writer=author, destination=topic)
    post = Post.objects.create(
        topic=topic,
        position=topic.post_count + 1,
        author=author,
        created=created,
        body=body,
        html=html,
        quotes_post_id=quoted[0] if quoted else None,
        submit_token=submit_token or None,
    )
    _record_links(post, body, quoted)
    Topic.objects.filter(pk=topic.pk).update(
        post_count=F("post_count") + 1,
        last_activity=created,
        last_poster=author,
    )
    Category.objects.filter(pk=topic.category_id).update(
        post_count=F("post_count") + 1,
        topic_count=F("topic_count") + (1 if new_topic else 0),
        last_activity=created,
    )
    User.objects.filter(pk=author.pk).update(post_count=F("post_count") + 1)
    return post


@changes(POST.of("result"))
def edit_post(*, editor: User, post: Post, body: str, reason: str = "",
              version: int | None = None) -> Post:
    """Change a post's text, keeping the text it had as a revision.

    `version` is the post version the editor loaded; an edit made meanwhile is a Conflict,
    never overwritten.
    """
    body = clean_body(body)
    reason = " ".join((reason or "").split())[:200]
    post = (Post.objects.select_for_update().select_related("topic", "topic__category")
            .get(pk=post.pk))
    now = timezone.now()
    if not permissions.can_view_post(editor, post):
        raise NotFound("That post does not exist.")
    if not permissions.can_edit_post(editor, post, now):
        raise Forbidden(_edit_refusal(editor, post))
    if version is not None and version != post.version:
        raise Conflict("This post was changed while you were editing it. Its current "
                       "text is below; make your change again.")
    if body == post.body:
        return unchanged(post)
    number = post.revisions.count()
    if number == 0:
        PostRevision.objects.create(post=post, number=1, body=post.body,
                                    editor=post.author, created=post.created)
        number = 1
    PostRevision.objects.create(post=post, number=number + 1, body=body, editor=editor,
                                created=now, reason=reason)
    html, quoted = render_body(body, writer=post.author, destination=post.topic)
    Post.objects.filter(pk=post.pk).update(body=body, html=html, edited=now,
                                           quotes_post_id=quoted[0] if quoted else None)
    post.refresh_from_db()
    mentioned = set(Mention.objects.filter(post=post).values_list("member_id", flat=True))
    _record_links(post, body, quoted, editing=True)
    # Members the edit mentions for the first time hear about it (once per post).
    added = set(Mention.objects.filter(post=post).values_list("member_id", flat=True))
    if added - mentioned:
        hooks.run("post_written", post, only=added - mentioned, follow=False)
    live.publish_post_changed(post)
    return post


def _edit_refusal(editor: User, post: Post) -> str:
    if post.author_id != editor.pk:
        return "You can only edit your own posts."
    if post.topic.locked:
        return "This topic is locked: its posts can't be edited."
    hours = settings.POST_EDIT_WINDOW / 3600
    return (f"Posts can be edited for {hours:g} hour{'s' if hours != 1 else ''} after posting; "
            "this one can't be edited any more.")


@changes(POST.of("result"))
def delete_post(*, member: User, post: Post) -> Post:
    """Soft-delete: the post keeps its place and can be restored."""
    post = (Post.objects.select_for_update().select_related("topic", "topic__category")
            .get(pk=post.pk))
    if not permissions.can_view_post(member, post):
        raise NotFound("That post does not exist.")
    if not permissions.can_delete_post(member, post):
        if post.deleted:
            raise Conflict("That post is already deleted.")
        raise Forbidden("You can't delete this post.")
    Post.objects.filter(pk=post.pk).update(deleted=timezone.now(), deleted_by=member)
    # Posts quoting it show whether it is still there.
    rerender_quoting(Q(pk=post.pk))
    post.refresh_from_db()
    live.publish_post_removed(post)
    return post


@changes(POST.of("result"))
def restore_post(*, member: User, post: Post) -> Post:
    post = (Post.objects.select_for_update().select_related("topic", "topic__category")
            .get(pk=post.pk))
    if not permissions.can_restore_post(member, post):
        if not post.deleted:
            raise Conflict("That post is not deleted.")
        raise Forbidden("You can't restore this post.")
    Post.objects.filter(pk=post.pk).update(deleted=None, deleted_by=None)
    # Posts quoting it show it again.
    rerender_quoting(Q(pk=post.pk))
    post.refresh_from_db()
    live.publish_post_changed(post)
    return post


@changes(POST.of("result"), atomic=False)
def rerender_quoting(quoted: Q) -> list[Post]:
    """Render again the posts that quote any post matching `quoted`, so each quote's header
    follows the quoted post as it is now: removed, or no longer for every reader of the
    quoting topic (its header then goes, as for a post that does not exist). Call it in the
    transaction that changes the quoted posts. Returns the posts rendered again."""
    targets = Post.objects.filter(quoted).values("pk")
    quoting = list(Post.objects.filter(Q(quote_links__quoted__in=targets)
                                       | Q(quotes_post__in=targets))
                   .select_related("author", "topic__category").distinct())
    for other in quoting:
        html, _ = render_body(other.body, writer=other.author, destination=other.topic)
        Post.objects.filter(pk=other.pk).update(html=html)
    return quoting
