import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from townsquare.core.markup import QuotedPost, quote_block, quoted_ids, render_markdown

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD4=)",
    "[click](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=//evil.example></iframe>",
    "<svg onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<style>body{display:none}</style>",
    "[x](https://example.com \"title\" onclick=alert(1))",
    "<<script>script>alert(1)<</script>/script>",
    "`<script>` in code is text",
    "```html\n<script>alert(1)</script>\n```",
    "<details open ontoggle=alert(1)>",
    "<form action=//evil><button>go</button></form>",
    "<object data=//evil></object>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
]
DANGER = re.compile(r"<script|<iframe|<svg|<style|<form|<object|\son\w+\s*=|javascript:|"
                    r"vbscript:|data:text", re.IGNORECASE)


def dangerous_markup(html: str) -> list[str]:
    """Dangerous things left in *markup* (tags and attributes), not in escaped text."""
    tags = re.findall(r"<[a-zA-Z][^>]*>", html)
    return [t for t in tags if DANGER.search(t)]


@pytest.mark.parametrize("body", HOSTILE)
def test_hostile_markdown_renders_with_no_script_handler_or_dangerous_url(body):
    assert dangerous_markup(render_markdown(body)) == []


def test_links_are_marked_user_generated_and_nofollow():
    html = render_markdown("[site](https://example.com) and https://example.org")
    assert html.count('rel="nofollow ugc noopener"') == 2


def test_images_from_other_sites_are_not_hot_linked():
    html = render_markdown("![a](https://tracker.example/p.gif) ![b](/media/demo/image.png)")
    # The outside image is a link the reader may follow, never loaded by the page.
    assert not re.search(r"<img[^>]*tracker\.example", html)
    assert ('<a href="https://tracker.example/p.gif" rel="nofollow ugc noopener">a</a>'
            in html)
    assert '<img loading="lazy" decoding="async" src="/media/demo/image.png" alt="b">' in html


def test_tables_strikethrough_and_code_render():
    html = render_markdown("|a|b|\n|-|-|\n|1|2|\n\n~~gone~~\n\n```\ncode\n```")
    assert "<table>" in html and "<del>gone</del>" in html and "<pre><code>code" in html


def test_a_quote_block_renders_its_attribution_and_link():
    quoted = QuotedPost(url="/p/7/", author="alice",
                        created=datetime(2025, 7, 3, 9, 15, tzinfo=UTC))
    html = render_markdown(quote_block(7, "Quoted words") + "My answer", {7: quoted})
    assert html.startswith('<blockquote class="quote"><p class="quote-head"><a href="/p/7/"')
    assert 'datetime="2025-07-03T09:15:00+00:00"' in html and ", alice said:</a>" in html
    assert "<p>Quoted words</p>" in html and "<p>My answer</p>" in html


def test_a_quote_of_a_quote_keeps_both_attributions():
    inner = quote_block(1, "first words") + "second words"
    body = quote_block(2, inner) + "third words"
    people = {1: QuotedPost("/p/1/", "ann", datetime(2025, 1, 1, tzinfo=UTC)),
              2: QuotedPost("/p/2/", "bob", datetime(2025, 1, 2, tzinfo=UTC))}
    html = render_markdown(body, people)
    assert html.count('<blockquote class="quote">') == 2
    assert html.index("bob said:") < html.index("ann said:")
    assert quoted_ids(body) == [2, 1]


def test_quote_attribution_cannot_be_forged_with_html_in_a_username():
    evil = QuotedPost("/p/1/", '<img src=x onerror="alert(1)">', datetime(2025, 1, 1, tzinfo=UTC))
    html = render_markdown(quote_block(1, "x"), {1: evil})
    assert dangerous_markup(html) == []


def test_deeply_nested_markdown_renders_quickly_and_safely():
    body = "> " * 5000 + "deep" + "\n" + "[" * 5000 + "*" * 5000
    html = render_markdown(body)
    assert dangerous_markup(html) == []


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>\"'=/:; ()[]!*`-_#|~\nabcjsvrptxoniel&")),
               max_size=200))
def test_no_generated_input_leaves_executable_markup(body):
    assert dangerous_markup(render_markdown(body)) == []


def test_quote_markers_inside_code_are_just_code():
    html = render_markdown("```\n:::quote 5\nnot a quote\n:::\n```")
    assert "<blockquote" not in html and ":::quote 5" in html


def test_an_unclosed_quote_closes_at_the_end_of_the_post():
    html = render_markdown(":::quote 3\nstill quoted")
    assert html.count("<blockquote") == html.count("</blockquote>") == 1


def test_code_blocks_keep_their_language_class():
    assert '<code class="language-python">' in render_markdown("```python\nx = 1\n```")


def test_raw_html_in_a_body_leaves_no_trace():
    html = render_markdown("a <b onclick=x>b</b> <!-- hidden -->")
    assert "<!--" not in html and "onclick" not in html


def test_headings_in_a_post_sit_below_the_page_headings():
    html = render_markdown("# Big\n\n## Smaller\n\n#### Deep\n\n###### Deepest")
    assert "<h1" not in html and "<h2" not in html
    assert "<h3>Big</h3>" in html and "<h4>Smaller</h4>" in html
    assert "<h6>Deep</h6>" in html and "<h6>Deepest</h6>" in html



@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(":`~ \n>-*#|[]()abc1@")), max_size=120))
def test_a_body_without_fences_renders_as_the_block_parser_would(body):
    # A body with no ":::", "```" or "~~~" (most posts) skips the container parser and is
    # rendered as one Markdown run: for every such body the parser must agree.
    from townsquare.core.markup import _markdown, _parse_blocks, _Render

    if ":::" in body or "```" in body or "~~~" in body:
        return
    assert _Render({}).parts(_parse_blocks(body)) == _markdown(body)


def test_each_render_with_charts_has_its_own_placeholder_secret():
    from townsquare.core.markup import _Chart, _Render

    first, second = _Render({}), _Render({})
    for render in (first, second):
        render.parts(["Some text", _Chart("type: bar\nMonth, Count\nJanuary, 1")])
    assert len(first.nonce) == 16 and first.nonce != second.nonce
    assert _Render({}).nonce == ""  # no chart, no secret drawn
