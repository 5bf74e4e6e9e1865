"""The event stream: a small ASGI application, run in its own process by `townsquare serve`.

    GET /live/t/<topic_id>/      text/event-stream of that topic's events (and the reader's own)
    GET /live/me/                a signed-in member's own events (their bell), on other pages

Pages stay on the WSGI workers (sync Django views under ASGI were about three times slower);
this process only holds connections. Each connection is checked when it opens, as the topic
page would be (session cookie, then the same permission predicates: 404 for a missing or
hidden topic), then fed by the process's hub (hub.py), which tails the event log, gives each
event only to readers who may have it, and ends with `refresh` the streams of readers who may
no longer read the topic (the site's rules: rules.py). Every connection has a bounded queue
(a reader that
stops reading is told to reload and dropped), a heartbeat comment every LIVE_HEARTBEAT
seconds, and a maximum age after which the browser reconnects with Last-Event-ID.
"""

import asyncio
import re
import time
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs

from django.conf import settings

from .hub import CLOSED, GONE, PAUSED, PERSONAL, RESUMED, Connection, hub, in_thread
from .rules import rules
from .wire import sse

PATH = re.compile(r"^/live/(?:t/(\d{1,18})|me)/$")
SEND_SECONDS = 10
# Every answer of this process: nothing in it is to be run, shown as a page, or framed.
PROTECTION = [(b"x-content-type-options", b"nosniff"),
              (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")]


def _reader(cookies: dict, topic_id: int):
    """(member or None, moderator?, the topic's access) for a connection, or raise NotFound
    like the page."""
    return rules().reader(_CookieRequest(cookies), topic_id)


class _CookieRequest:
    """Just enough of a request for django.contrib.auth.get_user()."""

    def __init__(self, cookies: dict):
        from importlib import import_module

        engine = import_module(settings.SESSION_ENGINE)
        self.session = engine.SessionStore(cookies.get(settings.SESSION_COOKIE_NAME))
        self.COOKIES = cookies


def _replay(topic_id: int, cursor: str):
    from .events import event_log

    return event_log().since(topic_id, cursor, settings.LIVE_REPLAY_LIMIT)


def _cors_headers(headers: dict) -> list[tuple[bytes, bytes]]:
    """The site's pages may read the stream from another port of the same host."""
    origin = headers.get("origin", "")
    if origin and origin in settings.LIVE_ALLOWED_ORIGINS:
        return [(b"access-control-allow-origin", origin.encode()),
                (b"access-control-allow-credentials", b"true"),
                (b"vary", b"Origin")]
    return [(b"vary", b"Origin")]


def _cookies(header: str) -> dict:
    jar = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return {}
    return {k: m.value for k, m in jar.items()}


async def application(scope, receive, send):
    if scope["type"] == "lifespan":
        return await _lifespan(receive, send)
    if scope["type"] != "http":
        return
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    common = _cors_headers(headers) + PROTECTION
    match = PATH.match(scope["path"])
    if scope["method"] == "OPTIONS":
        return await _plain(send, 204, "", common + [
            (b"access-control-allow-methods", b"GET"),
            (b"access-control-allow-headers", b"Last-Event-ID, Cache-Control")])
    if match is None:
        return await _plain(send, 404, "No such stream.", common)
    if scope["method"] != "GET":
        return await _plain(send, 405, "Streams are read with GET.", common)
    from townsquare.core.errors import ActionError

    topic_id = int(match.group(1)) if match.group(1) else PERSONAL
    seen = hub.access_seq
    try:
        member, moderator, admitted = await in_thread(
            _reader, _cookies(headers.get("cookie", "")), topic_id)
    except ActionError as error:
        return await _plain(send, error.status, error.message, common)
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    cursor = headers.get("last-event-id") or query.get("last", [""])[0]
    await send({"type": "http.response.start", "status": 200, "headers": common + [
        (b"content-type", b"text/event-stream; charset=utf-8"),
        (b"cache-control", b"no-store"),
        (b"x-accel-buffering", b"no"),
    ]})
    conn = Connection(topic_id, member, moderator, admitted)
    hub.join(conn)
    if hub.access_seq != seen:
        # Access changed while the reader was being checked: check them again.
        hub.later(hub.reload_access([topic_id], [conn.member_id] if member else []))
    try:
        await _stream(conn, cursor, receive, send)
    finally:
        hub.leave(conn)


async def _lifespan(receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _stream(conn: Connection, cursor: str, receive, send) -> None:
    async def write(chunk: bytes) -> None:
        # A reader whose connection takes nothing for this long is gone or stuck: drop it.
        async with asyncio.timeout(SEND_SECONDS):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})

    try:
        await write(b"retry: 3000\n\n" + await _catch_up(conn, cursor))
        watcher = asyncio.ensure_future(_watch_disconnect(receive, conn))
        try:
            await _follow(conn, write)
        finally:
            watcher.cancel()
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    except (OSError, TimeoutError, RuntimeError):
        pass  # the reader is gone (servers differ in what they raise); nothing to tell them


async def _catch_up(conn: Connection, cursor: str) -> bytes:
    """What a reconnecting reader missed, or a request to reload; the hub's state."""
    chunks = []
    if cursor:
        try:
            missed = await in_thread(_replay, conn.topic_id, cursor[:64])
        except Exception:
            missed = None
        if missed is None:
            chunks.append(sse(None, "refresh", {"reason": "Too much happened meanwhile."}))
        else:
            chunks += [hub.encode(e, conn) for e in missed if conn.may_have(e)]
    if hub.paused:
        chunks.append(sse(None, PAUSED, {}))
    return b"".join(chunks)


async def _follow(conn: Connection, write) -> None:
    """Write what the hub queues for the reader (all that is waiting, in one go), a heartbeat
    when nothing came for a while, until the reader leaves or the connection is too old."""
    ends = time.monotonic() + settings.LIVE_MAX_AGE
    while not conn.closed:
        left = ends - time.monotonic()
        if left <= 0:
            return
        try:
            async with asyncio.timeout(min(settings.LIVE_HEARTBEAT, left)):
                item = await conn.queue.get()
        except TimeoutError:
            if left > settings.LIVE_HEARTBEAT:
                await write(b": heartbeat\n\n")
            continue
        chunks = []
        while item is not CLOSED:
            if conn.dropped or item == GONE:
                await write(b"".join(chunks) + sse(None, "refresh",
                                                   {"reason": "Reload to catch up."}))
                return
            chunks.append(sse(None, item, {}) if item in (PAUSED, RESUMED)
                          else hub.encode(item, conn))
            try:
                item = conn.queue.get_nowait()
            except asyncio.QueueEmpty:
                break
        if chunks:
            await write(b"".join(chunks))


async def _watch_disconnect(receive, conn: Connection) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    conn.close()


async def _plain(send, status: int, text: str, headers) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": headers + [(b"content-type", b"text/plain; charset=utf-8")]})
    await send({"type": "http.response.body", "body": text.encode()})
