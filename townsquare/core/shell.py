"""The one way per-reader pieces get into HTML rendered once for many readers.

A template renders a page (or a part of one: a post's controls, a topic list) with a named
marker, a *hole*, wherever something differs between readers or with the clock: the member's
header, their CSRF token, a flash message, which reaction they pressed, whether they collect a
post to quote, an unread mark, "6 minutes ago". The rendered text is cut at its holes once
(`Shell`) and kept — in the shared cache under a key naming the versions it was built from
(`cached_shell`), or in each worker (`template_shell`, for small pieces that depend on nothing
but their context) — and every view joins the kept segments with that reader's values
(`Shell.fill`). Templates stay the one source of markup; Python hands over values.

Names: a hole is `name` or `name:arg:arg` (`pressed:41:like`, `unread:7`, `time:1764…`), made
in Python with `hole(name, *args)` or in a template with `{% hole "pressed" post.pk kind %}`.
A hole may carry a default, used when the fill has no value for it. Two families fill
themselves: `csrf` (the request's token) and `time:<unix seconds>` (relative to now, to the
minute; templates make them with the `livetime` filter).

A marker is two Unicode private-use characters (which escaping leaves alone) around a tag
derived from SECRET_KEY and the hole's name. The tag is the same in every process (shells sit
in a shared cache) and no reader ever sees it: text a member typed cannot name a hole even
before `core.inputs.member_text` drops the marker characters at save. Markers are looked for
only in a shell's own markup when it is made, never in the values filled in, and a filled
shell has no marker left: every hole gets its value, its default, or nothing.
"""

import functools
import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from django.conf import settings
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from .memo import LocalMemo, versioned_page_part
from .randomness import random_bytes
from .timefmt import relative

_OPEN, _CLOSE, _DEFAULT = "\ue000", "\ue001", "\ue002"
SHELL_SECONDS = 24 * 3600


@functools.cache
def _tag(secret: str) -> str:
    # Hex, so that escaping leaves the tag as it is wherever a template puts a hole.
    return hmac.new(secret.encode(), b"townsquare.core.shell.hole", hashlib.sha256).hexdigest()[:20]


@functools.cache
def _hole_re(tag: str) -> re.Pattern:
    name = "([a-z_]+(?::[A-Za-z0-9_.-]+)*)"
    default = f"(?:{_DEFAULT}([^{_OPEN}{_CLOSE}]*))?"
    return re.compile(f"{_OPEN}{tag}:{name}{default}{_CLOSE}")


def marker_tag() -> str:
    """The part of every marker that no reader may ever receive (tests look for it)."""
    return _tag(settings.SECRET_KEY)


def hole(name: str, *args, default: str = "") -> SafeString:
    """The marker a template renders where the piece `name` (with `args`) goes."""
    full = ":".join((name, *map(str, args))) if args else name
    tail = f"{_DEFAULT}{default}" if default else ""
    return mark_safe(f"{_OPEN}{marker_tag()}:{full}{tail}{_CLOSE}")


def holes(*names: str) -> dict[str, SafeString]:
    """Template context with a hole for each name, and for the CSRF token (filled by `fill`)."""
    return {"csrf_token": hole("csrf")} | {name: hole(name) for name in names}


Values = Mapping[str, str]


_PLAIN, _CSRF, _TIME = 0, 1, 2


def _kind(name: str) -> int:
    return _CSRF if name == "csrf" else _TIME if name.startswith("time:") else _PLAIN


