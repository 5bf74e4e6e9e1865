"""The event stream: a small ASGI application, run in its own process by `townsquare serve`.

    GET /live/t/<topic_id>/      text/event-stream of that topic's events

Pages stay on the WSGI workers (sync Django views under ASGI were about three times slower);
this process only holds connections. Each connection is checked once, as the topic page
would be (session cookie, then the same permission predicates: 404 for a missing or hidden
topic), then fed from one in-memory hub per process, which tails the event log (events.py)
and filters each event by its audience. Every connection has a bounded queue (a reader that
stops reading is told to reload and dropped), a heartbeat comment every LIVE_HEARTBEAT
seconds, and a maximum age after which the browser reconnects with Last-Event-ID.
"""

import asyncio
import json
import logging
import re
import time
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from django.conf import settings

log = logging.getLogger(__name__)

PATH = re.compile(r"^/live/t/(\d{1,18})/$")


class Connection:
    __slots__ = ("topic_id", "member_id", "moderator", "queue", "dropped", "username",
                 "visible")

    def __init__(self, topic_id: int, member, moderator: bool):
        self.topic_id = topic_id
        self.member_id = member.pk if member else None
        self.username = member.username if member else None
        self.visible = bool(member) and not getattr(member, "browse_invisibly", False)
        self.moderator = moderator
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=settings.LIVE_QUEUE_SIZE)
        self.dropped = False

    def may_see(self, audience: str) -> bool:
        if audience == "public":
            return True
        if audience == "moderators":
            return self.moderator
        return audience == f"member:{self.member_id}"

    def offer(self, item) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.dropped = True  # the writer loop tells the reader to reload, then closes


class Hub:
    """This process's readers by topic, fed by one task tailing the event log."""

    def __init__(self):
        self.topics: dict[int, set[Connection]] = {}
        self.task: asyncio.Task | None = None
        self.paused = False
        self.presence_due: dict[int, asyncio.AbstractEventLoop] = {}

    def join(self, conn: Connection) -> None:
        self.topics.setdefault(conn.topic_id, set()).add(conn)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self.tail())
        self.presence_changed(conn.topic_id)

    def leave(self, conn: Connection) -> None:
        readers = self.topics.get(conn.topic_id)
        if readers is not None:
            readers.discard(conn)
            if not readers:
                del self.topics[conn.topic_id]
        self.presence_changed(conn.topic_id)

    def guests(self, topic_id: int) -> int:
        return sum(1 for c in self.topics.get(topic_id, ()) if c.member_id is None)

    def deliver(self, event) -> None:
        for conn in tuple(self.topics.get(event.topic_id, ())):
            if conn.may_see(event.audience):
                conn.offer(event)

    def broadcast_state(self, kind: str) -> None:
        for readers in self.topics.values():
            for conn in readers:
                conn.offer(kind)

    async def tail(self) -> None:
        """Follow the log for as long as anyone is connected; survive outages with backoff."""
        from .events import RedisLog, event_log

        source = event_log()
        latest = _db_call(source.latest)
        read_after = _db_call(source.read_after)
        cursor = None
        delay = 0.5
        while self.topics:
            try:
                if cursor is None:
                    cursor = await sync_to_async(latest, thread_sensitive=False)()
                if isinstance(source, RedisLog):
                    events = await sync_to_async(read_after, thread_sensitive=False)(
                        cursor, 500, 1000)
                else:
                    events = await sync_to_async(read_after, thread_sensitive=False)(cursor)
                if self.paused:
                    self.paused = False
                    self.broadcast_state("resumed")
                for event in events:
                    cursor = event.id
                    self.deliver(event)
                delay = 0.5
                if not events and not isinstance(source, RedisLog):
                    await asyncio.sleep(settings.LIVE_POLL_SECONDS)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("the live event log is unreachable; retrying", exc_info=True)
                if not self.paused:
                    self.paused = True
                    self.broadcast_state("paused")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 15)

    def presence_changed(self, topic_id: int) -> None:
        """Tell the topic's readers who is here, at most once a second."""
        loop = asyncio.get_running_loop()
        if self.presence_due.get(topic_id) is loop:
            return
        self.presence_due[topic_id] = loop
        loop.call_later(1.0, lambda: loop.create_task(self._send_presence(topic_id)))

    async def _send_presence(self, topic_id: int) -> None:
        self.presence_due.pop(topic_id, None)
        readers = self.topics.get(topic_id, ())
        members = [c for c in readers if c.visible]
        try:
            await sync_to_async(_publish_presence, thread_sensitive=False)(
                topic_id, [c.member_id for c in members], self.guests(topic_id))
        except Exception:
            log.warning("presence for topic %s not published", topic_id, exc_info=True)


hub = Hub()


def _db_call(fn):
    """Run in a worker thread and hand its database connection back: the stream process
    holds connections to readers, not to the database."""
    from functools import wraps

    @wraps(fn)
    def call(*args, **kwargs):
        from django.db import connections

        try:
            return fn(*args, **kwargs)
        finally:
            connections.close_all()

    return call


@_db_call
def _publish_presence(topic_id: int, member_ids: list[int], guests: int) -> None:
    from .actions import touch_presence_by_id
    from .events import publish
    from .queries import browsing_html_for

    touch_presence_by_id(topic_id=topic_id, member_ids=member_ids)
    publish(topic_id, "presence", {"html": browsing_html_for(topic_id, guests=guests)})


