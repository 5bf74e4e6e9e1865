"""Fixed-window rate limits, counted in the database.

Every process of the site must count against the same limit: a site runs several page
processes, each with a cache of its own unless Redis is set, and a limit kept per process would
let ten sign-in attempts become ten per process. So each check is one statement on the shared
database that adds one to the window's row (creating it) and returns the new count, atomic
whatever else runs at the same moment. Rows of past windows are deleted now and then.
"""

import random
import time
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection

from .errors import RateLimited
from .models import RateCount

# One check in this many also deletes the rows of windows that have ended.
PRUNE_ONE_IN = 200


def check_rate(action: str, who: str) -> None:
    """Count one `action` by `who`; refuse with RateLimited past the configured limit."""
    limit, period = settings.RATE_LIMITS[action]
    window = int(time.time() // period)
    count = _count_one(f"{action}:{who}:{window}",
                       datetime.fromtimestamp((window + 1) * period, UTC))
    if random.randrange(PRUNE_ONE_IN) == 0:
        prune_rate_counts()
    if count > limit:
        raise RateLimited("You are doing that too often. Please wait a minute and try again.")


def _count_one(key: str, expires: datetime) -> int:
    quote = connection.ops.quote_name
    table, key_, count, expires_ = (quote(RateCount._meta.db_table), quote("key"),
                                    quote("count"), quote("expires"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_}, {count}, {expires_}) VALUES (%s, 1, %s) "
            f"ON CONFLICT ({key_}) DO UPDATE SET {count} = {table}.{count} + 1 "
            f"RETURNING {count}",
            [key[:300], connection.ops.adapt_datetimefield_value(expires)])
        return cursor.fetchone()[0]


def prune_rate_counts() -> int:
    """Delete the counts of windows that have ended."""
    deleted, _ = RateCount.objects.filter(expires__lt=datetime.now(UTC)).delete()
    return deleted


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")
