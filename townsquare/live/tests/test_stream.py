"""The event stream's ASGI application, driven in-process: statuses, what each reader is
sent, audiences, resuming, heartbeats, slow readers, and a Redis outage."""

import asyncio
import time

import pytest

from townsquare.forum.actions import delete_post, edit_post, post_reply
from townsquare.live.events import publish
from townsquare.live.stream import application
from townsquare.live.tests.streaming import events_in, kinds, run_stream

pytestmark = pytest.mark.django_db(transaction=True)

# Pushed forms carry an empty token: the page's script puts in the reader's own.
EMPTY_TOKEN = 'name="csrfmiddlewaretoken" value=""'


def stream(path, **kw):
    return run_stream(application, path, **kw)


def session_cookie(client, member) -> str:
    client.force_login(member)
    return f"sessionid={client.cookies['sessionid'].value}"


def has(kind, count=1):
    return lambda events: kinds(events).count(kind) >= count


def test_a_missing_or_hidden_topic_has_no_stream(make_topic, client, make_member):
    assert stream("/live/t/999/")[0] == 404
    topic = make_topic()
    topic.hidden = True
    topic.save()
    status, _, body = stream(f"/live/t/{topic.pk}/")
    assert status == 404 and body == "That topic does not exist."
    member = make_member()
    assert stream(f"/live/t/{topic.pk}/", cookies=session_cookie(client, member))[0] == 404
    moderator = make_member(role="moderator")
    status, headers, _ = stream(f"/live/t/{topic.pk}/", seconds=0.3,
                                cookies=session_cookie(client, moderator))
    assert status == 200 and headers["content-type"].startswith("text/event-stream")


def test_a_private_categorys_topic_streams_only_to_its_readers(make_topic, make_category,
                                                               client, make_member):
    room = make_category("Moderators' room", read_role="moderator")
    mod = make_member("mo", role="moderator")
    topic = make_topic(author=mod, category=room)
    assert stream(f"/live/t/{topic.pk}/")[0] == 404
    member = make_member()
    assert stream(f"/live/t/{topic.pk}/", cookies=session_cookie(client, member))[0] == 404

    def reply():
        post_reply(author=make_member("admin", role="admin"), topic=topic, body="Seen it")

    status, _, text = stream(f"/live/t/{topic.pk}/", cookies=session_cookie(client, mod),
                             during=reply, until=has("post_added"))
    (_, _, data), = [e for e in events_in(text) if e[1] == "post_added"]
    # A moderator reads the room and may reply there: the post comes with its controls.
    assert status == 200 and "Seen it" in data["html"] and "quote-link" in data["html"]


@pytest.mark.parametrize("path", ["/live/nothing/", "/live/t/abc/", "/live/t/1/2/",
                                  "/live/t/" + "9" * 30 + "/", "/"])
def test_a_path_that_names_no_topic_is_not_found(path):
    assert stream(path)[0] == 404


def test_streams_are_read_with_get_only(make_topic):
    topic = make_topic()
    assert stream(f"/live/t/{topic.pk}/", method="POST")[0] == 405


def test_a_garbled_cookie_reads_as_a_guest(make_topic):
    topic = make_topic()
    status, _, _ = stream(f"/live/t/{topic.pk}/", cookies='sessionid="; x=\\', seconds=0.3)
    assert status == 200


def test_only_the_sites_own_pages_may_read_the_stream_from_another_origin(make_topic,
                                                                           settings):
    settings.LIVE_ALLOWED_ORIGINS = ["http://127.0.0.1:8000"]
    topic = make_topic()
    _, headers, _ = stream(f"/live/t/{topic.pk}/", origin="http://127.0.0.1:8000",
                           seconds=0.3)
    assert headers["access-control-allow-origin"] == "http://127.0.0.1:8000"
    assert headers["access-control-allow-credentials"] == "true"
    _, headers, _ = stream(f"/live/t/{topic.pk}/", origin="http://elsewhere.example",
                           seconds=0.3)
    assert "access-control-allow-origin" not in headers
    status, headers, _ = stream(f"/live/t/{topic.pk}/", method="OPTIONS",
                                origin="http://127.0.0.1:8000")
    assert status == 204 and "Last-Event-ID" in headers["access-control-allow-headers"]


