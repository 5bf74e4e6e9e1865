"""Private categories: a category readable by a role and those above it is missing for
everybody else — its page, its topics and posts, the lists, the actions, notifications and
profiles — and no cached page lets one reader see what was rendered for another."""

import pytest
from django.core import mail

from townsquare.core.errors import NotFound
from townsquare.forum.actions import post_reply
from townsquare.forum.actions_reading import mark_category_read
from townsquare.notifications import actions as notify
from townsquare.notifications.models import Notification
from townsquare.reactions.actions import react_to_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(make_category, make_member, make_topic):
    """A moderators-only category with one topic and a reply, beside a public category."""
    mod = make_member("priya", role="moderator")
    admin = make_member("root", role="admin")
    private = make_category("Moderators' room", read_role="moderator", start_role="moderator")
    public = make_category("Lounge")
    topic = make_topic(author=mod, category=private, title="Locking the marsh thread")
    reply = post_reply(author=admin, topic=topic, body="Agreed, with a note saying why.")
    open_topic = make_topic(category=public, title="Hello everyone")
    return {"mod": mod, "admin": admin, "private": private, "public": public, "topic": topic,
            "reply": reply, "open_topic": open_topic}


def get(client, url, user=None):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(url)


def test_guests_and_members_get_a_not_found_for_the_category_its_topics_and_posts(
        client, room, make_member):
    member, editor = make_member(), make_member(role="editor")
    urls = [room["private"].get_absolute_url(), room["topic"].get_absolute_url(),
            room["reply"].get_absolute_url(), f"/t/{room['topic'].pk}/reply/",
            f"/p/{room['reply'].pk}/history/"]
    for user in (None, member, editor):
        for url in urls:
            response = get(client, url, user)
            # Writing a reply asks a guest to sign in first, whatever the topic.
            signin = user is None and url.endswith("/reply/")
            assert response.status_code == (302 if signin else 404), (user, url)
            assert "Locking the marsh thread" not in response.content.decode()
    for user in (room["mod"], room["admin"]):
        assert get(client, room["topic"].get_absolute_url(), user).status_code == 200
        page = get(client, room["private"].get_absolute_url(), user)
        assert page.status_code == 200 and "Locking the marsh thread" in page.content.decode()
        assert "Moderators and administrators only" in page.content.decode()


def test_a_page_cached_for_a_moderator_never_reaches_a_guest_or_a_member(client, room,
                                                                         make_member):
    member = make_member()
    for url in ("/", room["private"].get_absolute_url(), room["topic"].get_absolute_url()):
        get(client, url, room["mod"])
        get(client, url, room["mod"])  # warm every cache a moderator's view fills
    home = get(client, "/", room["mod"]).content.decode()
    assert "Moderators&#x27; room" in home and "Locking the marsh thread" in home
    for user in (None, member):
        home = get(client, "/", user).content.decode()
        assert "Moderators&#x27; room" not in home and "Locking the marsh thread" not in home
        assert "Hello everyone" in home
        assert get(client, room["topic"].get_absolute_url(), user).status_code == 404
        assert get(client, room["private"].get_absolute_url(), user).status_code == 404


def test_a_home_page_cached_for_a_guest_never_hides_the_room_from_a_moderator(client, room):
    get(client, "/")
    get(client, "/")
    home = get(client, "/", room["mod"]).content.decode()
    assert "Locking the marsh thread" in home


def test_members_cannot_reply_react_quote_or_mark_read_where_they_cannot_read(client, room,
                                                                            make_member):
    member = make_member()
    with pytest.raises(NotFound):
        post_reply(author=member, topic=room["topic"], body="Let me in")
    with pytest.raises(NotFound):
        react_to_post(member=member, post=room["reply"], kind="like")
    with pytest.raises(NotFound):
        mark_category_read(member=member, category=room["private"])
    client.force_login(member)
    response = client.post(f"/t/{room['topic'].pk}/reply/", {"body": "Let me in"})
    assert response.status_code == 404
    assert client.post(f"/p/{room['reply'].pk}/react/", {"kind": "like"}).status_code == 404
    assert client.post(f"/c/{room['private'].pk}/mark-read/").status_code == 404
    assert room["topic"].posts.count() == 2


