"""Member profiles, roles, and guest pages that leave no cookie behind."""

from html import unescape

import pytest
from django.test import Client

from townsquare.accounts.models import Role, User
from townsquare.forum.models import Post, Topic

pytestmark = pytest.mark.django_db


def page_text(response) -> str:
    return unescape(response.content.decode())


def section(response, name: str) -> str:
    """One of the profile's lists ("topics" or "posts"), as text."""
    text = page_text(response)
    start = text.index(f'<section id="member-{name}"')
    return text[start:text.index("</section>", start)]


def test_a_profile_shows_the_username_role_join_date_and_post_count(client, make_member):
    priya = make_member("Priya", role="moderator")
    response = client.get("/u/Priya/")
    assert response.status_code == 200
    text = page_text(response)
    assert "<h1>Priya</h1>" in text
    assert "<dt>Role</dt><dd>Moderator</dd>" in text
    assert f'<time class="rel" datetime="{priya.date_joined.isoformat()}"' in text
    assert "<dt>Posts</dt><dd>0</dd>" in text
    assert "No posts yet." in text


def test_a_profile_lists_the_members_recent_posts_newest_first(
        client, make_member, make_topic, add_replies):
    jonas, other = make_member("jonas"), make_member("other")
    first = make_topic(author=jonas, title="Harbour plans approved")
    second = make_topic(author=other, title="Rail strike called off")
    add_replies(second, 1, authors=[jonas])
    make_topic(author=other, title="Somebody else's story")
    response = client.get("/u/jonas/")
    assert "<dt>Posts</dt><dd>2</dd>" in page_text(response)
    text = section(response, "posts")
    assert "Somebody else's story" not in text and "No posts yet." not in text
    assert text.index("Rail strike called off") < text.index("Harbour plans approved")
    reply = Post.objects.get(topic=second, author=jonas)
    assert f'<a href="/p/{reply.pk}/">Rail strike called off</a>' in text
    assert f'<a href="/p/{first.posts.get().pk}/">Harbour plans approved</a>' in text


def test_a_profile_leaves_out_hidden_posts_and_posts_in_hidden_topics(
        client, make_member, make_topic):
    elif_ = make_member("elif")
    kept = make_topic(author=elif_, title="Still visible")
    hidden_post = make_topic(author=elif_, title="Post taken down")
    hidden_topic = make_topic(author=elif_, title="Topic taken down")
    hidden_post.posts.update(hidden=True)
    Topic.objects.filter(pk=hidden_topic.pk).update(hidden=True)
    response = client.get("/u/elif/")
    posts, topics = section(response, "posts"), section(response, "topics")
    assert kept.title in posts and kept.title in topics
    assert hidden_post.title not in posts and hidden_topic.title not in posts
    # The topic whose opening post was hidden is still a topic everyone sees.
    assert hidden_post.title in topics and hidden_topic.title not in topics


@pytest.mark.parametrize("asked", ["mara", "MARA", "mArA"])
def test_a_profile_asked_for_in_another_letter_case_redirects_permanently_to_the_canonical_name(
        client, make_member, asked):
    make_member("Mara")
    response = client.get(f"/u/{asked}/")
    assert response.status_code == 301
    assert response["Location"] == "/u/Mara/"


def test_a_username_with_punctuation_has_a_working_profile_address(client, make_member):
    member = make_member("jo.ann_b-2+x@home")
    url = member.get_absolute_url()
    response = client.get(url)
    assert response.status_code == 200
    assert "<h1>jo.ann_b-2+x@home</h1>" in page_text(response)


def test_an_unknown_member_is_404(client, make_member):
    make_member("mara")
    assert client.get("/u/nobody/").status_code == 404


def test_an_inactive_member_is_404_in_any_letter_case(client, make_member):
    make_member("sleeper", is_active=False)
    assert client.get("/u/sleeper/").status_code == 404
    assert client.get("/u/SLEEPER/").status_code == 404


# Guests: no session, no CSRF cookie, so their pages can be shared from the cache.


def test_a_guest_sets_no_cookie_on_the_home_page(make_topic):
    make_topic()
    guest = Client()
    for _ in range(2):  # built, then served from the cache
        response = guest.get("/")
        assert response.status_code == 200
        assert response.cookies == {}


def test_a_guest_sets_no_cookie_on_a_topic_page(make_topic, make_member, add_replies):
    topic = make_topic()
    add_replies(topic, 3, authors=[make_member()])
    guest = Client()
    for _ in range(2):
        response = guest.get(topic.get_absolute_url())
        assert response.status_code == 200
        assert response.cookies == {}


def test_a_guest_sets_no_cookie_on_a_profile(make_member):
    make_member("mara")
    response = Client().get("/u/mara/")
    assert response.status_code == 200
    assert response.cookies == {}


def test_signing_in_is_what_sets_the_session_cookie(make_member):
    make_member("mara", password="a-long-Passphrase-42")
    client = Client()
    response = client.post("/signin/", {"username": "mara", "password": "a-long-Passphrase-42"})
    assert "sessionid" in response.cookies
    assert response.cookies["sessionid"]["httponly"] and \
        response.cookies["sessionid"]["samesite"] == "Lax"


# Roles.

RANKED = [Role.MEMBER, Role.EDITOR, Role.MODERATOR, Role.ADMIN]


def test_roles_are_ordered_member_editor_moderator_admin_and_each_includes_those_below():
    def holders(asked):
        return [role for role in RANKED if User(role=role).has_role(asked)]

    assert holders("member") == ["member", "editor", "moderator", "admin"]
    assert holders("editor") == ["editor", "moderator", "admin"]
    assert holders("moderator") == ["moderator", "admin"]
    assert holders("admin") == ["admin"]


@pytest.mark.parametrize("asked", RANKED)
def test_a_superuser_has_every_role_whatever_their_role_field_says(asked):
    assert User(username="root", role=Role.MEMBER, is_superuser=True).has_role(asked)
