"""Page shells: only the holes templates put there are holes (core/shell.py)."""

from django.test import RequestFactory

from townsquare.core.shell import Shell, hole


def test_a_shell_splits_at_its_holes_only():
    typed = "\ue000posts\ue001 \ue000csrf\ue001"
    shell = Shell(f"<h1>{typed}</h1>{hole('posts')}<p>{hole('flash')}</p>")
    assert shell.names == {"posts", "flash"}
    html = shell.fill(RequestFactory().get("/"), {"posts": "P", "flash": "F"})
    assert html == f"<h1>{typed}</h1>P<p>F</p>"


def test_a_hole_without_a_value_is_left_empty():
    shell = Shell(f"a{hole('posts')}b{hole('unheard_of')}c")
    assert shell.fill(RequestFactory().get("/"), {"posts": "P"}) == "aPbc"


def test_a_hole_names_no_plain_text():
    marker = hole("csrf")
    assert marker.startswith("\ue000") and marker.endswith("\ue001")
    assert marker != "\ue000csrf\ue001" and len(marker) > 20


def test_a_hole_with_a_default_keeps_it_unless_given_a_value():
    shell = Shell(f"<b>{hole('pressed', 4, 'like', default='false')}</b>")
    assert shell.names == {"pressed:4:like"}
    assert shell.fill(None) == "<b>false</b>"
    assert shell.fill(None, {"pressed:4:like": "true"}) == "<b>true</b>"


def test_the_csrf_hole_fills_itself_from_the_request():
    from townsquare.core.shell import csrf_token

    request = RequestFactory().get("/")
    assert Shell(f"<i>{hole('csrf')}</i>").fill(request) == f"<i>{csrf_token(request)}</i>"
    assert Shell(f"<i>{hole('csrf')}</i>").fill(None) == "<i></i>"


def test_a_template_piece_is_rendered_once_per_context(monkeypatch):
    from townsquare.core import shell as module

    renders = []
    real = module.render_to_string
    monkeypatch.setattr(module, "render_to_string",
                        lambda *a, **k: renders.append(a) or real(*a, **k))
    for _ in range(3):
        html = module.filled(RequestFactory().get("/"), "notifications/bell.html", count=7,
                             stream="")
    assert len(renders) <= 1 and 'data-count="7"' in html
