"""Markdown to safe HTML, done once when a post is written.

cmark-gfm (the C reference implementation of CommonMark with GitHub's tables, strikethrough
and autolinks) renders Markdown; raw HTML in a body is dropped, never passed through. Two
kinds of container are parsed around it: `:::quote POST_ID` ... `:::` quotes another post, and
`::: spoiler [summary]` ... `:::` hides text until it is opened; containers nest when the
outer fence is longer, at most MAX_QUOTE_DEPTH deep (deeper fences are plain text), so the
work stays linear in the body's length whatever is typed (cmark-gfm itself is linear).
A fenced `chart` block becomes a server-drawn SVG chart (see charts.py).

Whatever comes out passes through nh3's allow-list, so nothing a member types can add
script, event handlers, styles or dangerous URLs. Only then are the pieces this module
builds itself put in: charts (from escaped text and numbers, behind placeholders that carry a
per-render secret, so a body cannot forge one), `@name` mention links for known members, and
image sizes. Images from other sites are never loaded: they become plain links.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options
from django.utils.html import escape

from .charts import render_chart
from .randomness import token_hex
from .timefmt import time_element

QUOTE_RE = re.compile(r"^\s*:{3,}\s*quote\s+(\d+)\s*$", re.MULTILINE)
_OPEN = re.compile(r"^ {0,3}(:{3,})\s*quote\s+(\d{1,18})\s*$")
_SPOILER = re.compile(r"^ {0,3}(:{3,})\s*spoiler(?:\s+(.*?))?\s*$", re.IGNORECASE)
_CLOSE = re.compile(r"^ {0,3}(:{3,})\s*$")
_CODE_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*(\S*)")
MAX_QUOTE_DEPTH = 8
_CMARK_OPTIONS = Options.CMARK_OPT_VALIDATE_UTF8
_EXTENSIONS = ["table", "strikethrough", "autolink"]


@dataclass(frozen=True)
class QuotedPost:
    """What a quote header needs of the post it quotes."""

    url: str
    author: str
    created: datetime
    removed: bool = False



def quoted_ids(body: str) -> list[int]:
    """Ids of the posts a Markdown body quotes, in order of appearance, without repeats."""
    return list(dict.fromkeys(int(m) for m in QUOTE_RE.findall(body)))


# `@name` where name is a username (Django's characters) not glued to a word before it, so
# "ada@example.org" is no mention; a name's trailing dots are punctuation, not the name.
_MENTION = re.compile(r"(?<![\w@.+-])@([\w.@+-]{1,150})")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)


def _mention_name(raw: str) -> str:
    return raw.rstrip(".")


def mentioned_usernames(body: str) -> list[str]:
    """Lower-cased usernames mentioned as `@name`, in order, without repeats; text in code
    blocks and code spans is not looked at."""
    names = []
    for part in _parse_blocks(body, flat=True):
        if isinstance(part, str):
            text = _CODE_SPAN.sub(" ", part)
            names += [_mention_name(m).lower() for m in _MENTION.findall(text)]
    return [n for n in dict.fromkeys(names) if n]


def quote_block(post_id: int, text: str) -> str:
    """The Markdown a Quote control inserts into the reply box."""
    inner = text.strip()
    longest = max((len(m) for m in re.findall(r"^\s*(:{3,})", inner, re.MULTILINE)), default=2)
    fence = ":" * max(3, longest + 1)
    return f"{fence} quote {post_id}\n{inner}\n{fence}\n\n"


@dataclass
class _Container:
    kind: str  # "quote" or "spoiler"
    fence: int
    post_id: int = 0
    summary: str = ""
    parts: list = field(default_factory=list)  # of str (Markdown lines), _Container, _Chart


@dataclass
class _Chart:
    source: str


def _parse_blocks(body: str, flat: bool = False) -> list:
    """Split a body into Markdown runs, containers (nested) and chart blocks.

    With `flat`, containers are not built: their lines stay in the runs (for mentions),
    while code blocks still come out as separate parts so that their text can be skipped.
    """
    root = _Container("root", 0)
    stack = [root]
    code_fence, chart = None, None
    for line in body.split("\n"):
        if code_fence:
            if line.strip().startswith(code_fence) and not line.strip().strip(code_fence[0]):
                code_fence = None
                if chart is not None:
                    stack[-1].parts.append(_Chart("\n".join(chart)))
                    chart = None
                    continue
            elif chart is not None:
                chart.append(line)
                continue
            elif flat:
                continue
        elif match := _CODE_FENCE.match(line):
            code_fence = match.group(1)
            if match.group(2).lower() == "chart":
                chart = []
                continue
            if flat:
                continue
        elif flat:
            pass
        elif (match := _OPEN.match(line)) and len(stack) <= MAX_QUOTE_DEPTH:
            quote = _Container("quote", len(match.group(1)), post_id=int(match.group(2)))
            stack[-1].parts.append(quote)
            stack.append(quote)
            continue
        elif (match := _SPOILER.match(line)) and len(stack) <= MAX_QUOTE_DEPTH:
            spoiler = _Container("spoiler", len(match.group(1)),
                                 summary=(match.group(2) or "")[:120])
            stack[-1].parts.append(spoiler)
            stack.append(spoiler)
            continue
        elif (match := _CLOSE.match(line)) and len(stack) > 1 \
                and len(match.group(1)) >= stack[-1].fence:
            stack.pop()
            continue
        stack[-1].parts.append(line)
    if chart is not None:  # an unclosed chart block still gets drawn (or its error shown)
        stack[-1].parts.append(_Chart("\n".join(chart)))
    return root.parts


class _Render:
    """One body's rendering: quotes to attribute, and the charts set aside for later."""

    def __init__(self, quotes: dict[int, QuotedPost]):
        self.quotes = quotes
        self.nonce = ""  # made with the first chart: most bodies have none
        self.charts: list[str] = []

    def parts(self, parts: list) -> str:
        html, lines = [], []
        for part in parts + [None]:
            if isinstance(part, str):
                lines.append(part)
                continue
            if lines:
                html.append(_markdown("\n".join(lines)))
                lines = []
            if isinstance(part, _Chart):
                self.nonce = self.nonce or token_hex(8)
                self.charts.append(render_chart(part.source, len(self.charts) + 1))
                html.append(f"<p>chart-{self.nonce}-{len(self.charts) - 1}</p>")
            elif isinstance(part, _Container):
                html.append(self.container(part))
        return "".join(html)

    def container(self, box: _Container) -> str:
        inner = self.parts(box.parts)
        if box.kind == "spoiler":
            summary = escape(box.summary or "Spoiler")
            return (f'<details class="spoiler"><summary>{summary}</summary>'
                    f'<div class="spoiler-body">{inner}</div></details>\n')
        quoted = self.quotes.get(box.post_id)
        if quoted is not None and quoted.removed:
            # The quoted post was deleted: say so, and don't keep showing its words.
            return ('<blockquote class="quote"><p class="quote-head">'
                    f'<a href="{escape(quoted.url)}">{escape(quoted.author)}\'s post was '
                    "removed.</a></p></blockquote>\n")
        if quoted is None:
            return (f'<blockquote class="quote"><div class="quote-body">{inner}</div>'
                    "</blockquote>\n")
        head = (
            f'<p class="quote-head"><a href="{escape(quoted.url)}">'
            f"{time_element(quoted.created)}, {escape(quoted.author)} said:</a></p>"
        )
        return (f'<blockquote class="quote">{head}<div class="quote-body">{inner}</div>'
                "</blockquote>\n")

    def put_charts(self, html: str) -> str:
        for i, chart in enumerate(self.charts):
            html = html.replace(f"<p>chart-{self.nonce}-{i}</p>", chart, 1)
        return html


