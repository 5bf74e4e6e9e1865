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
