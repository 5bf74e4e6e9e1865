"""Templates are the only markup: no module builds HTML in Python, except the content
renderers, which turn what members and editors write into stored HTML and live in one place
each (Markdown, charts, avatar pictures, revision diffs, the `<time>` a stored quote header
and the time filters carry)."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTENT_RENDERERS = {
    "core/markup.py", "core/charts.py", "core/timefmt.py", "core/templatetags/townsquare.py",
    "accounts/avatars.py", "forum/history.py",
}
TAGS = ("a|p|div|span|ul|ol|li|form|input|button|label|time|article|header|footer|section|"
        "details|summary|h[1-6]|nav|aside|main|table|tr|td|th|img|svg|text|del|ins|br|strong|"
        "em|b|i|code|pre|blockquote|figure|fieldset|legend|select|option|textarea|script|"
        "style|link|meta")
HTML_TAG = re.compile(rf"</?(?:{TAGS})(?:[\s>/]|$)")


def html_in_python(root: Path = ROOT) -> list[str]:
    return sorted(set(_html_in_python(root)))


def _html_in_python(root: Path):
    for path in sorted(root.rglob("*.py")):
        name = path.relative_to(root).as_posix()
        if "/tests/" in f"/{name}" or "/migrations/" in name or name in CONTENT_RENDERERS:
            continue
        for node in ast.walk(ast.parse(path.read_text(), name)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and HTML_TAG.search(node.value):
                yield f"{name}:{node.lineno}"


def test_no_module_but_the_content_renderers_writes_html():
    assert html_in_python() == []


def test_html_built_in_python_is_found(tmp_path):
    (tmp_path / "views.py").write_text('x = f\'<a href="{url}">Edit</a>\'\n'
                                       'y = "<digest-1.2@example.org>"\n')
    assert html_in_python(tmp_path) == ["views.py:1"]
