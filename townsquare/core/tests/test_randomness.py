"""Random bytes handed out from blocks of the system's random source."""

import os

from townsquare.core import randomness
from townsquare.core.randomness import BLOCK, random_bytes, token_hex


def test_bytes_are_never_handed_out_twice_across_blocks():
    tokens = [random_bytes(48) for _ in range(3 * BLOCK // 48 + 7)]  # crosses block edges
    assert all(len(t) == 48 for t in tokens)
    assert len(set(tokens)) == len(tokens)
    assert len(random_bytes(BLOCK + 10)) == BLOCK + 10  # more than a block at once


def test_tokens_are_hex_of_the_asked_length():
    token = token_hex()
    assert len(token) == 32 and int(token, 16) >= 0
    assert len(token_hex(8)) == 16


def test_a_forked_process_does_not_repeat_its_parents_bytes():
    random_bytes(1)  # the parent now holds a block with bytes left in it
    left = randomness._block[randomness._used:]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report what it would hand out next, and leave
        os.write(write, random_bytes(32))
        os._exit(0)
    os.close(write)
    child = os.read(read, 64)
    os.waitpid(pid, 0)
    assert len(child) == 32 and child not in left
    assert random_bytes(32) == left[:32]  # the parent goes on with its own block
