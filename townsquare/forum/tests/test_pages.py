"""Home, category and topic pages: navigation, pagination and pinned query budgets."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from townsquare.forum.actions import post_reply
from townsquare.forum.models import Topic, TopicRead
from townsquare.reactions.actions import react_to_post

pytestmark = pytest.mark.django_db

# With REDIS_URL set, presence is kept in Redis: a member's visit writes no row, and a topic
# nobody reads has no readers' query (a guest's view); one query fewer either way.
PRESENCE_IN_REDIS = 1 if settings.REDIS_URL else 0


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def restart_view_count_clock():
    """Building a large forum on a busy machine can take longer than the view counts' flush
    interval; measuring then would count the flush's writes too."""
    import time

    from townsquare.forum import viewcounts

    viewcounts._last_flush = time.monotonic()


def build_forum(make_member, make_category, make_topic, scale):
    """A forum whose rows grow with `scale`: topics, replies, reactions, members."""
    members = [make_member() for _ in range(3 * scale)]
    categories = [make_category() for _ in range(2)]
    topics = []
    for i in range(3 * scale):
        topic = make_topic(author=members[i % len(members)], category=categories[i % 2],
                           title=f"Topic {i}")
        for j in range(6):
            reply = post_reply(author=members[(i + j + 1) % len(members)], topic=topic,
                               body=f"Reply {j} to topic {i}")
            react_to_post(member=members[(i + j) % len(members)], post=reply, kind="haha")
        topics.append(topic)
    return members, categories, topics


@pytest.mark.parametrize("signed_in", [False, True])
def test_page_query_counts_stay_the_same_with_ten_times_the_rows(
    client, make_member, make_category, make_topic, signed_in
):
    def measure(scale):
        members, categories, topics = build_forum(make_member, make_category, make_topic, scale)
        if signed_in:
            client.force_login(members[0])
        topic = topics[-1]
        from django.core.cache import cache

        cache.clear()
        restart_view_count_clock()
        return (
            count_queries(client, "/"),
            count_queries(client, categories[0].get_absolute_url()),
            count_queries(client, topic.get_absolute_url()),
        )

    small = measure(1)
    Topic.objects.all().delete()
    large = measure(10)
    assert small == large
    # The pinned budgets: raising one needs a reason in the commit that does it.
    if signed_in:
        # session + member (one read from the second page on: by then this process knows
        # whose session it is), then the page's reads (home: the forum stamp, categories,
        # latest topics); the topic page reads its stamp first (so that a warm view can
        # take the topic row from the cache), reads which topics the member has drafts in
        # (cached per member after that) and also upserts presence. Each member's bell
        # (home, once), what they follow (category: topics and categories, two reads) and whom
        # they ignore (topic) are read once and cached per member; this member was notified of
        # replies in the topic they open, so the page marks those read (an update), gives
        # the member a new bell version (an update: see accounts/state.py) and reads the bell
        # again. Read tracking adds one read of the member's unread marks to each
        # list page, and to the topic page the read of where their unread posts begin (they
        # never opened it: page 1) and the upsert of how far they have now read. This member
        # reacted in the topic: which topics they reacted in (cached per member), then their
        # reactions on the page.
        assert small == (7, 6, 15 - PRESENCE_IN_REDIS)
    else:
        # a cache miss: the page's version stamp, then the page's own reads.
        assert small == (3, 3, 4 - PRESENCE_IN_REDIS)


def count_status(client, url, status):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == status, url
    return len(ctx.captured_queries), response


def test_read_tracking_costs_the_same_with_ten_times_the_rows(client, make_member,
                                                              make_category, make_topic):
    from django.core.cache import cache

    from townsquare.forum.actions_reading import mark_category_read, record_topic_read

    def measure(scale):
        members, categories, topics = build_forum(make_member, make_category, make_topic, scale)
        reader = make_member()
        # Every topic has seven posts: a third read to the end, a third to post 3, a third
        # never opened; one category marked read, then new replies in the first topics.
        for i, topic in enumerate(topics):
            if i % 3 < 2:
                record_topic_read(member=reader, topic=topic, position=7 if i % 3 == 0 else 3)
        mark_category_read(member=reader, category=categories[1])
        for topic in topics[:3]:
            post_reply(author=members[0], topic=topic, body="Later news")
        assert TopicRead.objects.filter(member=reader).count() == 2 * scale
        client.force_login(reader)
        cache.clear()
        restart_view_count_clock()
        partly = topics[1]
        plain, landing = count_status(client, partly.get_absolute_url(), 302)
        assert landing["Location"].startswith(partly.get_absolute_url() + "?page=1#post-")
        return (
            count_queries(client, "/"),
            count_queries(client, categories[0].get_absolute_url()),
            count_queries(client, categories[1].get_absolute_url()),
            plain,
            count_queries(client, landing["Location"]),
        )

    small = measure(1)
    Topic.objects.all().delete()
    large = measure(10)
    assert small == large
    # The lists: as a member's list pages above, each with one read of the member's unread
    # marks (the second category page finds what the member follows cached). The topic
    # opened by its plain URL (the member's first page, so session and member are two
    # reads; one on every later page): the topic's stamp and row, then where the member's
    # unread posts begin, and a redirect there. The page it lands on (the topic row
    # cached by now; no shell, draft index or ignore list yet) records the read.
    assert small == (6, 6, 4, 5, 9 - PRESENCE_IN_REDIS)


