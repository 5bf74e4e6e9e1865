"""One stream process's readers, fed from the event log by one loop.

The hub keeps the open connections by topic. One task tails the event log (events.py) and
hands each event to the connections whose reader may see it; another, every
LIVE_PRESENCE_SECONDS, vouches for the readers still here (presence), pushes a new Recently
Browsing box when someone's presence expired, ends the streams of topics that were hidden
meanwhile, and prunes the log. Database and Redis calls run in threads, never on the loop.
"""

import asyncio
import logging
import uuid
from collections import OrderedDict

from django.conf import settings
from django.db import close_old_connections

log = logging.getLogger(__name__)

# Items a connection's queue carries besides events: the hub's own news for its readers.
PAUSED, RESUMED, GONE = "paused", "resumed", "gone"
CLOSED = object()  # the reader went away
# Events for one member wherever they are (their bell) use this topic id; a connection with it
# is a member's personal stream, open on pages that have no topic stream.
PERSONAL = 0


class Connection:
    """One open stream: who reads it, and what is waiting to be written to them."""

    __slots__ = ("topic_id", "user", "member_id", "moderator", "visible", "token", "queue",
                 "dropped", "closed")

    def __init__(self, topic_id: int, user, moderator: bool):
        self.topic_id = topic_id
        self.user = user  # None for a guest
        self.member_id = user.pk if user is not None else None
        self.moderator = moderator
        self.visible = user is not None and not user.browse_invisibly
        self.token = uuid.uuid4().hex  # a guest's entry in the presence count
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=settings.LIVE_QUEUE_SIZE)
        self.dropped = False
        self.closed = False

    def may_see(self, audience: str) -> bool:
        """The topic itself was checked when the stream opened (and is checked again by the
        hub's upkeep); this is what each event adds."""
        if audience == "public":
            return True
        if audience == "moderators":
            return self.moderator
        return self.member_id is not None and audience == f"member:{self.member_id}"

    def offer(self, item) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.dropped = True  # the writer tells the reader to reload, then closes

    def close(self) -> None:
        self.closed = True
        try:
            self.queue.put_nowait(CLOSED)
        except asyncio.QueueFull:
            pass  # the writer is behind and will see `closed` (or fail to write) soon


async def in_thread(fn, *args):
    """Run a blocking call (database, Redis) in a worker thread, as a request would."""

    def call():
        close_old_connections()
        try:
            return fn(*args)
        finally:
            close_old_connections()

    return await asyncio.to_thread(call)


