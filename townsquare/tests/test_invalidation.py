"""Every action says which cached pages it changes, and changes exactly those.

Cached pages and their parts are keyed by versions kept on the rows they show: a topic's,
a post's, a category's (the home page's key sums the categories'), a member's state and bell.
Actions declare the versions they change (`@changes`, core/invalidation.py) and the
declaration does the bumping. Every public function of every actions module has its line in
ACTIONS below: small scenarios that run it, each with the versions it must change; or, for a
function that writes nothing a cached copy shows, the reason. Each scenario runs on a small
forum whose pages and members' state were just cached, and then:

- the versions that changed are the ones the line expects, and every one of them was changed
  by a declaration (a version changed by hand fails);
- what guests and members are served from the cache is what a cold cache would give them, so
  a change no version records (a forgotten declaration) fails even when its line forgot it too.

A new public function in an actions module fails `test_every_action_has_a_line` until it gets
one.
"""

import ast
import importlib
import inspect
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F, Q
from django.test import Client

from townsquare.accounts.models import User
from townsquare.core import invalidation
from townsquare.core.markup import quote_block
from townsquare.core.memo import LocalMemo
from townsquare.drafts import actions as drafts
from townsquare.forum import actions as forum
from townsquare.forum import actions_access as access
from townsquare.forum import actions_admin as admin
from townsquare.forum import actions_quoting as quoting_actions
from townsquare.forum.models import Category, Post, Topic
from townsquare.forum.queries import get_forum_stamp
from townsquare.newsdesk.actions import stories
from townsquare.notifications import actions as notifications
from townsquare.notifications.models import Notification
from townsquare.reactions import actions as reactions

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class World:
    """A category with a topic, a reply, and members around them; `elsewhere` is empty."""

    author: User  # started the topic (and follows it)
    reader: User  # replied (and follows it); the author was notified of the reply
    moderator: User
    admin: User
    category: Category
    elsewhere: Category
    topic: Topic
    opening: Post
    reply: Post
    made: dict = field(default_factory=dict)  # what a scenario's `given` made, by name


@dataclass(frozen=True)
class Case:
    """`when` runs the action after `given` (not measured) on a fresh World; `changes` lists
    the rows whose versions it must change, by kind (none: it changed nothing cached)."""

    name: str
    when: Callable[[World], object]
    changes: Callable[[World], dict[str, list]] = lambda w: {}
    given: Callable[[World], object] = lambda w: None
    # Why members' bells may go on counting notifications about what they can no longer see,
    # until each bell is next worked out (as notifications/tests/test_notification_visibility
    # expects): no version records who was notified about a topic.
    stale_bells: str = ""


HIDDEN = "the bells of members notified about it, until worked out again"


def quoting(w: World, *, elsewhere: bool = False) -> Post:
    """A post by the moderator quoting the reply, in the topic or in a topic elsewhere."""
    body = quote_block(w.reply.pk, w.reply.body) + "Quite so."
    if elsewhere:
        topic = forum.start_topic(author=w.moderator, category=w.elsewhere, title="Quoted",
                                  body=body)
        w.made["quoting"] = topic.posts.get()
    else:
        w.made["quoting"] = forum.post_reply(author=w.moderator, topic=w.topic, body=body)
    return w.made["quoting"]


def image(w: World) -> str:
    """Markdown showing an image the author uploaded."""
    from PIL import Image

    from townsquare.uploads.actions import store_image

    data = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 80, 40)).save(data, "PNG")
    upload = store_image(owner=w.author, file=SimpleUploadedFile("a.png", data.getvalue()))
    return f"![A picture](/media/{upload.file})"


def rename(row, **values):
    for name, value in values.items():
        setattr(row, name, value)
    return row


def unread_notification(w: World) -> int:
    return Notification.objects.get(recipient=w.author, read__isnull=True).pk


