"""Digests: which topics they list, when the clock makes them, never two for a period, and
the message each subscriber gets (text and HTML, unsubscribe headers, Message-ID)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from townsquare.forum.actions import post_reply
from townsquare.forum.models import Post
from townsquare.newsletter import actions, emails, queries, schedule
from townsquare.newsletter.models import Delivery, Digest
from townsquare.newsletter.tokens import manage_token
from townsquare.reactions.actions import react_to_post
from townsquare.reactions.models import Reaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_member):
    return [make_member() for _ in range(6)]


@pytest.fixture
def activity(people, make_topic):
    """Post replies and reactions to a topic at a given time (default: an hour ago)."""

    def add(topic, *, replies=0, reactions=0, when=None):
        when = when or timezone.now() - timedelta(hours=1)
        posts = [post_reply(author=people[i % 3], topic=topic, body=f"Reply {i}", created=when)
                 for i in range(replies)]
        target = topic.posts.get(position=1)
        for member in people[3:3 + reactions]:
            react_to_post(member=member, post=target, kind="like")
            Reaction.objects.filter(post=target, user=member).update(created=when)
        return posts

    return add


def picked(start, end, limit=10):
    return [(p.topic.title, p.replies, p.reactions)
            for p in queries.list_digest_topics(start, end, limit)]


def test_topics_are_ranked_by_replies_plus_reactions_in_the_period(make_topic, activity):
    now = timezone.now()
    quiet = make_topic(title="Quiet")
    busy = make_topic(title="Busy")
    liked = make_topic(title="Liked")
    make_topic(title="Untouched")
    activity(quiet, replies=1)
    activity(busy, replies=3, reactions=1)
    activity(liked, replies=2, reactions=3)
    assert picked(now - timedelta(days=1), now) == [
        ("Liked", 2, 3), ("Busy", 3, 1), ("Quiet", 1, 0)]
    assert picked(now - timedelta(days=1), now, limit=2) == [("Liked", 2, 3), ("Busy", 3, 1)]


def test_between_equal_scores_more_replies_come_first(make_topic, activity):
    now = timezone.now()
    activity(make_topic(title="Reactions"), replies=1, reactions=3)
    activity(make_topic(title="Replies"), replies=3, reactions=1)
    assert picked(now - timedelta(days=1), now) == [("Replies", 3, 1), ("Reactions", 1, 3)]


def test_only_activity_inside_the_period_counts(make_topic, activity):
    now = timezone.now()
    topic = make_topic(title="Harbour")
    activity(topic, replies=2, when=now - timedelta(days=2))
    activity(topic, replies=1, when=now - timedelta(hours=2))
    activity(topic, replies=4, when=now + timedelta(minutes=5))
    assert picked(now - timedelta(days=1), now) == [("Harbour", 1, 0)]


def test_hidden_topics_and_hidden_or_deleted_posts_are_left_out(make_topic, activity):
    now = timezone.now()
    hidden = make_topic(title="Hidden topic")
    activity(hidden, replies=5)
    hidden.__class__.objects.filter(pk=hidden.pk).update(hidden=True)
    pulled = make_topic(title="Opening post hidden")
    activity(pulled, replies=5)
    Post.objects.filter(topic=pulled, position=1).update(hidden=True)
    removed = make_topic(title="Opening post deleted")
    activity(removed, replies=5)
    Post.objects.filter(topic=removed, position=1).update(deleted=now)
    mixed = make_topic(title="Some replies hidden")
    shown, gone, deleted = activity(mixed, replies=3)
    Post.objects.filter(pk=gone.pk).update(hidden=True)
    Post.objects.filter(pk=deleted.pk).update(deleted=now)
    assert picked(now - timedelta(days=1), now) == [("Some replies hidden", 1, 0)]


def test_topics_in_private_categories_are_left_out(make_topic, make_category, activity):
    now = timezone.now()
    room = make_category("Members' club", read_role="member")
    activity(make_topic(title="For members only", category=room), replies=9)
    activity(make_topic(title="For everyone"), replies=1)
    assert picked(now - timedelta(days=1), now) == [("For everyone", 1, 0)]


def test_reactions_on_hidden_posts_do_not_count(make_topic, activity, people):
    now = timezone.now()
    topic = make_topic(title="Reacted")
    (reply,) = activity(topic, replies=1)
    react_to_post(member=people[4], post=reply, kind="love")
    Post.objects.filter(pk=reply.pk).update(hidden=True)
    assert picked(now - timedelta(days=1), now + timedelta(minutes=1)) == []


def test_counting_takes_one_query_per_kind_plus_the_topics(make_topic, activity,
                                                          django_assert_num_queries):
    now = timezone.now()
    for n in range(12):
        activity(make_topic(title=f"Topic {n}"), replies=n % 3 + 1, reactions=n % 2)
    with django_assert_num_queries(3):
        assert len(queries.list_digest_topics(now - timedelta(days=1), now, 10)) == 10


# Making digests.


def test_the_first_digest_covers_the_last_day_or_week(committed):
    end = timezone.now()
    daily = committed(actions.create_digest, frequency="daily", period_end=end)
    weekly = committed(actions.create_digest, frequency="weekly", period_end=end)
    assert daily.period_start == end - timedelta(days=1)
    assert weekly.period_start == end - timedelta(days=7)


def test_a_digest_starts_where_the_last_one_of_its_frequency_ended(
        committed, make_topic, activity, make_subscriber):
    make_subscriber(frequency="daily")
    now = timezone.now()
    first_end = now - timedelta(hours=3)
    first = committed(actions.create_digest, frequency="daily", period_end=first_end)
    committed(actions.create_digest, frequency="weekly", period_end=now - timedelta(hours=1))
    topic = make_topic(title="Before")
    activity(topic, replies=2, when=first_end - timedelta(hours=1))
    later = make_topic(title="After")
    activity(later, replies=1, when=first_end + timedelta(hours=1))
    digest = committed(actions.create_digest, frequency="daily", period_end=now)
    assert digest.period_start == first.period_end == first_end
    assert digest.topic_ids == [later.pk]


def test_a_digest_with_no_topics_is_recorded_as_skipped_and_sends_nothing(committed,
                                                                         make_subscriber):
    make_subscriber(frequency="daily")
    digest = committed(actions.create_digest, frequency="daily", period_end=timezone.now())
    assert digest.status == "skipped" and digest.finished is not None
    assert "No topics had new replies or reactions" in digest.note
    assert not Delivery.objects.exists()
    assert mail.outbox == []


def test_a_digest_nobody_subscribed_to_is_skipped(committed, make_topic, activity,
                                                  make_subscriber):
    make_subscriber(frequency="weekly")
    make_subscriber(frequency="daily", status="pending")
    activity(make_topic(), replies=1)
    digest = committed(actions.create_digest, frequency="daily", period_end=timezone.now())
    assert digest.status == "skipped"
    assert digest.note == "Nobody has a confirmed daily subscription."


def test_a_digest_has_a_pending_delivery_per_active_subscriber_of_its_frequency(
        committed, make_topic, activity, make_subscriber, django_capture_on_commit_callbacks):
    readers = [make_subscriber(frequency="daily") for _ in range(3)]
    make_subscriber(frequency="weekly")
    make_subscriber(frequency="daily", status="pending")
    make_subscriber(frequency="daily", status="unsubscribed")
    activity(make_topic(title="Harbour"), replies=2)
    with django_capture_on_commit_callbacks() as queued:
        digest = actions.create_digest(frequency="daily", period_end=timezone.now())
    assert digest.status == "sending" and digest.recipients == 3
    assert sorted(Delivery.objects.filter(digest=digest, status="pending")
                  .values_list("subscriber_id", flat=True)) == [r.pk for r in readers]
    assert digest.subject == "Today on Townsquare: Harbour"
    assert len(queued) == 1  # the first batch, queued once the digest is committed


def test_the_same_period_is_never_made_twice(committed, make_topic, activity,
                                             make_subscriber):
    make_subscriber(frequency="daily")
    activity(make_topic(), replies=1)
    end = timezone.now()
    assert committed(actions.create_digest, frequency="daily", period_end=end) is not None
    assert committed(actions.create_digest, frequency="daily", period_end=end) is None
    assert committed(actions.create_digest, frequency="daily",
                     period_end=end - timedelta(hours=1)) is None
    assert Digest.objects.count() == 1 and Delivery.objects.count() == 1


def test_two_clocks_racing_for_a_period_make_one_digest(committed, make_topic, activity,
                                                        make_subscriber, monkeypatch):
    """Both read that the period is free; the unique constraint lets one insert win."""
    make_subscriber(frequency="daily")
    activity(make_topic(), replies=1)
    end = timezone.now()
    monkeypatch.setattr(queries, "get_latest_digest", lambda frequency: None)
    first = committed(actions.create_digest, frequency="daily", period_end=end)
    second = committed(actions.create_digest, frequency="daily", period_end=end)
    assert first is not None and second is None
    assert Digest.objects.count() == 1 and Delivery.objects.count() == 1


def test_a_clock_and_an_editor_racing_after_the_same_digest_make_one(
        committed, make_topic, activity, make_subscriber, monkeypatch):
    """Both start where the same last digest ended, with different ends: one insert wins."""
    make_subscriber(frequency="daily")
    now = timezone.now()
    last = committed(actions.create_digest, frequency="daily",
                     period_end=now - timedelta(hours=5))
    activity(make_topic(), replies=1)
    monkeypatch.setattr(queries, "get_latest_digest", lambda frequency: last)
    made = committed(actions.create_digest, frequency="daily",
                     period_end=now - timedelta(minutes=1))
    raced = committed(actions.create_digest, frequency="daily", period_end=now)
    assert made is not None and raced is None
    assert Digest.objects.filter(period_start=last.period_end).count() == 1


# The clock.


@pytest.mark.parametrize("now, daily, weekly", [
    # NEWSLETTER_SEND_HOUR 7, NEWSLETTER_WEEKLY_DAY 0 (Monday); 2026-11-23 is a Monday.
    (datetime(2026, 11, 23, 7, 0, tzinfo=UTC), (23, 7), (23, 7)),
    (datetime(2026, 11, 23, 6, 59, tzinfo=UTC), (22, 7), (16, 7)),
    (datetime(2026, 11, 25, 12, 0, tzinfo=UTC), (25, 7), (23, 7)),
    (datetime(2026, 11, 29, 23, 0, tzinfo=UTC), (29, 7), (23, 7)),
])
def test_when_digests_are_due(settings, now, daily, weekly):
    settings.NEWSLETTER_SEND_HOUR, settings.NEWSLETTER_WEEKLY_DAY = 7, 0
    assert schedule.due_period_end("daily", now) == datetime(2026, 11, daily[0], daily[1],
                                                             tzinfo=UTC)
    assert schedule.due_period_end("weekly", now) == datetime(2026, 11, weekly[0], weekly[1],
                                                              tzinfo=UTC)


def test_the_weekly_day_and_hour_come_from_the_settings(settings):
    settings.NEWSLETTER_SEND_HOUR, settings.NEWSLETTER_WEEKLY_DAY = 18, 4  # Friday
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday
    assert schedule.due_period_end("weekly", now) == datetime(2026, 11, 20, 18, tzinfo=UTC)
    assert schedule.due_period_end("daily", now) == datetime(2026, 11, 24, 18, tzinfo=UTC)


def test_the_clock_makes_each_due_digest_once(committed, make_topic, activity,
                                              make_subscriber):
    make_subscriber(frequency="daily")
    make_subscriber(frequency="weekly")
    now = timezone.now()
    activity(make_topic(), replies=1, when=schedule.due_period_end("daily", now)
             - timedelta(minutes=30))
    for _ in range(3):
        committed(schedule.tick, now)
    assert sorted(Digest.objects.values_list("frequency", "period_end")) == [
        ("daily", schedule.due_period_end("daily", now)),
        ("weekly", schedule.due_period_end("weekly", now))]
    daily = Digest.objects.get(frequency="daily")
    assert daily.status == "sending" and daily.deliveries.count() == 1
    committed(schedule.tick, now + timedelta(days=1))
    assert Digest.objects.filter(frequency="daily").count() == 2
    assert Digest.objects.filter(frequency="weekly").count() == 1


def test_a_digest_sent_by_hand_covers_the_scheduled_period_before_it(committed, make_topic,
                                                                       activity, make_member,
                                                                       make_subscriber):
    make_subscriber(frequency="daily")
    activity(make_topic(), replies=1)
    editor = make_member(role="editor")
    by_hand = committed(actions.send_digest_now, editor=editor, frequency="daily")
    assert by_hand.note == f"Sent by hand by {editor.username}."
    committed(schedule.tick)
    assert Digest.objects.filter(frequency="daily").count() == 1


# The message.


@pytest.fixture
def digest(committed, make_topic, activity, make_subscriber):
    reader = make_subscriber("reader@example.org", frequency="weekly")
    topic = make_topic(title="Tides & <tables>")
    activity(topic, replies=2, reactions=1)
    made = committed(actions.create_digest, frequency="weekly", period_end=timezone.now())
    return made, reader, topic


def test_the_message_has_text_and_html_parts_with_absolute_links(digest, settings):
    made, reader, topic = digest
    message = emails.digest_message(made, reader)
    assert message.to == ["reader@example.org"]
    assert message.subject == "This week on Townsquare: Tides & <tables>"
    topic_url = settings.SITE_URL + topic.get_absolute_url()
    assert "1. Tides & <tables>" in message.body and topic_url in message.body
    assert "2 new replies · 1 reaction" in message.body
    (html, mimetype), = message.alternatives
    assert mimetype == "text/html"
    assert f'<a href="{topic_url}">Tides &amp; &lt;tables&gt;</a>' in html
    manage_url = f"{settings.SITE_URL}/newsletter/manage/{manage_token(reader)}/"
    assert manage_url in message.body and manage_url in html


def test_the_message_carries_one_click_unsubscribe_headers_and_a_stable_message_id(digest,
                                                                                 settings):
    made, reader, _ = digest
    message = emails.digest_message(made, reader).message()
    unsubscribe = f"{settings.SITE_URL}/newsletter/unsubscribe/{manage_token(reader)}/"
    assert message["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"] == f"<digest-{made.pk}.{reader.pk}@127.0.0.1>"
    assert emails.digest_message(made, reader).message()["Message-ID"] == message["Message-ID"]
    assert message.get_content_type() == "multipart/alternative"


@pytest.mark.parametrize("policy", ["default", "SMTP"])
def test_the_unsubscribe_header_stays_a_plain_url_on_the_wire(digest, settings, policy):
    """Python folds a long header without spaces into RFC 2047 encoded words, which mail
    clients would not read as a URL."""
    import email.policy

    settings.SITE_URL = "https://a-rather-long-host-name-for-a-forum.example.org"
    made, reader, _ = digest
    wire = emails.digest_message(made, reader).message(
        policy=getattr(email.policy, policy)).as_bytes()
    unsubscribe = f"{settings.SITE_URL}/newsletter/unsubscribe/{manage_token(reader)}/"
    assert f"\nList-Unsubscribe: <{unsubscribe}>\n".encode() in wire.replace(b"\r\n", b"\n")
    assert b"=?utf-8?" not in wire


def test_the_message_id_names_the_sites_host(digest, settings):
    settings.SITE_URL = "https://forum.example.org"
    made, reader, _ = digest
    assert emails.message_id(made, reader) == f"<digest-{made.pk}.{reader.pk}@forum.example.org>"
