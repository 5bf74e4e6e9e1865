from django.conf import settings
from django.db import models

from townsquare.accounts.models import Role
from townsquare.core.links import url_for
from townsquare.core.pagination import page_count


class Category(models.Model):
    title = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120)
    description = models.TextField(blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    position = models.IntegerField(default=0)
    # Who may start topics here: members anywhere, editors only on a news desk category.
    start_role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    # Who may read it: everyone, guests included (""), or members of this role and above. A
    # private category, its topics and posts are missing for everybody else: lists, pages,
    # notifications, digests and profiles alike.
    read_role = models.CharField(max_length=16, choices=[("", "Everyone"), *Role.choices],
                                 default="", blank=True)
    # Counters kept by the actions that change them, so lists never count rows.
    topic_count = models.PositiveIntegerField(default=0)
    post_count = models.PositiveIntegerField(default=0)
    last_activity = models.DateTimeField(null=True, blank=True)
    # Bumped with every change to what its page and the home page show (cache keys).
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return url_for("category", self.pk, self.slug)

    @property
    def readers_note(self) -> str:
        """Who may read a private category, in words ("" for a public one)."""
        return {Role.MEMBER: "Signed-in members only",
                Role.EDITOR: "Editors, moderators and administrators only",
                Role.MODERATOR: "Moderators and administrators only",
                Role.ADMIN: "Administrators only"}.get(self.read_role, "")


class Topic(models.Model):
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="topics")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="topics"
    )
    title = models.CharField(max_length=settings.TITLE_MAX_CHARS)
    slug = models.SlugField(max_length=settings.TITLE_MAX_CHARS, allow_unicode=False)
    created = models.DateTimeField()
    pinned = models.BooleanField(default=False)
    locked = models.BooleanField(default=False)
    hidden = models.BooleanField(default=False)
    # News attribution of an adapted article: "Adapted by {site} from {source} {date}".
    source_name = models.CharField(max_length=200, blank=True)
    source_url = models.URLField(max_length=500, blank=True)
    source_date = models.DateField(null=True, blank=True)
    # Kept by the actions: number of posts (opening post included), last activity and
    # its author, and a version bumped on every change that alters a rendered page.
    post_count = models.PositiveIntegerField(default=0)
    last_activity = models.DateTimeField()
    last_poster = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    views = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=0)
    # The opening post's first uploaded image, small, for topic lists (a media URL or "").
    thumbnail = models.CharField(max_length=255, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["category", "-pinned", "-last_activity"], name="topic_category_list"
            ),
            models.Index(fields=["-last_activity"], name="topic_latest"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return url_for("topic", self.pk, self.slug)

    @property
    def reply_count(self) -> int:
        return max(self.post_count - 1, 0)

    @property
    def page_count(self) -> int:
        return page_count(self.post_count, settings.POSTS_PER_PAGE)


class ReactionKind(models.TextChoices):
    """The site's fixed reaction set, in display order: the keys of Post.reaction_counts,
    the kinds of the reactions app's rows and the words a notification names them by."""

    LIKE = "like", "Like"
    THANKS = "thanks", "Thanks"
    HAHA = "haha", "Haha"
    CONFUSED = "confused", "Confused"
    SAD = "sad", "Sad"
    LOVE = "love", "Love It"


class Post(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="posts")
    # 1-based place in the topic, fixed at write time: pages are ranges of positions,
    # so the last page of a long topic costs what the first does.
    position = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts"
    )
    created = models.DateTimeField()
    body = models.TextField()
    html = models.TextField()
    quotes_post = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="quoted_by"
    )
    edited = models.DateTimeField(null=True, blank=True)
    hidden = models.BooleanField(default=False)
    # Deleting is soft: the row and its position stay, the page shows a placeholder, and the
    # author or a moderator can restore it.
    deleted = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    reaction_counts = models.JSONField(default=dict, blank=True)
    # Bumped with every change to what the post shows: keys its cached HTML.
    version = models.PositiveIntegerField(default=0)
    # A token the reply form carries, so a double-submitted form stores one post.
    submit_token = models.CharField(max_length=64, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["topic", "position"], name="post_topic_position"),
            models.UniqueConstraint(
                fields=["author", "submit_token"], name="post_author_submit_token"
            ),
        ]
        indexes = [
            models.Index(fields=["author", "-created"], name="post_author_recent"),
            # A category marked read at a time: the first post of a topic written after it.
            models.Index(fields=["topic", "created"], name="post_topic_created"),
        ]

    def __str__(self):
        return f"Post {self.pk} in topic {self.topic_id}"

    def get_absolute_url(self):
        return url_for("post", self.pk)

    @property
    def page(self) -> int:
        return (self.position - 1) // settings.POSTS_PER_PAGE + 1


class PostRevision(models.Model):
    """The body a post had before an edit: revision 1 is the original text."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    body = models.TextField()
    editor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                               related_name="+")
    created = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "number"], name="revision_post_number"),
        ]
        ordering = ["number"]

    def __str__(self):
        return f"Revision {self.number} of post {self.post_id}"


class PostQuote(models.Model):
    """A post quoting another (every quote, not only the first): a quoted post's deletion
    re-renders the posts that quote it."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="quote_links")
    quoted = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="quoted_links")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "quoted"], name="postquote_unique"),
        ]

    def __str__(self):
        return f"Post {self.post_id} quotes post {self.quoted_id}"


class Mention(models.Model):
    """A member named as @username in a post (notifications use these)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="mentions")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="mentions")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "member"], name="mention_unique"),
        ]
        indexes = [models.Index(fields=["member", "-created"], name="mention_member_recent")]

    def __str__(self):
        return f"Post {self.post_id} mentions member {self.member_id}"


class TopicRead(models.Model):
    """How far a member has read a topic: every post up to `last_read_position`.

    Written when the member views a page of the topic, only ever moving forward (see
    forum/actions_reading.py); topic lists and the topic page compare it with the topic's
    post count to find the first unread post.
    """

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+")
    last_read_position = models.PositiveIntegerField(default=0)
    updated = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "topic"], name="topicread_member_topic"),
        ]

    def __str__(self):
        return f"Member {self.member_id} read topic {self.topic_id} to #{self.last_read_position}"


class CategoryRead(models.Model):
    """"Mark all read" in a category, as one row: every post written in the category up to
    `marked_at` counts as read, so a topic whose last activity is older is read."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    marked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "category"],
                                    name="categoryread_member_category"),
        ]

    def __str__(self):
        return f"Member {self.member_id} marked category {self.category_id} read"