@_db_call
def _reader(cookies: dict, topic_id: int):
    """(member or None, moderator?) for a connection, or raise NotFound like the page."""
    from django.contrib.auth import get_user
    from django.contrib.auth.models import AnonymousUser

    from townsquare.forum import permissions
    from townsquare.forum.queries import get_topic

    request = _CookieRequest(cookies)
    user = get_user(request) if request.session.session_key else AnonymousUser()
    get_topic(topic_id, user)
    member = user if user.is_authenticated else None
    return member, permissions.is_moderator(user)


class _CookieRequest:
    """Just enough of a request for django.contrib.auth.get_user()."""

    def __init__(self, cookies: dict):
        from importlib import import_module

        engine = import_module(settings.SESSION_ENGINE)
        self.session = engine.SessionStore(cookies.get(settings.SESSION_COOKIE_NAME))
        self.COOKIES = cookies


@_db_call
def _replay(topic_id: int, cursor: str):
    from .events import event_log

    return event_log().since(topic_id, cursor, settings.LIVE_REPLAY_LIMIT)


def sse(event_id: str | None, kind: str, data) -> bytes:
    lines = []
    if event_id:
        lines.append(f"id: {event_id}")
    lines.append(f"event: {kind}")
    payload = json.dumps(data, separators=(",", ":"))
    lines.append(f"data: {payload}")
    return ("\n".join(lines) + "\n\n").encode()


def for_reader(event, conn: Connection) -> bytes:
    """The event as this reader should get it (a new post with or without react buttons)."""
    data = event.data
    if event.kind == "post_added":
        mine = conn.member_id is not None and conn.member_id != data.get("author")
        data = {k: v for k, v in data.items() if k not in ("guest", "member")} | {
            "html": data["member"] if mine else data["guest"]}
    return sse(event.id, event.kind, data)


def _cors_headers(headers: dict) -> list[tuple[bytes, bytes]]:
    origin = headers.get("origin", "")
    allowed = settings.LIVE_ALLOWED_ORIGINS
    if origin and origin in allowed:
        return [(b"access-control-allow-origin", origin.encode()),
                (b"access-control-allow-credentials", b"true"),
                (b"vary", b"Origin")]
    return []


async def application(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    cors = _cors_headers(headers)
    match = PATH.match(scope["path"])
    if scope["method"] == "OPTIONS":
        return await _plain(send, 204, "", cors + [
            (b"access-control-allow-methods", b"GET"),
            (b"access-control-allow-headers", b"Last-Event-ID, Cache-Control")])
    if match is None:
        return await _plain(send, 404, "No such stream.", cors)
    if scope["method"] not in ("GET", "HEAD"):
        return await _plain(send, 405, "Streams are read with GET.", cors)
    topic_id = int(match.group(1))
    cookie = SimpleCookie()
    cookie.load(headers.get("cookie", ""))
    cookies = {k: m.value for k, m in cookie.items()}
    from townsquare.core.errors import ActionError

    try:
        member, moderator = await sync_to_async(_reader, thread_sensitive=False)(
            cookies, topic_id)
    except ActionError as error:
        return await _plain(send, error.status, error.message, cors)
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    cursor = headers.get("last-event-id") or (query.get("last", [""])[0])
    await send({"type": "http.response.start", "status": 200, "headers": cors + [
        (b"content-type", b"text/event-stream; charset=utf-8"),
        (b"cache-control", b"no-store"),
        (b"x-accel-buffering", b"no"),
    ]})
    conn = Connection(topic_id, member, moderator)
    hub.join(conn)
    try:
        await _stream(conn, cursor, receive, send)
    finally:
        hub.leave(conn)


async def _stream(conn: Connection, cursor: str, receive, send) -> None:
    async def write(chunk: bytes) -> None:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})

    await write(b"retry: 3000\n\n")
    if cursor:
        missed = await sync_to_async(_replay, thread_sensitive=False)(conn.topic_id, cursor)
        if missed is None:
            await write(sse(None, "refresh", {"reason": "Too much happened while you were away."}))
        else:
            for event in missed:
                if conn.may_see(event.audience):
                    await write(for_reader(event, conn))
    disconnected = asyncio.get_running_loop().create_task(_wait_disconnect(receive))
    ends = time.monotonic() + settings.LIVE_MAX_AGE
    try:
        while not disconnected.done():
            left = ends - time.monotonic()
            if left <= 0:
                break
            getter = asyncio.ensure_future(conn.queue.get())
            done, _ = await asyncio.wait({getter, disconnected},
                                         timeout=min(settings.LIVE_HEARTBEAT, left),
                                         return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                if not disconnected.done():
                    await write(b": heartbeat\n\n")
                continue
            item = getter.result()
            if conn.dropped:
                await write(sse(None, "refresh", {"reason": "You fell behind; reload."}))
                break
            if isinstance(item, str):  # the hub's own state: "paused" / "resumed"
                await write(sse(None, item, {}))
            else:
                await write(for_reader(item, conn))
    finally:
        disconnected.cancel()
        try:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except Exception:  # the client is gone
            pass


async def _wait_disconnect(receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def _plain(send, status: int, text: str, headers) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": headers + [(b"content-type", b"text/plain; charset=utf-8")]})
    await send({"type": "http.response.body", "body": text.encode()})
