"""Read tracking: how far members have read, "New" marks on topic lists, landing on the first
unread post, and marking a category read."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from townsquare.forum.actions import post_reply
from townsquare.forum.actions_reading import (
    mark_category_read,
    record_own_reply_read,
    record_topic_read,
)
from townsquare.forum.models import CategoryRead, Topic, TopicRead
from townsquare.forum.queries import list_unread

pytestmark = pytest.mark.django_db


def signed_in(member) -> Client:
    client = Client()
    client.force_login(member)
    return client


def read_to(member, topic) -> int | None:
    row = TopicRead.objects.filter(member=member, topic=topic).first()
    return row.last_read_position if row else None


def unread_links(html: str) -> dict[str, str]:
    """Link text (screen-reader text included) -> href of each unread mark on a page."""
    found = re.findall(r'<a class="badge unread-badge" href="([^"]+)">(.*?)</a>', html)
    return {re.sub(r"<[^>]+>", "", text): href.replace("&amp;", "&") for href, text in found}


@pytest.fixture
def long_topic(make_member, make_topic, add_replies):
    """A topic of 45 posts (three pages) by others."""
    topic = make_topic(title="Long read")
    replies = add_replies(topic, 44, authors=[make_member(), make_member()])
    # As the topic page has it: with its category (whose read_role decides who may see it).
    topic = Topic.objects.select_related("category").get(pk=topic.pk)
    return topic, replies


# Recording how far a member read

def test_a_page_view_records_the_highest_position_it_showed(make_member, long_topic):
    topic, _ = long_topic
    reader = make_member()
    client = signed_in(reader)
    client.get(topic.get_absolute_url())
    assert read_to(reader, topic) == 20
    client.get(topic.get_absolute_url() + "?page=3")
    assert read_to(reader, topic) == 45


def test_the_read_mark_never_moves_backwards(make_member, long_topic):
    topic, _ = long_topic
    reader = make_member()
    client = signed_in(reader)
    client.get(topic.get_absolute_url() + "?page=2")
    assert read_to(reader, topic) == 40
    client.get(topic.get_absolute_url() + "?page=1")
    assert read_to(reader, topic) == 40
    # Even when nothing remembers how far they read (another worker, a cleared cache), a
    # lower position leaves the row alone.
    cache.clear()
    record_topic_read(member=reader, topic=topic, position=5)
    assert read_to(reader, topic) == 40
    record_topic_read(member=reader, topic=topic, position=45)
    assert read_to(reader, topic) == 45
    assert TopicRead.objects.filter(member=reader, topic=topic).count() == 1


def test_recording_a_read_is_one_statement(make_member, long_topic):
    topic, _ = long_topic
    reader = make_member()
    for position in (10, 30):  # the insert, then the update
        with CaptureQueriesContext(connection) as ctx:
            record_topic_read(member=reader, topic=topic, position=position)
        assert len(ctx.captured_queries) == 1
    with CaptureQueriesContext(connection) as ctx:
        record_topic_read(member=reader, topic=topic, position=30)
    assert len(ctx.captured_queries) == 0  # known to be read that far already
    assert read_to(reader, topic) == 30


def test_guests_and_hidden_topics_record_nothing(client, make_member, make_topic):
    from django.contrib.auth.models import AnonymousUser

    topic = make_topic()
    client.get(topic.get_absolute_url())
    record_topic_read(member=AnonymousUser(), topic=topic, position=1)
    topic.hidden = True
    record_topic_read(member=make_member(), topic=topic, position=1)
    assert not TopicRead.objects.exists()


@pytest.mark.parametrize("page", ["4", "0", "two", "1.5"])
def test_a_bogus_page_is_404_for_a_member_and_records_nothing(make_member, long_topic, page):
    topic, _ = long_topic
    reader = make_member()
    response = signed_in(reader).get(f"{topic.get_absolute_url()}?page={page}")
    assert response.status_code == 404
    assert "page" in response.content.decode()
    assert read_to(reader, topic) is None


# Landing on the first unread post

def test_opening_a_topic_lands_on_the_first_unread_post(make_member, long_topic):
    topic, replies = long_topic
    reader = make_member()
    client = signed_in(reader)
    client.get(topic.get_absolute_url())  # read page 1: posts 1 to 20
    response = client.get(topic.get_absolute_url())
    assert response.status_code == 302
    # Post 21 is the 20th reply, first on page 2.
    assert response["Location"] == f"{topic.get_absolute_url()}?page=2#post-{replies[19].pk}"
    page = client.get(response["Location"]).content.decode()
    assert f'id="post-{replies[19].pk}"' in page
    assert read_to(reader, topic) == 40


def test_a_topic_never_opened_or_read_to_the_end_opens_on_page_one(make_member, long_topic):
    topic, _ = long_topic
    reader = make_member()
    client = signed_in(reader)
    first = client.get(topic.get_absolute_url())
    assert first.status_code == 200 and 'aria-current="page">1<' in first.content.decode()
    client.get(topic.get_absolute_url() + "?page=3")
    cache.clear()  # decided from the database, not from what the cache remembers
    again = client.get(topic.get_absolute_url())
    assert again.status_code == 200 and 'aria-current="page">1<' in again.content.decode()


def test_a_page_asked_for_is_shown_even_with_unread_posts_elsewhere(make_member, long_topic):
    topic, _ = long_topic
    client = signed_in(make_member())
    client.get(topic.get_absolute_url())
    assert client.get(topic.get_absolute_url() + "?page=1").status_code == 200
    # The wrong slug still goes to the right one first, keeping what was asked.
    response = client.get(f"/t/{topic.pk}/wrong/")
    assert response.status_code == 301 and response["Location"] == topic.get_absolute_url()


def test_guests_open_a_topic_as_before(client, long_topic):
    topic, _ = long_topic
    response = client.get(topic.get_absolute_url())
    assert response.status_code == 200
    assert not TopicRead.objects.exists()


def test_a_members_own_reply_is_not_new_to_them(make_member, make_topic):
    topic = make_topic()
    writer = make_member()
    client = signed_in(writer)
    client.get(topic.get_absolute_url())
    # Through htmx the reply is added to the page: no page view records it.
    response = client.post(f"/t/{topic.pk}/reply/", {"body": "My view", "on_page": 1},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert read_to(writer, topic) == 2
    assert client.get(topic.get_absolute_url()).status_code == 200
    assert unread_links(client.get(topic.category.get_absolute_url()).content.decode()) == {}


def test_an_own_reply_after_unread_posts_leaves_them_unread(make_member, make_topic):
    topic = make_topic()
    writer, other = make_member(), make_member()
    signed_in(writer).get(topic.get_absolute_url())
    skipped = post_reply(author=other, topic=topic, body="Unseen")
    mine = post_reply(author=writer, topic=topic, body="Mine")
    record_own_reply_read(member=writer, post=mine)
    assert read_to(writer, topic) == 1
    response = signed_in(writer).get(topic.get_absolute_url())
    assert response["Location"].endswith(f"#post-{skipped.pk}")


# Marks on topic lists

def test_lists_mark_new_topics_and_new_posts_for_a_member(make_member, make_category,
                                                          make_topic, add_replies):
    category = make_category()
    reader, writer = make_member(), make_member()
    unopened = make_topic(category=category, title="Never opened")
    partly = make_topic(category=category, title="Partly read")
    done = make_topic(category=category, title="All read")
    client = signed_in(reader)
    for topic in (partly, done):
        client.get(topic.get_absolute_url())
    news = add_replies(partly, 3, authors=[writer])
    for url in ("/", category.get_absolute_url()):
        html = client.get(url).content.decode()
        assert unread_links(html) == {
            "3 new posts, go to the first unread":
                f"{partly.get_absolute_url()}?page=1#post-{news[0].pk}",
            "New topic: you have not opened it": unopened.get_absolute_url(),
        }, url
        assert "<!--unread" not in html


def test_one_new_post_is_said_in_the_singular(make_member, make_topic):
    topic = make_topic()
    client = signed_in(make_member())
    client.get(topic.get_absolute_url())
    post_reply(author=make_member(), topic=topic, body="One more")
    links = unread_links(client.get("/").content.decode())
    assert list(links) == ["1 new post, go to the first unread"]


def test_guests_see_no_marks_and_their_pages_stay_cached(client, make_member, make_topic):
    topic = make_topic(title="Plain list")
    signed_in(make_member()).get("/")  # a member's copy of the list is cached too
    for url in ("/", topic.category.get_absolute_url()):
        html = client.get(url).content.decode()
        assert "Plain list" in html
        assert "unread" not in html and "Mark all read" not in html
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).content.decode() == html
        assert len(ctx.captured_queries) == 1, url


def test_a_title_cannot_forge_a_mark(make_member, make_topic):
    from townsquare.core.shell import hole

    forged = str(hole("unread", 1))
    topic = make_topic(title=f"{forged} <!--unread 1--> sneaky")
    html = signed_in(make_member()).get("/").content.decode()
    assert "&lt;!--unread 1--&gt; sneaky" in html
    assert len(unread_links(html)) == 1 and topic.get_absolute_url() in html


def test_fill_reads_every_mark_on_the_page_in_one_query(make_member, make_topic, rf):
    from townsquare.core.shell import Shell, hole
    from townsquare.pages.unread import unread_marks

    topics = [make_topic() for _ in range(3)]
    shell = Shell("".join(f"<h3>{t.title}{hole('unread', t.pk)}</h3>" for t in topics))
    request = rf.get("/")
    request.user = make_member()
    with CaptureQueriesContext(connection) as ctx:
        filled = shell.fill(request, unread_marks(request, shell))
    assert len(ctx.captured_queries) == 1
    assert filled.count("unread-badge") == 3 and "\ue000" not in filled
    assert unread_marks(request, Shell("<p>no holes</p>")) == {}


# Mark all read

def test_mark_all_read_clears_a_categorys_marks_with_one_row(make_member, make_category,
                                                             make_topic):
    category, elsewhere = make_category(), make_category()
    for i in range(5):
        make_topic(category=category, title=f"Here {i}")
    other = make_topic(category=elsewhere, title="Elsewhere")
    reader = make_member()
    client = signed_in(reader)
    assert client.get(category.get_absolute_url()).content.decode().count("unread-badge") == 5
    response = client.post(reverse("category_mark_read", args=[category.pk]))
    assert response.status_code == 303 and response["Location"] == category.get_absolute_url()
    assert CategoryRead.objects.filter(member=reader).count() == 1
    assert not TopicRead.objects.exists()
    page = client.get(category.get_absolute_url()).content.decode()
    assert unread_links(page) == {}
    assert f"Every topic in {category.title} is marked read." in page
    assert list(unread_links(client.get("/").content.decode()).values()) == [
        other.get_absolute_url()]
    # Marking again moves the same row.
    first = CategoryRead.objects.get().marked_at
    client.post(reverse("category_mark_read", args=[category.pk]))
    assert CategoryRead.objects.count() == 1 and CategoryRead.objects.get().marked_at > first


def test_after_mark_all_read_only_later_posts_are_new(make_member, make_category, make_topic,
                                                       add_replies):
    category = make_category()
    topic = make_topic(category=category)
    add_replies(topic, 24, authors=[make_member()])  # 25 posts, never opened
    reader = make_member()
    client = signed_in(reader)
    client.post(reverse("category_mark_read", args=[category.pk]))
    late = post_reply(author=make_member(), topic=topic, body="After the mark")
    links = unread_links(client.get(category.get_absolute_url()).content.decode())
    landing = f"{topic.get_absolute_url()}?page=2#post-{late.pk}"
    assert links == {"1 new post, go to the first unread": landing}
    assert client.get(topic.get_absolute_url())["Location"] == landing


def test_the_first_unread_post_is_after_both_marks(make_member, make_category, make_topic,
                                                   add_replies):
    category = make_category()
    reader = make_member()
    topic = make_topic(category=category)
    posts = [topic.posts.get()] + add_replies(topic, 7, authors=[make_member()])  # 8 posts
    topic.refresh_from_db()
    record_topic_read(member=reader, topic=topic, position=2)
    # Marked read just after post 4 was written: the mark is further than the page view.
    CategoryRead.objects.create(member=reader, category=category, marked_at=posts[3].created)
    assert list_unread(reader.pk, [topic.pk])[topic.pk].first_post_id == posts[4].pk
    # A page view further than the mark wins.
    record_topic_read(member=reader, topic=topic, position=6)
    unread = list_unread(reader.pk, [topic.pk])[topic.pk]
    assert (unread.first_position, unread.first_post_id, unread.new_count) == (7, posts[6].pk, 2)
    # A mark after the last activity: all read, whatever the page views say.
    CategoryRead.objects.update(marked_at=timezone.now() + timedelta(seconds=1))
    assert list_unread(reader.pk, [topic.pk])[topic.pk].all_read


def test_mark_all_read_refuses_bad_requests(client, make_member, make_category):
    category = make_category()
    url = reverse("category_mark_read", args=[category.pk])
    guest = client.post(url)
    assert guest.status_code == 302 and guest["Location"].startswith(reverse("signin"))
    member = signed_in(make_member())
    assert member.get(url).status_code == 405
    missing = member.post(reverse("category_mark_read", args=[999999]))
    assert missing.status_code == 404 and "category does not exist" in missing.content.decode()
    assert not CategoryRead.objects.exists()


def test_mark_all_read_needs_a_member(make_category):
    from django.contrib.auth.models import AnonymousUser

    from townsquare.core.errors import Forbidden

    with pytest.raises(Forbidden):
        mark_category_read(member=AnonymousUser(), category=make_category())
    assert not CategoryRead.objects.exists()


def test_the_category_page_offers_mark_all_read_to_members(make_member, make_category):
    category = make_category()
    html = signed_in(make_member()).get(category.get_absolute_url()).content.decode()
    action = reverse("category_mark_read", args=[category.pk])
    form = re.search(rf'<form method="post" action="{action}"[^>]*>(.*?)</form>', html, re.S)
    assert form and 'name="csrfmiddlewaretoken"' in form.group(1)
    assert '<button type="submit" class="button">Mark all read</button>' in form.group(1)


@pytest.mark.django_db(transaction=True)
def test_racing_page_views_keep_the_furthest_position_in_one_row(make_member, make_topic):
    import random
    import threading

    from django.db import connections

    topic = make_topic()
    reader = make_member()
    positions = list(range(1, 25))
    random.Random(7).shuffle(positions)
    start = threading.Barrier(4)
    errors = []

    def view(mine):
        try:
            start.wait()
            for position in mine:
                cache.clear()  # as if each view ran in another process
                record_topic_read(member=reader, topic=topic, position=position)
        except Exception as error:  # any failure fails the test below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=view, args=(positions[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert list(TopicRead.objects.values_list("last_read_position", flat=True)) == [24]