class Hub:
    def __init__(self):
        self.topics: dict[int, set[Connection]] = {}
        self.members: dict[int, set[Connection]] = {}  # every open stream of each member
        self.tasks: dict[str, asyncio.Task] = {}
        self.paused = False
        self.boxes: dict[int, str] = {}  # the Recently Browsing box last pushed, per topic
        self.arrived: dict[int, list[Connection]] = {}
        self.left: dict[int, list[str]] = {}
        self.presence_due: dict[int, asyncio.AbstractEventLoop] = {}
        self.encoded: OrderedDict = OrderedDict()  # (event id, kind of reader) -> bytes

    # -- readers coming and going

    def join(self, conn: Connection) -> None:
        self.topics.setdefault(conn.topic_id, set()).add(conn)
        if conn.member_id is not None:
            self.members.setdefault(conn.member_id, set()).add(conn)
        for name, loop_fn in (("tail", self.tail), ("upkeep", self.upkeep)):
            task = self.tasks.get(name)
            if task is None or task.done():
                self.tasks[name] = asyncio.get_running_loop().create_task(loop_fn())
        if conn.topic_id != PERSONAL:
            self.arrived.setdefault(conn.topic_id, []).append(conn)
            self.presence_changed(conn.topic_id)

    def leave(self, conn: Connection) -> None:
        readers = self.topics.get(conn.topic_id)
        if readers is not None:
            readers.discard(conn)
            if not readers:
                del self.topics[conn.topic_id]
        mine = self.members.get(conn.member_id)
        if mine is not None:
            mine.discard(conn)
            if not mine:
                del self.members[conn.member_id]
        if conn.topic_id == PERSONAL:
            return
        if conn.user is None:
            self.left.setdefault(conn.topic_id, []).append(conn.token)
        self.presence_changed(conn.topic_id)

    def deliver(self, event) -> None:
        if event.topic_id == PERSONAL:
            member = event.audience.removeprefix("member:")
            for conn in tuple(self.members.get(int(member) if member.isdigit() else -1, ())):
                conn.offer(event)
            return
        if event.kind == "presence":
            self.boxes[event.topic_id] = event.data.get("html", "")
        # "is replying" is not shown to the member who is writing.
        sender = event.data.get("member") if event.kind == "typing" else None
        for conn in tuple(self.topics.get(event.topic_id, ())):
            if conn.may_see(event.audience) and (sender is None or conn.member_id != sender):
                conn.offer(event)

    def broadcast(self, item: str, topic_ids=None, *, moderators: bool = True) -> None:
        for topic_id in list(self.topics if topic_ids is None else topic_ids):
            for conn in tuple(self.topics.get(topic_id, ())):
                if moderators or not conn.moderator:
                    conn.offer(item)

    # -- the event log

    async def tail(self) -> None:
        """Follow the log for as long as anyone is connected; survive outages with backoff."""
        from .events import RedisLog, event_log

        source = event_log()
        blocking = isinstance(source, RedisLog)
        cursor = None
        delay = 0.5
        while self.topics:
            try:
                if cursor is None:
                    cursor = await in_thread(source.latest)
                if blocking:
                    events = await in_thread(source.read_after, cursor, 500, 1000)
                else:
                    events = await in_thread(source.read_after, cursor)
                if self.paused:
                    self.paused = False
                    self.broadcast(RESUMED)
                for event in events:
                    cursor = event.id
                    self.deliver(event)
                delay = 0.5
                if not events and not blocking:
                    await asyncio.sleep(settings.LIVE_POLL_SECONDS)
            except Exception:
                log.warning("the live event log is unreachable; retrying", exc_info=True)
                if not self.paused:
                    self.paused = True
                    self.broadcast(PAUSED)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 15)

    # -- presence

    def presence_changed(self, topic_id: int) -> None:
        """Update the topic's presence and push its box, at most once a second."""
        loop = asyncio.get_running_loop()
        if self.presence_due.get(topic_id) is loop:
            return
        self.presence_due[topic_id] = loop
        loop.call_later(1.0, lambda: loop.create_task(self.push_presence(topic_id)))

    async def push_presence(self, topic_id: int) -> None:
        self.presence_due.pop(topic_id, None)
        arrived = self.arrived.pop(topic_id, [])
        left = self.left.pop(topic_id, [])
        readers = self.topics.get(topic_id, ())
        guests = [c.token for c in arrived if c.user is None and c in readers]
        members = [c.member_id for c in arrived if c.visible]
        try:
            box = await in_thread(_update_presence, topic_id, guests, left, members,
                                  self.boxes.get(topic_id))
        except Exception:
            log.warning("presence for topic %s not updated", topic_id, exc_info=True)
            return
        if box is not None:
            self.boxes[topic_id] = box

    async def upkeep(self) -> None:
        rounds = 0
        while self.topics:
            await asyncio.sleep(settings.LIVE_PRESENCE_SECONDS)
            rounds += 1
            readers = {t: tuple(c) for t, c in self.topics.items() if t != PERSONAL}
            try:
                for topic_id, conns in readers.items():
                    box = await in_thread(
                        _update_presence, topic_id, [c.token for c in conns if c.user is None],
                        [], [c.member_id for c in conns if c.visible], self.boxes.get(topic_id))
                    if box is not None:
                        self.boxes[topic_id] = box
                hidden = await in_thread(_hidden_topics, list(readers))
                self.broadcast(GONE, hidden, moderators=False)
                if rounds % settings.LIVE_PRUNE_EVERY == 0:
                    await in_thread(_prune)
            except Exception:
                log.warning("live upkeep failed; trying again later", exc_info=True)
        for topic_id in list(self.boxes):
            if topic_id not in self.topics:
                del self.boxes[topic_id]

    # -- encoding, once per event and kind of reader

    def encode(self, event, conn: Connection) -> bytes:
        from .render import reader_variant, render_for

        variant = reader_variant(event, conn)
        key = (event.id, variant)
        found = self.encoded.get(key)
        if found is None:
            found = render_for(event, variant)
            self.encoded[key] = found
            if len(self.encoded) > 512:
                self.encoded.popitem(last=False)
        return found


def _update_presence(topic_id: int, guests: list[str], left: list[str], members: list[int],
                     last_box: str | None) -> str | None:
    """Record who is here, and publish the topic's box if it changed; the new box or None."""
    from .actions import record_readers
    from .events import publish
    from .presence import presence_backend
    from .queries import presence_box_html

    backend = presence_backend()
    backend.guests_here(topic_id, guests)
    for token in left:
        backend.guest_left(topic_id, token)
    record_readers(topic_id=topic_id, member_ids=members)
    box = presence_box_html(topic_id)
    if box == last_box:
        return None
    publish(topic_id, "presence", {"html": box})
    return box


def _hidden_topics(topic_ids: list[int]) -> list[int]:
    from townsquare.forum.models import Topic

    return list(Topic.objects.filter(pk__in=topic_ids, hidden=True)
                .values_list("pk", flat=True))


def _prune() -> None:
    from .actions import prune_events

    prune_events()


hub = Hub()
