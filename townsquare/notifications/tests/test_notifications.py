"""Notifications: each trigger and the cases that must not notify, grouping, reading,
following, muting, ignoring, preferences, emails, the bell, and bad input."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from townsquare.core.markup import quote_block
from townsquare.forum.actions import edit_post, post_reply, start_topic
from townsquare.notifications import actions, emails
from townsquare.notifications.models import Notification, Preferences, TopicWatch
from townsquare.notifications.queries import is_following
from townsquare.reactions.actions import react_to_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_member):
    return make_member("ada"), make_member("bo"), make_member("cy")


def kinds(member):
    return sorted(Notification.objects.filter(recipient=member).values_list("kind", flat=True))


def test_a_quote_notifies_the_quoted_author(people, make_topic):
    ada, bo, _ = people
    topic = make_topic(author=ada)
    opening = topic.posts.get()
    reply = post_reply(author=bo, topic=topic,
                       body=quote_block(opening.pk, "the text") + "I disagree.")
    n = Notification.objects.get(recipient=ada)
    assert (n.kind, n.post, n.actor) == ("quote", reply, bo)
    assert n.text == f"bo quoted you in “{topic.title}”"


def test_a_mention_notifies_once_even_with_a_quote(people, make_topic):
    ada, bo, cy = people
    topic = make_topic(author=cy)
    opening = topic.posts.get()
    post_reply(author=ada, topic=topic, body="First!")
    first = topic.posts.get(position=2)
    post_reply(author=bo, topic=topic,
               body=quote_block(first.pk, "First!") + "@ada and @cy, look.")
    assert kinds(ada) == ["quote"]  # quoted and mentioned in one post: one notification
    assert kinds(cy) == ["mention", "reply"]  # the reply by ada, then the mention by bo
    assert opening.pk


def test_replies_in_a_followed_topic_notify_and_replying_follows(people, make_topic):
    ada, bo, cy = people
    topic = make_topic(author=ada)  # starting a topic follows it
    post_reply(author=bo, topic=topic, body="A reply")
    assert kinds(ada) == ["reply"]
    assert TopicWatch.objects.filter(member=bo, topic=topic, muted=False).exists()
    post_reply(author=cy, topic=topic, body="Another")
    assert kinds(ada) == ["reply", "reply"] and kinds(bo) == ["reply"]
    assert kinds(cy) == []  # never about one's own post


def test_following_can_be_turned_off(people, make_topic):
    ada, bo, _ = people
    actions.save_preferences(member=bo, email="never", follow_on_reply=False,
                             notify_reactions=True)
    topic = make_topic(author=ada)
    post_reply(author=bo, topic=topic, body="Just passing")
    post_reply(author=ada, topic=topic, body="Thanks")
    assert kinds(bo) == []


def test_a_muted_topic_never_notifies(people, make_topic):
    ada, bo, _ = people
    topic = make_topic(author=ada)
    actions.set_topic_watch(member=ada, topic=topic, level="mute")
    opening = topic.posts.get()
    post_reply(author=bo, topic=topic, body=quote_block(opening.pk, "x") + "@ada hello")
    react_to_post(member=bo, post=opening, kind="like")
    assert kinds(ada) == []
    post_reply(author=ada, topic=topic, body="Replying does not unmute")
    assert TopicWatch.objects.get(member=ada, topic=topic).muted


def test_an_ignored_member_cannot_notify(people, make_topic):
    ada, bo, _ = people
    topic = make_topic(author=ada)
    actions.set_ignore(member=ada, other=bo, ignore=True)
    opening = topic.posts.get()
    post_reply(author=bo, topic=topic, body="@ada " + quote_block(opening.pk, "x"))
    react_to_post(member=bo, post=opening, kind="haha")
    assert kinds(ada) == []


def test_nobody_is_notified_about_a_topic_they_cannot_see(people, make_topic,
                                                          make_member):
    ada, bo, _ = people
    moderator = make_member("mod", role="moderator")
    topic = make_topic(author=bo)
    topic.hidden = True
    topic.save()
    post_reply(author=moderator, topic=topic, body="@ada @bo see this")
    assert kinds(ada) == []  # a member can't see a hidden topic
    assert kinds(bo) == []   # not even its author, while it is hidden
    assert Notification.objects.count() == 0


def test_following_members_and_categories(people, make_topic, make_category):
    ada, bo, cy = people
    news = make_category("News")
    actions.set_member_follow(member=ada, other=bo, follow=True)
    actions.set_category_follow(member=cy, category=news, follow=True)
    topic = start_topic(author=bo, category=news, title="A story", body="Text")
    assert kinds(ada) == ["topic"] and kinds(cy) == ["topic"]
    other = make_topic(author=cy)
    post_reply(author=bo, topic=other, body="A reply by bo")
    assert kinds(ada) == ["reply", "topic"]
    # Category followers hear of new topics, not of every reply in them.
    post_reply(author=ada, topic=topic, body="A reply in the category")
    assert kinds(cy) == ["reply", "topic"]  # cy's own topic `other` got bo's reply


def test_reactions_group_into_one_notification(people, make_topic, make_member):
    ada, *_ = people
    topic = make_topic(author=ada)
    opening = topic.posts.get()
    reactors = [make_member() for _ in range(5)]
    for member in reactors:
        react_to_post(member=member, post=opening, kind="haha")
    n = Notification.objects.get(recipient=ada)
    assert (n.kind, n.others, n.actor) == ("reaction", 4, reactors[-1])
    assert n.text == f"Haha and 4 more on your post in “{topic.title}”"
    actions.open_notification(member=ada, notification_id=n.pk)
    react_to_post(member=make_member(), post=opening, kind="love")
    fresh = Notification.objects.filter(recipient=ada, read__isnull=True).get()
    assert fresh.pk != n.pk and fresh.text.startswith("Love It on your post")


def test_a_flood_of_reactions_is_one_notification_and_one_bell(people, make_topic,
                                                               make_member,
                                                               django_capture_on_commit_callbacks):
    ada, *_ = people
    opening = make_topic(author=ada).posts.get()
    members = [make_member() for _ in range(30)]
    from townsquare.live.events import event_log

    start = event_log().latest()
    with django_capture_on_commit_callbacks() as callbacks:
        for member in members:
            react_to_post(member=member, post=opening, kind="like")
    assert Notification.objects.filter(recipient=ada).count() == 1
    for callback in callbacks:
        callback()
    bells = [e for e in event_log().read_after(start)
             if e.kind == "bell" and e.audience == f"member:{ada.pk}"]
    assert len(bells) == 1


def test_reaction_notifications_can_be_turned_off(people, make_topic):
    ada, bo, _ = people
    actions.save_preferences(member=ada, email="immediately", follow_on_reply=True,
                             notify_reactions=False)
    react_to_post(member=bo, post=make_topic(author=ada).posts.get(), kind="like")
    assert kinds(ada) == []


def test_an_edit_that_adds_a_mention_notifies_the_new_member_only(people, make_topic):
    ada, bo, cy = people
    topic = make_topic(author=cy)
    reply = post_reply(author=bo, topic=topic, body="Hello @ada")
    edit_post(editor=bo, post=reply, body="Hello @ada and @cy")
    assert kinds(ada) == ["mention"]
    assert kinds(cy) == ["reply"]  # already told about this post: not twice


def test_the_notifications_page_opens_and_marks_read(people, make_topic, client):
    ada, bo, _ = people
    topic = make_topic(author=ada)
    reply = post_reply(author=bo, topic=topic, body="Hi")
    n = Notification.objects.get(recipient=ada)
    client.force_login(ada)
    page = client.get(reverse("notifications")).content.decode()
    assert f"bo replied in “{topic.title}”" in page and "Unread" in page
    assert 'aria-label="Notifications, 1 unread"' in page
    response = client.get(reverse("notification_open", args=[n.pk]))
    assert response.status_code == 303 and response["Location"] == reply.get_absolute_url()
    n.refresh_from_db()
    assert n.read is not None
    assert 'aria-label="Notifications, 0 unread"' in client.get("/").content.decode()


def test_someone_elses_notification_is_not_found(people, make_topic, client):
    ada, bo, cy = people
    post_reply(author=bo, topic=make_topic(author=ada), body="Hi")
    n = Notification.objects.get(recipient=ada)
    client.force_login(cy)
    assert client.get(reverse("notification_open", args=[n.pk])).status_code == 404
    n.refresh_from_db()
    assert n.read is None


def test_mark_all_read_and_reading_the_page(people, make_topic, client):
    ada, bo, cy = people
    one, two = make_topic(author=ada), make_topic(author=ada)
    post_reply(author=bo, topic=one, body="On one")
    post_reply(author=cy, topic=two, body="On two")
    client.force_login(ada)
    client.get(one.get_absolute_url())  # reading the page that shows the reply
    assert list(Notification.objects.filter(read__isnull=True).values_list(
        "topic_id", flat=True)) == [two.pk]
    assert client.get(reverse("notifications_read")).status_code == 405
    assert client.post(reverse("notifications_read")).status_code == 303
    assert not Notification.objects.filter(read__isnull=True).exists()


def test_guests_are_sent_to_sign_in(client):
    for name in ("notifications", "notification_settings"):
        assert client.get(reverse(name)).status_code == 302


def test_follow_controls_and_their_bad_input(people, make_topic, make_category, client):
    ada, bo, _ = people
    topic = make_topic(author=bo)
    client.force_login(ada)
    page = client.get(topic.get_absolute_url()).content.decode()
    assert "Follow this topic" in page
    url = reverse("topic_watch", args=[topic.pk])
    assert client.post(url, {"level": "follow"}).status_code == 303
    assert "Stop following" in client.get(topic.get_absolute_url()).content.decode()
    assert client.post(url, {"level": "mute"}).status_code == 303
    assert TopicWatch.objects.get(member=ada, topic=topic).muted
    assert client.post(url, {"level": "loud"}).status_code == 400
    assert client.post(reverse("topic_watch", args=[999999]),
                       {"level": "follow"}).status_code == 404
    hidden = make_topic(author=bo)
    hidden.hidden = True
    hidden.save()
    assert client.post(reverse("topic_watch", args=[hidden.pk]),
                       {"level": "follow"}).status_code == 404
    category = make_category()
    follow = reverse("category_follow", args=[category.pk])
    assert client.post(follow, {"follow": "1"}).status_code == 303
    assert "Stop following this category" in client.get(
        category.get_absolute_url()).content.decode()
    assert client.post(follow, {"follow": "yes"}).status_code == 400
    assert client.post(reverse("category_follow", args=[999]), {"follow": "1"}).status_code \
        == 404
    assert client.post(reverse("member_follow", args=["bo"]), {"follow": "1"}).status_code \
        == 303
    assert client.post(reverse("member_follow", args=["ada"]), {"follow": "1"}).status_code \
        == 400
    assert client.post(reverse("member_ignore", args=["nobody"]),
                       {"ignore": "1"}).status_code == 404


def test_ignored_members_posts_collapse_for_the_ignorer_only(people, make_topic, client,
                                                             make_member):
    ada, bo, cy = people
    topic = make_topic(author=cy)
    reply = post_reply(author=bo, topic=topic, body="Something loud")
    client.force_login(ada)
    assert client.post(reverse("member_ignore", args=["bo"]), {"ignore": "1"}).status_code \
        == 303
    page = client.get(topic.get_absolute_url()).content.decode()
    assert '<details class="ignored-post"><summary>A post by a member you ignore' in page
    assert f'id="post-{reply.pk}"' in page  # still there, behind the control
    client.force_login(cy)
    assert "ignored-post" not in client.get(topic.get_absolute_url()).content.decode()
    client.force_login(ada)
    client.post(reverse("member_ignore", args=["bo"]), {"ignore": "0"})
    assert "ignored-post" not in client.get(topic.get_absolute_url()).content.decode()
    moderator = make_member("mod", role="moderator")
    assert client.post(reverse("member_ignore", args=[moderator.username]),
                       {"ignore": "1"}).status_code == 400


def test_preferences_form(people, client):
    ada, *_ = people
    client.force_login(ada)
    url = reverse("notification_settings")
    assert "As they happen" in client.get(url).content.decode()
    response = client.post(url, {"email": "hourly"})
    assert response.status_code == 400
    assert "Choose how often to get emails" in response.content.decode()
    assert client.post(url, {"email": "daily", "follow_on_reply": "on"}).status_code == 303
    prefs = Preferences.objects.get(member=ada)
    assert (prefs.email, prefs.follow_on_reply, prefs.notify_reactions) == ("daily", True,
                                                                            False)


@pytest.fixture
def no_delay(settings):
    settings.NOTIFY_EMAIL_DELAY_SECONDS = 0
    settings.SITE_URL = "https://forum.example"


def test_emails_go_once_and_never_for_what_was_seen(people, make_topic, no_delay):
    ada, bo, cy = people
    topic = make_topic(author=ada)
    post_reply(author=bo, topic=topic, body="One")
    assert emails.send_due("immediately") == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.org"]
    assert message.subject == f"bo replied in “{topic.title}”"
    assert "https://forum.example/notifications/" in message.body
    html = message.alternatives[0][0]
    assert "bo replied in" in html and "https://forum.example/notifications/settings/" in html
    assert emails.send_due("immediately") == 0  # at most once
    post_reply(author=cy, topic=topic, body="Two")  # to ada, and to bo who follows now
    Notification.objects.filter(recipient=ada, read__isnull=True).update(read=timezone.now())
    assert emails.send_due("immediately") == 1
    assert [m.to for m in mail.outbox] == [["ada@example.org"], ["bo@example.org"]]


def test_emails_wait_for_the_delay(people, make_topic, settings):
    settings.NOTIFY_EMAIL_DELAY_SECONDS = 300
    ada, bo, _ = people
    post_reply(author=bo, topic=make_topic(author=ada), body="One")
    assert emails.send_due("immediately") == 0
    Notification.objects.update(created=timezone.now() - timedelta(minutes=6))
    assert emails.send_due("immediately") == 1


def test_daily_and_never_preferences(people, make_topic, no_delay, settings):
    ada, bo, cy = people
    actions.save_preferences(member=ada, email="daily", follow_on_reply=True,
                             notify_reactions=True)
    actions.save_preferences(member=cy, email="never", follow_on_reply=True,
                             notify_reactions=True)
    topic = make_topic(author=ada)
    post_reply(author=cy, topic=topic, body="First")
    post_reply(author=bo, topic=topic, body="Second")  # cy follows the topic now
    assert emails.send_due("immediately") == 0  # ada wants a daily summary, cy nothing
    Notification.objects.update(created=timezone.now() - timedelta(days=1))
    assert emails.send_due("daily") == 1
    assert mail.outbox[0].to == ["ada@example.org"]
    assert mail.outbox[0].subject == "2 new notifications on Townsquare"
    assert "Your daily summary" in mail.outbox[0].body
    assert not Notification.objects.filter(recipient=ada, emailed__isnull=True).exists()
    assert emails.send_due("daily") == 0 and len(mail.outbox) == 1  # cy asked for none


def test_no_email_about_a_post_hidden_since(people, make_topic, no_delay):
    ada, bo, _ = people
    reply = post_reply(author=bo, topic=make_topic(author=ada), body="Soon hidden")
    reply.hidden = True
    reply.save()
    assert emails.send_due("immediately") == 0 and mail.outbox == []


# The worker tidies database connections between tasks, as in production: it needs
# real transactions, not a test wrapped in one.
@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_due_emails(people, make_topic, no_delay):
    from django.core.management import call_command

    ada, bo, _ = people
    post_reply(author=bo, topic=make_topic(author=ada), body="One")
    call_command("worker", "--once", verbosity=0)
    assert [m.to for m in mail.outbox] == [["ada@example.org"]]


def test_whether_one_member_follows_another_is_read_one_way(people):
    ada, bo, _ = people
    assert not is_following(ada, bo)
    actions.set_member_follow(member=ada, other=bo, follow=True)
    assert is_following(ada, bo) and not is_following(bo, ada)
    actions.set_member_follow(member=ada, other=bo, follow=False)
    assert not is_following(ada, bo)
