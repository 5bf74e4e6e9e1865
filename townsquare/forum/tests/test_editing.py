"""Editing with revisions and history, soft delete and restore, and recorded mentions."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone

from townsquare.core.errors import Forbidden, Invalid
from townsquare.core.markup import quote_block
from townsquare.forum.actions import delete_post, edit_post, post_reply, restore_post
from townsquare.forum.history import word_diff
from townsquare.forum.models import Mention, Post, PostRevision

pytestmark = pytest.mark.django_db


def signed_in(member) -> Client:
    client = Client()
    client.force_login(member)
    return client


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def reply(make_member, make_topic):
    author = make_member("Ada")
    topic = make_topic()
    return post_reply(author=author, topic=topic, body="The marsh is wetter this year.")


def test_an_author_edits_within_the_window_and_the_original_is_kept(reply):
    edited = edit_post(editor=reply.author, post=reply, body="The marsh is much wetter.",
                       reason="clearer", version=reply.version)
    assert edited.edited is not None and "much wetter" in edited.html
    revisions = list(edited.revisions.values_list("number", "body", "reason"))
    assert revisions == [(1, "The marsh is wetter this year.", ""),
                         (2, "The marsh is much wetter.", "clearer")]


def test_an_edit_that_changes_nothing_stores_nothing(reply):
    edit_post(editor=reply.author, post=reply, body="The marsh is wetter this year.")
    assert not PostRevision.objects.exists()
    reply.refresh_from_db()
    assert reply.edited is None


def test_editing_after_the_window_is_refused_but_moderators_may(reply, make_member, settings):
    Post.objects.filter(pk=reply.pk).update(created=timezone.now() - timedelta(days=2))
    reply.refresh_from_db()
    with pytest.raises(Forbidden, match="can't be edited any more"):
        edit_post(editor=reply.author, post=reply, body="Too late")
    moderator = make_member(role="moderator")
    edit_post(editor=moderator, post=reply, body="Fixed by a moderator")
    assert PostRevision.objects.get(number=2).editor == moderator


def test_nobody_edits_someone_elses_post(reply, make_member):
    with pytest.raises(Forbidden, match="only edit your own"):
        edit_post(editor=make_member(), post=reply, body="Mine now")
    client = signed_in(make_member())
    assert client.get(f"/p/{reply.pk}/edit/").status_code == 403
    assert client.post(f"/p/{reply.pk}/edit/", {"body": "x", "version": 0}).status_code == 403
    reply.refresh_from_db()
    assert reply.body == "The marsh is wetter this year."


def test_a_stale_edit_is_a_conflict_showing_the_current_text(reply):
    client = signed_in(reply.author)
    loaded = reply.version
    edit_post(editor=reply.author, post=reply, body="Changed in another tab")
    response = client.post(f"/p/{reply.pk}/edit/", {"body": "My older edit",
                                                      "version": loaded})
    assert response.status_code == 409
    assert "changed while you were editing" in text(response)
    assert "Changed in another tab" in text(response)
    reply.refresh_from_db()
    assert reply.body == "Changed in another tab"


def test_the_edit_page_saves_and_the_post_shows_edited_with_a_history_link(reply):
    client = signed_in(reply.author)
    form = text(client.get(f"/p/{reply.pk}/edit/"))
    version = re.search(r'name="version" value="(\d+)"', form).group(1)
    response = client.post(f"/p/{reply.pk}/edit/", {"body": "Now **drier**", "version": version})
    assert response.status_code == 303
    page = text(client.get(response["Location"], follow=True))
    assert "<strong>drier</strong>" in page
    assert f'<a class="edited" href="/p/{reply.pk}/history/">(edited)</a>' in page


def test_an_empty_or_oversized_edit_is_refused_with_a_reason(reply, settings):
    client = signed_in(reply.author)
    empty = client.post(f"/p/{reply.pk}/edit/", {"body": "  ", "version": reply.version})
    assert empty.status_code == 400 and "Write something" in text(empty)
    huge = client.post(f"/p/{reply.pk}/edit/", {"body": "x" * (settings.POST_MAX_CHARS + 1),
                                                 "version": reply.version})
    assert huge.status_code == 400 and "limited to" in text(huge)


def test_history_shows_word_differences_escaped(reply):
    edit_post(editor=reply.author, post=reply, body="The marsh is <b>drier</b> this year.")
    page = Client().get(f"/p/{reply.pk}/history/").content.decode()
    assert page.count('class="revision"') == 2
    assert "<del><span class=\"visually-hidden\">removed: </span>wetter</del>" in page
    assert "&lt;b&gt;drier&lt;/b&gt;" in page and "<b>drier</b>" not in page


def test_word_diff_marks_insertions_and_deletions():
    html = word_diff("one two three", "one 2 three four")
    assert "<del>" in html and "two</del>" in html and "2</ins>" in html and "four</ins>" in html


def test_deleting_leaves_a_placeholder_in_place_and_the_author_can_restore(reply, make_member):
    reader = signed_in(make_member())
    delete_post(member=reply.author, post=reply)
    reply.refresh_from_db()
    page = text(Client().get(reply.topic.get_absolute_url()))
    assert "This post was deleted." in page and "wetter this year" not in page
    seen_by_reader = text(reader.get(reply.topic.get_absolute_url()))
    assert f'action="/p/{reply.pk}/restore/"' not in seen_by_reader
    own = text(signed_in(reply.author).get(reply.topic.get_absolute_url()))
    assert f'action="/p/{reply.pk}/restore/"' in own
    restore_post(member=reply.author, post=reply)
    assert "wetter this year" in text(Client().get(reply.topic.get_absolute_url()))


def test_only_moderators_restore_what_a_moderator_deleted(reply, make_member):
    moderator = make_member(role="moderator")
    delete_post(member=moderator, post=reply)
    with pytest.raises(Forbidden):
        restore_post(member=reply.author, post=reply)
    restore_post(member=moderator, post=reply)


def test_delete_and_restore_over_http_and_refusals(reply, make_member):
    other = signed_in(make_member())
    assert other.post(f"/p/{reply.pk}/delete/").status_code == 403
    owner = signed_in(reply.author)
    assert owner.post(f"/p/{reply.pk}/delete/").status_code == 303
    assert owner.post(f"/p/{reply.pk}/delete/").status_code == 409
    assert owner.get(f"/p/{reply.pk}/delete/").status_code == 405
    assert owner.post(f"/p/{reply.pk}/restore/").status_code == 303
    assert owner.post(f"/p/{reply.pk}/restore/").status_code == 409


def test_the_opening_post_of_a_topic_with_replies_cannot_be_deleted_by_its_author(reply):
    opening = reply.topic.posts.get(position=1)
    with pytest.raises(Forbidden):
        delete_post(member=opening.author, post=opening)


def test_a_quote_of_a_deleted_post_says_it_was_removed_and_comes_back(reply, make_member):
    quoter = make_member()
    quoting = post_reply(author=quoter, topic=reply.topic,
                         body=quote_block(reply.pk, reply.body) + "I agree")
    delete_post(member=reply.author, post=reply)
    quoting.refresh_from_db()
    assert "post was removed" in quoting.html and "wetter this year" not in quoting.html
    assert "I agree" in quoting.html
    restore_post(member=reply.author, post=reply)
    quoting.refresh_from_db()
    assert "wetter this year" in quoting.html and "removed" not in quoting.html


def test_mentions_are_recorded_updated_and_unknown_names_ignored(make_member, make_topic):
    ada, bo, cy = make_member("Ada"), make_member("Bo"), make_member("Cy")
    post = post_reply(author=cy, topic=make_topic(), body="Thanks @ada and @BO and @nobody")
    assert set(Mention.objects.filter(post=post).values_list("member__username", flat=True)) \
        == {"Ada", "Bo"}
    assert '<a class="mention" href="/u/Ada/">@Ada</a>' in post.html
    assert "@nobody" in post.html
    edit_post(editor=cy, post=post, body="Thanks @bo only")
    assert list(Mention.objects.filter(post=post).values_list("member", flat=True)) == [bo.pk]
    assert not Mention.objects.filter(member=ada).exists()


def test_too_many_mentions_are_refused_and_nothing_is_written(make_member, make_topic, settings):
    settings.MENTIONS_MAX_PER_POST = 2
    topic = make_topic()
    count = Post.objects.count()
    with pytest.raises(Invalid, match="at most 2 members"):
        post_reply(author=make_member(), topic=topic, body="@a @b @c")
    assert Post.objects.count() == count and not Mention.objects.exists()


def test_edit_and_delete_controls_show_only_to_those_allowed(reply, make_member, settings):
    url = reply.topic.get_absolute_url()
    own = text(signed_in(reply.author).get(url))
    assert f'href="/p/{reply.pk}/edit/"' in own and f'action="/p/{reply.pk}/delete/"' in own
    other = text(signed_in(make_member()).get(url))
    assert f'/p/{reply.pk}/edit/' not in other and f'/p/{reply.pk}/delete/' not in other
    moderator = text(signed_in(make_member(role="moderator")).get(url))
    assert f'href="/p/{reply.pk}/edit/"' in moderator
    settings.POST_EDIT_WINDOW = 0
    assert f'/p/{reply.pk}/edit/' not in text(signed_in(reply.author).get(url))
