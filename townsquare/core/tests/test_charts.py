"""Charts from fenced `chart` blocks: drawn on the server, with the numbers as a table."""

import re

import pytest

from townsquare.core.charts import MAX_ROWS, MAX_SERIES, parse_chart, render_chart
from townsquare.core.markup import render_markdown

MONTHLY = """title: Restored wetland by month (km²)
type: bar
Month, Restored, Planned
January, 1.5, 2
February, 2.25, 2.5
March, 3, 2.75
"""


def test_a_bar_chart_is_an_accessible_svg_with_a_data_table():
    html = render_chart(MONTHLY)
    assert html.startswith('<figure class="chart"><svg class="chart-svg chart-bar"')
    assert 'role="img"' in html and 'aria-labelledby="chart-1-title chart-1-desc"' in html
    assert '<title id="chart-1-title">Restored wetland by month (km²)</title>' in html
    assert html.count('<rect class="chart-series-1"') == 3 + 1  # three bars and a legend key
    assert html.count('<rect class="chart-series-2"') == 3 + 1
    assert "<figcaption>Restored wetland by month (km²)</figcaption>" in html
    assert '<th scope="col">Month</th><th scope="col">Restored</th>' in html
    assert '<tr><th scope="row">February</th><td>2.25</td><td>2.5</td></tr>' in html
    assert "style=" not in html and "<script" not in html


def test_a_line_chart_draws_one_line_per_series():
    html = render_chart(MONTHLY.replace("type: bar", "type: line"))
    assert html.count("<polyline") == 2 and "chart-line" in html


def test_negative_values_are_drawn_from_a_zero_baseline():
    chart = render_chart("Year, Change\n2023, -4\n2024, 6\n")
    assert 'class="chart-grid chart-zero"' in chart
    assert "<td>-4</td>" in chart


def test_bars_are_as_tall_as_their_values():
    chart = render_chart("x, v\na, 1\nb, 2\n")
    heights = [float(h) for h in re.findall(r'<rect class="chart-series-1"[^>]*height="([\d.]+)"',
                                            chart)][:2]
    assert heights[1] == pytest.approx(2 * heights[0], rel=0.01)


@pytest.mark.parametrize("block, message", [
    ("Month, Value\nJanuary, 1\nMarhc, 1,2x\n", "row 3 has 3 cells"),
    ("Month, Value\nJanuary, 1\nMarhc, 1.2x\n", 'row 3, "Marhc": "1.2x" is not a number.'),
    ("Month, Value\nJanuary, nan\n", '"nan" is not a number'),
    ("type: pie\nMonth, Value\nJanuary, 1\n", '"pie" is not a chart type'),
    ("", "give a header row"),
    ("Month\nJanuary\n", "needs a label column and at least one number column"),
    ("x, " + ", ".join(f"s{i}" for i in range(MAX_SERIES + 1)) + "\n", "number columns"),
    ("x, v\n" + "".join(f"r{i}, {i}\n" for i in range(MAX_ROWS + 1)), "at most 60 rows"),
    ('x, v\n"unclosed, 1\n', "row"),
])
def test_a_broken_block_gives_a_readable_error_box_not_an_exception(block, message):
    html = render_chart(block)
    assert html.startswith('<div class="chart-error" role="note">Chart not drawn: ')
    assert message.replace('"', "&quot;") in html or message in html, html


def test_member_text_in_a_chart_is_escaped_everywhere():
    html = render_chart('title: <img src=x onerror=alert(1)>\n"<b>x</b>", "<script>"\n'
                        '"<svg onload=alert(1)>", 1\n')
    assert "<img" not in html and "<script" not in html and "<b>" not in html
    assert "<svg onload" not in html and "&lt;svg onload=alert(1)&gt;" in html


def test_a_chart_block_in_a_post_renders_after_the_sanitiser():
    html = render_markdown("Figures:\n\n```chart\n" + MONTHLY + "```\n\nAfter.")
    assert "<figure class=\"chart\"><svg" in html and "<p>After.</p>" in html
    assert "chart-" in html and not re.search(r"<p>chart-[0-9a-f]{16}-\d+</p>", html)


def test_a_body_cannot_forge_a_chart_placeholder():
    html = render_markdown("chart-0000000000000000-0\n\n```chart\nx, v\na, 1\n```")
    assert html.count("<figure") == 1 and "chart-0000000000000000-0" in html


def test_two_charts_in_a_post_get_distinct_ids():
    html = render_markdown("```chart\nx, v\na, 1\n```\n\n```chart\nx, v\nb, 2\n```")
    assert 'id="chart-1-title"' in html and 'id="chart-2-title"' in html


def test_parsing_reads_headers_and_rows():
    chart = parse_chart(MONTHLY)
    assert chart.title.startswith("Restored") and chart.kind == "bar"
    assert chart.series == ["Restored", "Planned"] and chart.labels[-1] == "March"
    assert chart.values[1] == [2.25, 2.5]
