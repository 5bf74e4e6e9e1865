"""Waking the stream process when an event is added to the database log: the event reaches
readers without waiting for the poll, a nudge never fails a write, and a stream process that
cannot have the address polls as before."""

import asyncio
import runpy
import socket

import pytest
from django.conf import settings as django_settings

from townsquare.forum.actions import post_reply
from townsquare.live import wake
from townsquare.live.events import event_log, publish
from townsquare.live.stream import application
from townsquare.live.tests.streaming import events_in, kinds, run_stream

pytestmark = pytest.mark.django_db(transaction=True)


def free_udp_address() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


@pytest.fixture
def wake_address(settings):
    """The database log (whatever this run's environment says) and a wake address of the
    test's own; a poll so slow that only a nudge can bring an event in time."""
    settings.REDIS_URL = ""
    settings.LIVE_POLL_SECONDS = 30
    settings.LIVE_WAKE_ADDRESS = free_udp_address()
    wake._senders.clear()
    yield settings.LIVE_WAKE_ADDRESS
    wake._senders.clear()


def test_a_reply_reaches_a_waiting_stream_without_waiting_for_the_poll(wake_address,
                                                                     make_member, make_topic):
    topic = make_topic()
    ada = make_member("ada")
    _, _, text = run_stream(
        application, f"/live/t/{topic.pk}/", seconds=5,
        during=lambda: post_reply(author=ada, topic=topic, body="Straight away"),
        until=lambda events: "post_added" in kinds(events))
    assert "post_added" in kinds(events_in(text))


def test_each_event_added_to_the_database_log_sends_a_nudge(wake_address, make_topic):
    topic = make_topic()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stream_process:
        stream_process.bind(wake.parse_address(wake_address))
        stream_process.settimeout(5)
        publish(topic.pk, "typing", {"username": "ada"})
        publish(topic.pk, "typing", {"username": "bo"})
        assert [stream_process.recv(16) for _ in range(2)] == [b"", b""]


@pytest.mark.parametrize("refused", [False, True])
def test_a_nudge_that_nobody_hears_or_the_system_refuses_never_fails_the_write(
        wake_address, settings, make_member, make_topic, caplog, refused):
    if refused:  # a broadcast address: sending there without SO_BROADCAST is refused
        settings.LIVE_WAKE_ADDRESS = "255.255.255.255:9"
    topic = make_topic()
    before = event_log().latest()
    reply = post_reply(author=make_member(), topic=topic, body="Nobody listens")
    added = event_log().read_after(before)
    assert [e.data["post"] for e in added if e.kind == "post_added"] == [reply.pk]
    assert "not published" not in caplog.text


def test_a_second_stream_process_on_the_same_address_polls_as_before(wake_address, caplog):
    async def go():
        first = await wake.listen()
        second = await wake.listen()  # the address is the first one's
        assert first.transport is not None and second.transport is None
        wake.nudge()
        await asyncio.wait_for(first.wait(30), 5)
        # The second only keeps the poll's time.
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(second.wait(30), 0.2)

    asyncio.run(go())
    assert "cannot listen for live wake-ups" in caplog.text


def test_a_nudge_that_came_during_a_read_ends_the_next_wait(wake_address):
    async def go():
        waker = await wake.listen()
        waker.clear()  # as the hub does before it reads the log
        wake.nudge()  # an event added while it reads
        await asyncio.sleep(0.05)
        await asyncio.wait_for(waker.wait(30), 5)

    asyncio.run(go())


def test_a_stream_process_stops_listening_when_its_tail_ends(wake_address):
    async def tail():
        return await wake.listen()

    async def go():
        waker = await asyncio.create_task(tail())
        await asyncio.sleep(0)  # the task's done callbacks run
        return waker

    assert asyncio.run(go()).transport is None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taker:
        taker.bind(wake.parse_address(wake_address))  # free again


@pytest.mark.parametrize("value", ["8001", "localhost", "host:", "host:0", "host:70000",
                                   "a b:80", "[zz]:80"])
def test_a_wake_address_that_is_not_host_and_port_stops_the_start(monkeypatch, tmp_path,
                                                                   value):
    monkeypatch.setenv("TOWNSQUARE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LIVE_WAKE_ADDRESS", value)
    with pytest.raises(ValueError, match="LIVE_WAKE_ADDRESS must be host:port"):
        runpy.run_path(str(django_settings.BASE_DIR / "config" / "settings.py"))


@pytest.mark.parametrize("value", ["127.0.0.1:8001", "localhost:8001", "[::1]:8001", ""])
def test_host_and_port_are_a_wake_address(monkeypatch, tmp_path, value):
    monkeypatch.setenv("TOWNSQUARE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LIVE_WAKE_ADDRESS", value)
    assert runpy.run_path(str(django_settings.BASE_DIR / "config" / "settings.py"))[
        "LIVE_WAKE_ADDRESS"] == value
