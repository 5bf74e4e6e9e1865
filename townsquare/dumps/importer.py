"""`townsquare import`: load a forum dump in one transaction, all of it or none of it.

Work happens once, here: bodies are rendered and sanitised like new posts, positions and
counters are computed while the posts stream past, and rows go in by batches. Foreign keys
are checked at commit, so posts can be written before the topics and members they point to
(which are written last, with their counters already right).
"""

import gc
import multiprocessing
import os
import re
import time
from collections import Counter, defaultdict, deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import batched
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, identify_hasher, make_password
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.utils.text import slugify

from townsquare.accounts.models import Role, User
from townsquare.core.inputs import member_text
from townsquare.core.markup import QuotedPost, quoted_ids
from townsquare.forum import permissions
from townsquare.forum.models import Category, Post, Topic
from townsquare.reactions.models import Kind, Reaction

from . import render_worker
from .records import DumpError, Line, read_lines, read_meta
from .rows import RowWriter

BATCH = 2000
IMPORT_CACHE_KB = 256 * 1024
# Django works a choices enum's values out afresh on every read: once per post adds up.
KINDS = tuple(Kind.values)
_QUOTE_FENCE = re.compile(r"^(\s*:{3,}\s*quote\s+)(\S+)(\s*)$", re.MULTILINE)


class Ids:
    """Source ids to database ids. An empty table keeps the source's own integer ids."""

    def __init__(self, model, name: str):
        self.name = name
        last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
        self.keep = last is None
        self.next = (last or 0) + 1
        self.map: dict = {}

    def add(self, line: Line, source) -> int:
        if source in self.map:
            raise line.fail(f"duplicate {self.name} id {source!r}")
        if self.keep and isinstance(source, int) and source >= self.next:
            new = source
        else:
            self.keep, new = False, self.next
        self.next = new + 1
        self.map[source] = new
        return new

    def get(self, line: Line, field_name: str, *, required: bool = True):
        source = line.id(field_name, required=required)
        if source is None:
            return None
        try:
            return self.map[source]
        except KeyError:
            raise line.fail(f"{field_name} {source!r} does not match any {self.name}") from None


class Progress:
    """What an import reports as it goes; the command shows it as progress bars."""

    def file_started(self, name: str, size: int) -> None: ...
    def advance(self, nbytes: int) -> None: ...
    def file_done(self, name: str, count: int) -> None: ...


@dataclass
class Summary:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def import_dump(folder: Path, progress: Progress | None = None) -> Summary:
    folder, progress = Path(folder), progress or Progress()
    started = time.perf_counter()
    read_meta(folder)
    summary = Summary()
    with _bulk_loading(), transaction.atomic():
        state = _Import(folder, progress, summary)
        state.run()
        _reset_sequences()
    summary.seconds = time.perf_counter() - started
    return summary


@contextmanager
def _bulk_loading():
    """Settings for one long load: no cyclic garbage collection (an import makes millions of
    objects and no cycles: each collection only walks them all again), and on SQLite a page
    cache large enough for the tables' indexes (the default 2 MB made every insert into a
    big index read pages back); both as they were afterwards. Together about a tenth off a
    million-post import."""
    collecting = gc.isenabled()
    gc.disable()
    cache_pages = None
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cache_pages = cursor.execute("PRAGMA cache_size").fetchone()[0]
            cursor.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KB}")
    try:
        yield
    finally:
        if cache_pages is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(cache_pages)}")
        if collecting:
            gc.enable()


def _reset_sequences() -> None:
    statements = connection.ops.sequence_reset_sql(no_style(),
                                                   [User, Category, Topic, Post, Reaction])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


