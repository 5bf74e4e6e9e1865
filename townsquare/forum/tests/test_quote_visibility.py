"""Quotes follow the visibility rule: a quote of a post the writer may not see, or that the
readers of the topic it is posted in may not see, resolves exactly as a quote of a post
that does not exist — no header, no "removed" note, no link between the posts, nobody
notified — in previews, new posts, edits and re-renders (imports: dumps/tests)."""

import re

import pytest
from django.test import Client

from townsquare.core.errors import Invalid
from townsquare.core.markup import quote_block
from townsquare.forum.actions import delete_post, edit_post, post_reply, start_topic
from townsquare.forum.models import Post, PostQuote
from townsquare.notifications.models import Notification

pytestmark = pytest.mark.django_db

MISSING = 987654


@pytest.fixture
def room(make_category, make_member, make_topic):
    """A moderators' room with priya's post in it, and a public lounge."""
    priya = make_member("priya", role="moderator")
    room = make_category("Moderators' room", read_role="moderator", start_role="moderator")
    lounge = make_category("Lounge")
    secret = make_topic(author=priya, category=room, title="Who to ban",
                        body="The quiet plan for the marsh thread.")
    open_topic = make_topic(category=lounge, title="Hello everyone")
    return {"priya": priya, "room": room, "lounge": lounge, "secret": secret,
            "post": secret.posts.get(position=1), "open_topic": open_topic}


def quoting(post_id: int) -> str:
    return quote_block(post_id, "Words I typed.") + "What do you think?"


