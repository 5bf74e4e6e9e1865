"""Everything a hostile member can type: rendered with no script, handler or dangerous URL."""

import re
from html import unescape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from townsquare.core.markup import (
    MAX_BLOCK_NESTING,
    MAX_QUOTE_DEPTH,
    mentioned_usernames,
    quote_block,
    render_markdown,
)

MENTIONS = {"ada": ("Ada", "/u/Ada/"), "bo.b": ("bo.b", "/u/bo.b/")}

CORPUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<img src=/media/a.png onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[a](javascript:alert(1))",
    "[a](JaVaScRiPt:alert(1))",
    "[a]( javascript:alert(1))",
    "[a](java\tscript:alert(1))",
    "[a](java&#x09;script:alert(1))",
    "[a](&#106;avascript:alert(1))",
    "[a](javascript%3Aalert(1))",
    "[a](vbscript:msgbox(1))",
    "[a](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![a](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![a](javascript:alert(1))",
    "<javascript:alert(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "[a][r]\n\n[r]: javascript:alert(1)",
    "[a][r]\n\n[r]: data:text/html,x",
    '[a](https://ok.example "x" onmouseover=alert(1))',
    "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)>",
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
    "<iframe src=https://evil.example></iframe>",
    "<object data=x></object><embed src=x>",
    "<style>*{display:none}</style>",
    '<p style="position:fixed;top:0">cover</p>',
    "<form action=https://evil.example><input name=p></form>",
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    "<base href=https://evil.example/>",
    "<link rel=stylesheet href=https://evil.example/x.css>",
    "<details open ontoggle=alert(1)><summary>x</summary></details>",
    "::: spoiler <img src=x onerror=alert(1)>\nhidden\n:::",
    "::: spoiler\n<script>alert(1)</script>\n:::",
    ":::quote 99999999999999999999999999\nhuge id\n:::",
    ":::quote -1\nnegative\n:::",
    "```chart\ntitle: <script>alert(1)</script>\nx, v\n<img src=x onerror=alert(1)>, 1\n```",
    "```chart\nx, \"<svg onload=alert(1)>\"\na, 1\n```",
    "@<script>alert(1)</script> and @ada<img src=x onerror=alert(1)>",
    "@ada\" onmouseover=\"alert(1)",
    "```html\n<script>alert(1)</script>\n```",
    "`<img src=x onerror=alert(1)>`",
    "<<script>script>alert(1)<</script>/script>",
    "<!--<script>alert(1)//-->",
    "<a href=\"https://ok.example\" target=_blank>x</a>",
]
TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)([^>]*)>")
ALLOWED = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "details", "div", "em", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub",
    "sup", "summary", "table", "tbody", "td", "th", "thead", "time", "tr", "ul",
    # drawn by charts.py from escaped text and numbers
    "figure", "figcaption", "svg", "title", "desc", "line", "text", "rect", "polyline",
    "caption",
}
DANGEROUS_URL = re.compile(r"^\s*(javascript|vbscript|data):", re.IGNORECASE)


def problems(html: str) -> list[str]:
    found = []
    for name, attrs in TAG.findall(html):
        if name.lower() not in ALLOWED:
            found.append(f"tag {name}")
        if re.search(r"\son\w+\s*=", attrs, re.IGNORECASE):
            found.append(f"handler in <{name}{attrs}>")
        if re.search(r"\sstyle\s*=", attrs, re.IGNORECASE):
            found.append(f"style in <{name}>")
        for url in re.findall(r'\s(?:href|src|xlink:href)="([^"]*)"', attrs):
            # What a browser would see as the scheme: entities decoded, controls dropped.
            seen = re.sub(r"[\x00-\x20]", "", unescape(url))
            if DANGEROUS_URL.search(seen):
                found.append(f"url {url}")
        if name.lower() == "img" and not re.search(r'src="/(media|static)/', attrs):
            found.append(f"outside image <{name}{attrs}>")
    return found


