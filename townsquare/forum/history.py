"""Differences between two revisions of a post, word by word, as safe HTML."""

import difflib
import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_WORDS = re.compile(r"\s+|[^\s]+")


def word_diff(before: str, after: str) -> SafeString:
    """`after` with removed words in <del> and added words in <ins>, each also labelled in
    words (screen readers and people who can't tell the colours apart)."""
    old, new = _WORDS.findall(before), _WORDS.findall(after)
    out = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(escape("".join(new[j1:j2])))
            continue
        if op in ("delete", "replace"):
            out.append('<del><span class="visually-hidden">removed: </span>'
                       f'{escape("".join(old[i1:i2]))}</del>')
        if op in ("insert", "replace"):
            out.append('<ins><span class="visually-hidden">added: </span>'
                       f'{escape("".join(new[j1:j2]))}</ins>')
    return mark_safe("".join(out))
