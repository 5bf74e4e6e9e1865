"""A member's topic page is built from a cached shell: what each member must still see alone."""

import re
from html import unescape

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import Client, RequestFactory

from townsquare.forum.actions import post_reply

pytestmark = pytest.mark.django_db


def signed_in(member) -> Client:
    client = Client()
    client.force_login(member)
    return client


def header_name(html: str) -> str:
    nav = html[html.index('<nav class="site-nav"'):html.index("</nav>")]
    return re.search(r'<a href="/u/[^"]+/">([^<]+)</a>', nav).group(1)


def hidden_value(html: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" value="([^"]*)"', html)


def test_two_members_on_the_same_page_each_see_their_own_name_and_tokens(make_member,
                                                                        make_topic):
    ada, bo = make_member("Ada"), make_member("Bo")
    topic = make_topic()
    pages = {}
    for member in (ada, bo):
        client = signed_in(member)
        response = client.get(topic.get_absolute_url())
        assert response.status_code == 200
        html = response.content.decode()
        pages[member.username] = html
        assert header_name(html) == member.username
        # Every form carries this member's CSRF token, which the server accepts.
        tokens = hidden_value(html, "csrfmiddlewaretoken")
        assert len(tokens) >= 2 and len(set(tokens)) == 1 and tokens[0]
        assert "\ue000" not in html and "\ue001" not in html
    assert hidden_value(pages["Ada"], "submit_token") != hidden_value(pages["Bo"], "submit_token")


def test_each_view_gets_a_fresh_reply_token_so_two_tabs_can_both_post(make_member, make_topic):
    client = signed_in(make_member())
    topic = make_topic()
    first = hidden_value(client.get(topic.get_absolute_url()).content.decode(), "submit_token")
    second = hidden_value(client.get(topic.get_absolute_url()).content.decode(), "submit_token")
    assert first and second and first != second


def test_a_reply_form_from_a_cached_shell_posts_with_its_csrf_token(make_member, make_topic):
    member = make_member()
    topic = make_topic()
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    client.get(topic.get_absolute_url())  # fills the shell cache
    html = client.get(topic.get_absolute_url()).content.decode()
    token = re.search(r'id="reply-area".*?name="csrfmiddlewaretoken" value="([^"]+)"', html,
                      re.S).group(1)
    response = client.post(f"/t/{topic.pk}/reply/", {
        "csrfmiddlewaretoken": token, "body": "Posted from a cached page",
        "submit_token": hidden_value(html, "submit_token")[0],
    })
    assert response.status_code == 303
    page = client.get(response["Location"], follow=True).content.decode()
    assert "Posted from a cached page" in page


def test_a_member_sees_a_new_reply_as_soon_as_it_is_acknowledged(make_member, make_topic):
    reader, writer = make_member(), make_member()
    topic = make_topic()
    client = signed_in(reader)
    assert "Fresh words" not in client.get(topic.get_absolute_url()).content.decode()
    reply = post_reply(author=writer, topic=topic, body="Fresh words")
    # The reader has read the page before, so they land on the new reply.
    response = client.get(topic.get_absolute_url(), follow=True)
    assert response.redirect_chain == [(f"{topic.get_absolute_url()}?page=1#post-{reply.pk}",
                                        302)]
    assert "Fresh words" in response.content.decode()


def test_a_flash_message_reaches_only_the_member_it_was_for(make_member, make_topic):
    topic = make_topic()
    ada, bo = signed_in(make_member()), signed_in(make_member())
    ada.get(topic.get_absolute_url())
    storage = CookieStorage(RequestFactory().get("/"))
    ada.cookies["messages"] = storage._encode([Message(constants.SUCCESS, "Welcome back, Ada.")])
    assert "Welcome back, Ada." in unescape(ada.get(topic.get_absolute_url()).content.decode())
    assert "Welcome back" not in unescape(bo.get(topic.get_absolute_url()).content.decode())


def test_marker_characters_in_a_post_are_dropped_and_fill_nothing(make_member, make_topic):
    member = make_member()
    topic = make_topic()
    post_reply(author=member, topic=topic, body="odd \ue000posts_html\ue001 text \ue000csrf\ue001")
    html = signed_in(make_member()).get(topic.get_absolute_url()).content.decode()
    assert "odd posts_html text csrf" in html
    assert "\ue000" not in html and "\ue001" not in html
    assert html.count('id="posts"') == 1


def test_a_locked_topic_shows_members_that_replies_are_closed(make_member, make_topic):
    topic = make_topic()
    topic.locked = True
    topic.version += 1
    topic.save()
    html = signed_in(make_member()).get(topic.get_absolute_url()).content.decode()
    assert "Replies are closed" in html and 'name="body"' not in html


def test_renaming_a_category_in_the_admin_reaches_its_cached_topic_pages(client, make_member,
                                                                        make_topic):
    admin_user = make_member("Root", is_staff=True, is_superuser=True)
    topic = make_topic()
    reader = signed_in(make_member())
    assert topic.category.title in reader.get(topic.get_absolute_url()).content.decode()
    client.force_login(admin_user)
    category = topic.category
    response = client.post(f"/admin/forum/category/{category.pk}/change/", {
        "title": "Renamed Desk", "slug": category.slug, "position": category.position,
        "start_role": category.start_role, "description": "",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "Renamed Desk" in reader.get(topic.get_absolute_url()).content.decode()
    assert "Renamed Desk" in Client().get(topic.get_absolute_url()).content.decode()