class _Import:
    def __init__(self, folder: Path, progress: Progress, summary: Summary):
        self.folder, self.progress, self.summary = folder, progress, summary
        self.users, self.categories = Ids(User, "user"), Ids(Category, "category")
        self.topics, self.posts = Ids(Topic, "topic"), Ids(Post, "post")
        self.member: dict[int, User] = {}
        self.category_rows: dict[int, Category] = {}
        self.topic_rows: dict[int, Topic] = {}
        self.topic_lines: dict[int, int] = {}
        # Who wrote each post, when, and the lowest rank that may see it (its audience), for
        # quote headers: compact, as a million add up.
        # Post id -> (author's name, time, lowest rank that may see it, deleted?).
        self.written: dict[int, tuple[str, datetime, int, bool]] = {}
        # post source id -> {member id: (kind, created, line number)}
        self.reactions: dict = defaultdict(dict)

    def lines(self, name: str):
        path = self.folder / name
        size = path.stat().st_size if path.exists() else 0
        self.progress.file_started(name, size)
        count = 0
        for line in read_lines(path, self.progress.advance):
            count += 1
            yield line
        self.summary.counts[name.removesuffix(".jsonl")] = count
        self.progress.file_done(name, count)

    def run(self) -> None:
        self.read_users()
        self.read_categories()
        self.read_topics()
        self.read_reactions()
        self.write_posts()
        self.write_reactions()
        for topic in self.topic_rows.values():
            if topic.post_count == 0:
                raise DumpError([f"topics.jsonl:{self.topic_lines[topic.pk]}: topic "
                                 f"{topic.title!r} has no posts (its first post is its opening "
                                 f"post)"])
        Topic.objects.bulk_create(self.topic_rows.values(), batch_size=BATCH)
        Category.objects.bulk_create(self.category_rows.values(), batch_size=BATCH)
        User.objects.bulk_create(self.member.values(), batch_size=BATCH)

    def read_users(self) -> None:
        taken_names = {n.lower() for n in User.objects.values_list("username", flat=True)}
        taken_emails = {e.lower() for e in User.objects.values_list("email", flat=True) if e}
        hashes: dict[str, str] = {}
        for line in self.lines("users.jsonl"):
            line.require("id", "username", "email", "date_joined")
            username = line.text("username", max_length=150).strip()
            email = line.text("email", max_length=254).strip()
            if "/" in username or not username:
                raise line.fail(f"username {username!r} cannot be used in a profile address")
            if "@" in username:
                # A sign-in with an @ is an email address: a name must never pass for one.
                raise line.fail(f"username {username!r} has an @, and usernames must not look "
                                f"like email addresses")
            if username.lower() in taken_names:
                raise line.fail(f"username {username!r} is already taken (letter case aside)")
            if email.lower() in taken_emails:
                raise line.fail(f"email {email!r} is already used by another member")
            role = line.text("role", default=Role.MEMBER)
            if role not in Role.values:
                raise line.fail(f"role {role!r} is not one of {', '.join(Role.values)}")
            user = User(
                pk=self.users.add(line, line.id()), username=username, email=email,
                date_joined=line.time("date_joined"), role=role, bio=member_text(line.text("bio")),
                is_active=line.record.get("is_active", True) is not False,
                is_staff=line.flag("is_staff"), password=self.password(line, hashes),
            )
            taken_names.add(username.lower())
            taken_emails.add(email.lower())
            self.member[user.pk] = user

    @staticmethod
    def password(line: Line, hashes: dict[str, str]) -> str:
        if stored := line.text("password_hash"):
            if stored.startswith(UNUSABLE_PASSWORD_PREFIX):
                return stored
            try:
                identify_hasher(stored)
            except ValueError:
                raise line.fail("'password_hash' is not in Django's hash format") from None
            return stored
        if plain := line.text("password"):
            # Plain passwords exist only in fixtures and benchmarks: hash each distinct one once.
            if plain not in hashes:
                hashes[plain] = make_password(plain)
            return hashes[plain]
        return make_password(None)

    def read_categories(self) -> None:
        for line in self.lines("categories.jsonl"):
            line.require("id", "title", "slug")
            roles = {"start_role": line.text("start_role", default=Role.MEMBER),
                     "read_role": line.text("read_role")}
            for name, role in roles.items():
                if role not in Role.values and not (name == "read_role" and role == ""):
                    raise line.fail(f"{name} {role!r} is not one of {', '.join(Role.values)}")
            category = Category(
                pk=self.categories.add(line, line.id()),
                title=member_text(line.text("title", max_length=120)),
                slug=line.text("slug", max_length=120),
                description=member_text(line.text("description")), position=line.whole("position"),
                parent_id=self.categories.get(line, "parent_id", required=False), **roles,
            )
            self.category_rows[category.pk] = category

    def read_topics(self) -> None:
        check_url = URLValidator(schemes=["http", "https"])
        for line in self.lines("topics.jsonl"):
            line.require("id", "category_id", "user_id", "title", "created")
            title = " ".join(member_text(line.text("title", max_length=settings.TITLE_MAX_CHARS))
                             .split())
            source_url = line.text("source_url", max_length=500)
            if source_url:
                try:
                    check_url(source_url)
                except ValidationError:
                    raise line.fail(f"'source_url' is not an http(s) address: "
                                    f"{source_url!r}") from None
            created = line.time("created")
            topic = Topic(
                pk=self.topics.add(line, line.id()),
                category_id=self.categories.get(line, "category_id"),
                author_id=self.users.get(line, "user_id"), title=title,
                slug=slugify(title)[:80] or "topic", created=created, last_activity=created,
                pinned=line.flag("pinned"), locked=line.flag("locked"), hidden=line.flag("hidden"),
                source_name=member_text(line.text("source_name", max_length=200)),
                source_url=source_url,
                source_date=line.day("source_date"), views=line.whole("views"),
            )
            self.topic_rows[topic.pk] = topic
            self.topic_lines[topic.pk] = line.number

    def read_reactions(self) -> None:
        for line in self.lines("reactions.jsonl"):
            line.require("post_id", "user_id", "kind")
            kind = line.text("kind")
            if kind not in KINDS:
                raise line.fail(f"kind {kind!r} is not one of {', '.join(KINDS)}")
            user_id = self.users.get(line, "user_id")
            post = line.id("post_id")
            # A member reacts once per post: a repeated pair keeps the last.
            self.reactions[post][user_id] = (kind, line.time("created", required=False),
                                             line.number)

    def write_posts(self) -> None:
        writer = RowWriter(Post, POST_COLUMNS)
        path = self.folder / "posts.jsonl"
        parallel = path.exists() and path.stat().st_size > PARALLEL_FROM_BYTES
        with Renderer(parallel) as renderer:
            for batch in batched(self.lines("posts.jsonl"), BATCH):
                rows, jobs = zip(*(self.post(line) for line in batch), strict=True)
                for done in renderer.submit(list(rows), list(jobs)):
                    writer.write(done)
            for done in renderer.finish():
                writer.write(done)

    def post(self, line: Line) -> tuple[list, tuple]:
        """The post's row (its HTML still to render) and what rendering it needs."""
        line.require("id", "topic_id", "user_id", "created", "body")
        source_id = line.id()
        topic = self.topic_rows[self.topics.get(line, "topic_id")]
        author = self.member[self.users.get(line, "user_id")]
        body = self.remap_quotes(member_text(line.text("body", max_length=settings.POST_MAX_CHARS)))
        # A quote points back at an earlier post (records come in id order).
        quotes_post_id = self.posts.get(line, "quotes_post_id", required=False)
        created = line.time("created")
        post_id = self.posts.add(line, source_id)
        counts = Counter(kind for kind, _, _ in self.reactions.get(source_id, {}).values())
        reaction_counts = {k: counts[k] for k in KINDS if counts[k]}
        category = self.category_rows[topic.category_id]
        # The topic's reach (its category, and moderators only while it is hidden), read off
        # the rows in hand: topics and categories are written after the posts.
        destination = max(permissions.audience_rank(category),
                          permissions.MODERATORS if topic.hidden else permissions.GUEST)
        hidden = line.flag("hidden")
        deleted = line.time("deleted", required=False)
        quotes = self.quotes(body, author, destination)
        if quotes_post_id not in quotes:
            quotes_post_id = None
        self.written[post_id] = (author.username, created, max(
            destination, permissions.MODERATORS if hidden else permissions.GUEST),
            deleted is not None)
        topic.post_count += 1
        if created >= topic.last_activity or topic.post_count == 1:
            topic.last_activity, topic.last_poster_id = created, author.pk
        author.post_count += 1
        category.post_count += 1
        category.topic_count += 1 if topic.post_count == 1 else 0
        if not category.last_activity or created > category.last_activity:
            category.last_activity = created
        row = [post_id, topic.pk, topic.post_count, author.pk, created, body, None,
               quotes_post_id, line.time("edited", required=False), hidden, deleted,
               reaction_counts, 0]
        return row, (body, quotes)

    def quotes(self, body: str, author: User, destination: int) -> dict[int, QuotedPost]:
        """Headers for the quotes the author may attribute in a topic seen from rank
        `destination` up: the rule of permissions.can_attribute_quote, the author writing."""
        writer = permissions.reader_rank(author)
        found = {}
        for pk in quoted_ids(body):
            if (written := self.written.get(pk)) and permissions.attributable(
                    writer, written[2], destination):
                found[pk] = QuotedPost(f"/p/{pk}/", written[0], written[1],
                                       removed=written[3])
        return found

    def remap_quotes(self, body: str) -> str:
        """Quote containers name source post ids; point them at the imported posts."""
        if ":::" not in body:
            return body

        def repl(match):
            source = match.group(2)
            new = self.posts.map.get(int(source) if source.isdigit() else source, 0)
            return f"{match.group(1)}{new}{match.group(3)}"

        return _QUOTE_FENCE.sub(repl, body)

    def write_reactions(self) -> None:
        ids = Ids(Reaction, "reaction")
        writer = RowWriter(Reaction, ["id", "post_id", "user_id", "kind", "created"])
        rows = []
        for post, given in self.reactions.items():
            post_id = self.posts.map.get(post)
            for user_id, (kind, created, number) in given.items():
                if post_id is None:
                    raise DumpError([f"reactions.jsonl:{number}: post_id {post!r} does not "
                                     f"match any post"])
                rows.append((ids.next, post_id, user_id, kind,
                             created or self.written[post_id][1]))
                ids.next += 1
            if len(rows) >= BATCH:
                writer.write(rows)
                rows = []
        writer.write(rows)


