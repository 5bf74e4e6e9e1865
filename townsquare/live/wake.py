"""Waking a stream process when an event is added to the database log.

Without Redis a stream process finds new events by reading the `live_event` table every
LIVE_POLL_SECONDS, so on its own an event waits up to one poll before anyone gets it. The
process that appends an event (a page worker, the background worker) therefore also sends an
empty UDP datagram to LIVE_WAKE_ADDRESS, where the stream process listens, and the hub reads
the log at once. `townsquare serve` sets that address to 127.0.0.1 and the stream's own port
number (UDP ports are apart from TCP's), so two sites on one machine never share one.

A nudge is only a hint. Sending never blocks and never fails the write: a lost datagram costs
the poll's wait, as before. A stream process that cannot listen (the address is taken, by
another stream process) polls as before. Whoever can reach the address can make the stream
process read the log sooner, and nothing more: the datagram's content is ignored.
"""

import asyncio
import logging
import socket

from django.conf import settings

log = logging.getLogger(__name__)

_senders: dict[str, tuple[socket.socket, tuple] | None] = {}


def parse_address(value: str) -> tuple[str, int]:
    """("host", port) of "host:port" or "[IPv6 address]:port"."""
    host, _, port = value.rpartition(":")
    return host.removeprefix("[").removesuffix("]"), int(port)


def nudge() -> None:
    """Tell the stream process that the log has a new event (fire and forget)."""
    address = settings.LIVE_WAKE_ADDRESS
    if not address:
        return
    if address not in _senders:
        _senders[address] = _sender(address)
    sender = _senders[address]
    if sender is None:
        return
    sock, target = sender
    try:
        sock.sendto(b"", target)
    except OSError:
        pass  # nobody listens or the buffer is full: the stream's poll finds the event


def _sender(address: str) -> tuple[socket.socket, tuple] | None:
    """A non-blocking socket and where to send, resolved once per process (None: the name
    does not resolve, and the stream polls)."""
    host, port = parse_address(address)
    try:
        family, kind, proto, _, target = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    except OSError:
        log.warning("LIVE_WAKE_ADDRESS %s does not resolve: live events wait for the poll",
                    address)
        return None
    sock = socket.socket(family, kind, proto)
    sock.setblocking(False)
    return sock, target


class Waker:
    """What the hub waits on between two reads of the log: a nudge, or the poll's interval."""

    def __init__(self):
        self.nudged = asyncio.Event()
        self.transport = None

    def clear(self) -> None:
        """Forget past nudges: called before a read of the log, so that a nudge arriving
        during the read (for an event the read may have missed) ends the next wait."""
        self.nudged.clear()

    async def wait(self, seconds: float) -> None:
        try:
            async with asyncio.timeout(seconds):
                await self.nudged.wait()
        except TimeoutError:
            pass

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
            self.transport = None


class _Listener(asyncio.DatagramProtocol):
    def __init__(self, nudged: asyncio.Event):
        self.nudged = nudged

    def datagram_received(self, data, addr) -> None:
        self.nudged.set()


async def listen() -> Waker:
    """A Waker that listens on LIVE_WAKE_ADDRESS until the calling task ends (one that only
    keeps the poll's time when no address is set or it cannot be had)."""
    waker = Waker()
    address = settings.LIVE_WAKE_ADDRESS
    if not address:
        return waker
    loop = asyncio.get_running_loop()
    try:
        waker.transport, _ = await loop.create_datagram_endpoint(
            lambda: _Listener(waker.nudged), local_addr=parse_address(address))
    except OSError as error:
        log.warning("cannot listen for live wake-ups on %s (%s): reading the event log every "
                    "%s s", address, error, settings.LIVE_POLL_SECONDS)
        return waker
    asyncio.current_task().add_done_callback(lambda _: waker.close())
    return waker