# cmark-gfm slows down sharply with thousands of nested block quotes or list items on one
# line; nobody nests more than a few, so deeper markers are dropped before rendering.
MAX_BLOCK_NESTING = 16
_DEEP_QUOTES = re.compile(rf"^((?:[ \t]*>){{{MAX_BLOCK_NESTING}}})(?:[ \t]*>)+", re.MULTILINE)
_DEEP_LISTS = re.compile(
    rf"^((?:[ \t]*(?:[-*+]|\d{{1,9}}[.)])[ \t]+){{{MAX_BLOCK_NESTING}}})"
    r"(?:[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+)+", re.MULTILINE)


def _markdown(text: str) -> str:
    text = _DEEP_LISTS.sub(r"\1", _DEEP_QUOTES.sub(r"\1", text))
    return _EXTERNAL_IMG.sub(_image_link, cmarkgfm.markdown_to_html_with_extensions(
        text, options=_CMARK_OPTIONS, extensions=_EXTENSIONS))


# cmark-gfm writes images as <img src="URL" alt="ALT" /> (with title="" sometimes).
_EXTERNAL_IMG = re.compile(r'<img src="(?!/media/|/static/)([^"]*)" alt="([^"]*)"[^>]*>')


def _image_link(match: re.Match) -> str:
    """An image from another site, as a link to it: readers choose to load it."""
    alt = match.group(2) or "image"
    return f'<a href="{match.group(1)}">{alt}</a>'


