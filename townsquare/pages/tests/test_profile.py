"""The profile page: heading, facts, avatar, the member's topics and posts page by page, and
its pinned query budget."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from townsquare.forum.actions import post_reply
from townsquare.forum.models import Post, Topic
from townsquare.reactions.actions import react_to_post

pytestmark = pytest.mark.django_db


def page_text(response) -> str:
    return unescape(response.content.decode())


def listed(response, name: str) -> list[str]:
    """The link texts of one of the profile's lists ("topics" or "posts"), in order."""
    text = page_text(response)
    start = text.index(f'<section id="member-{name}"')
    body = text[start:text.index("</section>", start)]
    items = body[body.index("<ul"):body.index("</ul>")]
    return re.findall(r"<li><a href=\"[^\"]+\">([^<]+)</a>", items)


def section(response, name: str) -> str:
    """One of the profile's lists ("topics" or "posts"), as text."""
    text = page_text(response)
    start = text.index(f'<section id="member-{name}"')
    return text[start:text.index("</section>", start)]


def page_links(response, label: str) -> list[tuple[str, str]]:
    """(text, href) of the links in the pagination named `label`; [] without one."""
    text = page_text(response)
    match = re.search(rf'<nav class="pagination" aria-label="{label}">(.*?)</nav>', text, re.S)
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', match.group(1)) if match else []


def test_a_display_name_is_the_heading_with_the_username_beside_it(client, make_member):
    make_member("mara", display_name="Mara Lindqvist", location="Gdańsk")
    text = page_text(client.get("/u/mara/"))
    assert '<h1>Mara Lindqvist <span class="handle">@mara</span></h1>' in text
    assert "<title>Mara Lindqvist · Townsquare</title>" in text
    assert "<dt>Location</dt><dd>Gdańsk</dd>" in text


def test_without_a_display_name_the_username_is_the_heading_and_no_location_is_shown(
        client, make_member):
    make_member("tomasz")
    text = page_text(client.get("/u/tomasz/"))
    assert "<h1>tomasz</h1>" in text and "@tomasz" not in text
    assert "<dt>Location</dt>" not in text


def test_the_display_name_location_and_bio_are_escaped(client, make_member):
    make_member("eve", display_name="<b>Eve</b>", location="<i>here</i>",
                bio="<script>alert(1)</script>")
    body = client.get("/u/eve/").content.decode()
    assert "<b>Eve</b>" not in body and "&lt;b&gt;Eve&lt;/b&gt;" in body
    assert "<i>here</i>" not in body and "<script>alert(1)" not in body


def test_the_profile_shows_the_reputation_its_posts_earned(client, make_member, make_topic):
    author = make_member("elif")
    post = make_topic(author=author).posts.get()
    for kind in ("like", "love", "sad"):
        react_to_post(member=make_member(), post=post, kind=kind)
    assert "<dt>Reputation</dt><dd>2</dd>" in page_text(client.get("/u/elif/"))


def test_a_member_without_an_avatar_shows_the_generated_one(client, make_member):
    make_member("jo.ann")
    text = page_text(client.get("/u/jo.ann/"))
    assert '<img class="avatar avatar-large" src="/members/jo.ann/avatar.svg"' in text


def test_a_member_with_an_avatar_shows_the_large_file(client, make_member):
    make_member("ada", avatar={"256": "avatars/1/abc-256.webp", "64": "avatars/1/def-64.webp"})
    assert 'src="/media/avatars/1/abc-256.webp"' in page_text(client.get("/u/ada/"))


def test_only_the_member_sees_the_edit_link_on_their_profile(client, make_member):
    mara = make_member("mara")
    assert "/me/profile/" not in page_text(client.get("/u/mara/"))
    client.force_login(make_member("other"))
    assert "/me/profile/" not in page_text(client.get("/u/mara/"))
    client.force_login(mara)
    assert 'href="/me/profile/">Edit your profile</a>' in page_text(client.get("/u/mara/"))


def test_another_member_sees_follow_and_ignore_buttons(client, make_member):
    make_member("mara")
    client.force_login(make_member("bo"))
    text = page_text(client.get("/u/mara/"))
    assert "Follow mara" in text and "Ignore mara" in text


def test_the_topics_list_holds_the_members_topics_newest_first(
        client, make_member, make_topic, add_replies):
    ada, other = make_member("ada"), make_member("other")
    make_topic(author=ada, title="Older story")
    theirs = make_topic(author=other, title="Not hers")
    add_replies(theirs, 1, authors=[ada])
    make_topic(author=ada, title="Newer story")
    hidden = make_topic(author=ada, title="Taken down")
    Topic.objects.filter(pk=hidden.pk).update(hidden=True)
    response = client.get("/u/ada/")
    assert listed(response, "topics") == ["Newer story", "Older story"]
    assert listed(response, "posts") == ["Newer story", "Not hers", "Older story"]


