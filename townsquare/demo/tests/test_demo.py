"""The demo community: members, categories, the news desk's seed story and its thread."""

import pytest
from django.core.management import call_command

from townsquare.accounts.actions import clean_username
from townsquare.demo.loader import MEMBERS
from townsquare.forum.models import Category, Post, Topic
from townsquare.reactions.models import Reaction


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


def test_the_demo_members_have_names_a_member_could_register():
    assert [clean_username(name) for name, _, _ in MEMBERS] == [name for name, _, _ in MEMBERS]