class Shell:
    """Rendered HTML cut at its holes: text, hole, text, hole, ..., text."""

    __slots__ = ("parts", "holes", "names")

    def __init__(self, html: str):
        pieces = _hole_re(marker_tag()).split(html)
        self.parts = pieces[0::3]
        # (name, default, family, the text after it), in order.
        self.holes = tuple((name, default or "", _kind(name), after) for name, default, after
                           in zip(pieces[1::3], pieces[2::3], self.parts[1:], strict=True))
        self.names = frozenset(hole[0] for hole in self.holes)

    def source(self) -> str:
        """The text the shell was cut from, holes and all (to build a larger shell)."""
        out = [self.parts[0]]
        for name, default, _, after in self.holes:
            out.append(hole(name, default=default))
            out.append(after)
        return "".join(out)

    def fill(self, request, values: Values | None = None, *,
             now: datetime | None = None) -> str:
        """The text for this reader: each hole gets its value in `values`, else its family's
        (`csrf`, `time:`), else its default."""
        get = (values or _NONE).get
        out = [self.parts[0]]
        append = out.append
        times = token = None
        for name, default, family, after in self.holes:
            value = get(name)
            if value is None:
                if family == _PLAIN:
                    value = default
                elif family == _CSRF:
                    if token is None:
                        token = csrf_token(request) if request is not None else ""
                    value = token
                else:
                    if times is None:
                        times = _times_at(now)
                    value = times.get(name)
                    if value is None:
                        value = times[name] = relative_at(int(name[5:]), now)
            append(value)
            append(after)
        return "".join(out)


_NONE: dict = {}
# Relative times are shown to the minute: each worker works one out once a minute.
_minute = {"at": -1, "times": {}}


def _times_at(now: datetime | None) -> dict:
    """The relative times worked out this minute (a fresh dict for a given `now`)."""
    if now is not None:
        return {}
    minute = int(time.time()) // 60
    if _minute["at"] != minute:
        _minute["at"], _minute["times"] = minute, {}
    return _minute["times"]


def relative_at(timestamp: int, now: datetime | None = None) -> str:
    """"6 minutes ago" for a `time:` hole."""
    now = now or timezone.now()
    return relative(datetime.fromtimestamp(timestamp, tz=now.tzinfo or UTC), now)


def cached_shell(key: str, build: Callable[[], str]) -> Shell:
    """The shell under `key` (which must name the versions it depends on), or `build`'s."""
    return versioned_page_part(key, lambda: Shell(build()), SHELL_SECONDS)


_pieces = LocalMemo(2000)


def template_shell(template: str, **context) -> Shell:
    """A small template (or partial) rendered once per worker for this context, which must be
    plain, hashable values, and cut at its holes: per-reader pieces shown on many pages (the
    bell, the follow control, an unread mark) cost a dictionary lookup and a join."""
    key = (template, *sorted(context.items()))
    shell = _pieces.get(key)
    if shell is None:
        shell = Shell(render_to_string(template, {"csrf_token": hole("csrf")} | context))
        _pieces.put(key, shell)
    return shell


def filled(request, template: str, values: Values | None = None, **context) -> SafeString:
    """`template_shell(template, **context)` filled for this request."""
    return mark_safe(template_shell(template, **context).fill(request, values))


def csrf_token(request) -> str:
    """The request's CSRF token, masked once however many forms the page has."""
    token = getattr(request, "_csrf_token_for_page", None)
    if token is None:
        token = request._csrf_token_for_page = _masked_token(request)
    return token


def _masked_token(request) -> str:
    """What Django's `get_token` gives, with the random mask drawn from a block of the
    system's random source (see randomness.py) instead of one read per character (a read
    costs a system call, and a member's every page asks for a token)."""
    secret = request.META.get("CSRF_COOKIE")
    if secret is None or len(secret) != CSRF_SECRET_LENGTH:
        return get_token(request)  # no secret yet: Django makes one and sets the cookie
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True  # as get_token does: renew the cookie
    chars = CSRF_ALLOWED_CHARS
    mask = random_chars(CSRF_SECRET_LENGTH)
    cipher = "".join(chars[(chars.index(x) + chars.index(y)) % len(chars)]
                     for x, y in zip(secret, mask, strict=True))
    return mask + cipher


_UNBIASED = 256 - 256 % len(CSRF_ALLOWED_CHARS)  # bytes below this map evenly onto the chars


def random_chars(length: int) -> str:
    """`length` characters drawn uniformly from CSRF_ALLOWED_CHARS by a secure source."""
    chars, out = CSRF_ALLOWED_CHARS, []
    while len(out) < length:
        out.extend(chars[b % len(chars)] for b in random_bytes(2 * length) if b < _UNBIASED)
    return "".join(out[:length])
