"""Markdown to safe HTML, done once when a post is written.

cmark-gfm (the C reference implementation of CommonMark with GitHub's tables, strikethrough
and autolinks) renders Markdown; raw HTML in a body is dropped, never passed through. A
`:::quote POST_ID` ... `:::` container quotes another post; containers nest when the outer
fence is longer. Whatever comes out passes through nh3's allow-list, so nothing a member
types can add script, event handlers, styles or dangerous URLs.
"""

import re
from dataclasses import dataclass
from datetime import datetime

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options
from django.utils.html import escape

from .timefmt import time_element

QUOTE_RE = re.compile(r"^\s*:{3,}\s*quote\s+(\d+)\s*$", re.MULTILINE)
_OPEN = re.compile(r"^ {0,3}(:{3,})\s*quote\s+(\d+)\s*$")
_CLOSE = re.compile(r"^ {0,3}(:{3,})\s*$")
_CODE_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
MAX_QUOTE_DEPTH = 8
_CMARK_OPTIONS = Options.CMARK_OPT_VALIDATE_UTF8
_EXTENSIONS = ["table", "strikethrough", "autolink"]


@dataclass(frozen=True)
class QuotedPost:
    """What a quote header needs of the post it quotes."""

    url: str
    author: str
    created: datetime



def quoted_ids(body: str) -> list[int]:
    """Ids of the posts a Markdown body quotes, in order of appearance, without repeats."""
    return list(dict.fromkeys(int(m) for m in QUOTE_RE.findall(body)))


def quote_block(post_id: int, text: str) -> str:
    """The Markdown a Quote control inserts into the reply box."""
    inner = text.strip()
    longest = max((len(m) for m in re.findall(r"^\s*(:{3,})", inner, re.MULTILINE)), default=2)
    fence = ":" * max(3, longest + 1)
    return f"{fence} quote {post_id}\n{inner}\n{fence}\n\n"


@dataclass
class _Quote:
    post_id: int
    fence: int
    parts: list  # of str (Markdown lines) and _Quote


def _parse_blocks(body: str) -> list:
    """Split a body into Markdown runs and quote containers (nested), ignoring code fences."""
    root = _Quote(0, 0, [])
    stack = [root]
    code_fence = None
    for line in body.split("\n"):
        if code_fence:
            if line.strip().startswith(code_fence):
                code_fence = None
        elif match := _CODE_FENCE.match(line):
            code_fence = match.group(1)
        elif (match := _OPEN.match(line)) and len(stack) <= MAX_QUOTE_DEPTH:
            quote = _Quote(int(match.group(2)), len(match.group(1)), [])
            stack[-1].parts.append(quote)
            stack.append(quote)
            continue
        elif (match := _CLOSE.match(line)) and len(stack) > 1 \
                and len(match.group(1)) >= stack[-1].fence:
            stack.pop()
            continue
        stack[-1].parts.append(line)
    return root.parts


def _render_parts(parts: list, quotes: dict[int, QuotedPost]) -> str:
    html, lines = [], []
    for part in parts + [None]:
        if isinstance(part, str):
            lines.append(part)
            continue
        if lines:
            html.append(cmarkgfm.markdown_to_html_with_extensions(
                "\n".join(lines), options=_CMARK_OPTIONS, extensions=_EXTENSIONS))
            lines = []
        if part is not None:
            html.append(_render_quote(part, quotes))
    return "".join(html)


def _render_quote(quote: _Quote, quotes: dict[int, QuotedPost]) -> str:
    inner = _render_parts(quote.parts, quotes)
    quoted = quotes.get(quote.post_id)
    if quoted is None:
        return f'<blockquote class="quote"><div class="quote-body">{inner}</div></blockquote>\n'
    head = (
        f'<p class="quote-head"><a href="{escape(quoted.url)}">'
        f"{time_element(quoted.created)}, {escape(quoted.author)} said:</a></p>"
    )
    return f'<blockquote class="quote">{head}<div class="quote-body">{inner}</div></blockquote>\n'


_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "time", "tr", "ul",
}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height", "loading"},
    "time": {"datetime", "title"},
    "td": {"align"},
    "th": {"align"},
    "ol": {"start"},
    "code": set(),
}
_CLASSES = {
    "blockquote": {"quote"},
    "div": {"quote-body"},
    "p": {"quote-head"},
    "time": {"rel"},
    "code": {f"language-{lang}" for lang in ("python", "js", "json", "html", "css", "sql", "bash")},
}


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    # Images come from this site only: no hot-linking and no tracking pixels.
    if tag == "img" and name == "src":
        return value if value.startswith(("/media/", "/static/")) else None
    return value


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=_TAGS,
        clean_content_tags={"script", "style"},
        attributes=_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        allowed_classes=_CLASSES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
    )


def render_markdown(body: str, quotes: dict[int, QuotedPost] | None = None) -> str:
    """Safe HTML for a post body; `quotes` maps quoted post ids to their attribution."""
    html = _render_parts(_parse_blocks(body), quotes or {})
    html = html.replace("<img ", '<img loading="lazy" ')
    return sanitize(html)