ACTIONS: dict[str, str | list[Case]] = {
    # forum.actions
    "forum.actions.clean_title": "checks and tidies a title: writes nothing",
    "forum.actions.clean_body": "checks and tidies a body: writes nothing",
    "forum.actions.lookup_quotes": "reads the posts a body quotes: writes nothing",
    "forum.actions.lookup_mentions": "reads the members a body mentions: writes nothing",
    "forum.actions.render_body": "renders a body to HTML: writes nothing",
    "forum.actions.start_topic": [
        Case("a new topic: its category's lists, and the author follows it",
             lambda w: forum.start_topic(author=w.reader, category=w.category, title="News",
                                         body="Hot off the press."),
             lambda w: {"category": [w.category], "member_state": [w.reader]}),
        Case("the same form sent twice makes one topic",
             lambda w: forum.start_topic(author=w.reader, category=w.category, title="News",
                                         body="Hot", submit_token="t1"),
             given=lambda w: forum.start_topic(author=w.reader, category=w.category,
                                               title="News", body="Hot", submit_token="t1")),
    ],
    "forum.actions.post_reply": [
        Case("a reply: its topic and category, the followers' bells, the replier follows",
             lambda w: forum.post_reply(author=w.moderator, topic=w.topic, body="Agreed."),
             lambda w: {"topic": [w.topic], "category": [w.category],
                        "bell": [w.author, w.reader], "member_state": [w.moderator]}),
        Case("a reply with a draft: the draft goes too",
             lambda w: forum.post_reply(author=w.reader, topic=w.topic, body="More."),
             lambda w: {"topic": [w.topic], "category": [w.category], "bell": [w.author],
                        "member_state": [w.reader]},
             given=lambda w: drafts.save_draft(member=w.reader, topic=w.topic, body="Mo")),
        Case("the same form sent twice makes one reply",
             lambda w: forum.post_reply(author=w.reader, topic=w.topic, body="Hm",
                                        submit_token="t1"),
             given=lambda w: forum.post_reply(author=w.reader, topic=w.topic, body="Hm",
                                              submit_token="t1")),
    ],
    "forum.actions.edit_post": [
        Case("a new text: the post and its topic's pages",
             lambda w: forum.edit_post(editor=w.reader, post=w.reply, body="Edited."),
             lambda w: {"post": [w.reply], "topic": [w.topic]}),
        Case("the same text changes nothing",
             lambda w: forum.edit_post(editor=w.reader, post=w.reply, body=w.reply.body)),
        Case("a new mention rings the mentioned member's bell",
             lambda w: forum.edit_post(editor=w.reader, post=w.reply,
                                       body=f"Ask @{w.moderator.username}."),
             lambda w: {"post": [w.reply], "topic": [w.topic], "bell": [w.moderator]}),
        Case("a first image in the opening post: its thumbnail in the category's lists",
             lambda w: forum.edit_post(editor=w.author, post=w.opening, body=w.made["image"]),
             lambda w: {"post": [w.opening], "topic": [w.topic], "category": [w.category]},
             given=lambda w: w.made.update(image=image(w))),
    ],
    "forum.actions.delete_post": [
        Case("the post and its topic's pages",
             lambda w: forum.delete_post(member=w.reader, post=w.reply),
             lambda w: {"post": [w.reply], "topic": [w.topic]}),
        Case("a post quoting it elsewhere is rendered again",
             lambda w: forum.delete_post(member=w.reader, post=w.reply),
             lambda w: {"post": [w.reply, w.made["quoting"]],
                        "topic": [w.topic, w.made["quoting"].topic]},
             given=lambda w: quoting(w, elsewhere=True)),
    ],
    "forum.actions.restore_post": [
        Case("the post and its topic's pages",
             lambda w: forum.restore_post(member=w.reader, post=w.reply),
             lambda w: {"post": [w.reply], "topic": [w.topic]},
             given=lambda w: forum.delete_post(member=w.reader, post=w.reply)),
    ],
    "forum.actions.rerender_quoting": [
        Case("the posts quoting it and their topics",
             lambda w: forum.rerender_quoting(Q(pk=w.reply.pk)),
             lambda w: {"post": [w.made["quoting"]], "topic": [w.topic]},
             given=quoting),
        Case("nothing quotes it", lambda w: forum.rerender_quoting(Q(pk=w.reply.pk))),
    ],
    # forum.actions_access
    "forum.actions_access.move_topic": [
        Case("the topic and both categories",
             lambda w: access.move_topic(by=w.moderator, topic=w.topic, category=w.elsewhere),
             lambda w: {"topic": [w.topic], "category": [w.category, w.elsewhere]}),
        Case("to the category it is in: nothing",
             lambda w: access.move_topic(by=w.moderator, topic=w.topic, category=w.category)),
    ],
    "forum.actions_access.set_topic_hidden": [
        Case("hidden: the topic and its category's lists",
             lambda w: access.set_topic_hidden(by=w.moderator, topic=w.topic, hidden=True),
             lambda w: {"topic": [w.topic], "category": [w.category]}, stale_bells=HIDDEN),
        Case("hidden with a quote of it elsewhere: that post loses its header",
             lambda w: access.set_topic_hidden(by=w.moderator, topic=w.topic, hidden=True),
             lambda w: {"topic": [w.topic, w.made["quoting"].topic], "category": [w.category],
                        "post": [w.made["quoting"]]},
             given=lambda w: quoting(w, elsewhere=True), stale_bells=HIDDEN),
        Case("shown when shown: nothing",
             lambda w: access.set_topic_hidden(by=w.moderator, topic=w.topic, hidden=False)),
    ],
    "forum.actions_access.set_category_read_role": [
        Case("the category and every topic in it",
             lambda w: access.set_category_read_role(by=w.admin, category=w.category,
                                                     read_role="member"),
             lambda w: {"category": [w.category], "topic": [w.topic]}),
        Case("the rule it has: nothing",
             lambda w: access.set_category_read_role(by=w.admin, category=w.category,
                                                     read_role="")),
    ],
    # forum.actions_admin
    "forum.actions_admin.save_category": [
        Case("renamed: the category and its topics' pages, which name it",
             lambda w: admin.save_category(category=rename(w.category, title="Renamed")),
             lambda w: {"category": [w.category], "topic": [w.topic]}),
    ],
    "forum.actions_admin.save_topic": [
        Case("renamed: the topic and its category's lists",
             lambda w: admin.save_topic(topic=rename(w.topic, title="Renamed")),
             lambda w: {"topic": [w.topic], "category": [w.category]}),
    ],
    "forum.actions_admin.save_post": [
        Case("the post and its topic",
             lambda w: admin.save_post(post=rename(w.reply, edited=w.reply.created),
                                       hidden_changed=False),
             lambda w: {"post": [w.reply], "topic": [w.topic]}),
        Case("hidden: quotes of it elsewhere lose their header",
             lambda w: admin.save_post(post=rename(w.reply, hidden=True), hidden_changed=True),
             lambda w: {"post": [w.reply, w.made["quoting"]],
                        "topic": [w.topic, w.made["quoting"].topic]},
             given=lambda w: quoting(w, elsewhere=True), stale_bells=HIDDEN),
    ],
    "pages.actions.record_visit":
        "a view count and the reader's own marks, through the actions listed here",
    # forum.actions_reading
    "forum.actions_reading.record_topic_read":
        "a member's read mark: filled into pages per reader, in no shared copy",
    "forum.actions_reading.record_own_reply_read":
        "a member's read mark: filled into pages per reader, in no shared copy",
    "forum.actions_reading.mark_category_read":
        "a member's read marks: filled into pages per reader, in no shared copy",
    # notifications.actions
    "notifications.actions.notify_new_post": [
        Case("the bells of the topic's followers",
             lambda w: notifications.notify_new_post(w.opening),
             lambda w: {"bell": [w.reader]}),
    ],
    "notifications.actions.notify_reaction": [
        Case("a first reaction rings the author's bell",
             lambda w: notifications.notify_reaction(post=w.reply, member=w.moderator,
                                                     kind="like"),
             lambda w: {"bell": [w.reader]}),
        Case("one more, grouped with the unread one: the count is the same",
             lambda w: notifications.notify_reaction(post=w.reply, member=w.admin, kind="like"),
             given=lambda w: notifications.notify_reaction(post=w.reply, member=w.moderator,
                                                           kind="like")),
    ],
    "notifications.actions.open_notification": [
        Case("an unread one is read: the bell",
             lambda w: notifications.open_notification(member=w.author,
                                                       notification_id=w.made["id"]),
             lambda w: {"bell": [w.author]},
             given=lambda w: w.made.update(id=unread_notification(w))),
        Case("a read one again: nothing",
             lambda w: notifications.open_notification(member=w.author,
                                                       notification_id=w.made["id"]),
             given=lambda w: notifications.open_notification(
                 member=w.author, notification_id=w.made.setdefault(
                     "id", unread_notification(w)))),
    ],
    "notifications.actions.mark_all_read": [
        Case("the bell", lambda w: notifications.mark_all_read(member=w.author),
             lambda w: {"bell": [w.author]}),
        Case("nothing unread: nothing", lambda w: notifications.mark_all_read(member=w.reader)),
    ],
    "notifications.actions.mark_seen_on_page": [
        Case("what the page shows is read: the bell",
             lambda w: notifications.mark_seen_on_page(member=w.author, topic_id=w.topic.pk,
                                                       first=1, last=20),
             lambda w: {"bell": [w.author]}),
        Case("nothing unread there: nothing",
             lambda w: notifications.mark_seen_on_page(member=w.reader, topic_id=w.topic.pk,
                                                       first=1, last=20)),
    ],
    "notifications.actions.set_topic_watch": [
        Case("followed: the member's state",
             lambda w: notifications.set_topic_watch(member=w.moderator, topic=w.topic,
                                                     level="follow"),
             lambda w: {"member_state": [w.moderator]}),
        Case("muted instead: the member's state",
             lambda w: notifications.set_topic_watch(member=w.author, topic=w.topic,
                                                     level="mute"),
             lambda w: {"member_state": [w.author]}),
        Case("left: the member's state",
             lambda w: notifications.set_topic_watch(member=w.author, topic=w.topic,
                                                     level="normal"),
             lambda w: {"member_state": [w.author]}),
        Case("followed again: nothing",
             lambda w: notifications.set_topic_watch(member=w.author, topic=w.topic,
                                                     level="follow")),
        Case("left when not following: nothing",
             lambda w: notifications.set_topic_watch(member=w.moderator, topic=w.topic,
                                                     level="normal")),
    ],
    "notifications.actions.follow_after_posting": [
        Case("follows: the member's state",
             lambda w: notifications.follow_after_posting(w.moderator, w.topic),
             lambda w: {"member_state": [w.moderator]}),
        Case("already following: nothing",
             lambda w: notifications.follow_after_posting(w.author, w.topic)),
    ],
    "notifications.actions.set_category_follow": [
        Case("followed: the member's state",
             lambda w: notifications.set_category_follow(member=w.reader, category=w.category,
                                                         follow=True),
             lambda w: {"member_state": [w.reader]}),
        Case("left when not following: nothing",
             lambda w: notifications.set_category_follow(member=w.reader, category=w.category,
                                                         follow=False)),
    ],
    "notifications.actions.set_member_follow":
        "who follows whom is read when notifying, never cached",
    "notifications.actions.set_ignore": [
        Case("ignoring someone who wrote to you: your state and your bell",
             lambda w: notifications.set_ignore(member=w.author, other=w.reader, ignore=True),
             lambda w: {"member_state": [w.author], "bell": [w.author]}),
        Case("ignoring someone who did not: your state",
             lambda w: notifications.set_ignore(member=w.reader, other=w.author, ignore=True),
             lambda w: {"member_state": [w.reader]}),
        Case("no longer ignoring: your state",
             lambda w: notifications.set_ignore(member=w.reader, other=w.author, ignore=False),
             lambda w: {"member_state": [w.reader]},
             given=lambda w: notifications.set_ignore(member=w.reader, other=w.author,
                                                      ignore=True)),
        Case("no longer ignoring someone you did not: nothing",
             lambda w: notifications.set_ignore(member=w.reader, other=w.author, ignore=False)),
    ],
    "notifications.actions.save_preferences":
        "preferences are read when notifying and emailing, never cached",
    # drafts.actions
    "drafts.actions.save_draft": [
        Case("a first draft in the topic: the member's state",
             lambda w: drafts.save_draft(member=w.reader, topic=w.topic, body="Draft"),
             lambda w: {"member_state": [w.reader]}),
        Case("the draft's text again: nothing",
             lambda w: drafts.save_draft(member=w.reader, topic=w.topic, body="Draft 2"),
             given=lambda w: drafts.save_draft(member=w.reader, topic=w.topic, body="Draft")),
    ],
    "drafts.actions.clear_draft": [
        Case("the member's state",
             lambda w: drafts.clear_draft(member=w.reader, topic=w.topic),
             lambda w: {"member_state": [w.reader]},
             given=lambda w: drafts.save_draft(member=w.reader, topic=w.topic, body="Draft")),
        Case("no draft: nothing", lambda w: drafts.clear_draft(member=w.reader, topic=w.topic)),
    ],
    "drafts.actions.toggle_quote": [
        Case("a first quote starts a draft: the member's state",
             lambda w: drafts.toggle_quote(member=w.moderator, post_id=w.reply.pk,
                                           topic_id=w.topic.pk),
             lambda w: {"member_state": [w.moderator]}),
        Case("another one in the same draft: nothing",
             lambda w: drafts.toggle_quote(member=w.moderator, post_id=w.opening.pk,
                                           topic_id=w.topic.pk),
             given=lambda w: drafts.toggle_quote(member=w.moderator, post_id=w.reply.pk,
                                                 topic_id=w.topic.pk)),
    ],
    "forum.actions_quoting.collect_quote": [
        Case("a first quote starts a draft: the member's state",
             lambda w: quoting_actions.collect_quote(member=w.moderator, post_id=w.reply.pk),
             lambda w: {"member_state": [w.moderator]}),
    ],
    # reactions.actions
    "reactions.actions.react_to_post": [
        Case("a first reaction: the post's counts, the member's state, the author's bell",
             lambda w: reactions.react_to_post(member=w.moderator, post=w.reply, kind="like"),
             lambda w: {"post": [w.reply], "topic": [w.topic], "member_state": [w.moderator],
                        "bell": [w.reader]}),
        Case("another kind instead: the post's counts",
             lambda w: reactions.react_to_post(member=w.moderator, post=w.reply, kind="love"),
             lambda w: {"post": [w.reply], "topic": [w.topic]},
             given=lambda w: reactions.react_to_post(member=w.moderator, post=w.reply,
                                                     kind="like")),
        Case("the same kind again takes it back: the post's counts",
             lambda w: reactions.react_to_post(member=w.moderator, post=w.reply, kind="like"),
             lambda w: {"post": [w.reply], "topic": [w.topic]},
             given=lambda w: reactions.react_to_post(member=w.moderator, post=w.reply,
                                                     kind="like")),
    ],
    "reactions.actions.remove_reaction": [
        Case("the post's counts",
             lambda w: reactions.remove_reaction(member=w.moderator, post=w.reply),
             lambda w: {"post": [w.reply], "topic": [w.topic]},
             given=lambda w: reactions.react_to_post(member=w.moderator, post=w.reply,
                                                     kind="like")),
        Case("none to remove: nothing",
             lambda w: reactions.remove_reaction(member=w.moderator, post=w.reply)),
    ],
    "reactions.actions.weight": "arithmetic: writes nothing",
    "reactions.actions.recount_reputation":
        "reputation shows on member pages, which are built per request",
    # accounts
    "accounts.actions.clean_username": "checks a username: writes nothing",
    "accounts.actions.clean_email": "checks an address: writes nothing",
    "accounts.actions.register_member": "a registration waiting for its link: not shown",
    "accounts.actions.create_member": "a new member: nothing is cached under their versions yet",
    "accounts.actions.authenticate_member": "counts failed sign-ins: not shown",
    "accounts.actions.ask_password_reset": "queues an email",
    "accounts.actions.update_profile":
        "profiles show on member pages, built per request; cached posts show the username",
    "accounts.actions.set_avatar": "avatars show in the header and on member pages, per request",
    "accounts.actions.remove_avatar":
        "avatars show in the header and on member pages, per request",
    "accounts.actions_access.set_member_role":
        "read from the member's row on every request; cached copies hold nothing per member",
    "accounts.actions_access.set_member_active":
        "read from the member's row on every request; cached copies hold nothing per member",
    # live
    "live.actions.touch_presence": "presence is a hole filled on every view",
    "live.actions.record_readers":
        "presence is a hole filled on every view (its short cache is deleted here)",
    "live.actions.set_browse_invisibly": "presence is a hole filled on every view",
    "live.actions.prune_events": "the event log: not a page",
    # uploads
    "uploads.actions.store_image": "an upload no post shows yet",
    "uploads.actions.keep_image": "an upload no post shows yet",
    "uploads.actions.referenced_files": "reads a body: writes nothing",
    "uploads.actions.attach_uploads":
        "links uploads to a post inside the post's write, whose declaration covers the post",
    "uploads.actions.delete_orphan_uploads": "uploads no post shows",
    "uploads.actions.delete_upload":
        "the posts that showed it keep their stored HTML, so no cached copy differs from it",
    "uploads.actions.delete_stray_files": "files no row names",
    # newsletter and backups
    "newsletter.actions.clean_email": "checks an address: writes nothing",
    "newsletter.actions.clean_frequency": "checks a choice: writes nothing",
    "newsletter.actions.subscribe": "subscriptions show on no page",
    "newsletter.actions.confirm_subscription": "subscriptions show on no page",
    "newsletter.actions.change_frequency": "subscriptions show on no page",
    "newsletter.actions.unsubscribe": "subscriptions show on no page",
    "newsletter.actions.create_digest": "digests are emails",
    "newsletter.actions.send_digest_now": "digests are emails",
    "newsletter.actions.requeue_digest": "digests are emails",
    "dumps.actions.run_scheduled_backup": "backups show on no page",
    "dumps.actions.prune_backups": "backups show on no page",
    # newsdesk.actions: sources, stories and the desk's queue are on no cached page
    "newsdesk.actions.stories.add_correction": [
        Case("the opening post shows it: the post, its topic, the category",
             lambda w: stories.add_correction(editor=w.admin, story=published_story(w),
                                              note="The vote was on Tuesday."),
             lambda w: {"post": [w.opening], "topic": [w.topic],
                        "category": [w.topic.category]}),
    ],
    "newsdesk.actions.stories.publish_story":
        "posts through forum.actions.start_topic, whose line checks what it changes",
    "newsdesk.actions.stories.publish_due":
        "posts through forum.actions.start_topic, whose line checks what it changes",
}
# The desk's own actions: sources, stories and the desk's queue are on no cached page.
NEWSDESK_QUEUE_ACTIONS = {
    "require_editor", "desk_account", "save_source", "poll_now", "due_sources", "poll_source",
    "canonical_url", "title_key", "take_in_item", "extract_story", "get_story", "save_story",
    "discard_story", "restore_story", "dismiss_change",
}



