"""A member's cached state (bell, follows, ignores, drafts, reactions) is right on the next
page whichever process serves it.

A site without Redis runs several processes, each with its own cache: a change made through
one of them cannot delete what another has cached. Each test caches the member's state here
with a page view, makes the change as another process would (nothing it does to the cache
reaches this one), and expects this process's next page to show it.
"""

import re
from contextlib import contextmanager
from unittest import mock

import pytest
from django.core.cache import caches

from townsquare.accounts.models import User
from townsquare.accounts.state import bell_changed, member_state, state_changed


@contextmanager
def in_another_process():
    """Writes whose cache deletions never reach this process's cache."""
    backend = type(caches["default"])
    with mock.patch.object(backend, "delete", lambda *a, **k: None), \
            mock.patch.object(backend, "delete_many", lambda *a, **k: None):
        yield


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def reader(client, make_member, make_topic):
    member = make_member()
    topic = make_topic(author=make_member())
    client.force_login(member)
    url = topic.get_absolute_url() + "?page=1"
    page(client, url)  # cached here: the member's bell, follows, ignores, drafts, reactions
    return member, topic, url


def fresh(member: User) -> User:
    """The member as the other process loads them for its request."""
    return User.objects.get(pk=member.pk)


def test_following_a_topic_shows_on_the_next_page(client, reader):
    from townsquare.notifications.actions import set_topic_watch

    member, topic, url = reader
    assert "Follow this topic" in page(client, url)
    with in_another_process():
        set_topic_watch(member=fresh(member), topic=topic, level="follow")
    html = page(client, url)
    assert "Following" in html and "Follow this topic" not in html


def test_ignoring_the_author_collapses_their_posts_on_the_next_page(client, reader):
    from townsquare.notifications.actions import set_ignore

    member, topic, url = reader
    assert "A post by a member you ignore" not in page(client, url)
    with in_another_process():
        set_ignore(member=fresh(member), other=topic.author, ignore=True)
    assert "A post by a member you ignore" in page(client, url)


def test_a_mention_raises_the_bell_on_the_next_page(client, make_member, reader):
    from townsquare.forum.actions import post_reply

    member, topic, url = reader

    def bell(html: str) -> int:
        return int(re.search(r'class="bell-count" data-count="(\d+)"', html).group(1))

    before = bell(page(client, url))
    with in_another_process():
        post_reply(author=make_member(), topic=topic, body=f"What do you think, @{member}?")
    assert bell(page(client, topic.category.get_absolute_url())) == before + 1


def test_a_draft_saved_shows_in_the_reply_box_on_the_next_page(client, reader):
    from townsquare.drafts.actions import save_draft

    member, topic, url = reader
    with in_another_process():
        save_draft(member=fresh(member), topic=topic, body="Half a thought about floods")
    assert "Half a thought about floods" in page(client, url)


def test_a_reaction_shows_pressed_on_the_next_page(client, reader):
    from townsquare.reactions.actions import react_to_post

    member, topic, url = reader
    assert 'aria-pressed="true"' not in page(client, url)
    with in_another_process():
        react_to_post(member=fresh(member), post=topic.posts.get(), kind="haha")
    assert 'value="haha" aria-pressed="true"' in page(client, url)


def test_a_change_gives_the_member_a_new_version_and_their_object_takes_it(make_member):
    member, other = make_member(), make_member()
    calls = []

    def build():
        calls.append(1)
        return len(calls)

    assert member_state(member, "probe", build, 60) == 1
    assert member_state(member, "probe", build, 60) == 1  # cached
    before = member.state_version
    state_changed([member, other.pk])
    assert member.state_version != before
    assert fresh(member).state_version == member.state_version
    assert fresh(other).state_version == member.state_version
    assert member_state(member, "probe", build, 60) == 2  # built again under the new version
    state_changed([])  # nothing to change: no write


def test_the_bell_has_a_version_of_its_own(make_member):
    # Notifications change a member's bell far more often than anything else: a new one
    # must not make every other piece of their state be read again.
    member = make_member()
    built = []

    def bell():
        return member_state(member, "bell", lambda: built.append("bell") or len(built), 60,
                            version=member.bell_version)

    def follows():
        return member_state(member, "follows", lambda: built.append("follows") or len(built),
                            60)

    bell(), follows()
    bell_changed([member])
    bell(), follows()
    assert built == ["bell", "follows", "bell"]
    state_changed([member])
    bell(), follows()
    assert built == ["bell", "follows", "bell", "follows"]


def test_a_change_that_rolls_back_keeps_the_version(make_member):
    from django.db import transaction

    member = make_member()
    before = fresh(member).state_version
    with pytest.raises(RuntimeError), transaction.atomic():
        state_changed([member.pk])
        raise RuntimeError
    assert fresh(member).state_version == before


def test_each_process_keeps_a_versions_values_no_longer_than_the_cache_would(make_member):
    from django.core.cache import cache

    member = make_member()
    built = []

    def state():
        return member_state(member, "probe", lambda: built.append(1) or len(built), 60)

    clock = [1000.0]
    with mock.patch("townsquare.accounts.state.time.monotonic", lambda: clock[0]):
        assert state() == 1
        cache.clear()
        assert state() == 1  # kept in the process: no unpickling, no query
        clock[0] += 61
        assert state() == 2  # past the cache's time: read again
