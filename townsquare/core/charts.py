"""Charts drawn on the server from a fenced `chart` block: an SVG plus the numbers as a table.

    ```chart
    title: Restored wetland by month (km²)
    type: bar
    Month, Restored, Planned
    January, 1.5, 2
    February, 2.25, 2.5
    ```

Header lines (`title:`, `type: bar|line`) come first; then CSV rows (Python's csv module):
the first row names a label column and one or more number columns, the rest are data. The
SVG is built here from numbers and escaped text only, after the post's HTML has been through
the sanitiser, so it carries no member markup; colours come from CSS classes, so dark mode
and the strict Content-Security-Policy (no style attributes) both hold. Screen readers and
readers without images get the same figures as a real table. Any mistake in a block gives a
readable error box instead of a chart, never an exception.
"""

import csv
import math
from dataclasses import dataclass

from django.utils.html import escape

MAX_ROWS = 60
MAX_SERIES = 6
MAX_LABEL = 40
MAX_TITLE = 120
MAX_CHARS = 8000
KINDS = ("bar", "line")

# Drawing area, in SVG user units (the SVG scales to the column width).
WIDTH, HEIGHT = 640, 320
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 56


class ChartError(ValueError):
    """A block that can't be drawn; the message is shown to the writer."""


@dataclass
class Chart:
    title: str
    kind: str
    label_name: str
    series: list[str]
    labels: list[str]
    values: list[list[float]]  # one list per row


def parse_chart(source: str) -> Chart:
    if len(source) > MAX_CHARS:
        raise ChartError(f"the block is longer than {MAX_CHARS:,} characters.")
    lines = source.strip("\n").split("\n")
    title, kind = "", "bar"
    while lines and (head := lines[0].partition(":"))[1] and \
            head[0].strip().lower() in ("title", "type"):
        name, value = head[0].strip().lower(), head[2].strip()
        if name == "title":
            title = value[:MAX_TITLE]
        elif value.lower() not in KINDS:
            raise ChartError(f'"{value}" is not a chart type; use bar or line.')
        else:
            kind = value.lower()
        lines.pop(0)
    try:
        rows = [r for r in csv.reader(line for line in lines if line.strip())]
    except csv.Error as error:
        raise ChartError(f"the rows could not be read as CSV ({error}).") from None
    if not rows:
        raise ChartError("give a header row and at least one row of numbers.")
    header = [cell.strip() for cell in rows[0]]
    if len(header) < 2:
        raise ChartError("the header row needs a label column and at least one number column.")
    if len(header) - 1 > MAX_SERIES:
        raise ChartError(f"at most {MAX_SERIES} number columns can be drawn.")
    if len(rows) < 2:
        raise ChartError("give a header row and at least one row of numbers.")
    data = rows[1:]
    if len(data) > MAX_ROWS:
        raise ChartError(f"at most {MAX_ROWS} rows can be drawn (this block has {len(data)}).")
    labels, values = [], []
    for number, row in enumerate(data, start=2):
        if len(row) != len(header):
            raise ChartError(f"row {number} has {len(row)} cells; the header has {len(header)}.")
        label = row[0].strip()[:MAX_LABEL]
        numbers = []
        for cell in row[1:]:
            try:
                value = float(cell.strip().replace("_", ""))
            except ValueError:
                raise ChartError(f'row {number}, "{label}": "{cell.strip()}" is not a number.'
                                 ) from None
            if not math.isfinite(value):
                raise ChartError(f'row {number}, "{label}": "{cell.strip()}" is not a number.')
            numbers.append(value)
        labels.append(label)
        values.append(numbers)
    return Chart(title, kind, header[0][:MAX_LABEL], [h[:MAX_LABEL] for h in header[1:]],
                 labels, values)


def render_chart(source: str, number: int = 1) -> str:
    """HTML for one chart block (`number` keeps ids unique within a post)."""
    try:
        chart = parse_chart(source)
    except ChartError as error:
        return f'<div class="chart-error" role="note">Chart not drawn: {escape(error)}</div>'
    return _figure(chart, number)


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) and abs(value) >= 1000 else f"{value:g}"


