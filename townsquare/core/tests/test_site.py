"""Site-wide promises: security headers, no inline script, the command."""

import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATE_DIRS = [Path(settings.BASE_DIR, "templates"), *Path(settings.BASE_DIR, "townsquare")
                 .glob("*/templates")]


def all_templates():
    return [p for d in TEMPLATE_DIRS for p in d.rglob("*.html")]


def test_no_template_has_inline_script_style_or_event_handlers():
    offenders = []
    for path in all_templates():
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\sstyle=", text) \
                or re.search(r"\son[a-z]+=", text) or re.search(r"<style", text):
            offenders.append(path.name)
    assert offenders == []


def test_no_page_loads_anything_from_another_site():
    for path in all_templates():
        assert not re.search(r'(src|href)="(https?:)?//', path.read_text()), path.name


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_townsquare_command_runs_django_management_commands(capsys):
    import sys

    from townsquare.cli import main

    argv = sys.argv
    sys.argv = ["townsquare", "help", "serve"]
    try:
        main()
    finally:
        sys.argv = argv
    out = capsys.readouterr().out
    assert "--host" in out and "--port" in out and "--workers" in out
