"""Recently Browsing: open streams are readers, presence expires, members may browse
invisibly, guests are counted; "is replying"; the same with presence kept in Redis."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from townsquare.live.actions import record_readers
from townsquare.live.queries import count_guests, list_recent_members, presence_box_html
from townsquare.live.stream import application
from townsquare.live.tests.streaming import events_in, kinds, run_stream

pytestmark = pytest.mark.django_db(transaction=True)


def stream(path, **kw):
    return run_stream(application, path, **kw)


def session_cookie(client, member) -> str:
    client.force_login(member)
    return f"sessionid={client.cookies['sessionid'].value}"


def boxes(text: str) -> list[str]:
    return [d["html"] for _, kind, d in events_in(text) if kind == "presence"]


def names(topic) -> list[str]:
    return [r.username for r in list_recent_members(topic)]


@pytest.fixture(params=["database", "redis"])
def backend(request, settings):
    """Each presence test runs with presence in the database and in Redis."""
    if request.param == "redis":
        request.getfixturevalue("live_redis")
    else:
        settings.REDIS_URL = ""  # whatever this run's environment says
    return request.param


def test_presence_lasts_the_window_and_then_expires(backend, make_member, make_topic):
    topic = make_topic()
    gone, here = make_member("gone"), make_member("here")
    now = timezone.now()
    record_readers(topic_id=topic.pk, member_ids=[gone.pk], at=now - timedelta(minutes=16))
    record_readers(topic_id=topic.pk, member_ids=[here.pk], at=now - timedelta(minutes=14))
    assert names(topic) == ["here"]


def test_the_most_recent_reader_comes_first(backend, make_member, make_topic):
    topic = make_topic()
    ada, bo = make_member("ada"), make_member("bo")
    now = timezone.now()
    record_readers(topic_id=topic.pk, member_ids=[ada.pk], at=now - timedelta(minutes=3))
    record_readers(topic_id=topic.pk, member_ids=[bo.pk], at=now - timedelta(minutes=1))
    assert names(topic) == ["bo", "ada"]
    assert names(make_topic()) == []


def test_members_who_browse_invisibly_are_left_out(backend, make_member, make_topic):
    topic = make_topic()
    shy, open_ = make_member("shy", browse_invisibly=True), make_member("open")
    record_readers(topic_id=topic.pk, member_ids=[shy.pk, open_.pk])
    assert names(topic) == ["open"]


def test_a_reader_is_recorded_at_most_once_a_minute_unless_told_when(backend, make_member,
                                                                      make_topic):
    topic = make_topic()
    ada = make_member("ada")
    record_readers(topic_id=topic.pk, member_ids=[ada.pk],
                   at=timezone.now() - timedelta(minutes=20))
    record_readers(topic_id=topic.pk, member_ids=[ada.pk])
    assert names(topic) == ["ada"]


def test_streams_make_members_readers_and_count_guests(backend, make_member, make_topic,
                                                       client):
    topic = make_topic()
    member = make_member("watcher")
    _, _, text = stream(f"/live/t/{topic.pk}/", cookies=session_cookie(client, member),
                        until=lambda e: "presence" in kinds(e))
    assert "watcher" in boxes(text)[-1] and "guest" not in boxes(text)[-1]
    _, _, text = stream(f"/live/t/{topic.pk}/", until=lambda e: "presence" in kinds(e),
                        linger=1.5)
    assert "watcher" in boxes(text)[-1] and "and 1 guest" in boxes(text)[-1]
    # Gone: members stay for the window, guests are no longer counted.
    assert count_guests(topic.pk) == 0 and "watcher" in presence_box_html(topic.pk)


def test_an_invisible_member_is_neither_listed_nor_counted(backend, make_member, make_topic,
                                                           client):
    topic = make_topic()
    shy = make_member("shy", browse_invisibly=True)
    # A box differing from none is pushed when anyone arrives; make it differ.
    record_readers(topic_id=topic.pk, member_ids=[make_member("open").pk])
    _, _, text = stream(f"/live/t/{topic.pk}/", cookies=session_cookie(client, shy),
                        until=lambda e: "presence" in kinds(e))
    assert boxes(text) and "shy" not in boxes(text)[-1] and "guest" not in boxes(text)[-1]


def test_a_member_whose_presence_expires_leaves_the_box_live(backend, make_member,
                                                             make_topic, settings):
    settings.PRESENCE_WINDOW_SECONDS = 2
    settings.LIVE_PRESENCE_SECONDS = 0.3
    topic = make_topic()
    record_readers(topic_id=topic.pk, member_ids=[make_member("leaving").pk])
    _, _, text = stream(f"/live/t/{topic.pk}/", seconds=6,
                        until=lambda e: len(boxes_of(e)) >= 2)
    first, *_, last = boxes(text)
    assert "leaving" in first and "leaving" not in last and "1 guest" in last


def boxes_of(events):
    return [d["html"] for _, kind, d in events if kind == "presence"]


def built_the_topic_page(response) -> bool:
    """Whether the view rendered the topic template (False: it served the kept guest page)."""
    return "forum/topic.html" in {t.name for t in response.templates}


def test_a_guests_cached_topic_page_shows_a_member_who_arrived_after_it_was_cached(
        backend, make_member, make_topic, client):
    from django.test import Client

    topic = make_topic()
    url = topic.get_absolute_url()
    assert built_the_topic_page(client.get(url))
    newcomer = Client()
    newcomer.force_login(make_member("newcomer"))
    newcomer.get(url)
    again = client.get(url)
    assert not built_the_topic_page(again)  # the kept page, not a new one
    assert ">newcomer</a>" in again.content.decode()


def test_a_guest_arriving_on_a_stream_is_counted_on_the_cached_page_at_once(
        backend, make_topic, client):
    from townsquare.live.hub import _update_presence

    topic = make_topic()
    url = topic.get_absolute_url()
    assert "guest" not in presence_box_html(topic.pk)
    client.get(url)
    # What the stream process does when a guest's stream opens (hub.push_presence).
    _update_presence(topic.pk, ["a-guests-token"], [], [], None)
    again = client.get(url)
    assert not built_the_topic_page(again)
    assert "and 1 guest" in again.content.decode()


def test_a_topic_page_kept_whole_by_an_earlier_version_is_never_taken_for_a_shell(
        client, make_topic):
    from django.core.cache import caches

    from townsquare.forum.queries import get_topic_stamp

    topic = make_topic(title="Kept before the upgrade")
    version = get_topic_stamp(topic.pk).version
    # What the site kept before guest pages had holes, still in a shared cache mid-deploy.
    caches["pages"].set(f"page:topic:{topic.pk}:v{version}:p1", b"<p>finished bytes</p>", 60)
    response = client.get(topic.get_absolute_url())
    assert response.status_code == 200
    assert "Kept before the upgrade" in response.content.decode()


def test_guests_of_a_stream_process_that_died_fade_out(live_redis, make_topic):
    _, seen = live_redis
    topic = make_topic()
    seen.guests_here(topic.pk, ["alive"])
    seen.redis.zadd(seen._guests(topic.pk), {"from-a-dead-process": time.time() - 600})
    assert count_guests(topic.pk) == 1
    seen.guest_left(topic.pk, "alive")
    assert count_guests(topic.pk) == 0


def test_typing_tells_the_other_readers_and_is_refused_to_guests_and_floods(
        make_member, make_topic, client, settings, published):
    topic = make_topic()
    member = make_member("ada")
    assert client.post(f"/t/{topic.pk}/typing/").status_code == 403
    client.force_login(member)
    assert client.get(f"/t/{topic.pk}/typing/").status_code == 405
    assert client.post(f"/t/{topic.pk}/typing/").status_code == 204
    assert [(e.kind, e.data) for e in published()] == [
        ("typing", {"username": "ada", "member": member.pk})]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "typing": (1, 60)}
    client.post(f"/t/{topic.pk}/typing/")
    assert client.post(f"/t/{topic.pk}/typing/").status_code == 429
    assert client.post("/t/999/typing/").status_code == 404


def test_the_member_typing_is_not_told_they_are_replying(make_member, make_topic, client):
    topic = make_topic()
    ada = make_member("ada")
    cookies = session_cookie(client, ada)

    def type_():
        client.post(f"/t/{topic.pk}/typing/")

    _, _, text = stream(f"/live/t/{topic.pk}/", cookies=cookies, during=type_, seconds=1.5)
    assert "typing" not in kinds(events_in(text))
    client.cookies.clear()
    _, _, text = stream(f"/live/t/{topic.pk}/", during=lambda: (
        client.force_login(ada), client.post(f"/t/{topic.pk}/typing/")),
        until=lambda e: "typing" in kinds(e))
    assert ("typing", "ada") in [(k, d.get("username")) for _, k, d in events_in(text)]


def test_a_member_can_choose_to_browse_invisibly_on_their_profile(make_member, client):
    ada, bo = make_member("ada"), make_member("bo")
    client.force_login(ada)
    page = client.get("/u/ada/").content.decode()
    assert 'name="browse_invisibly"' in page and "Browse invisibly</label>" in page
    assert 'name="browse_invisibly"' not in client.get("/u/bo/").content.decode()
    response = client.post("/me/browsing/", {"browse_invisibly": "on"})
    assert response.status_code == 303 and response["Location"] == "/u/ada/"
    ada.refresh_from_db()
    assert ada.browse_invisibly
    page = client.get("/u/ada/").content.decode()
    assert "You now browse invisibly." in page and " checked" in page
    client.post("/me/browsing/", {})
    ada.refresh_from_db()
    assert not ada.browse_invisibly and not bo.browse_invisibly


def test_only_members_have_a_browsing_preference(client):
    assert client.post("/me/browsing/", {"browse_invisibly": "on"}).status_code == 403
    assert client.get("/me/browsing/").status_code == 405