def test_a_members_warm_pages_skip_the_shared_reads(client, make_member, make_topic):
    topic = make_topic()
    client.force_login(make_member())
    urls = ("/", topic.category.get_absolute_url(), topic.get_absolute_url())
    cold = [count_queries(client, url) for url in urls]
    warm = [count_queries(client, url) for url in urls]
    # The member's first page reads session and member apart, every later one together.
    # home: session, member, stamp; category: session + member, category; topic: session +
    # member, the topic's stamp (the member's reactions are read only in topics they reacted
    # in, and which those are is cached per member; presence is written once a minute;
    # the topic row, the page's shell and its post list come from the cache until the
    # topic changes; which topics the member has drafts in is cached per member, and so are
    # their bell, what they follow and whom they ignore: one read each when cold). Read
    # tracking: each list page reads the member's unread marks; the topic page, cold, reads
    # where their unread posts begin and records how far they read; warm, the position they
    # are known to have read to is remembered, so it reads and writes nothing more.
    assert cold == [7, 6, 11 - PRESENCE_IN_REDIS] and warm == [3, 3, 2]


def test_a_member_who_reacted_in_a_topic_reads_their_reactions_there(
        client, make_member, make_topic):
    topic = make_topic()
    member = make_member()
    react_to_post(member=member, post=topic.posts.get(), kind="haha")
    client.force_login(member)
    url = topic.get_absolute_url()
    count_queries(client, url)
    # session + member, the topic's stamp, the member's reactions on the page.
    assert count_queries(client, url) == 3


def test_a_cached_guest_page_costs_one_query(client, make_topic):
    topic = make_topic()
    for url in ("/", topic.category.get_absolute_url(), topic.get_absolute_url()):
        count_queries(client, url)
        assert count_queries(client, url) == 1, url


def test_a_new_topic_is_on_the_home_and_category_pages_as_soon_as_it_is_acknowledged(
        client, make_member, make_topic):
    first = make_topic(title="First story")
    for url in ("/", first.category.get_absolute_url()):
        client.get(url)
    make_topic(category=first.category, author=make_member(), title="Second story")
    for url in ("/", first.category.get_absolute_url()):
        assert "Second story" in client.get(url).content.decode(), url


def test_a_reaction_shows_at_once_to_a_member_reading_the_page(client, make_member,
                                                                make_topic):
    reader, topic = make_member(), make_topic()
    opening = topic.posts.get()
    client.force_login(reader)
    client.get(topic.get_absolute_url())
    react_to_post(member=make_member(), post=opening, kind="sad")
    assert "Sad 1" in client.get(topic.get_absolute_url()).content.decode()


def test_a_member_sees_their_own_reaction_pressed_and_no_buttons_on_their_own_posts(
        client, make_member, make_topic):
    reader, topic = make_member(), make_topic()
    mine = post_reply(author=reader, topic=topic, body="My own words")
    react_to_post(member=reader, post=topic.posts.get(position=1), kind="thanks")
    client.force_login(reader)
    html = client.get(topic.get_absolute_url()).content.decode()
    assert 'value="thanks" aria-pressed="true"' in html
    assert html.count('aria-pressed="true"') == 1
    assert f'id="reactions-{mine.pk}"' in html
    assert f'action="/p/{mine.pk}/react/"' not in html


def test_a_hidden_post_shows_a_placeholder_and_no_controls(client, make_member, make_topic):
    from townsquare.forum.actions_admin import save_post

    topic = make_topic()
    reply = post_reply(author=make_member(), topic=topic, body="Rude words")
    client.force_login(make_member())
    client.get(topic.get_absolute_url())
    reply.hidden = True  # as a moderator hides it from the admin
    save_post(post=reply, hidden_changed=True)
    html = client.get(topic.get_absolute_url()).content.decode()
    assert "Rude words" not in html and "hidden by a moderator" in html
    assert f'id="reactions-{reply.pk}"' not in html


def test_a_reply_is_visible_to_guests_as_soon_as_it_is_acknowledged(client, make_member,
                                                                     make_topic):
    topic = make_topic()
    assert "Fresh news" not in client.get(topic.get_absolute_url()).content.decode()
    post_reply(author=make_member(), topic=topic, body="Fresh news")
    assert "Fresh news" in client.get(topic.get_absolute_url()).content.decode()


def test_a_reaction_is_visible_to_guests_as_soon_as_it_is_acknowledged(client, make_member,
                                                                        make_topic):
    topic = make_topic()
    opening = topic.posts.get()
    client.get(topic.get_absolute_url())
    react_to_post(member=make_member(), post=opening, kind="love")
    assert "Love It 1" in client.get(topic.get_absolute_url()).content.decode()


