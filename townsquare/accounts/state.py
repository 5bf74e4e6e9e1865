"""A member's own state, cached, and the same in every process.

Every page a member opens needs a few small facts about them: their bell's count, what they
follow and mute, whom they ignore, which topics hold their drafts and their reactions. Each is
one query, so each is cached. A site without Redis runs several processes with a cache each,
and a change made through one process must show in all of them at once: the member follows a
topic, and the next page, whichever process serves it, shows "Following".

So the cache keys carry a version from the member's user row, which every process reads on
every request anyway (to know who is signed in): `bell_version` for the bell, `state_version`
for the rest. A change sets a new random version in the same transaction; from then on every
process looks under new keys and builds the facts afresh, and entries under old keys are
never read again (they expire). A write that rolls back leaves the version as it was.

Actions say which members' versions they change with STATE and BELL in their declarations
(core/invalidation.py); the declaration calls `state_changed` and `bell_changed`.
"""

import time
from collections.abc import Callable, Iterable

from django.core.cache import caches

from townsquare.core.invalidation import Versioned
from townsquare.core.memo import LocalMemo, is_process_local
from townsquare.core.randomness import random_bytes

from .models import User

# What a version holds never changes, so each process also keeps the values themselves
# (a page asks for several, some more than once; the cache would unpickle each every time).
# Callers treat them as read-only. Kept no longer than the cache would keep them.
_kept = LocalMemo(20_000)


def member_state(member: User, name: str, build: Callable[[], object], seconds: int, *,
                 version: int | None = None):
    """The member's state `name`, from the cache or `build` (a read of the database), under
    `version` (their `state_version` unless given: the bell passes its own)."""
    version = member.state_version if version is None else version
    key = f"{name}:{member.pk}:v{version}"
    now = time.monotonic()
    kept = _kept.get(key)
    if kept is not None and kept[1] > now:
        return kept[0]
    cache = caches["default"]
    if is_process_local(cache):  # this worker's own: what _kept holds is all it would hold
        found = build()
    elif (found := cache.get(key)) is None:
        found = build()
        cache.set(key, found, seconds)
    _kept.put(key, (found, now + seconds))
    return found


def state_changed(members: Iterable[User | int]) -> None:
    """What these members follow, ignore, or have drafts or reactions in changed: give each
    a new state version (inside the write's transaction)."""
    _new_version(members, "state_version")


def bell_changed(members: Iterable[User | int]) -> None:
    """These members' unread notifications changed: a new bell version for each."""
    _new_version(members, "bell_version")


# What a member follows, mutes, ignores, has drafts or reactions in; and their bell's unread
# notifications. A target is a member or a member's id.
STATE = Versioned("member_state", state_changed)
BELL = Versioned("bell", bell_changed)


def _new_version(members: Iterable[User | int], field: str) -> None:
    """One new random version for these members' `field`. Member objects passed in take it
    too, so the rest of the request sees the change."""
    members = list(members)
    ids = {m.pk if isinstance(m, User) else m for m in members}
    if not ids:
        return
    # 62 random bits: positive in a signed 64-bit column, and never met twice in practice.
    version = int.from_bytes(random_bytes(8)) >> 2
    User.objects.filter(pk__in=ids).update(**{field: version})
    for member in members:
        if isinstance(member, User):
            setattr(member, field, version)
