"""One stream process's readers, fed from the event log by one loop.

The hub keeps the open connections by topic, and what the visibility rule reads of each topic
and member (the site's rules: rules.py). One task tails the event log (events.py) and hands
each event to the
connections whose reader may have it now; an "access" event in the log (a topic moved or
hidden, a category's read rule, a member's role or deactivation) is applied at once, ending
the streams of readers who may no longer read with `refresh`, then checked against the rows
read afresh. Another task, every LIVE_PRESENCE_SECONDS, vouches for the readers still here
(presence), pushes a new Recently Browsing box when someone's presence expired, reads every
open topic's and member's access again (the safety net), and prunes the log. Database and
Redis calls run in threads, never on the loop.
"""

import asyncio
import logging
import uuid
from collections import OrderedDict

from django.conf import settings
from django.db import close_old_connections

from . import wake
from .events import ACCESS
from .rules import rules

log = logging.getLogger(__name__)

# Items a connection's queue carries besides events: the hub's own news for its readers.
PAUSED, RESUMED, GONE = "paused", "resumed", "gone"
CLOSED = object()  # the reader went away
# Events for one member wherever they are (their bell) use this topic id; a connection with it
# is a member's personal stream, open on pages that have no topic stream.
PERSONAL = 0
# The longest the tail waits before asking an unreachable log again (the Redis breaker, by
# itself, asks Redis at most every REDIS_BREAKER_SECONDS).
RETRY_SECONDS = 1.0