@pytest.mark.parametrize("body", CORPUS)
def test_every_hostile_body_renders_with_nothing_dangerous(body):
    html = render_markdown(body, mentions=MENTIONS, images={"/media/a.png": (10, 10)})
    assert problems(html) == []
    assert "<script" not in html.lower()


def test_the_corpus_is_large_enough_to_mean_something():
    assert len(CORPUS) >= 40


def test_deep_quote_and_spoiler_nesting_is_capped():
    html = render_markdown("::: quote 1\n" * 10_000 + "deep")
    assert html.count("<blockquote") == MAX_QUOTE_DEPTH
    assert render_markdown("::: spoiler\n" * 10_000 + "x").count("<details") == MAX_QUOTE_DEPTH


def test_deep_block_quote_and_list_markers_are_capped():
    html = render_markdown(">" * 100_000 + " deep")
    assert html.count("<blockquote>") == MAX_BLOCK_NESTING and "deep" in html
    html = render_markdown("- " * 50_000 + "item")
    assert html.count("<ul>") == MAX_BLOCK_NESTING and "item" in html


@pytest.mark.parametrize("body", [
    ">" * 100_000 + " deep",
    "[" * 100_000 + "x" + "]" * 100_000,
    "*" * 5_000_000,
    "_a" * 200_000,
    "|a" * 50_000 + "|\n" + "|-" * 50_000 + "|",
])
def test_pathological_markdown_renders_safely(body):
    html = render_markdown(body)
    assert problems(html) == []


def test_spoilers_render_as_closed_details_with_a_summary():
    html = render_markdown("::: spoiler Who wins\nThe marsh.\n:::\n\nAfter.")
    assert html.startswith('<details class="spoiler"><summary>Who wins</summary>'
                           '<div class="spoiler-body"><p>The marsh.</p>\n</div></details>')
    assert "open" not in html.split("<summary>")[0]
    assert "<summary>Spoiler</summary>" in render_markdown("::: spoiler\nx\n:::")


def test_a_spoiler_inside_a_quote_keeps_both():
    body = quote_block(3, "::: spoiler\nsecret\n:::")
    html = render_markdown(body)
    assert html.index("<blockquote") < html.index("<details") < html.index("secret")


def test_known_mentions_link_to_the_profile_and_unknown_stay_text():
    html = render_markdown("Hi @ada, @nobody and @bo.b. Mail ada@example.org", mentions=MENTIONS)
    assert '<a class="mention" href="/u/Ada/">@Ada</a>,' in html
    assert "@nobody" in html and 'href="/u/nobody/"' not in html
    assert '<a class="mention" href="/u/bo.b/">@bo.b</a>.' in html
    assert "ada@example.org" in html and html.count('class="mention"') == 2


def test_mentions_in_code_and_links_are_left_alone():
    html = render_markdown("`@ada` and [@ada](https://example.com)\n\n```\n@ada\n```",
                           mentions=MENTIONS)
    assert 'class="mention"' not in html


def test_mentioned_usernames_are_found_in_order_without_code_or_emails():
    body = "@Bo.b and @ada, again @ADA; `@inline` a@b.org\n\n```\n@fenced\n```\n@last."
    assert mentioned_usernames(body) == ["bo.b", "ada", "last"]


def test_this_sites_images_get_their_size_and_lazy_loading():
    html = render_markdown("![Marsh](/media/uploads/2026/11/a.webp)",
                           images={"/media/uploads/2026/11/a.webp": (1200, 800)})
    assert ('<img loading="lazy" decoding="async" src="/media/uploads/2026/11/a.webp" '
            'width="1200" height="800" alt="Marsh">') in html


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>\"'=/:;()[]!*`-_#|~\n@:ajvscriptonedaghfx&")),
               max_size=300))
def test_generated_bodies_never_produce_dangerous_markup(body):
    assert problems(render_markdown(body, mentions=MENTIONS)) == []
