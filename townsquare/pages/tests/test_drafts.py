"""The endpoints of what a member is writing: drafts saved as they type, previews and
collected quotes, each for the topics and posts the member may see."""

import re
from html import unescape

import pytest
from django.test import Client

from townsquare.drafts.actions import clear_draft, save_draft
from townsquare.drafts.models import Draft
from townsquare.drafts.queries import get_draft
from townsquare.forum.models import Post

pytestmark = pytest.mark.django_db


def signed_in(member) -> Client:
    client = Client()
    client.force_login(member)
    return client


def text(response) -> str:
    return unescape(response.content.decode())


def reply_box(html: str) -> str:
    return re.search(r'<textarea name="body" id="id_body"[^>]*>\n?(.*?)</textarea>', html,
                     re.S).group(1)


def test_a_draft_is_saved_offered_back_on_return_and_cleared_when_posted(make_member,
                                                                        make_topic):
    member = make_member()
    topic = make_topic()
    client = signed_in(member)
    response = client.post(f"/drafts/t/{topic.pk}/", {"body": "Half a <thought>"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Draft saved" in text(response)
    page = client.get(topic.get_absolute_url()).content.decode()
    assert reply_box(page) == "Half a &lt;thought&gt;"
    token = re.search(r'name="submit_token" value="([^"]+)"', page).group(1)
    client.post(f"/t/{topic.pk}/reply/", {"body": "Half a thought, finished",
                                           "submit_token": token})
    assert get_draft(member, topic) is None
    assert reply_box(client.get(topic.get_absolute_url()).content.decode()) == ""


def test_another_members_draft_is_never_shown(make_member, make_topic):
    topic = make_topic()
    save_draft(member=make_member(), topic=topic, body="my secret draft")
    page = signed_in(make_member()).get(topic.get_absolute_url()).content.decode()
    assert "my secret draft" not in page


def test_oversized_or_rate_limited_drafts_are_refused(make_member, make_topic, settings):
    member = make_member()
    topic = make_topic()
    client = signed_in(member)
    huge = client.post(f"/drafts/t/{topic.pk}/", {"body": "x" * (settings.POST_MAX_CHARS + 1)})
    assert huge.status_code == 400 and "limited to" in text(huge)
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "draft": (1, 60)}
    assert client.post(f"/drafts/t/{topic.pk}/", {"body": "a"}).status_code == 303
    assert client.post(f"/drafts/t/{topic.pk}/", {"body": "b"}).status_code == 429


def test_guests_and_missing_topics_get_no_drafts(client, make_member):
    assert client.post("/drafts/t/1/", {"body": "x"}).status_code == 302  # to sign in
    assert signed_in(make_member()).post("/drafts/t/999/", {"body": "x"}).status_code == 404


def test_discarding_forgets_the_draft(make_member, make_topic):
    member = make_member()
    topic = make_topic()
    save_draft(member=member, topic=topic, body="drop me")
    assert signed_in(member).post(f"/drafts/t/{topic.pk}/discard/").status_code == 303
    assert not Draft.objects.exists()


def test_a_new_topic_draft_fills_the_new_topic_form_and_clears_on_posting(make_member,
                                                                          make_category):
    member = make_member()
    make_category()
    client = signed_in(member)
    client.post("/drafts/new/", {"body": "An idea for a topic"})
    assert "An idea for a topic" in text(client.get("/new/"))
    clear_draft(member=member, topic=None)
    assert "An idea for a topic" not in text(client.get("/new/"))


def test_preview_shows_the_stored_html_for_htmx(make_member):
    client = signed_in(make_member())
    response = client.post("/preview/", {"body": "**bold** <script>x</script>"},
                           HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<strong>bold</strong>" in html
    assert "<script" not in html and "<!doctype" not in html.lower()
    empty = client.post("/preview/", {"body": " "}, HTTP_HX_REQUEST="true")
    assert empty.status_code == 400 and "Write something" in text(empty)


def test_preview_without_js_is_a_page_with_the_form_refilled(make_member, make_topic):
    topic = make_topic()
    client = signed_in(make_member())
    response = client.post("/preview/", {"body": "A *draft*", "submit_token": "abc",
                                         "form_action": f"/t/{topic.pk}/reply/"})
    html = text(response)
    assert response.status_code == 200 and "<em>draft</em>" in html
    assert f'action="/t/{topic.pk}/reply/"' in html
    assert 'name="submit_token" value="abc"' in html and "A *draft*" in html


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example/x", "",
                                    "javascript:x"])
def test_preview_refuses_a_form_action_off_this_site(make_member, target):
    response = signed_in(make_member()).post("/preview/", {"body": "x", "form_action": target})
    assert response.status_code == 400


def test_collected_quotes_toggle_and_insert_in_topic_order(make_member, make_topic,
                                                          add_replies):
    member = make_member()
    topic = make_topic()
    add_replies(topic, 3, authors=[make_member()])
    first, second = Post.objects.filter(topic=topic).order_by("position")[1:3]
    client = signed_in(member)
    for post in (second, first):
        response = client.post("/drafts/quotes/", {"post": post.pk}, HTTP_HX_REQUEST="true")
        assert 'aria-pressed="true"' in response.content.decode()
    page = text(client.get(topic.get_absolute_url()))
    assert "You collected 2 posts to quote" in page
    body = text(client.get(f"/t/{topic.pk}/reply/?quotes=collected"))
    assert body.index(f"quote {first.pk}") < body.index(f"quote {second.pk}")
    off = client.post("/drafts/quotes/", {"post": first.pk}, HTTP_HX_REQUEST="true")
    assert 'aria-pressed="false"' in off.content.decode()
    assert Draft.objects.get().quote_ids == [second.pk]


def test_a_broken_quote_button_is_400(make_member):
    assert signed_in(make_member()).post("/drafts/quotes/", {"post": "x"}).status_code == 400