class Connection:
    """One open stream: who reads it, and what is waiting to be written to them."""

    __slots__ = ("topic_id", "user", "member_id", "moderator", "visible", "token", "queue",
                 "dropped", "closed", "admitted", "revoked")

    def __init__(self, topic_id: int, user, moderator: bool, admitted=None):
        self.topic_id = topic_id
        self.admitted = admitted  # the topic's access as it was read when the stream opened
        self.user = user  # None for a guest
        self.member_id = user.pk if user is not None else None
        self.moderator = moderator
        self.visible = user is not None and not user.browse_invisibly
        self.token = uuid.uuid4().hex  # a guest's entry in the presence count
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=settings.LIVE_QUEUE_SIZE)
        self.dropped = False
        self.closed = False
        self.revoked = False  # the reader may no longer read: told to reload, given nothing

    def may_have(self, event) -> bool:
        """While the reader may read the topic (the hub revokes the connection the moment they
        may not), an event's audience and the read rule it carries decide."""
        return (not self.revoked and self.may_see(event.audience)
                and rules().event_allows(self.user, event))

    def may_see(self, audience: str) -> bool:
        if audience == "public":
            return True
        if audience == "moderators":
            return self.moderator
        return self.member_id is not None and audience == f"member:{self.member_id}"

    def offer(self, item) -> None:
        if self.revoked:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.dropped = True  # the writer tells the reader to reload, then closes

    def revoke(self) -> None:
        """End the stream with `refresh`: what was queued before is still written (it was
        theirs to read), nothing after."""
        if not self.revoked:
            self.offer(GONE)
            self.revoked = True

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
        self.jobs: set[asyncio.Task] = set()
        self.paused = False
        self.boxes: dict[int, str] = {}  # the Recently Browsing box last pushed, per topic
        self.arrived: dict[int, list[Connection]] = {}
        self.left: dict[int, list[str]] = {}
        self.presence_due: dict[int, asyncio.AbstractEventLoop] = {}
        self.encoded: OrderedDict = OrderedDict()  # (event id, kind of reader) -> bytes
        self.access: dict = {}  # topic id -> what the read rule reads of it (rules.py)
        self.access_seq = 0  # access events applied so far
        self.changed: dict[tuple[str, int], int] = {}  # ("t"/"m", id) -> last access event

    # -- readers coming and going

    def join(self, conn: Connection) -> None:
        if conn.topic_id != PERSONAL:
            # The hub's own view is kept up by the log; a topic new to it is as read on opening.
            self.access.setdefault(conn.topic_id, conn.admitted)
        if not self.may_read(conn):
            conn.revoke()
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
                self.access.pop(conn.topic_id, None)
                self.changed.pop(("t", conn.topic_id), None)
        mine = self.members.get(conn.member_id)
        if mine is not None:
            mine.discard(conn)
            if not mine:
                del self.members[conn.member_id]
                self.changed.pop(("m", conn.member_id), None)
        if conn.topic_id == PERSONAL:
            return
        if conn.user is None:
            self.left.setdefault(conn.topic_id, []).append(conn.token)
        self.presence_changed(conn.topic_id)

    def deliver(self, event) -> None:
        if event.kind == ACCESS:
            return self.access_changed(event.topic_id, event.data)
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
            if conn.may_have(event) and (sender is None or conn.member_id != sender):
                conn.offer(event)

    def broadcast(self, item: str) -> None:
        for readers in tuple(self.topics.values()):
            for conn in tuple(readers):
                conn.offer(item)

    # -- who may read

    def may_read(self, conn: Connection) -> bool:
        return rules().may_read(conn.user, self.access.get(conn.topic_id),
                               conn.topic_id == PERSONAL)

    def access_changed(self, topic_id: int, data: dict) -> None:
        """Apply an access event at once (what it says is what its write committed), end the
        streams that may no longer be read, and check against the rows read afresh."""
        self.access_seq += 1
        topics, members = set(), set()
        if "member" in data:
            for conn in tuple(self.members.get(data["member"], ())):
                rules().apply_member(conn.user, data)
                members.add(data["member"])
        elif "topic" in data:
            if topic_id in self.access:
                self.access[topic_id] = rules().topic_access(
                    data["category"], data["read_role"], data["hidden"])
                topics.add(topic_id)
        elif "category" in data:
            for tid, known in self.access.items():
                if known is not None and known.category_id == data["category"]:
                    known.category.read_role = data["read_role"]
                    topics.add(tid)
        self.changed.update({("t", t): self.access_seq for t in topics})
        self.changed.update({("m", m): self.access_seq for m in members})
        self.recheck(topics, members)
        if topics or members:
            self.later(self.reload_access(list(topics), list(members)))

    def later(self, job) -> None:
        task = asyncio.get_running_loop().create_task(job)
        self.jobs.add(task)  # held until done: the loop keeps only weak references
        task.add_done_callback(self.jobs.discard)

    async def reload_access(self, topic_ids: list[int], member_ids: list[int]) -> None:
        """Read the topics' and members' access afresh and end the streams that may no
        longer be read. An access event applied meanwhile is newer than this read: its
        own reload covers what it changed."""
        seq = self.access_seq
        topics, members = await in_thread(rules().current_access, topic_ids, member_ids)
        fresh = [t for t in topic_ids if t in self.access and self.changed.get(("t", t), 0) <= seq]
        for topic_id in fresh:
            self.access[topic_id] = topics.get(topic_id)  # None: the topic is gone
        for member_id in member_ids:
            if self.changed.get(("m", member_id), 0) > seq:
                continue
            for conn in tuple(self.members.get(member_id, ())):
                if member_id in members:
                    rules().apply_member(conn.user, members[member_id])
                else:
                    conn.revoke()  # the member is gone
        self.recheck(fresh, member_ids)

    def recheck(self, topic_ids, member_ids) -> None:
        conns = {c for t in topic_ids for c in self.topics.get(t, ())}
        conns.update(c for m in member_ids for c in self.members.get(m, ()))
        for conn in conns:
            if conn.user is not None:
                conn.moderator = rules().is_moderator(conn.user)
            if not self.may_read(conn):
                conn.revoke()

    # -- the event log

    async def tail(self) -> None:
        """Follow the log for as long as anyone is connected, and in Redis mode its fallback
        in the database too (events.py); survive outages, retrying every RETRY_SECONDS at
        most. Readers are told when the log stops answering, then that it resumed, or to
        reload if what happened meanwhile can no longer be read."""
        from .events import FallbackReader, RedisLog, event_log

        source = event_log()
        blocking = isinstance(source, RedisLog)
        fallback = FallbackReader(source.fallback) if blocking else None
        waker = await wake.listen()  # without Redis, who appends an event nudges us
        cursor = None
        delay = 0.5
        while self.topics:
            try:
                if fallback is not None:
                    for event in await in_thread(fallback.read):
                        self.deliver(event)
                known = cursor
                waker.clear()
                if cursor is None:
                    cursor = await in_thread(source.latest)
                if blocking:
                    # Back from an outage, read what is there without waiting, to say so now.
                    events = await in_thread(source.read_after, cursor, 500,
                                             None if self.paused else 1000)
                else:
                    events = await in_thread(source.read_after, cursor)
                if self.paused:
                    whole = not blocking or await in_thread(source.holds, known)
                    self.paused = False
                    self.broadcast(RESUMED if whole else GONE)
                for event in events:
                    cursor = event.id
                    self.deliver(event)
                delay = 0.5
                if not events and not blocking:
                    await waker.wait(settings.LIVE_POLL_SECONDS)
            except Exception:
                if not self.paused:  # logged once an outage: it retries every second
                    log.warning("the live event log is unreachable; retrying", exc_info=True)
                    self.paused = True
                    self.broadcast(PAUSED)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_SECONDS)

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
            except Exception:  # Redis away: access is checked all the same
                log.warning("presence not renewed; trying again later", exc_info=True)
            try:
                await self.reload_access(list(readers), list(self.members))
                if rounds % settings.LIVE_PRUNE_EVERY == 0:
                    await in_thread(_prune)
            except Exception:
                log.warning("live upkeep failed; trying again later", exc_info=True)
        for topic_id in list(self.boxes):
            if topic_id not in self.topics:
                del self.boxes[topic_id]

    # -- encoding, once per event and kind of reader

    def encode(self, event, conn: Connection) -> bytes:
        variant = rules().reader_variant(event, conn)
        key = (event.id, variant)
        found = self.encoded.get(key)
        if found is None:
            found = rules().render_for(event, variant)
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


def _prune() -> None:
    from .actions import prune_events

    prune_events()


hub = Hub()
