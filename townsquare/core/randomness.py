"""Random bytes for the small secrets every member's page needs, read from the system in blocks.

Each member's page carries a fresh CSRF mask and a one-time token for its reply form. On a
virtual machine each read of the system's random source is a system call that costs about as
much as a database query, so the bytes are read from the same source (`os.urandom`) 4 KB at
a time and each is handed out once. A forked worker process starts with an empty block, so no
two processes ever hand out the same bytes.
"""

import os
import threading

BLOCK = 4096

_lock = threading.Lock()
_block = b""
_used = 0


def random_bytes(n: int) -> bytes:
    """`n` bytes from the system's secure random source, none of them handed out before."""
    global _block, _used
    with _lock:
        if _used + n > len(_block):
            _block, _used = os.urandom(max(BLOCK, n)), 0
        out = _block[_used:_used + n]
        _used += n
    return out


def token_hex(nbytes: int = 16) -> str:
    """A random text token of 2 × `nbytes` hexadecimal digits."""
    return random_bytes(nbytes).hex()


def _forget() -> None:
    global _block, _used
    _block, _used = b"", 0


os.register_at_fork(after_in_child=_forget)
