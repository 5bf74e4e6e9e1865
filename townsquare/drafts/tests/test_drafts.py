"""Drafts saved as a member types and their per-member index, collected quotes; @mention
suggestions."""

import pytest

from townsquare.drafts.actions import save_draft, toggle_quote
from townsquare.drafts.models import Draft
from townsquare.drafts.queries import get_draft
from townsquare.forum.actions import post_reply

pytestmark = pytest.mark.django_db


def test_a_member_without_drafts_costs_no_draft_query_once_their_index_is_cached(
        make_member, make_topic, django_assert_num_queries):
    member = make_member()
    topic = make_topic()
    assert get_draft(member, topic) is None  # builds the index
    with django_assert_num_queries(0):
        assert get_draft(member, topic) is None
    save_draft(member=member, topic=topic, body="now there is one")
    with django_assert_num_queries(2):  # the index again, then the draft
        assert get_draft(member, topic).body == "now there is one"


def test_a_quote_is_collected_in_the_draft_of_the_topic_given_and_a_second_toggle_drops_it(
        make_member, make_topic):
    member = make_member()
    topic = make_topic()
    post = topic.posts.get()
    assert toggle_quote(member=member, post_id=post.pk, topic_id=topic.pk) == (True, [post.pk])
    assert Draft.objects.get(member=member, topic=topic).quote_ids == [post.pk]
    assert toggle_quote(member=member, post_id=post.pk, topic_id=topic.pk) == (False, [])
    assert Draft.objects.get(member=member, topic=topic).quote_ids == []


def test_member_suggestions_match_the_start_of_names_in_any_case(client, make_member):
    for name in ("Ada", "adam", "Adelaide", "Bo"):
        make_member(name)
    make_member("adrift", is_active=False)
    members = client.get("/members/suggest/?q=AD", HTTP_ACCEPT="application/json").json()
    assert [m["username"] for m in members["members"]] == ["Ada", "adam", "Adelaide"]
    html = client.get("/members/suggest/?q=@bo").content.decode()
    assert 'role="listbox"' in html and "@Bo" in html
    assert client.get("/members/suggest/?q=",
                      HTTP_ACCEPT="application/json").json() == {"members": []}


def test_post_reply_refuses_nothing_because_of_a_draft(make_member, make_topic):
    member = make_member()
    topic = make_topic()
    save_draft(member=member, topic=topic, body="draft")
    post_reply(author=member, topic=topic, body="posted")
    assert not Draft.objects.exists()
