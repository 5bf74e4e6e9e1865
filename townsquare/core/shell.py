"""Pages rendered once with holes, filled per reader with plain string joins.

A signed-in member's topic page is the same for every member but for a few pieces: their name
in the header, their CSRF token, their reaction buttons, the reply form's one-time token, any
flash message, and who is browsing. The page's template is rendered once per topic version and
page with a marker in place of each of those pieces (`hole("posts")`), split at the markers
and kept in the cache; each view then joins the cached segments with that reader's pieces.
The template stays the one source of the page's markup; only the per-reader values move.
Guest pages kept whole (core/pagecache.py) use the same holes for what changes between two
guests' views of one version (who is browsing a topic).

A marker is two Unicode private-use characters (which escaping leaves alone) around a tag
derived from SECRET_KEY and the piece's name. The tag is the same in every process (shells sit
in a shared cache) and no reader ever sees it: text a member typed cannot name a hole even
before `core.inputs.member_text` drops the marker characters at save. Markers are looked for
only in the shell's own markup when it is rendered, never in the values filled in. Pages and
the event stream never send a marker to a browser: a piece is filled or left empty.
"""

import hashlib
import hmac
import re
from collections.abc import Callable

from django.conf import settings
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.utils.safestring import SafeString, mark_safe

from .memo import versioned_page_part
from .randomness import random_bytes

_OPEN, _CLOSE = "\ue000", "\ue001"
# Hex, so that escaping leaves the tag as it is wherever a template puts a hole.
_TAG = hmac.new(settings.SECRET_KEY.encode(), b"townsquare.core.shell.hole",
                hashlib.sha256).hexdigest()[:20]
_HOLE_RE = re.compile(f"{_OPEN}{_TAG}:([a-z_]+){_CLOSE}")
SHELL_SECONDS = 24 * 3600


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


def hole(name: str) -> SafeString:
    """The marker a shell is rendered with where the piece `name` goes."""
    return mark_safe(f"{_OPEN}{_TAG}:{name}{_CLOSE}")


def holes(*names: str) -> dict[str, SafeString]:
    """Template context with a hole for each name, and for the CSRF token (filled by `fill`)."""
    return {"csrf_token": hole("csrf")} | {name: hole(name) for name in names}


class Shell:
    """A rendered page cut at its holes: text, name, text, name, ..., text."""

    __slots__ = ("parts", "names")

    def __init__(self, html: str):
        self.parts = _HOLE_RE.split(html)
        self.names = frozenset(self.parts[1::2])

    def fill(self, request, values: dict[str, str]) -> str:
        """The page for this reader, with `values` (plus the CSRF token) in the holes; a
        hole without a value is left empty."""
        if "csrf" in self.names:
            values["csrf"] = csrf_token(request)
        parts, get = self.parts, values.get
        out = [parts[0]]
        for i in range(1, len(parts), 2):
            out.append(get(parts[i], ""))
            out.append(parts[i + 1])
        return "".join(out)


def cached_shell(key: str, build: Callable[[], str]) -> Shell:
    """The shell under `key` (which must name the versions it depends on), or `build`'s."""
    return versioned_page_part(key, lambda: Shell(build()), SHELL_SECONDS)
