"""Recommended replies: the most positively received replies, under a long topic's opening
post."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from townsquare.core.markup import quote_block
from townsquare.forum.actions import delete_post, post_reply
from townsquare.pages.recommended import excerpt
from townsquare.reactions.actions import react_to_post

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_thresholds(settings):
    settings.RECOMMENDED_MIN_REPLIES = 4
    settings.RECOMMENDED_MAX = 2
    settings.RECOMMENDED_MIN_REACTIONS = 2
    settings.REPUTATION_WEIGHTS = {"like": 1, "thanks": 1, "haha": 1, "love": 3,
                                   "confused": 0, "sad": 0}


@pytest.fixture
def crowd(make_member):
    """Members to react with (one reaction each per post)."""
    return [make_member(f"reader{i}") for i in range(6)]


@pytest.fixture
def discussion(make_member, make_topic):
    """A topic with four replies by one member."""
    topic = make_topic(title="Big debate", body="The opening words.")
    writer = make_member("writer")
    replies = [post_reply(author=writer, topic=topic, body=f"Reply number {i}")
               for i in range(1, 5)]
    return topic, replies


def react(post, crowd, *kinds):
    for member, kind in zip(crowd, kinds, strict=False):
        react_to_post(member=member, post=post, kind=kind)


def section(html: str) -> str | None:
    found = re.search(r'<section class="recommended".*?</section>', html, re.S)
    return found.group(0) if found else None


def picked(html: str) -> list[str]:
    """The reply numbers in the section, in its order."""
    return re.findall(r"Reply number (\d)", section(html) or "")


def page(client, topic, query="") -> str:
    response = client.get(topic.get_absolute_url() + query)
    assert response.status_code == 200
    return response.content.decode()


def test_replies_are_ordered_by_weighted_reactions(client, discussion, crowd):
    topic, replies = discussion
    react(replies[0], crowd, "like", "like", "like")           # 3
    react(replies[1], crowd, "love", "like")                   # 3 + 1 = 4
    react(replies[2], crowd, "thanks", "haha", "like", "like")  # 4, but later than reply 2
    react(replies[3], crowd, "like", "like")                   # 2: beyond RECOMMENDED_MAX
    assert picked(page(client, topic)) == ["2", "3"]


def test_a_tie_goes_to_the_earlier_reply(client, discussion, crowd):
    topic, replies = discussion
    react(replies[3], crowd, "like", "like")
    react(replies[1], crowd, "haha", "thanks")
    assert picked(page(client, topic)) == ["2", "4"]


def test_replies_below_the_reaction_threshold_are_left_out(client, discussion, crowd):
    topic, replies = discussion
    react(replies[0], crowd, "love")               # weighted 3, but one reaction
    react(replies[1], crowd, "sad", "confused")    # two reactions that carry no weight
    react(replies[2], crowd, "like", "sad")        # one positive
    assert section(page(client, topic)) is None
    react(replies[2], crowd[2:], "like")
    assert picked(page(client, topic)) == ["3"]


def test_a_topic_needs_enough_replies(client, make_member, make_topic, crowd):
    topic = make_topic()
    replies = [post_reply(author=make_member(), topic=topic, body=f"Reply number {i}")
               for i in range(1, 4)]
    react(replies[0], crowd, "like", "like", "like")
    assert section(page(client, topic)) is None
    post_reply(author=make_member(), topic=topic, body="The fourth reply")
    assert picked(page(client, topic)) == ["1"]


def test_hidden_deleted_and_opening_posts_are_left_out(client, discussion, crowd):
    from townsquare.forum.actions_admin import save_post

    topic, replies = discussion
    for post in (topic.posts.get(position=1), *replies[:3]):
        react(post, crowd, "like", "like", "like")
    replies[0].hidden = True  # as a moderator hides it from the admin
    save_post(post=replies[0], hidden_changed=True)
    delete_post(member=replies[1].author, post=replies[1])
    assert picked(page(client, topic)) == ["3"]


def test_the_section_sits_under_the_opening_post_on_page_one_only(client, discussion, crowd,
                                                                  add_replies, make_member):
    topic, replies = discussion
    react(replies[2], crowd, "like", "like")
    add_replies(topic, 20, authors=[make_member()])  # a second page
    html = page(client, topic)
    first_reply = html.index(f'id="post-{replies[0].pk}"')
    assert html.index("</article>") < html.index('class="recommended"') < first_reply
    assert section(page(client, topic, "?page=2")) is None


def test_an_entry_shows_author_excerpt_count_and_a_permalink(client, discussion, crowd):
    topic, replies = discussion
    react(replies[2], crowd, "love", "like", "sad")
    html = section(page(client, topic))
    assert 'id="recommended-heading">Recommended replies</h3>' in html
    assert '<a href="/u/writer/">writer</a>' in html
    assert '<p class="recommended-excerpt">Reply number 3</p>' in html
    assert "2 positive reactions" in html
    assert (f'<a class="recommended-link" href="/p/{replies[2].pk}/">Go to reply #4'
            '<span class="visually-hidden"> by writer</span></a>') in html


def test_members_see_it_and_not_replies_by_members_they_ignore(discussion, crowd, make_member):
    from townsquare.notifications.actions import set_ignore

    topic, replies = discussion
    react(replies[0], crowd, "like", "like")
    member = make_member()
    client = Client()
    client.force_login(member)
    assert picked(page(client, topic)) == ["1"]
    set_ignore(member=member, other=replies[0].author, ignore=True)
    assert section(page(client, topic)) is None
    client.force_login(crowd[5])
    assert picked(page(client, topic)) == ["1"]


def test_a_reaction_changes_the_section_at_once(client, discussion, crowd, make_member):
    topic, replies = discussion
    react(replies[0], crowd, "like", "like")
    member = Client()
    member.force_login(make_member())
    for reader in (client, member):
        assert picked(page(reader, topic)) == ["1"]
    react(replies[1], crowd, "love", "love")
    for reader in (client, member):
        assert picked(page(reader, topic)) == ["2", "1"]
    react(replies[1], crowd, "love", "love")  # the same again takes them back
    for reader in (client, member):
        assert picked(page(reader, topic)) == ["1"]


def test_choosing_is_done_once_per_topic_version(discussion, crowd, make_member):
    topic, replies = discussion
    react(replies[0], crowd, "like", "like")
    client = Client()
    client.force_login(make_member())
    page(client, topic)
    with CaptureQueriesContext(connection) as ctx:
        html = page(client, topic)
    assert picked(html) == ["1"]
    # The warm member view of any topic page: session + member (one read), the topic's
    # stamp (this member reacted nowhere, so their reactions are not read); the replies are
    # not read again.
    assert len(ctx.captured_queries) == 2


def test_an_excerpt_is_plain_text_without_quotes_spoilers_or_charts(make_member, make_topic):
    topic = make_topic(body="Quoted <b>words</b>")
    opening = topic.posts.get()
    reply = post_reply(author=make_member(), topic=topic, body=(
        quote_block(opening.pk, opening.body) + "My **own** point & more.\n\n"
        "::: spoiler The end\nThe butler did it.\n:::\n\nSecond paragraph.\n\n"
        "```chart\ntype: bar\nMonth, Rain\nJanuary, 3\n```\n"))
    for part in ("blockquote", "details", "figure"):
        assert f"<{part} class=" in reply.html
    text = excerpt(reply.html)
    assert text == "My own point & more. Second paragraph."
    assert excerpt("<p>" + "word " * 100 + "</p>", limit=30).endswith("…")
    assert len(excerpt("<p>" + "word " * 100 + "</p>", limit=30)) == 30
