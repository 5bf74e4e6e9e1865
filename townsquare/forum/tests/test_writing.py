import pytest
from django.test import Client

from townsquare.core.errors import Forbidden, Invalid, NotFound
from townsquare.core.markup import quote_block
from townsquare.forum.actions import post_reply, start_topic
from townsquare.forum.forms import PostEditForm, ReplyForm, TopicForm
from townsquare.forum.models import Category, Post, Topic

pytestmark = pytest.mark.django_db


def test_a_reply_takes_the_next_position_and_updates_every_counter(make_member, make_topic):
    author, replier = make_member(), make_member()
    topic = make_topic(author=author)
    reply = post_reply(author=replier, topic=topic, body="Second!")
    topic.refresh_from_db()
    topic.category.refresh_from_db()
    replier.refresh_from_db()
    assert reply.position == 2
    assert topic.post_count == 2 and topic.reply_count == 1
    assert topic.last_poster == replier and topic.last_activity == reply.created
    assert topic.category.topic_count == 1 and topic.category.post_count == 2
    assert replier.post_count == 1


def test_a_reply_is_rendered_once_and_sanitised_at_save(make_member, make_topic):
    topic = make_topic()
    reply = post_reply(author=make_member(), topic=topic,
                       body="**hi** <script>alert(1)</script> [x](javascript:alert(1))")
    assert "<strong>hi</strong>" in reply.html
    assert "<script" not in reply.html and 'href="javascript:' not in reply.html


def test_a_quote_keeps_a_real_link_to_the_quoted_post(make_member, make_topic):
    quoted_author = make_member("alice")
    topic = make_topic(author=quoted_author, body="Original words.")
    opening = topic.posts.get(position=1)
    reply = post_reply(author=make_member(), topic=topic,
                       body=quote_block(opening.pk, opening.body) + "I agree.")
    assert reply.quotes_post == opening
    assert f'<a href="/p/{opening.pk}/"' in reply.html
    assert "alice said:" in reply.html
    assert '<time class="rel" datetime=' in reply.html


def test_a_quote_of_a_hidden_post_carries_no_attribution(make_member, make_topic):
    topic = make_topic(body="Soon hidden.")
    opening = topic.posts.get(position=1)
    Post.objects.filter(pk=opening.pk).update(hidden=True)
    reply = post_reply(author=make_member(), topic=topic, body=quote_block(opening.pk, "x") + "y")
    assert reply.quotes_post is None
    assert "said:" not in reply.html


@pytest.mark.parametrize("body", ["", "   \n  "])
def test_an_empty_reply_is_refused_and_nothing_is_written(make_member, make_topic, body):
    topic = make_topic()
    with pytest.raises(Invalid, match="Write something"):
        post_reply(author=make_member(), topic=topic, body=body)
    assert Post.objects.count() == 1


def test_an_oversized_reply_is_refused(make_member, make_topic, settings):
    settings.POST_MAX_CHARS = 100
    topic = make_topic()
    with pytest.raises(Invalid, match="limited to 100"):
        post_reply(author=make_member(), topic=topic, body="x" * 101)
    assert Post.objects.count() == 1


def test_the_forms_take_the_post_and_title_limits_in_force_when_they_are_used(settings):
    settings.POST_MAX_CHARS, settings.TITLE_MAX_CHARS = 10, 5
    reply = ReplyForm({"body": "x" * 11})
    assert reply.errors["body"] == ["Posts are limited to 10 characters (this one has 11)."]
    assert 'maxlength="10"' in str(ReplyForm()["body"])
    assert "body" in PostEditForm({"body": "x" * 11, "version": 1}).errors
    topic = TopicForm({"title": "x" * 6, "body": "x" * 11}, categories=Category.objects.none(),
                      show_source=False)
    limits = {name: [e.code for e in errors] for name, errors in topic.errors.as_data().items()}
    assert limits["title"] == ["max_length"] and limits["body"] == ["max_length"]
    assert 'maxlength="5"' in str(topic["title"])


def test_replying_to_a_locked_topic_is_refused(make_member, make_topic):
    topic = make_topic()
    Topic.objects.filter(pk=topic.pk).update(locked=True)
    with pytest.raises(Forbidden, match="locked"):
        post_reply(author=make_member(), topic=topic, body="Let me in")
    assert Post.objects.count() == 1


def test_a_moderator_may_still_reply_to_a_locked_topic(make_member, make_topic):
    topic = make_topic()
    Topic.objects.filter(pk=topic.pk).update(locked=True)
    assert post_reply(author=make_member(role="moderator"), topic=topic, body="Closing note.")


def test_replying_to_a_hidden_topic_looks_like_a_missing_topic(make_member, make_topic):
    topic = make_topic()
    Topic.objects.filter(pk=topic.pk).update(hidden=True)
    with pytest.raises(NotFound):
        post_reply(author=make_member(), topic=topic, body="Hello?")


def test_the_same_submit_token_stores_one_post(make_member, make_topic):
    member, topic = make_member(), make_topic()
    first = post_reply(author=member, topic=topic, body="Once", submit_token="abc")
    again = post_reply(author=member, topic=topic, body="Once", submit_token="abc")
    assert first.pk == again.pk
    assert Post.objects.filter(topic=topic).count() == 2


@pytest.mark.parametrize("title", ["", "   ", "x" * 201])
def test_a_topic_with_an_empty_or_oversized_title_is_refused(make_member, make_category, title):
    with pytest.raises(Invalid):
        start_topic(author=make_member(), category=make_category(), title=title, body="Body")
    assert Topic.objects.count() == 0 and Post.objects.count() == 0


