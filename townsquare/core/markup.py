"""Markdown to safe HTML, done once when a post is written.

markdown-it-py parses CommonMark (raw HTML is escaped, not passed through) with tables,
strikethrough and autolinks; a `:::quote POST_ID` container quotes another post. Whatever
comes out passes through nh3's allow-list, so nothing a member types can add script,
event handlers, styles or dangerous URLs.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import nh3
from django.utils.html import escape
from markdown_it import MarkdownIt
from mdit_py_plugins.container import container_plugin

from .timefmt import time_element

QUOTE_RE = re.compile(r"^\s*:{3,}\s*quote\s+(\d+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class QuotedPost:
    """What a quote header needs of the post it quotes."""

    url: str
    author: str
    created: datetime


QuoteLookup = Callable[[Iterable[int]], dict[int, QuotedPost]]


def quoted_ids(body: str) -> list[int]:
    """Ids of the posts a Markdown body quotes, in order of appearance, without repeats."""
    return list(dict.fromkeys(int(m) for m in QUOTE_RE.findall(body)))


def quote_block(post_id: int, text: str) -> str:
    """The Markdown a Quote control inserts into the reply box."""
    inner = text.strip()
    longest = max((len(m) for m in re.findall(r"^\s*(:{3,})", inner, re.MULTILINE)), default=2)
    fence = ":" * max(3, longest + 1)
    return f"{fence} quote {post_id}\n{inner}\n{fence}\n\n"


def _render_quote(self, tokens, idx, options, env):
    token = tokens[idx]
    if token.nesting == -1:
        return "</div></blockquote>\n"
    match = re.search(r"quote\s+(\d+)", token.info)
    quoted = env.get("quotes", {}).get(int(match.group(1))) if match else None
    if quoted is None:
        return '<blockquote class="quote"><div class="quote-body">\n'
    head = (
        f'<p class="quote-head"><a href="{escape(quoted.url)}">'
        f"{time_element(quoted.created)}, {escape(quoted.author)} said:</a></p>"
    )
    return f'<blockquote class="quote">{head}<div class="quote-body">\n'


def _build_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
    md.enable(["table", "strikethrough", "linkify"])
    md.use(container_plugin, name="quote", render=_render_quote)
    md.options["maxNesting"] = 20
    return md


_parser = _build_parser()

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
    html = _parser.render(body, {"quotes": quotes or {}})
    html = html.replace("<img ", '<img loading="lazy" ')
    return sanitize(html)