POST_COLUMNS = ["id", "topic", "position", "author", "created", "body", "html", "quotes_post",
                "edited", "hidden", "deleted", "reaction_counts", "version"]
HTML = POST_COLUMNS.index("html")
PARALLEL_FROM_BYTES = 4 * 1024 * 1024


class Renderer:
    """Renders batches of post bodies, in worker processes for a large import.

    The parent keeps parsing and writing while up to two batches render, so on a two-core
    machine both cores work; small imports render in place.
    """

    def __init__(self, parallel: bool):
        self.pool = None
        if parallel and (os.cpu_count() or 1) > 1:
            # Spawned, not forked: the parent may hold database or cache client threads.
            self.pool = multiprocessing.get_context("spawn").Pool(
                os.cpu_count(), initializer=render_worker.start,
                initargs=(os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings"),))
        self.pending: deque = deque()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.pool:
            self.pool.terminate()

    def submit(self, rows: list[list], jobs: list[tuple]):
        if self.pool is None:
            self._fill(rows, render_worker.render_batch(jobs))
            yield rows
            return
        self.pending.append((rows, self.pool.apply_async(render_worker.render_batch, (jobs,))))
        while len(self.pending) > 2:
            yield self._collect()

    def finish(self):
        while self.pending:
            yield self._collect()

    def _collect(self) -> list[list]:
        rows, result = self.pending.popleft()
        self._fill(rows, result.get())
        return rows

    @staticmethod
    def _fill(rows: list[list], html: list[str]) -> None:
        for row, text in zip(rows, html, strict=True):
            row[HTML] = text