def test_deleted_posts_are_left_out_of_the_posts_list(client, make_member, make_topic,
                                                      add_replies):
    ada = make_member("ada")
    topic = make_topic(title="Harbour")
    (reply,) = add_replies(topic, 1, authors=[ada])
    Post.objects.filter(pk=reply.pk).update(deleted=reply.created)
    assert listed(client.get("/u/ada/"), "posts") == []
    assert "No posts yet." in page_text(client.get("/u/ada/"))


@pytest.fixture
def prolific(make_member, make_topic):
    """A member with 45 posts (3 pages) in 25 topics of their own (2 pages)."""
    ada = make_member("ada")
    topics = [make_topic(author=ada, title=f"Topic {i:02d}") for i in range(25)]
    for i in range(20):
        post_reply(author=ada, topic=topics[i], body=f"Reply {i}")
    return ada


def test_each_list_is_paginated_by_twenty_on_its_own(client, prolific):
    first = client.get("/u/ada/")
    assert len(listed(first, "topics")) == 20 and len(listed(first, "posts")) == 20
    assert listed(first, "topics")[0] == "Topic 24"
    assert page_links(first, "Pages of topics") == [
        ("/u/ada/#member-topics", "1"), ("/u/ada/?topics=2#member-topics", "2"),
        ("/u/ada/?topics=2#member-topics", "Next")]
    second = client.get("/u/ada/?topics=2&posts=3")
    assert listed(second, "topics") == [f"Topic {i:02d}" for i in range(4, -1, -1)]
    assert len(listed(second, "posts")) == 5
    # Each list's links keep the other list's page.
    assert ("/u/ada/?posts=3#member-topics", "1") in page_links(second, "Pages of topics")
    assert ("/u/ada/?topics=2&posts=2#member-posts", "Previous") in page_links(
        second, "Pages of posts")


def test_a_short_list_has_no_pagination(client, make_member, make_topic):
    make_topic(author=make_member("ada"))
    response = client.get("/u/ada/")
    assert page_links(response, "Pages of topics") == []
    assert 'class="pagination"' not in page_text(response)


@pytest.mark.parametrize("query", ["topics=3", "posts=4", "posts=0", "topics=-1", "posts=x",
                                   "topics=1.5", "posts=99999999999999999999", "topics=٢"])
def test_a_page_past_the_end_or_not_a_number_is_404(client, prolific, query):
    response = client.get(f"/u/ada/?{query}")
    assert response.status_code == 404
    assert "That page does not exist" in page_text(response)


def test_an_empty_profile_has_its_first_pages(client, make_member):
    make_member("new")
    assert client.get("/u/new/?topics=1&posts=1").status_code == 200
    assert client.get("/u/new/?posts=2").status_code == 404


def test_another_letter_case_redirects_keeping_the_pages_asked_for(client, prolific):
    response = client.get("/u/ADA/?topics=2&posts=3")
    assert response.status_code == 301
    assert response["Location"] == "/u/ada/?topics=2&posts=3"


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


# The pinned query budget.


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def build_profile(make_member, make_category, scale: int):
    """A member whose topics, posts and reactions received grow with `scale`."""
    from townsquare.forum.actions import start_topic

    author, readers = make_member(), [make_member() for _ in range(3)]
    category = make_category()
    for i in range(3 * scale):
        topic = start_topic(author=author, category=category, title=f"Topic {i}", body="Hi")
        for j in range(2):
            reply = post_reply(author=author, topic=topic, body=f"Reply {j}")
            react_to_post(member=readers[j], post=reply, kind="like")
    return author, readers[0]


@pytest.mark.parametrize("viewer", ["guest", "owner", "other"])
def test_profile_query_count_stays_the_same_with_ten_times_the_rows(
        client, make_member, make_category, viewer):
    from django.core.cache import cache

    def measure(scale, query=""):
        author, reader = build_profile(make_member, make_category, scale)
        if viewer != "guest":
            client.force_login(author if viewer == "owner" else reader)
        cache.clear()
        return count_queries(client, author.get_absolute_url() + query)

    small = measure(1)
    large = measure(10)
    later_pages = measure(10, "?topics=2&posts=3")
    assert small == large == later_pages
    # The pinned budgets: the member, then a count and a page for each list. A signed-in
    # viewer adds their session and user row and the header's bell; another member's
    # profile also asks whether the viewer follows them and whom the viewer ignores.
    assert small == {"guest": 5, "owner": 8, "other": 10}[viewer]