def preview(member, body: str, **fields) -> str:
    client = Client()
    client.force_login(member)
    response = client.post("/preview/", {"body": body, **fields}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def quote_part(html: str) -> str:
    """The quote's blockquote, its words aside (only the header's part may differ)."""
    block = re.search(r'<blockquote class="quote">.*?</blockquote>', html, re.S).group(0)
    return block.replace("Words I typed.", "")


def assert_unattributed(html: str, post: Post) -> None:
    assert "said:" not in html and "removed" not in html
    assert "priya" not in html and f"/p/{post.pk}/" not in html
    assert "<time" not in html


def test_a_preview_of_a_quote_of_a_private_post_shows_what_a_missing_post_shows(
        room, make_member):
    member = make_member()
    html = preview(member, quoting(room["post"].pk))
    assert_unattributed(html, room["post"])
    assert quote_part(html) == quote_part(preview(member, quoting(MISSING)))


def test_nor_does_it_say_the_private_post_was_removed_once_deleted(room, make_member):
    delete_post(member=room["priya"], post=room["post"])
    member = make_member()
    html = preview(member, quoting(room["post"].pk))
    assert_unattributed(html, room["post"])
    assert quote_part(html) == quote_part(preview(member, quoting(MISSING)))


def test_a_reply_quoting_a_private_post_stores_no_header_link_or_notification(room,
                                                                              make_member):
    reply = post_reply(author=make_member(), topic=room["open_topic"],
                       body=quoting(room["post"].pk))
    assert_unattributed(reply.html, room["post"])
    assert "Words I typed." in reply.html
    assert reply.quotes_post_id is None
    assert not PostQuote.objects.filter(post=reply).exists()
    assert not Notification.objects.filter(recipient=room["priya"]).exists()


def test_a_new_topic_or_an_edit_quoting_a_private_post_stores_no_header(room, make_member):
    member = make_member()
    topic = start_topic(author=member, category=room["lounge"], title="Quoting",
                        body=quoting(room["post"].pk))
    assert_unattributed(topic.posts.get(position=1).html, room["post"])
    reply = post_reply(author=member, topic=room["open_topic"], body="Plain words.")
    edited = edit_post(editor=member, post=reply, body=quoting(room["post"].pk))
    assert_unattributed(edited.html, room["post"])
    assert not PostQuote.objects.filter(post=edited).exists()
    assert not Notification.objects.filter(recipient=room["priya"]).exists()


def test_a_moderator_quoting_the_room_in_a_public_topic_leaves_out_the_attribution(room,
                                                                                  make_member):
    other = make_member("omar", role="moderator")
    reply = post_reply(author=other, topic=room["open_topic"], body=quoting(room["post"].pk))
    assert_unattributed(reply.html, room["post"])
    assert not PostQuote.objects.filter(post=reply).exists()
    assert not Notification.objects.filter(recipient=room["priya"]).exists()
    # Their preview of that reply says the same.
    html = preview(other, quoting(room["post"].pk),
                   form_action=f"/t/{room['open_topic'].pk}/reply/")
    assert_unattributed(html, room["post"])


def test_inside_the_room_the_same_quote_is_attributed(room, make_member):
    other = make_member("omar", role="moderator")
    reply = post_reply(author=other, topic=room["secret"], body=quoting(room["post"].pk))
    assert "priya said:" in reply.html and reply.quotes_post_id == room["post"].pk
    assert PostQuote.objects.filter(post=reply, quoted=room["post"]).exists()
    assert Notification.objects.filter(recipient=room["priya"], post=reply).exists()
    html = preview(other, quoting(room["post"].pk),
                   form_action=f"/t/{room['secret'].pk}/reply/")
    assert "priya said:" in html
    # A new topic in the room, previewed with the room chosen, is attributed too.
    html = preview(other, quoting(room["post"].pk), form_action="/new/",
                   category=str(room["room"].pk))
    assert "priya said:" in html


def test_a_public_post_quoted_anywhere_is_attributed(room, make_member):
    opening = room["open_topic"].posts.get(position=1)
    member = make_member()
    reply = post_reply(author=member, topic=room["open_topic"], body=quoting(opening.pk))
    assert f"{opening.author.username} said:" in reply.html
    assert f"{opening.author.username} said:" in preview(member, quoting(opening.pk))


def test_a_hidden_post_quoted_in_its_public_topic_by_a_moderator_is_not_attributed(
        room, make_member):
    opening = room["open_topic"].posts.get(position=1)
    Post.objects.filter(pk=opening.pk).update(hidden=True)
    reply = post_reply(author=room["priya"], topic=room["open_topic"],
                       body=quoting(opening.pk))
    assert "said:" not in reply.html and reply.quotes_post_id is None


def test_deleting_a_quoted_post_keeps_unattributed_quotes_unattributed(room, make_member):
    reply = post_reply(author=room["priya"], topic=room["open_topic"],
                       body=quoting(room["post"].pk))
    delete_post(member=room["priya"], post=room["post"])
    reply.refresh_from_db()
    assert_unattributed(reply.html, room["post"])


def test_an_image_of_a_private_post_cannot_be_shown_by_quoting_it(room, make_member):
    from townsquare.uploads.models import Upload

    Upload.objects.create(owner=room["priya"], file="uploads/2025/01/secret.webp",
                          thumbnail="uploads/2025/01/secret-thumb.webp", width=10, height=10,
                          bytes=10, format="png", sha256="0" * 64, post=room["post"])
    body = quoting(room["post"].pk) + "\n\n![x](/media/uploads/2025/01/secret.webp)"
    with pytest.raises(Invalid, match="only show images its author uploaded"):
        post_reply(author=make_member(), topic=room["open_topic"], body=body)


def quoted_in_lounge(room, make_member):
    """A public post, quoted (and so attributed) by a member in another public topic."""
    opening = room["open_topic"].posts.get(position=1)
    other = start_topic(author=make_member(), category=room["lounge"], title="Elsewhere",
                        body=quoting(opening.pk))
    reply = other.posts.get(position=1)
    assert f"{opening.author.username} said:" in reply.html
    return opening, reply


def test_a_quoted_topic_moved_into_a_private_category_loses_its_headers_elsewhere(
        room, make_member):
    from townsquare.forum.actions_access import move_topic

    opening, reply = quoted_in_lounge(room, make_member)
    version = Post.objects.get(pk=reply.pk).version
    move_topic(by=room["priya"], topic=room["open_topic"], category=room["room"])
    reply.refresh_from_db()
    assert_unattributed(reply.html.replace("Hello everyone", ""), opening)
    assert reply.version > version  # cached copies of the quoting post are not served again
    move_topic(by=room["priya"], topic=room["open_topic"], category=room["lounge"])
    reply.refresh_from_db()
    assert f"{opening.author.username} said:" in reply.html


def test_a_quoted_topic_hidden_or_its_category_made_private_loses_its_headers_elsewhere(
        room, make_member, make_category):
    from townsquare.forum.actions_access import set_category_read_role, set_topic_hidden

    admin = make_member("ada", role="admin")
    opening, reply = quoted_in_lounge(room, make_member)
    set_topic_hidden(by=room["priya"], topic=room["open_topic"], hidden=True)
    reply.refresh_from_db()
    assert "said:" not in reply.html
    set_topic_hidden(by=room["priya"], topic=room["open_topic"], hidden=False)
    reply.refresh_from_db()
    assert "said:" in reply.html
    # The quoting topic sits in the lounge too: move it out before closing the lounge.
    elsewhere = make_category("Elsewhere")
    reply.topic.category = elsewhere
    reply.topic.save(update_fields=["category"])
    set_category_read_role(by=admin, category=room["lounge"], read_role="moderator")
    reply.refresh_from_db()
    assert "said:" not in reply.html and "<time" not in reply.html


def test_a_quoted_post_hidden_in_the_admin_loses_its_headers_elsewhere(room, make_member):
    from townsquare.live.tests.admin_forms import admin_save

    opening, reply = quoted_in_lounge(room, make_member)
    client = Client()
    client.force_login(make_member("ada", role="admin", is_staff=True, is_superuser=True))
    admin_save(client, opening, hidden=True)
    reply.refresh_from_db()
    assert "said:" not in reply.html
    admin_save(client, opening, hidden=False)
    reply.refresh_from_db()
    assert "said:" in reply.html
