"""Requests a careless or hostile client sends, each once seen to fail: every one gets a
clear 4xx (or its page), never a 500, and member text never reaches into a page's holes."""

import re

import pytest
from django.test import Client

from townsquare.forum.actions import post_reply
from townsquare.forum.models import Post

pytestmark = pytest.mark.django_db

# Characters that pass str.isdigit() but are no ASCII digit, and a number too long to parse.
NOT_ASCII_DIGITS = ["²", "٣", "１２"]
HUGE = "9" * 5000
PAST_BIGINT = str(2**63 + 5)


def signed_in(member) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(member)
    return client


@pytest.fixture
def topic(make_topic, make_member):
    topic = make_topic(title="Weekly thread")
    post_reply(author=make_member(), topic=topic, body="A reply")
    return topic


def test_a_title_with_a_hole_marker_opens_for_every_reader(make_topic, make_member):
    topic = make_topic(title="Weekly thread \ue000nope\ue001")
    response = signed_in(make_member()).get(topic.get_absolute_url())
    assert response.status_code == 200
    assert "Weekly thread nope" in response.content.decode()


def test_a_title_naming_the_csrf_hole_never_shows_a_token(make_topic, make_member):
    topic = make_topic(title="Weekly thread \ue000csrf\ue001 here")
    html = signed_in(make_member()).get(topic.get_absolute_url()).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert token not in title and "Weekly thread csrf here" in title


@pytest.mark.parametrize("raw", [*NOT_ASCII_DIGITS, HUGE])
def test_a_page_number_that_is_no_plain_number_is_404(client, make_member, topic, raw):
    for reader in (client, signed_in(make_member())):
        assert reader.get(topic.get_absolute_url(), {"page": raw}).status_code == 404
        assert reader.get(topic.category.get_absolute_url(), {"page": raw}).status_code == 404


@pytest.mark.parametrize("raw", [*NOT_ASCII_DIGITS, HUGE, PAST_BIGINT, "-1"])
def test_a_quote_link_with_a_bad_number_is_refused(make_member, topic, raw):
    response = signed_in(make_member()).get(f"/t/{topic.pk}/reply/", {"quote": raw})
    assert response.status_code == 400


@pytest.mark.parametrize("raw", [*NOT_ASCII_DIGITS, HUGE, PAST_BIGINT, "-1"])
def test_collecting_a_quote_with_a_bad_number_is_refused(make_member, topic, raw):
    response = signed_in(make_member()).post("/drafts/quotes/", {"post": raw})
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/t/{big}/x/", "/t/{big}/reply/", "/p/{big}/",
                                  "/c/{big}/x/", "/p/{big}/edit/", "/notifications/{big}/",
                                  "/desk/stories/{big}/", "/drafts/t/{big}/"])
def test_an_id_past_the_database_range_in_a_path_is_404(client, make_member, path):
    for reader in (client, signed_in(make_member(role="admin"))):
        for big in (PAST_BIGINT, HUGE[:30]):
            assert reader.get(path.format(big=big)).status_code == 404


def test_an_edit_form_with_a_huge_version_is_refused(make_member, topic):
    post = Post.objects.filter(topic=topic).last()
    response = signed_in(post.author).post(f"/p/{post.pk}/edit/",
                                           {"body": "Changed", "version": PAST_BIGINT})
    assert response.status_code == 400


def test_a_nul_character_in_a_member_search_is_dropped(client, make_member):
    make_member("ada")
    response = client.get("/members/suggest/", {"q": "a\x00"},
                          headers={"Accept": "application/json"})
    assert response.json() == {"members": [{"username": "ada", "url": "/u/ada/"}]}