def _ticks(low: float, high: float) -> list[float]:
    """Round tick values covering low..high (low <= 0 <= high is guaranteed by the caller)."""
    span = high - low or 1.0
    raw = span / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks, value = [], first
    while value <= high + step * 0.001:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _figure(chart: Chart, number: int) -> str:
    flat = [v for row in chart.values for v in row]
    ticks = _ticks(min(0.0, min(flat)), max(0.0, max(flat)))
    low, high = ticks[0], ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return TOP + plot_h * (high - value) / ((high - low) or 1)

    title = chart.title or f"{', '.join(chart.series)} by {chart.label_name}"
    described = (f"{'Bar' if chart.kind == 'bar' else 'Line'} chart: {title}. "
                 f"{len(chart.labels)} values of {chart.label_name}; the figures are in the "
                 "table below.")
    parts = [f'<svg class="chart-svg chart-{chart.kind}" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'role="img" aria-labelledby="chart-{number}-title chart-{number}-desc" '
             f'xmlns="http://www.w3.org/2000/svg">',
             f'<title id="chart-{number}-title">{escape(title)}</title>',
             f'<desc id="chart-{number}-desc">{escape(described)}</desc>']
    for tick in ticks:
        ty = y(tick)
        parts.append(f'<line class="chart-grid{" chart-zero" if tick == 0 else ""}" '
                     f'x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}"/>')
        parts.append(f'<text class="chart-tick" x="{LEFT - 6}" y="{ty + 4:.1f}" '
                     f'text-anchor="end">{escape(_fmt(tick))}</text>')
    slot = plot_w / len(chart.labels)
    every = max(1, math.ceil(len(chart.labels) / 12))  # keep axis labels from overlapping
    for i, label in enumerate(chart.labels):
        if i % every == 0:
            parts.append(f'<text class="chart-label" x="{LEFT + slot * (i + 0.5):.1f}" '
                         f'y="{HEIGHT - BOTTOM + 18}" text-anchor="middle">'
                         f"{escape(label[:14])}</text>")
    series_count = len(chart.series)
    for s in range(series_count):
        if chart.kind == "bar":
            width = slot * 0.8 / series_count
            for i, row in enumerate(chart.values):
                x = LEFT + slot * i + slot * 0.1 + width * s
                top, bottom = sorted((y(row[s]), y(0)))
                parts.append(f'<rect class="chart-series-{s + 1}" x="{x:.1f}" y="{top:.1f}" '
                             f'width="{width:.1f}" height="{max(bottom - top, 0.5):.1f}"/>')
        else:
            points = " ".join(f"{LEFT + slot * (i + 0.5):.1f},{y(row[s]):.1f}"
                              for i, row in enumerate(chart.values))
            parts.append(f'<polyline class="chart-line chart-series-{s + 1}" fill="none" '
                         f'points="{points}"/>')
    for s, name in enumerate(chart.series):  # legend under the axis labels
        lx = LEFT + s * (plot_w / series_count)
        parts.append(f'<rect class="chart-series-{s + 1}" x="{lx:.1f}" y="{HEIGHT - 20}" '
                     f'width="12" height="12"/>')
        parts.append(f'<text class="chart-legend" x="{lx + 16:.1f}" y="{HEIGHT - 10}">'
                     f"{escape(name[:24])}</text>")
    parts.append("</svg>")
    head = "".join(f'<th scope="col">{escape(name)}</th>' for name in chart.series)
    body = "".join(
        f'<tr><th scope="row">{escape(label)}</th>'
        + "".join(f"<td>{escape(_fmt(v))}</td>" for v in row) + "</tr>"
        for label, row in zip(chart.labels, chart.values, strict=True)
    )
    table = (f"<details class=\"chart-data\"><summary>Chart data</summary><table>"
             f"<caption>{escape(title)}</caption><thead><tr><th scope=\"col\">"
             f"{escape(chart.label_name)}</th>{head}</tr></thead><tbody>{body}</tbody></table>"
             "</details>")
    return (f'<figure class="chart">{"".join(parts)}'
            f"<figcaption>{escape(title)}</figcaption>{table}</figure>")