def test_members_cannot_start_topics_in_or_follow_a_category_they_cannot_read(
        client, room, make_member, make_category):
    # A category anyone may start topics in, but only editors read: starting there is as
    # impossible for a member as reading it.
    hidden_start = make_category("Editors' corner", read_role="editor")
    member = make_member()
    client.force_login(member)
    form = client.get("/new/").content.decode()
    assert "Lounge" in form and "Editors&#x27; corner" not in form
    response = client.post("/new/", {"category": hidden_start.pk, "title": "Sneaking in",
                                       "body": "Hello?", "submit_token": ""})
    assert response.status_code == 400 and not hidden_start.topics.exists()
    with pytest.raises(NotFound):
        notify.set_category_follow(member=member, category=room["private"], follow=True)
    assert client.post(f"/c/{room['private'].pk}/follow/", {"follow": "1"}).status_code == 404
    with pytest.raises(NotFound):
        notify.set_topic_watch(member=member, topic=room["topic"], level="follow")
    assert client.post(f"/t/{room['topic'].pk}/watch/", {"level": "follow"}).status_code == 404


def test_nobody_is_notified_about_a_private_topic_they_cannot_read(room, make_member,
                                                                   settings):
    settings.NOTIFY_EMAIL_DELAY_SECONDS = 0
    member = make_member("ada")
    other_mod = make_member("bo", role="moderator")
    post_reply(author=room["mod"], topic=room["topic"], body="Asking @ada and @bo about this")
    assert not Notification.objects.filter(recipient=member).exists()
    assert Notification.objects.filter(recipient=other_mod, kind="mention").count() == 1


def test_a_category_made_private_later_drops_out_of_notifications_and_emails(
        client, room, make_member, make_topic, settings):
    settings.NOTIFY_EMAIL_DELAY_SECONDS = 0
    member = make_member("ada")
    topic = make_topic(author=member, category=room["public"], title="Town hall notes")
    post_reply(author=room["mod"], topic=topic, body="Thanks @ada")
    assert Notification.objects.filter(recipient=member).count() == 1
    room["public"].read_role = "moderator"
    room["public"].save()
    client.force_login(member)
    assert "Town hall notes" not in client.get("/notifications/").content.decode()
    from townsquare.notifications.emails import send_due

    send_due("immediately")
    assert not [m for m in mail.outbox if "Town hall notes" in m.body]


def test_profiles_list_private_topics_and_posts_only_to_readers(client, room, make_member):
    profile = f"/u/{room['mod'].username}/"
    for user in (None, make_member()):
        assert "Locking the marsh thread" not in get(client, profile, user).content.decode()
    assert "Locking the marsh thread" in get(client, profile, room["admin"]).content.decode()
    replies = get(client, f"/u/{room['admin'].username}/", make_member()).content.decode()
    assert "Locking the marsh thread" not in replies


def test_members_only_categories_are_shown_to_every_signed_in_member(client, make_category,
                                                                     make_topic, make_member):
    club = make_category("Members' club", read_role="member")
    topic = make_topic(category=club, title="For members")
    assert get(client, topic.get_absolute_url()).status_code == 404
    assert "Members&#x27; club" not in get(client, "/").content.decode()
    member = make_member()
    assert get(client, topic.get_absolute_url(), member).status_code == 200
    assert "For members" in get(client, "/", member).content.decode()


def test_the_admin_sets_who_may_read_a_category(client, make_member, make_category):
    admin = make_member("boss", role="admin", is_staff=True, is_superuser=True)
    category = make_category("Staff")
    client.force_login(admin)
    form = client.get(f"/admin/forum/category/{category.pk}/change/").content.decode()
    assert 'name="read_role"' in form


def test_a_stored_file_is_as_visible_as_the_post_that_shows_it(room, make_member):
    from townsquare.forum.permissions import GUEST, MODERATORS
    from townsquare.forum.queries import get_file_audience
    from townsquare.uploads.models import Upload

    for name, post in [("room", room["reply"]), ("lounge", room["open_topic"].posts.get()),
                       ("loose", None)]:
        Upload.objects.create(owner=room["mod"], file=f"uploads/2026/01/{name}.webp",
                              thumbnail=f"uploads/2026/01/{name}-thumb.webp", width=1,
                              height=1, bytes=1, format="PNG", sha256=name, post=post)
    assert get_file_audience(room["mod"], "uploads/2026/01/room-thumb.webp") == MODERATORS
    for reader in (None, make_member()):  # missing for them, like the post
        assert get_file_audience(reader, "uploads/2026/01/room.webp") is None
    assert get_file_audience(None, "uploads/2026/01/lounge.webp") == GUEST
    assert get_file_audience(None, "uploads/2026/01/loose.webp") == GUEST  # no post yet
    assert get_file_audience(None, "avatars/1/abc-64.webp") == GUEST
