from html import unescape

import pytest
from django.test import Client

from townsquare.core.errors import Forbidden, Invalid, NotFound
from townsquare.forum.models import Post
from townsquare.reactions.actions import react_to_post
from townsquare.reactions.models import Kind, Reaction
from townsquare.reactions.queries import reaction_summary

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(make_topic):
    return make_topic(body="React to me").posts.get()


def test_the_reaction_set_is_the_sites_fixed_six():
    assert Kind.choices == [("like", "Like"), ("thanks", "Thanks"), ("haha", "Haha"),
                            ("confused", "Confused"), ("sad", "Sad"), ("love", "Love It")]


def test_reacting_adds_a_reaction_and_counts_it_on_the_post(make_member, post):
    assert react_to_post(member=make_member(), post=post, kind="haha") == "haha"
    react_to_post(member=make_member(), post=post, kind="love")
    react_to_post(member=make_member(), post=post, kind="haha")
    post.refresh_from_db()
    assert post.reaction_counts == {"haha": 2, "love": 1}
    assert reaction_summary(post.reaction_counts) == [("haha", "Haha", 2), ("love", "Love It", 1)]


def test_a_member_has_one_reaction_per_post_and_can_change_it(make_member, post):
    member = make_member()
    react_to_post(member=member, post=post, kind="like")
    react_to_post(member=member, post=post, kind="sad")
    post.refresh_from_db()
    assert Reaction.objects.get(user=member).kind == "sad"
    assert post.reaction_counts == {"sad": 1}


def test_giving_the_same_reaction_again_takes_it_back(make_member, post):
    member = make_member()
    react_to_post(member=member, post=post, kind="thanks")
    assert react_to_post(member=member, post=post, kind="thanks") is None
    post.refresh_from_db()
    assert post.reaction_counts == {} and not Reaction.objects.exists()


def test_reacting_to_ones_own_post_is_refused(post):
    with pytest.raises(Forbidden, match="your own post"):
        react_to_post(member=post.author, post=post, kind="love")
    assert not Reaction.objects.exists()


def test_an_unknown_reaction_kind_is_refused(make_member, post):
    with pytest.raises(Invalid, match="not one of this site's reactions"):
        react_to_post(member=make_member(), post=post, kind="angry")


def test_reacting_to_a_hidden_post_is_refused_as_missing(make_member, post):
    Post.objects.filter(pk=post.pk).update(hidden=True)
    with pytest.raises(NotFound):
        react_to_post(member=make_member(), post=post, kind="like")


def test_reacting_over_http_redirects_back_to_the_post(client, make_member, post):
    client.force_login(make_member())
    response = client.post(f"/p/{post.pk}/react/", {"kind": "haha"})
    assert response.status_code == 303 and response["Location"] == f"/p/{post.pk}/"
    post.refresh_from_db()
    assert post.reaction_counts == {"haha": 1}


def test_reacting_with_htmx_returns_the_updated_reaction_bar(client, make_member, post):
    client.force_login(make_member())
    response = client.post(f"/p/{post.pk}/react/", {"kind": "haha"},
                           headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<div class="reactions" id="reactions-{post.pk}"')
    assert "Haha 1" in html and 'value="haha" aria-pressed="true"' in html


@pytest.mark.parametrize(("kind", "status"), [("angry", 400), ("", 400)])
def test_bad_reaction_requests_get_a_clear_status(client, make_member, post, kind, status):
    client.force_login(make_member())
    response = client.post(f"/p/{post.pk}/react/", {"kind": kind})
    assert response.status_code == status
    assert "not one of this site's reactions" in unescape(response.content.decode())


def test_reacting_to_a_missing_post_is_404(client, make_member):
    client.force_login(make_member())
    assert client.post("/p/12345/react/", {"kind": "like"}).status_code == 404


def test_reacting_to_ones_own_post_over_http_is_403(client, post):
    client.force_login(post.author)
    assert client.post(f"/p/{post.pk}/react/", {"kind": "like"}).status_code == 403


def test_a_guest_cannot_react(client, post):
    assert client.post(f"/p/{post.pk}/react/", {"kind": "like"}).status_code == 403
    assert not Reaction.objects.exists()


def test_a_forged_reaction_without_csrf_token_is_refused(make_member, post):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_member())
    assert client.post(f"/p/{post.pk}/react/", {"kind": "like"}).status_code == 403
    assert not Reaction.objects.exists()


def test_reacting_is_get_proof(client, make_member, post):
    client.force_login(make_member())
    assert client.get(f"/p/{post.pk}/react/?kind=like").status_code == 405


def test_the_topic_page_shows_reaction_counts_per_kind(client, make_member, post):
    react_to_post(member=make_member(), post=post, kind="love")
    react_to_post(member=make_member(), post=post, kind="haha")
    html = client.get(post.topic.get_absolute_url()).content.decode()
    assert "Love It 1" not in html or html.index("Haha 1") < html.index("Love It 1")
    assert '<li class="reaction reaction-haha">Haha 1</li>' in html
    assert '<li class="reaction reaction-love">Love It 1</li>' in html


def test_members_see_react_buttons_only_on_others_posts(client, make_member, post):
    client.force_login(post.author)
    assert 'class="react-form"' not in client.get(post.topic.get_absolute_url()).content.decode()
    client.force_login(make_member())
    assert 'class="react-form"' in client.get(post.topic.get_absolute_url()).content.decode()


def test_a_reaction_shows_pressed_on_a_page_the_member_saw_before_reacting(
        client, make_member, make_topic, django_assert_num_queries):
    from django.core.cache import cache

    from townsquare.core.memo import LocalMemo
    from townsquare.reactions.queries import reacted_topics

    member = make_member()
    first, second = make_topic(body="First story"), make_topic(body="Second story")
    client.force_login(member)
    url = second.get_absolute_url() + "?page=1"
    assert 'aria-pressed="true"' not in client.get(url).content.decode()
    assert second.pk not in reacted_topics(member)  # now cached: no reactions here
    react_to_post(member=member, post=first.posts.get(), kind="love")
    react_to_post(member=member, post=second.posts.get(), kind="thanks")
    html = client.get(url).content.decode()
    assert 'value="thanks" aria-pressed="true"' in html
    assert reacted_topics(member) == {first.pk, second.pk}
    cache.clear()
    LocalMemo.clear_all()  # what the process keeps itself too: a cold start
    with django_assert_num_queries(1):  # which topics, once; then cached
        assert reacted_topics(member) == {first.pk, second.pk}
        assert reacted_topics(member) == {first.pk, second.pk}