def test_topic_pages_hold_twenty_posts_and_link_every_page(client, make_member, make_topic,
                                                           add_replies):
    topic = make_topic()
    add_replies(topic, 44, authors=[make_member(), make_member()])
    html = client.get(topic.get_absolute_url()).content.decode()
    assert html.count('<article class="post') == 20
    assert f'href="{topic.get_absolute_url()}?page=3"' in html
    last = client.get(topic.get_absolute_url() + "?page=3").content.decode()
    assert last.count('<article class="post') == 5
    assert 'aria-current="page">3<' in last


@pytest.mark.parametrize("page", ["4", "0", "-1", "two"])
def test_a_page_number_past_the_end_or_not_a_number_is_404(client, make_topic, page):
    topic = make_topic()
    response = client.get(f"{topic.get_absolute_url()}?page={page}")
    assert response.status_code == 404
    assert "page" in response.content.decode()


def test_a_wrong_slug_redirects_permanently_keeping_the_page(client, make_member, make_topic,
                                                             add_replies):
    topic = make_topic(title="Right title")
    add_replies(topic, 25, authors=[make_member()])
    response = client.get(f"/t/{topic.pk}/wrong-title/?page=2")
    assert response.status_code == 301
    assert response["Location"] == f"/t/{topic.pk}/right-title/?page=2"


def test_a_post_link_lands_on_its_page_and_anchor(client, make_member, make_topic, add_replies):
    topic = make_topic(title="Long one")
    replies = add_replies(topic, 30, authors=[make_member()])
    late = replies[25]  # position 27: page 2
    response = client.get(f"/p/{late.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/t/{topic.pk}/long-one/?page=2#post-{late.pk}"
    early = client.get(f"/p/{replies[0].pk}/")
    assert early["Location"] == f"/t/{topic.pk}/long-one/#post-{replies[0].pk}"


def test_missing_or_hidden_things_are_404(client, make_topic):
    topic = make_topic()
    Topic.objects.filter(pk=topic.pk).update(hidden=True)
    assert client.get(topic.get_absolute_url()).status_code == 404
    assert client.get("/t/999/none/").status_code == 404
    assert client.get("/c/999/none/").status_code == 404
    assert client.get("/p/999/").status_code == 404


def test_the_home_page_lists_categories_with_counts_and_latest_topics(client, make_member,
                                                                      make_category, make_topic):
    category = make_category("World news", description="What happens out there")
    topic = make_topic(category=category, title="Rivers rising")
    post_reply(author=make_member(), topic=topic, body="Indeed")
    html = client.get("/").content.decode()
    assert "World news" in html and "What happens out there" in html
    assert "<dt>Topics</dt><dd>1</dd>" in html and "<dt>Posts</dt><dd>2</dd>" in html
    assert "Rivers rising" in html


def test_a_category_lists_pinned_topics_first_then_by_last_activity(client, make_member,
                                                                     make_category, make_topic):
    category = make_category()
    old = make_topic(category=category, title="Old but pinned", pinned=True)
    quiet = make_topic(category=category, title="Quiet")
    busy = make_topic(category=category, title="Busy")
    post_reply(author=make_member(), topic=busy, body="bump")
    html = client.get(category.get_absolute_url()).content.decode()
    order = [html.index(t.title) for t in (old, busy, quiet)]
    assert order == sorted(order)


def test_a_category_with_a_wrong_slug_redirects_permanently(client, make_category):
    category = make_category("Science", slug="science")
    response = client.get(f"/c/{category.pk}/sci/")
    assert response.status_code == 301
    assert response["Location"] == f"/c/{category.pk}/science/"


def test_a_member_sees_themself_under_recently_browsing(client, make_member, make_topic):
    member, topic = make_member("reader"), make_topic()
    client.force_login(member)
    html = client.get(topic.get_absolute_url()).content.decode()
    assert 'Recently Browsing <span class="count">1</span> member' in html
    assert ">reader</a>" in html
    client.logout()
    guest = client.get(topic.get_absolute_url()).content.decode()
    assert ">reader</a>" in guest


def test_presence_older_than_fifteen_minutes_is_not_shown(client, make_member, make_topic):
    from datetime import timedelta

    from django.utils import timezone

    from townsquare.live.actions import record_readers

    topic = make_topic()
    record_readers(topic_id=topic.pk, member_ids=[make_member("gone").pk],
                   at=timezone.now() - timedelta(minutes=16))
    record_readers(topic_id=topic.pk, member_ids=[make_member("here").pk],
                   at=timezone.now() - timedelta(minutes=14))
    html = client.get(topic.get_absolute_url()).content.decode()
    assert ">here</a>" in html and ">gone</a>" not in html


def test_a_guest_page_view_writes_nothing_and_sets_no_cookie(client, make_topic):
    topic = make_topic()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(topic.get_absolute_url())
    writes = [q["sql"] for q in ctx.captured_queries
              if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []
    assert not response.cookies


def test_relative_times_are_shown_in_time_elements(client, make_member, make_topic):
    from datetime import timedelta

    from django.utils import timezone

    topic = make_topic(created=timezone.now() - timedelta(minutes=6))
    html = client.get(topic.get_absolute_url()).content.decode()
    assert "Posted <time" in html and "6 minutes ago</time>" in html
