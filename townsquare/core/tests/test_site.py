"""Site-wide promises: security headers, no inline script, the demo community, the command."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from townsquare.forum.models import Category, Post, Topic
from townsquare.reactions.models import Reaction

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


@pytest.mark.django_db
def test_the_demo_community_has_the_seed_story(client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    call_command("demo")
    assert Category.objects.count() >= 3
    story = Topic.objects.get(category__slug="news-desk")
    assert story.author.role == "editor" and story.source_name and story.source_date
    opening = story.posts.get(position=1)
    assert opening.html.count('<img loading="lazy" decoding="async" src="/media/demo/image') == 2
    assert '<figure class="chart"><svg' in opening.html and '<td>1,214</td>' in opening.html
    assert (tmp_path / "demo" / "image.png").exists()
    assert story.posts.filter(quotes_post__isnull=False).count() >= 2
    assert len(set(Reaction.objects.values_list("kind", flat=True))) >= 3
    assert Post.objects.filter(quotes_post__quotes_post__isnull=False).exists()
    html = client.get(story.get_absolute_url()).content.decode()
    assert "Adapted by Townsquare from" in html and " said:</a>" in html
    assert "Love It 1" in html and "Haha 1" in html


@pytest.mark.django_db
def test_demo_if_empty_leaves_an_existing_forum_alone(tmp_path, settings, capsys):
    settings.MEDIA_ROOT = tmp_path
    Category.objects.create(title="Existing", slug="existing")
    call_command("demo", "--if-empty")
    assert Category.objects.count() == 1
    assert "already has content" in capsys.readouterr().out


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