_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "details", "div", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup",
    "summary", "table", "tbody", "td", "th", "thead", "time", "tr", "ul",
}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height", "loading", "decoding"},
    "time": {"datetime", "title"},
    "td": {"align"},
    "th": {"align"},
    "ol": {"start"},
    "code": set(),
}
_CLASSES = {
    "blockquote": {"quote"},
    "details": {"spoiler"},
    "div": {"quote-body", "spoiler-body"},
    "p": {"quote-head"},
    "time": {"rel"},
    "code": {f"language-{lang}" for lang in (
        "python", "js", "javascript", "ts", "typescript", "json", "html", "xml", "css", "sql",
        "bash", "sh", "shell", "console", "text", "markdown", "md", "yaml", "toml", "ini",
        "c", "cpp", "csharp", "java", "kotlin", "go", "rust", "ruby", "php", "swift", "r",
        "diff", "csv",
    )},
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


def render_markdown(body: str, quotes: dict[int, QuotedPost] | None = None, *,
                    mentions: dict[str, tuple[str, str]] | None = None,
                    images: dict[str, tuple[int, int]] | None = None) -> str:
    """Safe HTML for a post body.

    `quotes` maps quoted post ids to their attribution; `mentions` maps lower-cased usernames
    to (username, profile URL) for members who exist; `images` maps this site's image paths
    to (width, height).
    """
    render = _Render(quotes or {})
    if ":::" in body or "```" in body or "~~~" in body:
        html = render.parts(_parse_blocks(body))
    else:  # no container or code fence can begin: the body is one Markdown run
        html = _markdown(body)
    html = sanitize(html.replace("<img ", '<img loading="lazy" decoding="async" '))
    html = _HEADING.sub(_demoted, html)
    if mentions:
        html = _link_mentions(html, mentions)
    if images:
        html = _IMG_SRC.sub(lambda m: _sized(m, images), html)
    return render.put_charts(html)


# A post sits under the page's h1 (the topic) and h2 (its posts): its own "# Heading" is an
# h3, and so on down, so the page's outline stays whole (sanitised HTML: tags are exact).
_HEADING = re.compile(r"<(/?)h([1-6])>")


def _demoted(match: re.Match) -> str:
    return f"<{match.group(1)}h{min(int(match.group(2)) + 2, 6)}>"


_TOKEN = re.compile(r"(<[^>]*>)|([^<]+)")
_SKIP = {"a", "code", "pre"}


def _link_mentions(html: str, mentions: dict[str, tuple[str, str]]) -> str:
    """Turn `@name` in text (not in links or code) into a link to a known member."""
    out, skipping = [], 0

    def link(match: re.Match) -> str:
        name = _mention_name(match.group(1))
        found = mentions.get(name.lower())
        if found is None:
            return match.group(0)
        username, url = found
        rest = match.group(1)[len(name):]
        return f'<a class="mention" href="{escape(url)}">@{escape(username)}</a>{rest}'

    for tag, text in _TOKEN.findall(html):
        if tag:
            name = tag[1:].lstrip("/").split(None, 1)[0].rstrip(">").lower() if len(tag) > 2 \
                else ""
            if name in _SKIP:
                skipping += -1 if tag.startswith("</") else 1
            out.append(tag)
        else:
            out.append(text if skipping > 0 else _MENTION.sub(link, text))
    return "".join(out)


_IMG_SRC = re.compile(r'<img ([^>]*?)src="(/media/[^"]+)"')


def _sized(match: re.Match, images: dict[str, tuple[int, int]]) -> str:
    size = images.get(match.group(2))
    if not size or "width=" in match.group(1):
        return match.group(0)
    return f'<img {match.group(1)}src="{match.group(2)}" width="{size[0]}" height="{size[1]}"'