def test_each_reader_gets_a_new_reply_as_their_page_would_show_it(make_member, make_topic,
                                                                  client):
    ada = make_member("ada")
    topic = make_topic(author=ada)
    replies = iter(range(1, 10))

    def reply():
        post_reply(author=ada, topic=topic, body=f"Live words {next(replies)}")

    def received(cookies=""):
        status, _, text = stream(f"/live/t/{topic.pk}/", cookies=cookies, during=reply,
                                 until=has("post_added"))
        assert status == 200 and text.startswith("retry: 3000")
        (event_id, _, data), = [e for e in events_in(text) if e[1] == "post_added"]
        assert event_id and set(data) == {"post", "page", "html"}
        assert data["html"].lstrip().startswith("<article") and "Live words" in data["html"]
        assert data["html"].rstrip().endswith("</article>")
        return data["html"]

    guest = received()
    assert "react-form" not in guest and "quote-link" not in guest
    assert "csrfmiddlewaretoken" not in guest
    member = received(session_cookie(client, make_member("bo")))
    assert "react-form" in member and "quote-link" in member and "multiquote" in member
    assert EMPTY_TOKEN in member and "post-edit" not in member and "\ue000" not in member
    author = received(session_cookie(client, ada))
    assert "react-form" not in author and "post-edit" in author and "Delete" in author
    moderator = received(session_cookie(client, make_member("mo", role="moderator")))
    assert "react-form" in moderator and "post-edit" in moderator and "Delete" in moderator


def test_an_edit_and_a_deletion_replace_the_posts_block(make_member, make_topic):
    ada = make_member()
    topic = make_topic()
    reply = post_reply(author=ada, topic=topic, body="First take")

    def change():
        edit_post(editor=ada, post=reply, body="Second take")
        delete_post(member=ada, post=reply)

    _, _, text = stream(f"/live/t/{topic.pk}/", during=change, until=has("post_changed", 2))
    edited, deleted = [d["html"] for _, k, d in events_in(text) if k == "post_changed"]
    assert "Second take" in edited and "(edited)" in edited
    assert "This post was deleted." in deleted and "take" not in deleted


def test_an_event_for_moderators_or_another_member_never_reaches_a_guest(make_topic,
                                                                         make_member,
                                                                         client):
    topic = make_topic()
    bo = make_member()

    def secret():
        publish(topic.pk, "reactions", {"post": 1, "html": "for moderators"},
                audience="moderators")
        publish(topic.pk, "reactions", {"post": 1, "html": "for bo"},
                audience=f"member:{bo.pk}")
        publish(topic.pk, "reactions", {"post": 2, "html": "for everyone"})

    _, _, text = stream(f"/live/t/{topic.pk}/", during=secret, until=has("reactions"))
    assert "for everyone" in text and "for moderators" not in text and "for bo" not in text
    _, _, text = stream(f"/live/t/{topic.pk}/", during=secret, until=has("reactions", 2),
                        cookies=session_cookie(client, bo))
    assert "for bo" in text and "for moderators" not in text


def test_a_topic_hidden_while_guests_read_it_ends_their_streams(make_topic, settings):
    settings.LIVE_PRESENCE_SECONDS = 0.2
    topic = make_topic()

    def hide():
        topic.hidden = True
        topic.save()
        publish(topic.pk, "reactions", {"post": 1, "html": "after hiding"},
                audience="moderators")

    started = time.monotonic()
    _, _, text = stream(f"/live/t/{topic.pk}/", during=hide, seconds=5)
    assert kinds(events_in(text))[-1] == "refresh" and "after hiding" not in text
    assert time.monotonic() - started < 4  # the stream ended itself


def test_a_reader_who_reconnects_gets_what_they_missed(make_member, make_topic, published):
    topic = make_topic()
    ada = make_member()
    post_reply(author=ada, topic=topic, body="Seen before the drop")
    seen = published()[-1].id
    post_reply(author=ada, topic=topic, body="Missed while away")
    publish(topic.pk, "typing", {"username": "ada"})
    _, _, text = stream(f"/live/t/{topic.pk}/", last_id=seen, until=has("post_added"),
                        seconds=1)
    events = [e for e in events_in(text) if e[1] != "presence"]
    assert kinds(events) == ["post_added"]  # "is replying" is not replayed
    assert "Missed while away" in events[0][2]["html"]


@pytest.mark.parametrize("cursor", ["bogus", "123456789", "-5", "99999999999999-0",
                                    "1" * 200, "0'; --"])
