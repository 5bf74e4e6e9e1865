"""The live event stream: publishing after commit, the log, audiences, resume, robustness."""

import asyncio
import json
import uuid

import pytest
from django.db import transaction

from townsquare.forum.actions import delete_post, edit_post, post_reply
from townsquare.live.events import DatabaseLog, RedisLog, event_log, publish
from townsquare.live.stream import application
from townsquare.reactions.actions import react_to_post

pytestmark = pytest.mark.django_db(transaction=True)


def events_in(text: str) -> list[tuple[str | None, str, dict]]:
    found = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line
                      and not line.startswith(":"))
        if "event" in fields:
            found.append((fields.get("id"), fields["event"], json.loads(fields["data"])))
    return found


def run_stream(path: str, *, cookies: str = "", last_id: str = "", during=None,
               wait_for: int = 0, seconds: float = 3.0) -> tuple[int, str]:
    """Open the stream in-process, optionally do `during()` (sync) once it is open, and
    collect what arrives until `wait_for` events came or `seconds` passed."""

    async def go():
        headers = [(b"cookie", cookies.encode())]
        if last_id:
            headers.append((b"last-event-id", last_id.encode()))
        scope = {"type": "http", "method": "GET", "path": path, "query_string": b"",
                 "headers": headers}
        gone = asyncio.Event()
        start, chunks = {}, []

        async def receive():
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message):
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))

        task = asyncio.create_task(application(scope, receive, send))
        loop = asyncio.get_running_loop()
        ends = loop.time() + seconds
        while not start and not task.done() and loop.time() < ends:
            await asyncio.sleep(0.01)
        if during is not None and start.get("status") == 200:
            await asyncio.sleep(0.3)  # the hub has found the log's end
            await asyncio.to_thread(during)
        while loop.time() < ends and not task.done():
            if wait_for and len(events_in(b"".join(chunks).decode())) >= wait_for:
                break
            await asyncio.sleep(0.02)
        gone.set()
        await asyncio.wait_for(task, 5)
        return start.get("status"), b"".join(chunks).decode()

    return asyncio.run(go())


@pytest.fixture
def published():
    """The events published since the test began, whichever log the site uses."""
    start = event_log().latest()
    return lambda: event_log().read_after(start)


def session_cookie(client, member) -> str:
    client.force_login(member)
    return f"sessionid={client.cookies['sessionid'].value}"


def test_an_event_is_published_only_after_its_write_commits(make_topic, published):
    topic = make_topic()
    with transaction.atomic():
        publish(topic.pk, "typing", {"username": "ada"})
        assert published() == []
    assert len(published()) == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        publish(topic.pk, "typing", {"username": "ada"})
        raise RuntimeError("rolled back")
    assert len(published()) == 1


def test_writes_publish_what_readers_need(make_member, make_topic, published):
    topic = make_topic()
    ada, bo = make_member(), make_member()
    reply = post_reply(author=ada, topic=topic, body="Fresh *news*")
    react_to_post(member=bo, post=reply, kind="haha")
    edit_post(editor=ada, post=reply, body="Fresh news, corrected")
    delete_post(member=ada, post=reply)
    events = published()
    assert [e.kind for e in events] == ["post_added", "reactions", "post_changed",
                                        "post_removed"]
    added = events[0].data
    assert added["page"] == 1 and added["author"] == ada.pk
    assert "<em>news</em>" in added["guest"] and "react-form" not in added["guest"]
    assert "react-form" in added["member"] and "\ue000csrf\ue001" in added["member"]


def test_the_log_resumes_a_topic_and_refuses_bogus_or_lost_cursors(make_topic):
    one, two = make_topic(), make_topic()
    log = DatabaseLog()
    first = log.append(one.pk, "post_added", "public", {"n": 1})
    log.append(two.pk, "post_added", "public", {"n": 2})
    log.append(one.pk, "typing", "public", {})
    third = log.append(one.pk, "post_changed", "public", {"n": 3})
    missed = log.since(one.pk, first, limit=10)
    assert [e.id for e in missed] == [third]  # other topics and typing are not replayed
    for bogus in ("", "abc", "-1", "99999999", "1; DROP TABLE live_event"):
        assert log.since(one.pk, bogus, limit=10) is None
    assert log.since(one.pk, "0", limit=1) is None or len(log.since(one.pk, "0", limit=1)) <= 1


def redis_log():
    import redis
    from django.conf import settings

    url = settings.REDIS_URL or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if settings.REDIS_URL:
            raise
        pytest.skip("no Redis answering")
    log = RedisLog(url)
    log.key = f"townsquare:test:{uuid.uuid4().hex}"
    return log


def test_the_redis_log_appends_reads_and_resumes_in_order():
    log = redis_log()
    try:
        first = log.append(7, "post_added", "public", {"n": 1})
        log.append(8, "post_added", "public", {"n": 2})
        third = log.append(7, "reactions", "moderators", {"n": 3})
        events = log.read_after("0-0")
        assert [(e.topic_id, e.kind, e.data["n"]) for e in events] == [
            (7, "post_added", 1), (8, "post_added", 2), (7, "reactions", 3)]
        assert [e.id for e in log.since(7, first, limit=10)] == [third]
        assert log.since(7, "bogus", limit=10) is None
        assert log.since(7, "1-0", limit=10) is None  # older than anything kept
    finally:
        log.redis.delete(log.key)


