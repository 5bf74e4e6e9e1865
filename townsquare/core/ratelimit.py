"""Fixed-window rate limits, counted in the database, and the client address they count by.

Every process of the site must count against the same limit: a site runs several page
processes, each with a cache of its own unless Redis is set, and a limit kept per process would
let ten sign-in attempts become ten per process. So each count is one statement on the shared
database that adds one to the window's row (creating it) and returns the new count, atomic
whatever else runs at the same moment. Rows of past windows are deleted now and then.

Most limits count every attempt (`check_rate`). Some count only failures: sign-in counts wrong
passwords (`count_failures`), refuses while too many are counted (`refuse_while_limited`), and
forgets an account's count when its member gets in (`forget`).
"""

import ipaddress
import math
import random
import time
from datetime import UTC, datetime
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from .errors import RateLimited
from .models import RateCount

# One count in this many also deletes the rows of windows that have ended.
PRUNE_ONE_IN = 200


def check_rate(action: str, who: str) -> None:
    """Count one `action` by `who`; refuse with RateLimited past the configured limit."""
    limit, key, ends = _window(action, who)
    count = _count_one(key, ends)
    if count > limit:
        raise RateLimited(retry_after=_seconds_until(ends))


def refuse_while_limited(*limits: tuple[str, str]) -> None:
    """Refuse with RateLimited while any (action, who) has used up its limit in the current
    window, counting nothing (one query for them all). The wait is the longest of them."""
    windows = {key: (limit, ends) for limit, key, ends in (_window(*pair) for pair in limits)}
    counts = RateCount.objects.filter(key__in=list(windows)).values_list("key", "count")
    waits = [_seconds_until(windows[key][1]) for key, count in counts
             if count >= windows[key][0]]
    if waits:
        raise RateLimited(retry_after=max(waits))


def count_failures(*limits: tuple[str, str]) -> None:
    """Count one failure against each (action, who), for refuse_while_limited to weigh."""
    for pair in limits:
        _, key, ends = _window(*pair)
        _count_one(key, ends)


def forget(action: str, who: str) -> None:
    """Start `who`'s count for `action` again (a member who got in is no longer guessed at)."""
    _, key, _ = _window(action, who)
    RateCount.objects.filter(key=key).delete()


def _window(action: str, who: str) -> tuple[int, str, datetime]:
    """The limit, the current window's row key and the moment the window ends."""
    limit, period = settings.RATE_LIMITS[action]
    window = int(time.time() // period)
    return (limit, f"{action}:{who}:{window}"[:300],
            datetime.fromtimestamp((window + 1) * period, UTC))


def _seconds_until(ends: datetime) -> int:
    return max(1, math.ceil(ends.timestamp() - time.time()))


def _count_one(key: str, expires: datetime) -> int:
    quote = connection.ops.quote_name
    table, key_, count, expires_ = (quote(RateCount._meta.db_table), quote("key"),
                                    quote("count"), quote("expires"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_}, {count}, {expires_}) VALUES (%s, 1, %s) "
            f"ON CONFLICT ({key_}) DO UPDATE SET {count} = {table}.{count} + 1 "
            f"RETURNING {count}",
            [key, connection.ops.adapt_datetimefield_value(expires)])
        found = cursor.fetchone()[0]
    if random.randrange(PRUNE_ONE_IN) == 0:
        prune_rate_counts()
    return found


def prune_rate_counts() -> int:
    """Delete the counts of windows that have ended, by the clock the windows are cut by."""
    deleted, _ = RateCount.objects.filter(expires__lt=datetime.fromtimestamp(time.time(), UTC)
                                          ).delete()
    return deleted


# The client's address.

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def client_address(request) -> str:
    """Where a request comes from, as rate limits count it.

    The peer's address, unless the peer is one of TRUSTED_PROXIES: then X-Forwarded-For,
    read from the right (each proxy appends the address it was reached from), skipping the
    trusted hops, names the client. Entries left of that are the client's own words and are
    never read. A header whose trusted part is not a list of plain addresses is ignored. An
    IPv6 client counts by its /64 network, which one subscriber usually holds whole.
    """
    raw = request.META.get("REMOTE_ADDR") or ""
    peer = _address(raw)
    if peer is None:
        return raw or "unknown"
    trusted = _trusted_networks(tuple(settings.TRUSTED_PROXIES))
    if trusted and _is_trusted(peer, trusted):
        peer = _forwarded_client(request.META.get("HTTP_X_FORWARDED_FOR", ""), trusted) or peer
    if peer.version == 6:
        if peer.ipv4_mapped:
            return str(peer.ipv4_mapped)
        return str(ipaddress.IPv6Network((peer, 64), strict=False))
    return str(peer)


def _forwarded_client(header: str, trusted) -> Address | None:
    """The first untrusted hop of X-Forwarded-For from the right (the leftmost when every hop
    is trusted), or None when the header is missing or malformed."""
    found = None
    for entry in reversed(header.split(",") if header else []):
        found = _address(entry.strip().removeprefix("[").removesuffix("]"))
        if found is None:
            return None
        if not _is_trusted(found, trusted):
            break
    return found


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _is_trusted(address: Address, trusted) -> bool:
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in trusted if network.version == address.version)


@lru_cache(maxsize=8)
def _trusted_networks(entries: tuple[str, ...]) -> tuple:
    try:
        return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries
                     if entry.strip())
    except ValueError as error:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {error}") from None