def test_a_bogus_or_lost_last_event_id_asks_for_a_reload(make_topic, cursor):
    topic = make_topic()
    status, _, text = stream(f"/live/t/{topic.pk}/", last_id=cursor, until=has("refresh"),
                             seconds=1)
    assert status == 200 and kinds(events_in(text))[0] == "refresh"


def test_idle_streams_get_heartbeats_and_end_at_their_maximum_age(make_topic, settings):
    settings.LIVE_HEARTBEAT = 0.2
    settings.LIVE_MAX_AGE = 0.9
    topic = make_topic()
    started = time.monotonic()
    status, _, text = stream(f"/live/t/{topic.pk}/", seconds=4)
    assert status == 200 and text.count(": heartbeat") >= 2
    assert time.monotonic() - started < 2.5


def test_a_reader_who_never_reads_is_told_to_reload_and_dropped(make_topic, settings):
    settings.LIVE_QUEUE_SIZE = 2
    topic = make_topic()

    async def check():
        from townsquare.live.stream import Connection, _stream

        conn = Connection(topic.pk, None, False)
        for i in range(50):  # the hub offers more than the reader has taken
            conn.offer(i)
        sent = []

        async def receive():
            await asyncio.sleep(10)

        async def send(message):
            sent.append(message.get("body", b""))

        await asyncio.wait_for(_stream(conn, "", receive, send), 5)
        return conn.dropped, conn.queue.qsize(), b"".join(sent).decode()

    dropped, waiting, text = asyncio.run(check())
    assert dropped and waiting <= 2
    assert kinds(events_in(text)) == ["refresh"]


def test_a_reply_published_through_redis_reaches_the_stream(live_redis, make_member,
                                                            make_topic):
    topic = make_topic()

    def reply():
        post_reply(author=make_member(), topic=topic, body="By way of Redis")

    _, _, text = stream(f"/live/t/{topic.pk}/", during=reply, until=has("post_added"))
    (event_id, _, data), = [e for e in events_in(text) if e[1] == "post_added"]
    assert "By way of Redis" in data["html"] and "-" in event_id


def test_a_redis_outage_pauses_live_updates_and_they_resume_by_themselves(
        settings, redis_proxy, make_topic, make_member, client):
    proxy = redis_proxy
    settings.REDIS_URL = proxy.url
    topic = make_topic()

    def outage():
        proxy.cut()
        time.sleep(1.5)
        # Meanwhile the page is still served (without its readers list).
        client.force_login(make_member())
        assert client.get(topic.get_absolute_url()).status_code == 200
        proxy.restore()

    _, _, text = stream(f"/live/t/{topic.pk}/", during=outage, until=has("resumed"),
                        seconds=12)
    states = [k for k in kinds(events_in(text)) if k in ("paused", "resumed")]
    assert states == ["paused", "resumed"]


def test_a_pushed_post_is_the_block_the_page_shows_that_reader(make_member, make_topic,
                                                                client):
    import re

    ada, bo = make_member("ada"), make_member("bo")
    topic = make_topic(author=ada)
    cookies = session_cookie(client, bo)

    def reply():
        post_reply(author=ada, topic=topic, body="Same *either* way")

    _, _, text = stream(f"/live/t/{topic.pk}/", cookies=cookies, during=reply,
                        until=has("post_added"))
    (_, _, data), = [e for e in events_in(text) if e[1] == "post_added"]
    page = client.get(topic.get_absolute_url()).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    start = page.index(f'<article class="post" id="post-{data["post"]}"')
    on_page = page[start:page.index("</article>", start) + len("</article>")]
    filled = data["html"].replace(EMPTY_TOKEN, f'name="csrfmiddlewaretoken" value="{token}"')
    assert filled.strip() == on_page


def test_every_answer_of_the_stream_process_is_neither_sniffed_nor_framed(make_topic):
    topic = make_topic()
    answers = {
        "stream": stream(f"/live/t/{topic.pk}/", seconds=0.3),
        "missing topic": stream("/live/t/999/"),
        "no such path": stream("/live/nothing/"),
        "wrong method": stream(f"/live/t/{topic.pk}/", method="POST"),
        "guest's personal stream": stream("/live/me/"),
        "preflight": stream(f"/live/t/{topic.pk}/", method="OPTIONS"),
    }
    assert [status for status, _, _ in answers.values()] == [200, 404, 404, 405, 403, 204]
    for name, (_, headers, _) in answers.items():
        assert headers["x-content-type-options"] == "nosniff", name
        assert headers["content-security-policy"] == (
            "default-src 'none'; frame-ancestors 'none'"), name