def test_a_missing_or_hidden_topic_has_no_stream(make_topic, client, make_member):
    assert run_stream("/live/t/999/")[0] == 404
    topic = make_topic()
    topic.hidden = True
    topic.save()
    assert run_stream(f"/live/t/{topic.pk}/")[0] == 404
    moderator = make_member(role="moderator")
    status, _ = run_stream(f"/live/t/{topic.pk}/", cookies=session_cookie(client, moderator),
                           seconds=0.5)
    assert status == 200
    assert run_stream("/live/nothing/")[0] == 404


def test_readers_get_a_new_reply_each_as_the_page_would_show_it(make_member, make_topic,
                                                                client):
    topic = make_topic()
    ada, reader = make_member("ada"), make_member("reader")

    def reply():
        post_reply(author=ada, topic=topic, body="Live words")

    status, text = run_stream(f"/live/t/{topic.pk}/", during=reply, wait_for=1)
    assert status == 200 and text.startswith("retry: 3000")
    (event_id, kind, data), = [e for e in events_in(text) if e[1] == "post_added"]
    assert "Live words" in data["html"] and "react-form" not in data["html"]
    assert event_id and "guest" not in data and "member" not in data

    def another():
        post_reply(author=ada, topic=topic, body="More live words")

    _, text = run_stream(f"/live/t/{topic.pk}/", cookies=session_cookie(client, reader),
                         during=another, wait_for=1)
    (_, _, data), = [e for e in events_in(text) if e[1] == "post_added"]
    assert "react-form" in data["html"]


def test_an_event_for_moderators_never_reaches_a_guest(make_topic):
    topic = make_topic()

    def secret():
        publish(topic.pk, "post_changed", {"post": 1, "html": "moderators only"},
                audience="moderators")
        publish(topic.pk, "post_changed", {"post": 2, "html": "everyone"})

    _, text = run_stream(f"/live/t/{topic.pk}/", during=secret, wait_for=1, seconds=2)
    assert "everyone" in text and "moderators only" not in text


def test_a_reader_who_reconnects_gets_what_they_missed(make_member, make_topic, published):
    topic = make_topic()
    ada = make_member()
    post_reply(author=ada, topic=topic, body="Seen before the drop")
    seen = published()[-1].id
    post_reply(author=ada, topic=topic, body="Missed while away")
    _, text = run_stream(f"/live/t/{topic.pk}/", last_id=seen, wait_for=1, seconds=1)
    events = events_in(text)
    assert [e[1] for e in events] == ["post_added"]
    assert "Missed while away" in events[0][2]["html"]


@pytest.mark.parametrize("cursor", ["bogus", "123456789", "-5", "99999999999999-0"])
def test_a_bogus_or_lost_last_event_id_asks_for_a_reload(make_topic, cursor):
    topic = make_topic()
    _, text = run_stream(f"/live/t/{topic.pk}/", last_id=cursor, wait_for=1, seconds=1)
    assert [e[1] for e in events_in(text)] == ["refresh"]


def test_idle_streams_get_heartbeats_and_end_at_their_maximum_age(make_topic, settings):
    settings.LIVE_HEARTBEAT = 0.2
    settings.LIVE_MAX_AGE = 0.9
    topic = make_topic()
    status, text = run_stream(f"/live/t/{topic.pk}/", seconds=3)
    assert status == 200 and text.count(": heartbeat") >= 2


def test_a_reader_who_never_reads_is_told_to_reload_and_dropped(make_topic, settings):
    settings.LIVE_QUEUE_SIZE = 2
    topic = make_topic()

    async def check():
        from townsquare.live.stream import Connection, _stream

        conn = Connection(topic.pk, None, False)
        for i in range(5):  # the hub offers more than the reader has taken
            conn.offer(i)
        sent = []

        async def receive():
            await asyncio.sleep(10)

        async def send(message):
            sent.append(message.get("body", b""))

        await asyncio.wait_for(_stream(conn, "", receive, send), 5)
        return conn.dropped, conn.queue.qsize() <= 2, b"".join(sent).decode()

    dropped, bounded, text = asyncio.run(check())
    assert dropped and bounded
    assert [e[1] for e in events_in(text)] == ["refresh"]


def test_presence_and_guests_are_pushed_to_readers(make_member, make_topic, client):
    topic = make_topic()
    member = make_member("watcher")
    _, text = run_stream(f"/live/t/{topic.pk}/", cookies=session_cookie(client, member),
                         wait_for=1, seconds=3)
    presence = [e for e in events_in(text) if e[1] == "presence"]
    assert presence and "watcher" in presence[-1][2]["html"]
    _, text = run_stream(f"/live/t/{topic.pk}/", wait_for=1, seconds=3)
    presence = [e for e in events_in(text) if e[1] == "presence"]
    assert presence and "and 1 guest" in presence[-1][2]["html"]


def test_typing_tells_other_readers_and_is_refused_to_guests_and_floods(
        make_member, make_topic, client, settings, published):
    topic = make_topic()
    member = make_member("ada")
    assert client.post(f"/t/{topic.pk}/typing/").status_code == 403
    client.force_login(member)
    assert client.post(f"/t/{topic.pk}/typing/").status_code == 204
    assert [(e.kind, e.data) for e in published()] == [("typing", {"username": "ada"})]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "typing": (1, 60)}
    client.post(f"/t/{topic.pk}/typing/")
    assert client.post(f"/t/{topic.pk}/typing/").status_code == 429
    assert client.post("/t/999/typing/").status_code == 404