def published_story(w):
    from django.utils import timezone

    from townsquare.newsdesk.models import Story

    now = timezone.now()
    return Story.objects.create(title=w.topic.title, url="https://example.org/vote",
                                canonical_url="example.org/vote", title_key="vote",
                                status=Story.Status.PUBLISHED, topic=w.topic, created=now,
                                updated=now)


CASES = [pytest.param(name, case, id=f"{name}: {case.name}")
         for name, cases in ACTIONS.items() if isinstance(cases, list) for case in cases]


# Running the scenarios.

@pytest.fixture(autouse=True)
def _quick_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(make_member, make_category, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    author, reader = make_member("author"), make_member("reader")
    moderator = make_member("moderator", role="moderator")
    admin_ = make_member("admin", role="admin")
    category, elsewhere = make_category("News"), make_category("Elsewhere")
    topic = forum.start_topic(author=author, category=category, title="Rain",
                              body="It rained.")
    reply = forum.post_reply(author=reader, topic=topic, body="It did.")
    return World(author, reader, moderator, admin_, category, elsewhere, topic,
                 topic.posts.get(position=1), reply)


KINDS = [("topic", Topic, "version"), ("post", Post, "version"),
         ("category", Category, "version"), ("member_state", User, "state_version"),
         ("bell", User, "bell_version")]


def versions() -> dict[tuple[str, int], int]:
    return {(kind, pk): value for kind, model, column in KINDS
            for pk, value in model.objects.values_list("pk", column)}


def changed(before: dict, after: dict) -> set[tuple[str, int]]:
    """Rows whose version changed (rows made or deleted meanwhile have nothing cached)."""
    return {key for key, value in after.items() if key in before and before[key] != value}


def expected(case: Case, w: World) -> set[tuple[str, int]]:
    """The rows the case lists; the home page's key sums the categories' versions."""
    rows = {(kind, row if isinstance(row, int) else row.pk)
            for kind, rows in case.changes(w).items() for row in rows}
    return rows | ({("home", 0)} if "category" in case.changes(w) else set())


def run(case: Case, w: World, monkeypatch) -> tuple[set, set, set]:
    """Run the case: (versions changed, those the declarations changed, those expected);
    whether the home page's key changed too (as "home")."""
    case.given(w)
    stamp = get_forum_stamp()
    by_declarations = set()
    declared_bump = invalidation._bump

    def recorded(declared, values):
        before = versions()
        declared_bump(declared, values)
        by_declarations.update(changed(before, versions()))

    monkeypatch.setattr(invalidation, "_bump", recorded)
    before = versions()
    case.when(w)
    found = changed(before, versions()) | ({("home", 0)} if get_forum_stamp() != stamp else set())
    return found, by_declarations, expected(case, w)


def served(w: World, *, bells: bool = True) -> dict[str, object]:
    """What the cache gives guests on the forum's pages (relative times left out: they may
    move on between two views) and members as their state, as pages use it."""
    from townsquare.drafts.queries import draft_topics
    from townsquare.notifications.queries import bell_state, following, ignored_ids
    from townsquare.reactions.queries import get_member_reactions

    def reactions(member):
        posts = list(Post.objects.filter(topic=w.topic).values_list("pk", flat=True))
        return get_member_reactions(member, posts, topic_id=w.topic.pk)

    guest = Client()
    urls = ["/", w.category.get_absolute_url(), w.elsewhere.get_absolute_url(),
            Topic.objects.get(pk=w.topic.pk).get_absolute_url()]
    found: dict[str, object] = {
        url: re.sub(r"(<time[^>]*>)[^<]*", r"\1", guest.get(url).content.decode())
        for url in urls}
    for member in User.objects.filter(pk__in=[w.author.pk, w.reader.pk, w.moderator.pk]):
        for read in (bell_state, following, ignored_ids, draft_topics, reactions):
            if bells or read is not bell_state:
                found[f"{read.__name__}:{member.username}"] = read(member)
    return found


def cold() -> None:
    for alias in ("default", "pages"):
        caches[alias].clear()
    LocalMemo.clear_all()


@pytest.mark.parametrize(("name", "case"), CASES)
def test_an_action_changes_the_versions_its_line_expects_by_its_declaration(
        name, case, world, monkeypatch):
    found, by_declarations, wanted = run(case, world, monkeypatch)
    assert found == wanted
    rows = {key for key in found if key[0] != "home"}
    assert rows == by_declarations, "a version changed outside the declarations"


@pytest.mark.parametrize(("name", "case"), CASES)
def test_after_an_action_the_cache_serves_what_a_cold_cache_would(name, case, world):
    case.given(world)
    served(world)  # cached now
    case.when(world)
    warm = served(world, bells=not case.stale_bells)
    cold()
    assert warm == served(world, bells=not case.stale_bells)


# The table covers every action.

def action_modules() -> list[str]:
    """Every actions module: actions*.py, or a module of an actions* package."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if "tests" in parts or "migrations" in parts:
            continue
        if any(part.startswith("actions") for part in parts[1:]):
            found.append(".".join(("townsquare", *parts)).removesuffix(".__init__"))
    return found


def public_actions() -> set[str]:
    found = set()
    for module_name in action_modules():
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if not name.startswith("_") and inspect.isfunction(value) \
                    and value.__module__ == module.__name__:
                found.add(f"{module_name.removeprefix('townsquare.')}.{name}")
    return found


def uncovered(public: set[str]) -> set[str]:
    return {name for name in public if name not in ACTIONS
            and not (name.startswith("newsdesk.")
                     and name.rsplit(".")[-1] in NEWSDESK_QUEUE_ACTIONS)}


def test_every_action_has_a_line():
    public = public_actions()
    assert uncovered(public) == set(), "give each new action its line in ACTIONS"
    assert set(ACTIONS) - public == set(), "lines for actions that are gone"
    newsdesk = {name.rsplit(".")[-1] for name in public if name.startswith("newsdesk.")}
    assert NEWSDESK_QUEUE_ACTIONS - newsdesk == set(), "news desk lines for actions that are gone"


def test_a_new_action_without_a_line_is_caught(monkeypatch):
    def close_topic(*, by, topic):
        Topic.objects.filter(pk=topic.pk).update(locked=True)

    close_topic.__module__ = forum.__name__
    monkeypatch.setattr(forum, "close_topic", close_topic, raising=False)
    assert uncovered(public_actions()) == {"forum.actions.close_topic"}


def test_a_line_covers_every_declared_action_with_a_scenario():
    for name in public_actions():
        module, _, function = name.rpartition(".")
        action = getattr(importlib.import_module(f"townsquare.{module}"), function)
        if getattr(action, "declared", None):
            assert isinstance(ACTIONS[name], list), f"{name} declares changes: give it cases"


# Forgetting is caught.

def planted(action):
    """`action` as it would be had its declaration been forgotten."""
    return action.__wrapped__


def test_a_write_that_forgot_its_declaration_is_caught_by_its_line(world, monkeypatch):
    case = Case("an edit whose declaration was forgotten",
                lambda w: planted(forum.edit_post)(editor=w.reader, post=w.reply, body="New"),
                lambda w: {"post": [w.reply], "topic": [w.topic]})
    found, _, wanted = run(case, world, monkeypatch)
    assert found == set() != wanted


def test_a_write_whose_line_forgot_it_too_is_caught_by_the_pages(world):
    served(world)
    planted(access.set_category_read_role)(by=world.admin, category=world.category,
                                           read_role="member")
    warm = served(world)
    cold()
    fresh = served(world)
    assert warm["/"] != fresh["/"]  # guests would still be shown a members-only category


def test_a_version_bumped_by_hand_is_caught(world, monkeypatch):
    def lock_by_hand(w):
        Topic.objects.filter(pk=w.topic.pk).update(locked=True, version=F("version") + 1)

    found, by_declarations, wanted = run(
        Case("locked, its bump by hand", lock_by_hand, lambda w: {"topic": [w.topic]}),
        world, monkeypatch)
    assert found == wanted and by_declarations == set()  # the scenario's check fails


# Nobody bumps by hand: only the declarations of core/invalidation.py do, through the kinds
# of version the owning modules define.

KINDS_DEFINED_IN = {"core/invalidation.py", "accounts/state.py", "forum/actions.py"}
BUMPS = {"state_changed", "bell_changed", "add_one", "bump", "_new_version"}
VERSION_COLUMNS = {"version", "state_version", "bell_version"}


def hand_bumps() -> set[tuple[str, str]]:
    found = set()
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if "tests" in rel.parts or "migrations" in rel.parts \
                or rel.as_posix() in KINDS_DEFINED_IN:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            called = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if called in BUMPS:
                found.add((rel.parts[0], called))
            elif called == "update" and {k.arg for k in node.keywords} & VERSION_COLUMNS:
                found.add((rel.parts[0], "update(version=...)"))
    return found


def test_no_module_bumps_a_version_by_hand():
    assert hand_bumps() == set()