def test_only_editors_start_topics_on_the_news_desk(make_member, make_category):
    desk = make_category(start_role="editor")
    with pytest.raises(Forbidden):
        start_topic(author=make_member(), category=desk, title="Scoop", body="Body")
    topic = start_topic(author=make_member(role="editor"), category=desk, title="Scoop",
                        body="Body", source_name="The Courier")
    assert topic.source_name == "The Courier"


def test_a_double_clicked_reply_form_stores_one_post(make_member, make_topic):
    member, topic = make_member(), make_topic()
    client = Client()
    client.force_login(member)
    form = {"body": "Only once please", "submit_token": "tok-1", "on_page": "1"}
    first = client.post(f"/t/{topic.pk}/reply/", form)
    second = client.post(f"/t/{topic.pk}/reply/", form)
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert Post.objects.filter(topic=topic, author=member).count() == 1


def test_a_reply_form_post_redirects_to_the_new_post(client, make_member, make_topic):
    member, topic = make_member(), make_topic()
    client.force_login(member)
    response = client.post(f"/t/{topic.pk}/reply/", {"body": "A reply", "submit_token": "t"})
    reply = Post.objects.get(author=member)
    assert response.status_code == 303 and response["Location"] == f"/p/{reply.pk}/"


def test_an_empty_reply_form_is_answered_400_with_the_reason(client, make_member, make_topic):
    client.force_login(make_member())
    topic = make_topic()
    response = client.post(f"/t/{topic.pk}/reply/", {"body": "  ", "submit_token": "t"})
    assert response.status_code == 400
    assert "Write something before posting." in response.content.decode()
    assert Post.objects.count() == 1


def test_replying_to_a_locked_topic_over_http_is_403(client, make_member, make_topic):
    client.force_login(make_member())
    topic = make_topic()
    Topic.objects.filter(pk=topic.pk).update(locked=True)
    response = client.post(f"/t/{topic.pk}/reply/", {"body": "Hi", "submit_token": "t"})
    assert response.status_code == 403
    assert "locked" in response.content.decode()


def test_replying_to_a_missing_topic_is_404(client, make_member):
    client.force_login(make_member())
    response = client.post("/t/999/reply/", {"body": "Hi"})
    assert response.status_code == 404


def test_a_guest_cannot_reply(client, make_topic):
    topic = make_topic()
    response = client.post(f"/t/{topic.pk}/reply/", {"body": "Hi"})
    assert response.status_code == 302 and response["Location"].startswith("/signin/")
    assert Post.objects.count() == 1


def test_a_forged_reply_without_csrf_token_is_refused(make_member, make_topic):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_member())
    topic = make_topic()
    response = client.post(f"/t/{topic.pk}/reply/", {"body": "forged"})
    assert response.status_code == 403
    assert Post.objects.count() == 1


def test_the_quote_control_opens_the_reply_form_with_the_quote(client, make_member, make_topic):
    topic = make_topic(body="Quote me.")
    opening = topic.posts.get(position=1)
    client.force_login(make_member())
    response = client.get(f"/t/{topic.pk}/reply/?quote={opening.pk}")
    assert response.status_code == 200
    assert f"::: quote {opening.pk}\nQuote me.\n:::" in response.content.decode()
    fragment = client.get(f"/t/{topic.pk}/reply/?quote={opening.pk}",
                          headers={"HX-Request": "true"})
    assert fragment.content.decode().lstrip().startswith('<section id="reply-area"')


@pytest.mark.parametrize("quote", ["abc", "999999"])
def test_a_broken_quote_link_is_a_clear_4xx(client, make_member, make_topic, quote):
    topic = make_topic()
    client.force_login(make_member())
    response = client.get(f"/t/{topic.pk}/reply/?quote={quote}")
    assert response.status_code in (400, 404)


def test_an_htmx_reply_returns_the_form_and_appends_the_post(client, make_member, make_topic):
    member, topic = make_member(), make_topic()
    client.force_login(member)
    response = client.post(f"/t/{topic.pk}/reply/",
                           {"body": "Live reply", "submit_token": "h1", "on_page": "1"},
                           headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="reply-area"')
    assert 'hx-swap-oob="beforeend:#posts"' in html and "Live reply" in html


def test_starting_a_topic_through_the_form(client, make_member, make_category):
    category = make_category()
    client.force_login(make_member())
    assert client.get(f"/new/?category={category.pk}").status_code == 200
    response = client.post("/new/", {"category": category.pk, "title": "My first topic",
                                     "body": "Hello all", "submit_token": "n1"})
    topic = Topic.objects.get()
    assert response.status_code == 303 and response["Location"] == topic.get_absolute_url()
    bad = client.post("/new/", {"category": category.pk, "title": "", "body": "x"})
    assert bad.status_code == 400 and "Give the topic a title." in bad.content.decode()


def test_a_member_cannot_start_a_topic_in_an_editors_category(client, make_member,
                                                               make_category):
    desk = make_category(start_role="editor")
    client.force_login(make_member())
    response = client.post("/new/", {"category": desk.pk, "title": "Scoop", "body": "x"})
    assert response.status_code == 400
    assert Topic.objects.count() == 0


def test_posting_too_fast_is_rate_limited(client, make_member, make_topic, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "post": (2, 60)}
    topic = make_topic()
    client.force_login(make_member())
    codes = [client.post(f"/t/{topic.pk}/reply/", {"body": f"r{i}"}).status_code
             for i in range(3)]
    assert codes == [303, 303, 429]
    assert Post.objects.count() == 3
