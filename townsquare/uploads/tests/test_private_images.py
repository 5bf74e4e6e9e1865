"""An image belongs to the post that shows it: readers who may not see the post get the
answer a missing file gets, and shared caches never keep an image not everyone may see."""

import re

import pytest
from django.test import Client

from townsquare.forum.actions import post_reply
from townsquare.forum.models import Post
from townsquare.uploads.actions import store_image

pytestmark = pytest.mark.django_db


@pytest.fixture
def room_image(make_member, make_category, make_topic, image_file):
    mod = make_member(role="moderator")
    room = make_category(read_role="moderator", start_role="moderator")
    upload = store_image(owner=mod, file=image_file())
    make_topic(author=mod, category=room, body=f"![plan]({upload.url})")
    upload.refresh_from_db()
    assert upload.post is not None
    return {"mod": mod, "upload": upload}


def page(response) -> str:
    """The page, its one-time CSRF token aside."""
    return re.sub(r'value="\w{64}"', "", response.content.decode())


def fetch(user, name):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(f"/media/{name}")


def test_an_image_of_a_private_post_is_missing_for_those_who_cannot_see_the_post(
        room_image, make_member):
    upload = room_image["upload"]
    for user in (None, make_member()):
        for name in (upload.file, upload.thumbnail):
            response = fetch(user, name)
            assert response.status_code == 404
            missing = fetch(user, "uploads/2021/01/none.webp")
            assert page(response) == page(missing)


def test_its_readers_get_it_kept_out_of_shared_caches(room_image):
    response = fetch(room_image["mod"], room_image["upload"].file)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("private")


def test_a_public_image_stays_cacheable_by_anyone_and_unattached_ones_are_served(
        room_image, make_member, make_topic, image_file):
    member = make_member()
    upload = store_image(owner=member, file=image_file(colour=(1, 2, 3)))
    assert fetch(None, upload.file).status_code == 200  # in a draft: no post yet
    post_reply(author=member, topic=make_topic(), body=f"![x]({upload.url})")
    response = fetch(None, upload.file)
    assert response.status_code == 200 and "immutable" in response["Cache-Control"]
    Post.objects.filter(uploads=upload).update(hidden=True)
    assert fetch(member, upload.file).status_code == 404
